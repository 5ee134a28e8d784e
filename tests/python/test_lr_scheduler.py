"""axonite.optim.lr_scheduler against torch.optim.lr_scheduler: lr (and momentum) sequences over
50 steps for every scheduler, InverseTimeLR against its formula, state_dict round trips,
closed-form ``step(epoch)`` and constructor validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import axonite as ax
from axonite import optim
from axonite.optim import lr_scheduler as ls

STEPS = 50


def _optimizer(lib, kind="SGD"):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    groups = [{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.02}]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _mod(lib):
    return lib.optim.lr_scheduler


SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=5, T_mult=2, eta_min=1e-4
    ),
    "CosineAnnealingWarmRestarts-1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.95**e),
    "LambdaLR-list": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=8),
    "LinearLR-down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=30, power=2.0),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=5), m.ExponentialLR(o, gamma=0.9)],
        milestones=[5],
    ),
    "SequentialLR-3": lambda m, o: m.SequentialLR(
        o,
        [
            m.ConstantLR(o, factor=0.5, total_iters=3),
            m.CosineAnnealingLR(o, T_max=12),
            m.StepLR(o, step_size=4, gamma=0.5),
        ],
        milestones=[6, 20],
    ),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=6), m.ExponentialLR(o, gamma=0.95)]
    ),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=STEPS),
    "OneCycleLR-linear": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, epochs=5, steps_per_epoch=10, anneal_strategy="linear", pct_start=0.25
    ),
    "OneCycleLR-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, three_phase=True, div_factor=10.0
    ),
    "OneCycleLR-nomomentum": lambda m, o: m.OneCycleLR(
        o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False
    ),
}


def _trace(lib, name, kind="SGD"):
    opt = _optimizer(lib, kind)
    sched = SCHEDULERS[name](_mod(lib), opt)
    lrs = [list(sched.get_last_lr())]
    moms = [[_momentum(g) for g in opt.param_groups]]
    for _ in range(STEPS - 1 if name.startswith("OneCycle") else STEPS):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
        moms.append([_momentum(g) for g in opt.param_groups])
    return lrs, moms, sched


def _momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_sequence_matches_torch(torch, name, kind):
    a_lrs, a_moms, sched = _trace(ax, name, kind)
    t_lrs, t_moms, tsched = _trace(torch, name, kind)
    np.testing.assert_allclose(a_lrs, t_lrs, rtol=1e-14, atol=0)
    np.testing.assert_allclose(a_moms, t_moms, rtol=1e-14, atol=0)
    assert getattr(sched, "last_epoch", None) == getattr(tsched, "last_epoch", None)
    if hasattr(tsched, "base_lrs"):
        assert sched.base_lrs == tsched.base_lrs


def test_initial_step_sets_initial_lr():
    opt = _optimizer(ax)
    sched = ls.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0
    assert sched.base_lrs == [0.1, 0.02]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
    assert sched.get_last_lr() == [0.1, 0.02]


@pytest.mark.parametrize("decay_rate", [0.0, 0.1, 2.5])
def test_inverse_time_lr_formula(decay_rate):
    opt = _optimizer(ax)
    sched = ls.InverseTimeLR(opt, decay_rate=decay_rate)
    for epoch in range(STEPS):
        want = [b / (1 + decay_rate * epoch) for b in (0.1, 0.02)]
        np.testing.assert_allclose(sched.get_last_lr(), want, rtol=1e-14)
        opt.step()
        sched.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(7)
    np.testing.assert_allclose(
        sched.get_last_lr(), [b / (1 + decay_rate * 7) for b in (0.1, 0.02)], rtol=1e-15
    )
    with pytest.raises(ValueError, match="decay_rate"):
        ls.InverseTimeLR(_optimizer(ax), decay_rate=-1.0)


def test_inverse_time_lr_chains_with_other_schedulers():
    opt = _optimizer(ax)
    chain = ls.ChainedScheduler(
        [ls.InverseTimeLR(opt, decay_rate=0.5), ls.ExponentialLR(opt, gamma=0.9)]
    )
    for epoch in range(1, 10):
        opt.step()
        chain.step()
        want = [b / (1 + 0.5 * epoch) * 0.9**epoch for b in (0.1, 0.02)]
        np.testing.assert_allclose(chain.get_last_lr(), want, rtol=1e-13)


PLATEAU = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 2},
    {"threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 2},
    {"mode": "max", "threshold_mode": "abs", "patience": 0, "min_lr": [0.05, 0.001]},
    {"patience": 1, "min_lr": 0.01, "factor": 0.5, "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_matches_torch(torch, kwargs):
    rng = np.random.default_rng(5)
    metrics = np.concatenate([np.linspace(1, 0.5, 10), 0.5 + 0.02 * rng.standard_normal(40)])
    seqs = []
    for lib in (ax, torch):
        opt = _optimizer(lib)
        sched = _mod(lib).ReduceLROnPlateau(opt, **kwargs)
        seq = []
        for m in metrics:
            opt.step()
            sched.step(float(m))
            seq.append([*sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter])
        seqs.append(seq)
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-15)


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "SequentialLR"])
def test_state_dict_round_trip(name):
    ref, _, _ = _trace(ax, name)
    opt = _optimizer(ax)
    sched = SCHEDULERS[name](ls, opt)
    for _ in range(20):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd
    opt_sd = opt.state_dict()
    # Rebuild both from scratch and load: the sequence continues identically.
    opt2 = _optimizer(ax)
    sched2 = SCHEDULERS[name](ls, opt2)
    sched2.load_state_dict(sd)
    opt2.load_state_dict(opt_sd)
    lrs = []
    for _ in range(20, STEPS - 1):
        opt2.step()
        sched2.step()
        lrs.append(sched2.get_last_lr())
    np.testing.assert_allclose(lrs, ref[21:STEPS], rtol=1e-15)


def test_lambda_state_dict_saves_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    opt = _optimizer(ax)
    sched = ls.LambdaLR(opt, [Decay(0.5), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]
    other = ls.LambdaLR(_optimizer(ax), [Decay(0.9), lambda e: 1.0])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].rate == 0.5


@pytest.mark.parametrize(
    "name",
    [
        "StepLR",
        "MultiStepLR",
        "ExponentialLR",
        "CosineAnnealingLR",
        "LinearLR",
        "ConstantLR",
        "PolynomialLR",
        "LambdaLR",
    ],
)
def test_step_with_epoch_uses_closed_form(torch, name):
    out = []
    for lib in (ax, torch):
        opt = _optimizer(lib)
        sched = SCHEDULERS[name](_mod(lib), opt)
        opt.step()
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [3, 17, 5, 40, 0, 12]:
                sched.step(epoch)
                seq.append(sched.get_last_lr())
        out.append(seq)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-14)


def test_warm_restarts_fractional_epochs(torch):
    out = []
    for lib in (ax, torch):
        opt = _optimizer(lib)
        sched = _mod(lib).CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        seq = []
        for epoch in np.arange(0, 20, 0.37):
            sched.step(float(epoch))
            seq.append([*sched.get_last_lr(), sched.T_cur, sched.T_i])
        out.append(seq)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-14)
    with pytest.raises(ValueError, match="Expected non-negative epoch"):
        ls.CosineAnnealingWarmRestarts(_optimizer(ax), T_0=3).step(-1)


def test_call_order_warning():
    opt = _optimizer(ax)
    sched = ls.StepLR(opt, step_size=3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = _optimizer(ax)
    sched2 = ls.ExponentialLR(opt2, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2.step()
        sched2.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched2.get_lr()


def test_lr_reaches_the_optimizer_step():
    """The scheduled lr is what the fused step uses."""
    p = ax.from_numpy(np.zeros(1)).requires_grad_()
    opt = optim.SGD([p], lr=1.0)
    sched = ls.StepLR(opt, step_size=1, gamma=0.5)
    total = 0.0
    for _ in range(4):
        p.grad = ax.from_numpy(np.ones(1))
        opt.step()
        total += opt.param_groups[0]["lr"]
        sched.step()
    assert float(p.detach().numpy()[0]) == pytest.approx(-total)
    assert total == pytest.approx(1 + 0.5 + 0.25 + 0.125)


INVALID = [
    (lambda o: ls.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor"),
    (lambda o: ls.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda o: ls.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative factor"),
    (lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "positive integer T_0"),
    (lambda o: ls.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "T_mult >= 1"),
    (lambda o: ls.OneCycleLR(o, max_lr=0.1), ValueError, "total_steps OR"),
    (lambda o: ls.OneCycleLR(o, 0.1, total_steps=0), ValueError, "total_steps, but got 0"),
    (lambda o: ls.OneCycleLR(o, 0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: ls.OneCycleLR(o, 0.1, 10, anneal_strategy="x"), ValueError, "anneal_strategy"),
    (lambda o: ls.OneCycleLR(o, [0.1], 10), ValueError, "max_lr must have the same length"),
    (lambda o: ls.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: ls.ReduceLROnPlateau(o, mode="up"), ValueError, "mode up is unknown"),
    (lambda o: ls.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x"),
    (lambda o: ls.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs"),
    (lambda o: ls.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
    (lambda o: ls.MultiplicativeLR(o, 3), TypeError, "lr_lambda should be a function"),
    (lambda o: ls.SequentialLR(o, [], []), ValueError, "at least one scheduler"),
    (lambda o: ls.SequentialLR(o, [ls.StepLR(o, 2)], [3]), ValueError, "one more"),
    (lambda o: ls.ChainedScheduler([ls.ReduceLROnPlateau(o)]), ValueError, "ReduceLROnPlateau"),
    (lambda o: ls.StepLR(object(), 2), TypeError, "is not an Optimizer"),
    (lambda o: ls.StepLR(o, 2, last_epoch=3), KeyError, "initial_lr"),
]


@pytest.mark.parametrize(("make", "exc", "msg"), INVALID)
def test_invalid_arguments(make, exc, msg):
    with pytest.raises(exc, match=msg):
        make(_optimizer(ax))


def test_sequential_rejects_other_optimizer():
    o1, o2 = _optimizer(ax), _optimizer(ax)
    with pytest.raises(ValueError, match="same optimizer"):
        ls.SequentialLR(o1, [ls.StepLR(o1, 2), ls.StepLR(o2, 2)], milestones=[3])


def test_one_cycle_rejects_optimizer_without_momentum():
    p = ax.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="momentum or beta1"):
        ls.OneCycleLR(optim.Adagrad([p]), max_lr=0.1, total_steps=10)
    sched = ls.OneCycleLR(optim.Adagrad([p]), max_lr=0.1, total_steps=3, cycle_momentum=False)
    for _ in range(2):
        sched.optimizer.step()
        sched.step()
    sched.optimizer.step()
    sched.step()  # step 3 of 3 is allowed
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()
    assert math.isfinite(sched.get_last_lr()[0])
