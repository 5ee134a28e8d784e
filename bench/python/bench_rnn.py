"""Recurrent-network benchmarks, axonite vs PyTorch in one process on the same data and weights
(torch's state_dicts are copied into axonite by name: both use PyTorch's parameter names):
(lstm, gru) one layer, and (lstm_bi2, gru_bi2) two bidirectional layers, forward and
forward+backward (input and all weight gradients) at seq 50, batch 64, input 128, hidden 256;
(lstmcell) one LSTMCell step forward+backward at batch 1 and 64 (input 128, hidden 256);
(char_lm) the char_lm training step: Embedding 65 -> 64, LSTM hidden 256, Linear -> 65 on
64 steps x 32 sequences, cross-entropy, Adam. Every case first checks that both frameworks
compute the same outputs (or the same first loss). Prints median times and ratios
(axonite / torch; below 1.0 means axonite is faster).

    python bench/python/bench_rnn.py [--repeats N] [--threads 1 2]
                                     [--cases lstm gru lstm_bi2 gru_bi2 lstmcell char_lm]
                                     [--markdown]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import axonite as ax
import axonite.nn.functional as F

sys.path.insert(0, str(Path(__file__).parent))
from _harness import Case, run_table, torch

tnn = torch.nn

# The layer benchmarks' sizes (issue 6): seq, batch, input, hidden.
T, B, I, H = 50, 64, 128, 256

# key: (layer class name in both frameworks, num_layers, bidirectional)
LAYERS = {
    "lstm": ("LSTM", 1, False),
    "gru": ("GRU", 1, False),
    "lstm_bi2": ("LSTM", 2, True),
    "gru_bi2": ("GRU", 2, True),
}


def copy_weights(name: str, tm: tnn.Module, am: ax.nn.Module) -> None:
    """Loads tm's state_dict into am after checking that keys and parameter counts agree."""
    tsd, asd = tm.state_dict(), am.state_dict()
    if list(tsd) != list(asd):
        missing, extra = set(asd) - set(tsd), set(tsd) - set(asd)
        raise ValueError(
            f"{name}: state_dict keys differ: only axonite {missing}, only torch {extra}"
        )
    tn = sum(p.numel() for p in tm.parameters())
    an = sum(p.numel() for p in am.parameters())
    if tn != an:
        raise ValueError(f"{name}: parameter counts differ: axonite {an}, torch {tn}")
    am.load_state_dict({k: ax.tensor(v.detach().numpy()) for k, v in tsd.items()})


def check_close(name: str, a: ax.Tensor, t: torch.Tensor, tol: float = 1e-4) -> None:
    """Guards against timing two different computations (mis-copied weights, wrong gate
    order): the outputs of one call on the shared input must agree to float tolerance."""
    diff = float(np.abs(a.detach().numpy() - t.detach().numpy()).max())
    if diff > tol:
        raise RuntimeError(f"{name}: outputs differ by {diff:.3g} (tolerance {tol})")


def layer_cases(key: str, threads: int) -> list[Case]:
    kind, layers, bidir = LAYERS[key]
    tm = getattr(tnn, kind)(I, H, num_layers=layers, bidirectional=bidir)
    am = getattr(ax.nn, kind)(I, H, num_layers=layers, bidirectional=bidir)
    label = f"{kind} T={T} B={B} I={I} H={H}" + (f" {layers}-layer bidir" if bidir else "")
    copy_weights(label, tm, am)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    tx, axx = torch.from_numpy(x), ax.tensor(x)
    tx_g, axx_g = tx.clone().requires_grad_(True), ax.tensor(x, requires_grad=True)
    with torch.no_grad(), ax.no_grad():
        check_close(label, am(axx)[0], tm(tx)[0])

    def ax_fwd() -> None:
        with ax.no_grad():
            am(axx)

    def t_fwd() -> None:
        with torch.no_grad():
            tm(tx)

    # Gradients accumulate across calls in both frameworks alike, as in bench_conv.py.
    def ax_fb() -> None:
        am(axx_g)[0].sum().backward()

    def t_fb() -> None:
        tm(tx_g)[0].sum().backward()

    return [(f"{label} fwd", threads, ax_fwd, t_fwd), (f"{label} fwd+bwd", threads, ax_fb, t_fb)]


