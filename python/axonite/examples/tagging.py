"""Many-to-many sequence labelling: a bidirectional LSTM tags every token of a generated
sequence, compared with a unidirectional LSTM of the same width.

The task needs context on both sides. Sequences of 8-32 tokens are drawn uniformly from an
alphabet of 4 symbols; token ``t`` is tagged 1 when it equals the token ``k`` steps before it
OR the token ``k`` steps after it (``k = 3``; a neighbour outside the sequence never matches),
else 0; 37.9% of the test tags are 1. A left-to-right model sees the earlier neighbour but not
the later one, so it must guess whenever only the later neighbour matches (a quarter of the
tokens that have one): its accuracy is capped well below 1. The bidirectional model reads both
directions and can be exact. Batches are padded and the layer is called with ``lengths=``; padded positions
carry the target -100, which ``cross_entropy`` ignores.

    python -m axonite.examples.tagging [--epochs 3] [--hidden 64] [--k 3] [--smoke]

Measured with the defaults (seed 0, 20,000 training / 2,000 test sequences, hidden 64, batch 64,
Adam 5e-3, 3 epochs, 2 threads on a 2-core Zen 5 VM): per-token test accuracy bidirectional
1.0000 (already after the first epoch; 2.6 s) against unidirectional 0.8319 (1.2 s), which
stays at 0.8319 whether trained 3 or 8 epochs. ``--smoke`` (1,000 sequences, one epoch) takes
under a second per model.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import axonite as ax
from axonite import nn

IGNORE = -100  # target of padded positions: cross_entropy skips it


def make_sequences(
    n: int, alphabet: int, min_len: int, max_len: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random sequences padded with 0 into an int64 (n, max_len) array, and their
    lengths (n,), uniform in [min_len, max_len]."""
    if not 1 <= min_len <= max_len:
        raise ValueError(
            f"make_sequences: need 1 <= min_len <= max_len, got min_len={min_len}, "
            f"max_len={max_len}"
        )
    if alphabet < 2:
        raise ValueError(f"make_sequences: alphabet must be >= 2, got {alphabet}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n).astype(np.int64)
    tokens = rng.integers(0, alphabet, size=(n, max_len)).astype(np.int64)
    tokens[np.arange(max_len)[None, :] >= lengths[:, None]] = 0
    return tokens, lengths


def tag_labels(tokens: np.ndarray, lengths: np.ndarray, k: int) -> np.ndarray:
    """Tags (n, T): 1 where ``tokens[i, t]`` equals ``tokens[i, t-k]`` or ``tokens[i, t+k]``
    (each neighbour counted only inside the sequence's length), 0 elsewhere inside the
    length, and ``IGNORE`` on padding. Vectorized: the two shifted comparisons are slices."""
    if tokens.ndim != 2 or lengths.shape != (tokens.shape[0],):
        raise ValueError(
            f"tag_labels: tokens must be (n, T) and lengths (n,), got {tokens.shape} and "
            f"{lengths.shape}"
        )
    n, steps = tokens.shape
    if not 1 <= k < steps:
        raise ValueError(f"tag_labels: k must be in [1, {steps - 1}], got {k}")
    inside = np.arange(steps)[None, :] < lengths[:, None]
    match = np.zeros((n, steps), dtype=bool)
    same = tokens[:, k:] == tokens[:, :-k]  # same[:, j]: token j+k equals token j
    both_in = inside[:, k:]  # position j+k inside implies j inside
    match[:, k:] |= same & both_in  # the earlier neighbour of t = j+k
    match[:, :-k] |= same & both_in  # the later neighbour of t = j
    return np.where(inside, match.astype(np.int64), IGNORE)


class Tagger(nn.Module):
    """Token ids (N, T) with lengths (N,) -> per-token logits (N, T, 2): an embedding, an LSTM
    (bidirectional or not) and a linear layer on every output step."""

    def __init__(self, alphabet: int, hidden: int = 64, bidirectional: bool = True) -> None:
        super().__init__()
        self.embed = nn.Embedding(alphabet, 16)
        self.rnn = nn.LSTM(16, hidden, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), 2)

    def forward(self, tokens: ax.Tensor, lengths: ax.Tensor) -> ax.Tensor:
        if tokens.ndim != 2:
            raise ValueError(
                f"Tagger.forward: tokens must be (N, T), got shape {list(tokens.shape)}"
            )
        out, _ = self.rnn(self.embed(tokens), lengths=lengths)
        return self.head(out)


def evaluate(net: Tagger, x: ax.Tensor, lengths: ax.Tensor, y: ax.Tensor) -> float:
    """Per-token accuracy over the non-padded positions, in eval mode."""
    net.eval()
    with ax.no_grad():
        pred = net(x, lengths).argmax(2)
    valid = y != IGNORE
    correct = ((pred == y) & valid).sum().item()
    return correct / valid.sum().item()


