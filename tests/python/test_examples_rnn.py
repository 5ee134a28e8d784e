"""The sequence-model examples (``sequence_classification``: LSTM and GRU reading MNIST row by
row; ``variable_length``: JapaneseVowels speakers from padded batches called with
``lengths=``) run in-process through their ``main(argv)``.

Smoke modes are fast and always run (skipping cleanly when a dataset package is absent); the
runs marked slow assert the headline accuracy (JapaneseVowels >= 0.95) or, for MNIST, a
reduced run's measured accuracy with margin.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import axonite as ax
from axonite.examples import sequence_classification as seqcls
from axonite.examples import variable_length as varlen

# ---------------------------------------------------------------- models (no data)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_row_classifier_shapes_and_params(kind: str) -> None:
    net = seqcls.RowClassifier(kind, hidden=16)
    assert tuple(net(ax.randn(5, 28, 28)).shape) == (5, 10)
    gates = {"lstm": 4, "gru": 3}[kind]
    # weight_ih (G*H, 28), weight_hh (G*H, H), two biases (G*H), head Linear(H, 10).
    expected = gates * 16 * (28 + 16 + 2) + 16 * 10 + 10
    assert sum(p.numel() for p in net.parameters()) == expected


def test_row_classifier_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"RowClassifier: kind .* 'rnn'"):
        seqcls.RowClassifier("rnn")
    with pytest.raises(ValueError, match=r"RowClassifier: hidden .* 0"):
        seqcls.RowClassifier("gru", hidden=0)
    with pytest.raises(ValueError, match=r"RowClassifier.forward: x .* \[4, 784\]"):
        seqcls.RowClassifier("gru", hidden=4)(ax.randn(4, 784))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_speaker_classifier_ignores_padding(kind: str) -> None:
    """The logits of a padded batch called with ``lengths=`` equal those of each utterance
    run alone, unpadded: padding never reaches the prediction."""
    ax.manual_seed(1)
    net = varlen.SpeakerClassifier(kind, hidden=8).eval()
    rng = np.random.default_rng(0)
    seqs = [ax.from_numpy(rng.standard_normal((n, 12)).astype(np.float32)) for n in (3, 7, 5)]
    samples = [(s, ax.tensor(i)) for i, s in enumerate(seqs)]
    x, lengths, labels = varlen.collate(samples)
    assert tuple(x.shape) == (7, 3, 12)
    assert lengths.numpy().tolist() == [3, 7, 5]
    assert labels.numpy().tolist() == [0, 1, 2]
    with ax.no_grad():
        batched = net(x, lengths).numpy()
        alone = [net(s.unsqueeze(1), ax.tensor([int(s.shape[0])])).numpy()[0] for s in seqs]
    assert batched.shape == (3, varlen.SPEAKERS)
    np.testing.assert_allclose(batched, np.stack(alone), rtol=1e-5, atol=1e-6)


def test_speaker_classifier_rejects_bad_kind() -> None:
    with pytest.raises(ValueError, match=r"SpeakerClassifier: kind .* 'rnn'"):
        varlen.SpeakerClassifier("rnn")


def test_examples_reject_bad_arguments() -> None:
    for argv in (["--epochs", "0"], ["--hidden", "0"], ["--clip", "0"], ["--model", "rnn"]):
        with pytest.raises(SystemExit):
            seqcls.main([*argv, "--verbose", "0"])
        with pytest.raises(SystemExit):
            varlen.main([*argv, "--verbose", "0"])
    with pytest.raises(SystemExit):
        seqcls.main(["--train-size", "0", "--verbose", "0"])
    with pytest.raises(SystemExit):
        varlen.main(["--dropout", "1.0", "--verbose", "0"])


# ---------------------------------------------------------------- smoke runs


def test_sequence_classification_smoke(
    mnist_small_data, capsys: pytest.CaptureFixture[str]
) -> None:
    r = seqcls.main(["--smoke"])
    assert r["epochs"] == 1
    assert r["train_size"] == 4000
    for kind in ("lstm", "gru"):
        # 0.58 (LSTM) and 0.61 (GRU) after one epoch on the 4,000-image sample; chance is 0.1.
        assert r[f"{kind}_test_accuracy"] >= 0.35
        assert 0.0 < r[f"{kind}_test_loss"] < math.log(10)
        assert r[f"{kind}_seconds_per_epoch"] > 0.0
        assert math.isfinite(r[f"{kind}_grad_norm"]) and r[f"{kind}_grad_norm"] > 0.0
    out = capsys.readouterr().out
    assert "LSTM: test accuracy" in out and "GRU: test accuracy" in out


def test_sequence_classification_one_model_is_deterministic(mnist_small_data) -> None:
    argv = ["--smoke", "--model", "gru", "--verbose", "0", "--seed", "3", "--train-size", "1000"]
    a, b = seqcls.main(argv), seqcls.main(argv)
    assert "lstm_test_accuracy" not in a
    assert a["train_size"] == 1000
    assert a["gru_test_loss"] == b["gru_test_loss"]
    assert a["gru_test_accuracy"] == b["gru_test_accuracy"]


def test_variable_length_smoke(vowels_data, capsys: pytest.CaptureFixture[str]) -> None:
    r = varlen.main(["--smoke"])
    assert r["epochs"] == 5
    for kind in ("lstm", "gru"):
        # 0.95 (LSTM) and 0.96 (GRU) after 5 epochs with seed 0; chance is 1/9.
        assert r[f"{kind}_test_accuracy"] >= 0.8
        assert 0.0 < r[f"{kind}_test_loss"] < 1.0
        assert r[f"{kind}_train_accuracy"] >= 0.8
        assert r[f"{kind}_train_seconds"] > 0.0
    out = capsys.readouterr().out
    assert "270 train / 370 test utterances, 7-29 frames" in out


# ---------------------------------------------------------------- full / reduced runs


@pytest.mark.slow
def test_variable_length_full(vowels_data) -> None:
    r = varlen.main(["--verbose", "0"])  # about 4 s on 2 cores
    assert r["lstm_test_accuracy"] >= 0.95  # 0.973 with seed 0 (360/370)
    assert r["gru_test_accuracy"] >= 0.95  # 0.978 with seed 0 (362/370)


@pytest.mark.slow
def test_sequence_classification_reduced(mnist_data) -> None:
    """Both models, 3 epochs on the first 10,000 MNIST images (about 13 s on 2 cores), scored
    on the full 10,000-image test set: 0.933-0.943 (LSTM) and 0.942-0.944 (GRU) over seeds
    0-2. The full 60,000-image run's figures are in the example's docstring."""
    argv = ["--epochs", "3", "--train-size", "10000", "--verbose", "0"]
    r = seqcls.main(argv)
    assert r["train_size"] == 10000
    assert r["lstm_test_accuracy"] >= 0.91  # 0.937 with seed 0
    assert r["gru_test_accuracy"] >= 0.91  # 0.943 with seed 0
