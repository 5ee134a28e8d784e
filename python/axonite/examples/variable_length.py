"""Variable-length sequence classification on UCI Japanese Vowels: 9 male speakers each say
the vowel pair 'ae'; every utterance is 7 to 29 frames of 12 LPC cepstrum coefficients, and the
task is to name the speaker (270 training / 370 test utterances, shipped inside the PyPI package
aeon; nothing is downloaded).

    python -m axonite.examples.variable_length [--model lstm|gru|both] [--epochs 60] [--smoke]

Each batch is padded with ``ax.nn.utils.rnn.pad_sequence`` and the recurrent layer is called
with ``lengths=``: no sorting, no packing. Outputs past each length are zero and the final
state is the one at each utterance's own last frame, so padding never leaks into the
prediction. Batches come from a ``BucketBatchSampler``, which groups utterances of similar
length so that little of each batch is padding.

Measured with the defaults (hidden 64, batch 16, 60 epochs, 2 threads on a 2-core Zen 5 VM):
seed 0 gives LSTM 0.9649 (357/370) and GRU 0.9784 (362/370) test accuracy, about 0.4 s of
training per model; over seeds 0-4 the LSTM scores 0.962-0.973 and the GRU 0.965-0.978.
"""

from __future__ import annotations

import argparse
import sys
import time

import axonite as ax
from axonite import nn
from axonite.nn.utils.rnn import pad_sequence
from axonite.utils.data import BucketBatchSampler, DataLoader

CHANNELS, SPEAKERS = 12, 9
MODELS = ("lstm", "gru")

Sample = tuple[ax.Tensor, ax.Tensor]  # (sequence (L, 12), speaker index as a 0-d int64 tensor)


class SpeakerClassifier(nn.Module):
    """Padded (T, B, 12) frames with per-utterance lengths (B,) -> logits (B, 9).

    The recurrent layer's final hidden state summarizes each utterance up to its own last
    frame; dropout on that summary is the only regularizer, which 270 training utterances
    need."""

    def __init__(self, kind: str = "lstm", hidden: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        layers = {"lstm": nn.LSTM, "gru": nn.GRU}
        if kind not in layers:
            raise ValueError(
                f"SpeakerClassifier: kind must be one of {sorted(layers)}, got {kind!r}"
            )
        self.kind = kind
        self.rnn = layers[kind](CHANNELS, hidden)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, SPEAKERS)

    def forward(self, x: ax.Tensor, lengths: ax.Tensor) -> ax.Tensor:
        _, state = self.rnn(x, lengths=lengths)
        h_n = state[0] if self.kind == "lstm" else state  # LSTM returns (h_n, c_n)
        return self.head(self.drop(h_n[-1]))


def collate(batch: list[Sample]) -> tuple[ax.Tensor, ax.Tensor, ax.Tensor]:
    """A list of (sequence, label) samples -> padded frames (T, B, 12), lengths (B,) int64
    and labels (B,), in the sampler's order (no sorting needed with ``lengths=``)."""
    seqs = [s for s, _ in batch]
    lengths = ax.tensor([int(s.shape[0]) for s in seqs], dtype=ax.int64)
    labels = ax.stack([y for _, y in batch])
    return pad_sequence(seqs), lengths, labels


def load() -> tuple[list[Sample], list[Sample]]:
    """Train and test samples, each channel standardized with the training frames' mean and
    standard deviation (channel scales differ by a factor of 5 in the raw file)."""
    try:
        (x_train, y_train), (x_test, y_test) = ax.datasets.japanese_vowels()
    except ax.datasets.DatasetNotFoundError as e:
        sys.exit(str(e))
    frames = ax.cat(x_train)  # (total frames, 12)
    mean, std = frames.mean(0), frames.std(0)

    def samples(xs: list[ax.Tensor], ys: ax.Tensor) -> list[Sample]:
        return [((x - mean) / std, ys[i]) for i, x in enumerate(xs)]

    return samples(x_train, y_train), samples(x_test, y_test)