def train_one(
    bidirectional: bool,
    data: tuple[tuple[ax.Tensor, ...], tuple[ax.Tensor, ...]],
    args: argparse.Namespace,
) -> dict[str, float]:
    """Trains one tagger; returns ``test_accuracy``, ``train_loss`` (last epoch) and
    ``train_seconds``."""
    (x, lens, y), test = data
    ax.manual_seed(args.seed)
    net = Tagger(args.alphabet, args.hidden, bidirectional)
    params = list(net.parameters())
    opt = ax.optim.Adam(params, lr=args.lr)
    rng = np.random.default_rng(args.seed)
    n = int(x.shape[0])
    name = "bidirectional" if bidirectional else "unidirectional"
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        order = ax.from_numpy(rng.permutation(n).astype(np.int64))
        loss_sum, steps = 0.0, 0
        for start in range(0, n, args.batch_size):
            idx = order[start : start + args.batch_size]
            logits = net(x.index_select(0, idx), lens.index_select(0, idx))
            loss = nn.functional.cross_entropy(
                logits.reshape(-1, 2), y.index_select(0, idx).reshape(-1), ignore_index=IGNORE
            )
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, args.clip)
            opt.step()
            loss_sum += loss.item()
            steps += 1
        if args.verbose:
            print(
                f"  {name} epoch {epoch + 1}/{args.epochs}: train loss {loss_sum / steps:.4f}, "
                f"test accuracy {evaluate(net, *test):.4f}"
            )
    seconds = time.perf_counter() - t0
    return {
        "test_accuracy": evaluate(net, *test),
        "train_loss": loss_sum / steps,
        "train_seconds": seconds,
    }


def build(n: int, args: argparse.Namespace, seed: int) -> tuple[ax.Tensor, ...]:
    """(tokens (n, T), lengths (n,), tags (n, T)) as axonite tensors."""
    tokens, lengths = make_sequences(n, args.alphabet, args.min_len, args.max_len, seed)
    tags = tag_labels(tokens, lengths, args.k)
    return ax.from_numpy(tokens), ax.from_numpy(lengths), ax.from_numpy(tags)


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Trains a bidirectional and a unidirectional tagger; returns ``bi_test_accuracy``,
    ``uni_test_accuracy``, their ``*_train_loss`` and ``*_train_seconds``, and
    ``positive_rate`` (fraction of test tags equal to 1)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--alphabet", type=int, default=4)
    ap.add_argument("--k", type=int, default=3, help="neighbour distance")
    ap.add_argument("--min-len", type=int, default=8)
    ap.add_argument("--max-len", type=int, default=32)
    ap.add_argument("--train-size", type=int, default=20000)
    ap.add_argument("--test-size", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 one line per epoch")
    ap.add_argument("--smoke", action="store_true", help="1,000 sequences, 1 epoch")
    args = ap.parse_args(argv)
    for name in ("epochs", "hidden", "batch_size", "train_size", "test_size"):
        if getattr(args, name) < 1:
            ap.error(f"tagging: --{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 1 <= args.k < args.max_len:
        ap.error(f"tagging: --k must be in [1, --max-len), got {args.k}")
    if args.smoke:
        args.epochs, args.train_size, args.test_size = 1, 1000, 200

    data = (build(args.train_size, args, args.seed), build(args.test_size, args, args.seed + 1))
    tags = data[1][2].numpy()
    positive = float((tags == 1).sum() / (tags != IGNORE).sum())
    if args.verbose:
        print(
            f"tag token t when it equals token t-{args.k} or t+{args.k}: {args.train_size} "
            f"train / {args.test_size} test sequences of {args.min_len}-{args.max_len} tokens "
            f"over {args.alphabet} symbols ({positive:.3f} of the tags are 1); hidden "
            f"{args.hidden}, batch {args.batch_size}, {ax.get_num_threads()} threads"
        )
    out: dict[str, float] = {"positive_rate": positive, "epochs": args.epochs}
    for prefix, bidirectional in (("bi", True), ("uni", False)):
        r = train_one(bidirectional, data, args)
        out.update({f"{prefix}_{k}": v for k, v in r.items()})
    if args.verbose:
        print(
            f"per-token test accuracy: bidirectional {out['bi_test_accuracy']:.4f} "
            f"({out['bi_train_seconds']:.1f}s) vs unidirectional {out['uni_test_accuracy']:.4f} "
            f"({out['uni_train_seconds']:.1f}s)"
        )
    return out


if __name__ == "__main__":
    main()