def lstmcell_cases(threads: int) -> list[Case]:
    """One LSTMCell step from given (h, c), forward+backward, at batch 1 and 64: the per-step
    overhead that a Python loop over time (decoders, samplers) pays."""
    cases = []
    for b in (1, 64):
        label = f"LSTMCell step B={b} I={I} H={H} fwd+bwd"
        tm, am = tnn.LSTMCell(I, H), ax.nn.LSTMCell(I, H)
        copy_weights(label, tm, am)
        rng = np.random.default_rng(b)
        x, h0, c0 = (rng.standard_normal(s).astype(np.float32) for s in ((b, I), (b, H), (b, H)))
        tx, th, tc = (torch.from_numpy(v).requires_grad_(True) for v in (x, h0, c0))
        axx, ah, ac = (ax.tensor(v, requires_grad=True) for v in (x, h0, c0))
        with torch.no_grad(), ax.no_grad():
            check_close(label, am(axx, (ah, ac))[1], tm(tx, (th, tc))[1])

        # Default arguments bind this iteration's tensors (a closure would see the last ones).
        def ax_fb(am=am, xs=(axx, ah, ac)) -> None:
            am(xs[0], (xs[1], xs[2]))[0].sum().backward()

        def t_fb(tm=tm, xs=(tx, th, tc)) -> None:
            tm(xs[0], (xs[1], xs[2]))[0].sum().backward()

        cases.append((label, threads, ax_fb, t_fb))
    return cases


class TorchCharLM(tnn.Module):
    """The char_lm example's model (ids (T, B) -> logits (T, B, vocab)), same module names."""

    def __init__(self, vocab: int = 65, embed: int = 64, hidden: int = 256) -> None:
        super().__init__()
        self.embed = tnn.Embedding(vocab, embed)
        self.lstm = tnn.LSTM(embed, hidden)
        self.head = tnn.Linear(hidden, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.lstm(self.embed(ids))[0])


class AxCharLM(ax.nn.Module):
    """TorchCharLM in axonite: defined here rather than imported from the example so that the
    benchmark times a fixed architecture even if the example's defaults change."""

    def __init__(self, vocab: int = 65, embed: int = 64, hidden: int = 256) -> None:
        super().__init__()
        self.embed = ax.nn.Embedding(vocab, embed)
        self.lstm = ax.nn.LSTM(embed, hidden)
        self.head = ax.nn.Linear(hidden, vocab)

    def forward(self, ids: ax.Tensor) -> ax.Tensor:
        return self.head(self.lstm(self.embed(ids))[0])


def char_lm_cases(threads: int) -> list[Case]:
    """zero_grad + forward + cross-entropy over all T*B next-character targets + backward +
    Adam step, on one fixed batch of 64 steps x 32 sequences."""
    vocab, seq, batch = 65, 64, 32
    label = f"char_lm step T={seq} B={batch} Adam"
    tm, am = TorchCharLM(vocab), AxCharLM(vocab)
    copy_weights(label, tm, am)
    rng = np.random.default_rng(2)
    ids = rng.integers(0, vocab, (seq, batch))
    tgt = rng.integers(0, vocab, seq * batch)
    tids, ttgt = torch.from_numpy(ids), torch.from_numpy(tgt)
    aids, atgt = ax.tensor(ids), ax.tensor(tgt)

    def ax_loss() -> ax.Tensor:
        return F.cross_entropy(am(aids).reshape(seq * batch, vocab), atgt)

    def t_loss() -> torch.Tensor:
        return tnn.functional.cross_entropy(tm(tids).reshape(seq * batch, vocab), ttgt)

    la, lt = float(ax_loss().item()), float(t_loss().item())
    if abs(la - lt) > 1e-4 * max(1.0, abs(lt)):
        raise RuntimeError(f"{label}: first losses differ: axonite {la:.6f}, torch {lt:.6f}")
    aopt = ax.optim.Adam(am.parameters(), lr=2e-3)
    topt = torch.optim.Adam(tm.parameters(), lr=2e-3)

    def ax_step() -> None:
        aopt.zero_grad()
        ax_loss().backward()
        aopt.step()

    def t_step() -> None:
        topt.zero_grad()
        t_loss().backward()
        topt.step()

    return [(label, threads, ax_step, t_step)]


CASES = {
    **{key: (lambda th, key=key: layer_cases(key, th)) for key in LAYERS},
    "lstmcell": lstmcell_cases,
    "char_lm": char_lm_cases,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    cases: list[Case] = []
    for th in args.threads:
        for key in args.cases:
            cases += CASES[key](th)
    run_table(cases, args.repeats, args.markdown)


if __name__ == "__main__":
    main()