def loader(data: list[Sample], batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    """Batches of similar-length utterances: random pools when training, the whole set sorted
    by length (least padding) for evaluation."""
    sampler = BucketBatchSampler(
        [int(s.shape[0]) for s, _ in data],
        batch_size,
        shuffle=shuffle,
        generator=ax.Generator().manual_seed(seed),
        bucket_size_multiplier=4,  # pools of 4 batches: similar lengths, yet varied batches
    )
    return DataLoader(data, batch_sampler=sampler, collate_fn=collate)


def evaluate(net: nn.Module, batches: DataLoader) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) in eval mode, without a graph."""
    net.eval()
    correct, loss_sum, n = 0.0, 0.0, 0
    with ax.no_grad():
        for x, lengths, y in batches:
            logits = net(x, lengths)
            loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            n += int(y.shape[0])
    return correct / n, loss_sum / n


def train_one(
    kind: str, data: tuple[list[Sample], list[Sample]], args: argparse.Namespace
) -> dict[str, float]:
    """Trains one model; returns ``test_accuracy``, ``test_loss``, ``train_accuracy`` and
    ``train_seconds``."""
    train, test = data
    ax.manual_seed(args.seed)
    net = SpeakerClassifier(kind, args.hidden, args.dropout)
    params = list(net.parameters())
    opt = ax.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    # Cosine decay to zero: large steps early, and a settled model at the last epoch.
    sched = ax.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    train_batches = loader(train, args.batch_size, True, args.seed)
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        for x, lengths, y in train_batches:
            loss = nn.functional.cross_entropy(net(x, lengths), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, args.clip)
            opt.step()
        sched.step()
        if args.verbose and ((epoch + 1) % 10 == 0 or epoch + 1 == args.epochs):
            acc, test_loss = evaluate(net, loader(test, 64, False, 0))
            print(
                f"  {kind} epoch {epoch + 1}/{args.epochs}: test accuracy {acc:.4f}, "
                f"test loss {test_loss:.4f}"
            )
    train_seconds = time.perf_counter() - t0
    acc, test_loss = evaluate(net, loader(test, 64, False, 0))
    train_acc, _ = evaluate(net, loader(train, 64, False, 0))
    return {
        "test_accuracy": acc,
        "test_loss": test_loss,
        "train_accuracy": train_acc,
        "train_seconds": train_seconds,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Trains the chosen model(s); returns, per model ``m`` in ``lstm``/``gru``,
    ``m_test_accuracy``, ``m_test_loss``, ``m_train_accuracy`` and ``m_train_seconds``, plus
    ``epochs``."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", choices=[*MODELS, "both"], default="both")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--clip", type=float, default=1.0, help="max gradient norm")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", type=int, default=1, help="0 silent, 1 a line per 10 epochs")
    ap.add_argument("--smoke", action="store_true", help="5 epochs (about a second)")
    args = ap.parse_args(argv)
    for name in ("epochs", "hidden", "batch_size"):
        if getattr(args, name) < 1:
            ap.error(
                f"variable_length: --{name.replace('_', '-')} must be >= 1, "
                f"got {getattr(args, name)}"
            )
    if not 0.0 <= args.dropout < 1.0:
        ap.error(f"variable_length: --dropout must be in [0, 1), got {args.dropout}")
    if args.clip <= 0:
        ap.error(f"variable_length: --clip must be > 0, got {args.clip}")
    if args.smoke:
        args.epochs = min(args.epochs, 5)

    data = load()
    kinds = MODELS if args.model == "both" else (args.model,)
    if args.verbose:
        lengths = [int(s.shape[0]) for s, _ in data[0] + data[1]]
        print(
            f"JapaneseVowels: {len(data[0])} train / {len(data[1])} test utterances, "
            f"{min(lengths)}-{max(lengths)} frames of {CHANNELS} channels, {SPEAKERS} speakers; "
            f"hidden {args.hidden}, Adam(lr={args.lr}, cosine), batch {args.batch_size}"
        )
    out: dict[str, float] = {"epochs": args.epochs}
    for kind in kinds:
        r = train_one(kind, data, args)
        out.update({f"{kind}_{k}": v for k, v in r.items()})
        if args.verbose:
            print(
                f"{kind.upper()}: test accuracy {r['test_accuracy']:.4f} "
                f"({round(r['test_accuracy'] * len(data[1]))}/{len(data[1])}), train accuracy "
                f"{r['train_accuracy']:.4f}, {r['train_seconds']:.1f}s"
            )
    return out


if __name__ == "__main__":
    main()
