"""The CNN examples (``digits_cnn``: a small CNN on scikit-learn's 8x8 digits; ``lenet``:
LeNet-5 on MNIST, timed against PyTorch) run in-process through their ``main(argv)``.

Smoke modes are fast and always run (skipping cleanly when a dataset package is absent); the
full runs are marked slow and assert the headline accuracies (digits >= 0.98, MNIST >= 0.99).
"""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
from axonite.examples import digits_cnn, lenet

# ---------------------------------------------------------------- model shapes (no data)


def test_digits_cnn_model_shapes_and_params() -> None:
    net = digits_cnn.build_model()
    out = net(ax.randn(5, 1, 8, 8))
    assert tuple(out.shape) == (5, 10)
    # conv 1->32 (3x3), BN(32), conv 32->64 (3x3), BN(64), Linear 256->128, Linear 128->10.
    expected = (9 * 32 + 32) + 64 + (9 * 32 * 64 + 64) + 128 + (256 * 128 + 128) + (128 * 10 + 10)
    assert sum(p.numel() for p in net.parameters()) == expected


def test_lenet_model_shapes_and_params() -> None:
    net = lenet.build_model()
    assert tuple(net(ax.randn(3, 1, 28, 28)).shape) == (3, 10)
    # The classic LeNet-5 count: 156 + 2,416 + 48,120 + 10,164 + 850.
    assert sum(p.numel() for p in net.parameters()) == 61_706
    with pytest.raises(ValueError, match=r"activation .* 'sigmoid'"):
        lenet.build_model("sigmoid")


def test_lenet_forward_matches_torch(torch) -> None:
    """Same weights, same input: axonite's and torch's LeNet-5 give the same logits."""
    for act in ("relu", "tanh"):
        ax.manual_seed(3)
        net = lenet.build_model(act)
        ref = lenet.build_torch_model(act)
        ref.load_state_dict(
            {k: torch.from_numpy(v.detach().numpy().copy()) for k, v in net.state_dict().items()}
        )
        x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
        got = net(ax.from_numpy(x)).detach().numpy()
        want = ref(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_epoch_timer_excludes_validation() -> None:
    timer = lenet.EpochTimer()
    timer.on_epoch_begin(0)
    timer.on_test_begin()  # validation starts: the epoch's training time is recorded here
    timer.on_epoch_end(0)  # ... and not a second time
    timer.on_epoch_begin(1)
    timer.on_epoch_end(1)  # no validation: recorded at the end of the epoch
    assert len(timer.seconds) == 2
    assert all(s >= 0.0 for s in timer.seconds)


# ---------------------------------------------------------------- smoke runs


def test_digits_cnn_smoke(digits_data, capsys: pytest.CaptureFixture[str]) -> None:
    r = digits_cnn.main(["--smoke", "--verbose", "2"])
    assert r["epochs"] == 5
    assert r["test_accuracy"] >= 0.93  # 0.97 with seed 0 after 5 epochs
    assert r["train_accuracy"] >= 0.95
    assert 0.0 < r["test_loss"] < 0.3
    out = capsys.readouterr().out
    assert "Epoch 5/5" in out
    assert "test accuracy" in out
    assert "Total params: 53,194" in out  # the summary table


def test_digits_cnn_is_deterministic(digits_data) -> None:
    a = digits_cnn.main(["--smoke", "--epochs", "2", "--verbose", "0", "--seed", "4"])
    b = digits_cnn.main(["--smoke", "--epochs", "2", "--verbose", "0", "--seed", "4"])
    assert a["test_loss"] == b["test_loss"]
    assert a["test_accuracy"] == b["test_accuracy"]


def test_lenet_smoke(mnist_small_data, capsys: pytest.CaptureFixture[str]) -> None:
    r = lenet.main(["--smoke", "--verbose", "2", "--validation-split", "0.1"])
    assert r["epochs"] == 1
    assert r["test_accuracy"] >= 0.75  # 0.87 after one epoch on the 4,000-image sample
    assert 0.0 < r["val_accuracy"] <= 1.0
    assert r["seconds_per_epoch"] > 0.0
    assert "torch_loop_seconds" not in r  # the comparison is off in smoke mode by default
    out = capsys.readouterr().out
    assert "LeNet-5 (relu), 61,706 parameters" in out


def test_lenet_smoke_compare_torch(mnist_small_data, torch) -> None:
    """Same initial weights, sample order and loop: both libraries' epoch losses agree."""
    r = lenet.main(["--smoke", "--compare-torch", "--verbose", "0", "--batch-size", "256"])
    assert r["axonite_loop_seconds"] > 0.0
    assert r["torch_loop_seconds"] > 0.0
    assert r["speedup_vs_torch"] == pytest.approx(
        r["torch_loop_seconds"] / r["axonite_loop_seconds"]
    )
    assert r["axonite_loop_loss"] == pytest.approx(r["torch_loop_loss"], rel=1e-3)
    assert 0.3 < r["torch_loop_loss"] < 2.3  # learned something in 16 steps (ln 10 = 2.30)


def test_lenet_rejects_bad_arguments() -> None:
    with pytest.raises(SystemExit):
        lenet.main(["--epochs", "0", "--verbose", "0"])
    with pytest.raises(SystemExit):
        digits_cnn.main(["--epochs", "0", "--verbose", "0"])


# ---------------------------------------------------------------- full runs (headline numbers)


@pytest.mark.slow
def test_digits_cnn_full(digits_data) -> None:
    r = digits_cnn.main(["--verbose", "0"])
    assert r["test_accuracy"] >= 0.98  # 0.997 with seed 0 (1 of 359 wrong)
    assert r["train_accuracy"] >= 0.99


@pytest.mark.slow
def test_lenet_full(mnist_data) -> None:
    r = lenet.main(["--verbose", "0", "--no-compare-torch"])
    assert r["test_accuracy"] >= 0.99  # 0.992 with seed 0
    assert "val_accuracy" not in r  # all 60,000 training images train the net by default
