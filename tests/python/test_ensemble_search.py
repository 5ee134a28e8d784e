"""Ensembles (voting, averaging, bagging, stacking) and hyperparameter search (ax.train)."""

from __future__ import annotations

import numpy as np
import pytest

import axonite as ax
from axonite import nn
from axonite.train import (
    AveragingEnsemble,
    Bagging,
    Stacking,
    VotingEnsemble,
    grid_search,
    loguniform,
    random_search,
)


@pytest.fixture(scope="module")
def wine():
    pytest.importorskip("sklearn")
    (xtr, ytr), (xte, yte) = ax.datasets.wine()
    std = ax.datasets.Standardize().fit(xtr)
    return std.transform(xtr), ytr, std.transform(xte), yte


def _classifier(hidden: int = 16, lr: float = 0.05, n_in: int = 13, n_out: int = 3):
    net = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))
    model = ax.train.Model(net)
    model.compile(optimizer=ax.optim.Adam(net.parameters(), lr=lr), loss="cross_entropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


class _Fixed(nn.Module):
    """A 'model' returning fixed logits, to check the combination rules exactly."""

    def __init__(self, logits):
        super().__init__()
        self.logits = ax.tensor(logits)

    def forward(self, x):
        return self.logits[: x.shape[0]]


def test_voting_rules_exact():
    a = _Fixed([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    b = _Fixed([[0.0, 3.0, 0.0], [0.0, 0.9, 1.0]])
    c = _Fixed([[0.0, 2.5, 0.0], [3.0, 0.0, 0.0]])
    x = ax.zeros(2, 1)
    soft = VotingEnsemble([a, b, c], voting="soft")
    probs = [m.logits.softmax(1).numpy() for m in (a, b, c)]
    np.testing.assert_allclose(soft.predict_proba(x).numpy(), np.mean(probs, 0), rtol=1e-6)
    assert soft.predict(x).tolist() == np.mean(probs, 0).argmax(1).tolist()
    hard = VotingEnsemble([a, b, c], voting="hard")
    # row 0 votes 0, 1, 1 -> 1; row 1 votes 1, 2, 0 -> tie, lowest index 0 wins
    assert hard.predict(x).tolist() == [1, 0]
    weighted = VotingEnsemble([a, b, c], voting="hard", weights=[3, 1, 1])
    assert weighted.predict(x).tolist() == [0, 1]
    avg = AveragingEnsemble([a, b], weights=[1, 3])
    np.testing.assert_allclose(
        avg.predict(x).numpy(), 0.25 * a.logits.numpy() + 0.75 * b.logits.numpy(), rtol=1e-6
    )


def test_ensemble_argument_errors():
    with pytest.raises(ValueError, match="VotingEnsemble: voting"):
        VotingEnsemble([_Fixed([[0.0]])], voting="majority")
    with pytest.raises(ValueError, match="got 1 weights for 2 models"):
        VotingEnsemble([_Fixed([[0.0]]), _Fixed([[0.0]])], weights=[1])
    with pytest.raises(ValueError, match="models must not be empty"):
        AveragingEnsemble([])
    with pytest.raises(ValueError, match="n_estimators"):
        Bagging(_classifier, n_estimators=0)
    with pytest.raises(RuntimeError, match="call fit before predict"):
        Bagging(_classifier).predict(ax.zeros(1, 13))
    with pytest.raises(TypeError, match="build_fn must return a compiled"):
        Bagging(lambda: nn.Linear(13, 3), n_estimators=1).fit(ax.zeros(4, 13), ax.zeros(4).long())


def test_voting_over_trained_models(wine):
    xtr, ytr, xte, yte = wine
    models = []
    for seed in range(3):
        ax.manual_seed(seed)
        m = _classifier()
        m.fit(xtr, ytr, epochs=30, batch_size=16, verbose=0)
        models.append(m)
    accs = [float((m.predict(xte).argmax(1) == yte).float().mean()) for m in models]
    ens = VotingEnsemble(models)
    acc = float((ens.predict(xte) == yte).float().mean())
    assert acc >= 0.94
    assert acc >= min(accs)


def test_bagging_oob_and_accuracy(wine):
    xtr, ytr, xte, yte = wine
    ax.manual_seed(0)
    g = ax.Generator()
    g.manual_seed(0)
    bag = Bagging(_classifier, n_estimators=5, generator=g)
    bag.fit(xtr, ytr, epochs=30, batch_size=16)
    assert len(bag.models) == 5
    acc = float((bag.predict(xte) == yte).float().mean())
    assert acc >= 0.94
    # out-of-bag accuracy is a held-out estimate: close to the test accuracy, not 1.0 by luck
    assert 0.85 <= bag.oob_score_ <= 1.0
    probs = bag.predict_proba(xte)
    np.testing.assert_allclose(probs.sum(1).numpy(), 1.0, rtol=1e-5)


def test_bagging_regression(wine):
    xtr, _, xte, _ = wine
    target = xtr[:, :2].sum(1, keepdim=True) * 0.5  # a learnable linear target

    def build():
        net = nn.Linear(13, 1)
        m = ax.train.Model(net)
        m.compile(optimizer=ax.optim.SGD(net.parameters(), lr=0.05), loss="mse")
        return m

    ax.manual_seed(0)
    bag = Bagging(build, n_estimators=3, task="regression").fit(
        xtr, target, epochs=40, batch_size=16
    )
    pred = bag.predict(xte)
    want = xte[:, :2].sum(1, keepdim=True) * 0.5
    assert pred.shape == want.shape
    assert float(((pred - want) ** 2).mean()) < 0.01
    assert bag.oob_score_ < 0.01


def test_stacking_uses_out_of_fold_predictions(wine):
    xtr, ytr, xte, yte = wine
    ax.manual_seed(0)

    def meta():
        return _classifier(hidden=8, n_in=6)

    st = Stacking([lambda: _classifier(8), lambda: _classifier(32)], meta, cv=3)
    st.fit(xtr, ytr, epochs=25, batch_size=16, meta_fit_kwargs={"epochs": 40, "batch_size": 16})
    assert len(st.base_models) == 2
    acc = float((st.predict(xte) == yte).float().mean())
    assert acc >= 0.94
    assert st.predict_proba(xte).shape == (xte.shape[0], 3)


def test_grid_search_table(wine, capsys):
    xtr, ytr, _, _ = wine
    res = grid_search(
        _classifier, {"hidden": [2, 32], "lr": [1e-4, 0.05]}, xtr, ytr,
        epochs=15, batch_size=16, validation_split=0.25, verbose=1,
    )  # fmt: skip
    assert len(res) == 4
    assert [r["rank"] for r in res.rows] == [1, 2, 3, 4]
    scores = [r["score"] for r in res.rows]
    assert scores == sorted(scores, reverse=True)
    # a tiny learning rate cannot win on 15 epochs; a reasonable one should reach >= 0.9
    assert res.best_params["lr"] == 0.05
    assert res.best_score >= 0.9
    assert res.best_model is not None
    table = str(res)
    assert "val_accuracy" in table and "hidden" in table and "lr" in table
    assert "trial 4:" in capsys.readouterr().out


def test_search_cv_and_fit_params(wine, tmp_path):
    xtr, ytr, _, _ = wine
    res = grid_search(
        _classifier, {"epochs": [1, 20]}, xtr, ytr, cv=3, batch_size=16, monitor="val_loss",
        verbose=0,
    )  # fmt: skip
    assert res.mode == "min"
    assert res.best_params == {"epochs": 20}  # epochs went to fit, not to build_fn
    assert all(r["score_std"] >= 0 for r in res.rows)
    res.to_csv(str(tmp_path / "r.csv"))
    assert (tmp_path / "r.csv").read_text().splitlines()[
        0
    ] == "rank,epochs,score,score_std,fit_time"


def test_random_search_is_seeded(wine):
    xtr, ytr, _, _ = wine
    space = {"lr": loguniform(1e-3, 1e-1), "hidden": [4, 8, 16]}
    kw = {"n_iter": 3, "epochs": 2, "batch_size": 32, "verbose": 0, "seed": 3}
    a = random_search(_classifier, space, xtr, ytr, **kw)
    b = random_search(_classifier, space, xtr, ytr, **kw)
    assert [(r["lr"], r["hidden"]) for r in a.rows] == [(r["lr"], r["hidden"]) for r in b.rows]
    assert [r["score"] for r in a.rows] == [r["score"] for r in b.rows]
    assert all(1e-3 <= r["lr"] < 1e-1 for r in a.rows)


def test_search_errors(wine):
    xtr, ytr, _, _ = wine
    with pytest.raises(ValueError, match=r"param_grid\['lr'\] must be a non-empty list"):
        grid_search(_classifier, {"lr": []}, xtr, ytr)
    with pytest.raises(ValueError, match="monitor 'val_f9' was not logged"):
        grid_search(_classifier, {"lr": [0.01]}, xtr, ytr, epochs=1, monitor="val_f9", verbose=0)
    with pytest.raises(ValueError, match="n_iter"):
        random_search(_classifier, {"lr": [0.1]}, xtr, ytr, n_iter=0)
    with pytest.raises(TypeError, match="distribution"):
        random_search(_classifier, {"lr": 0.1}, xtr, ytr, n_iter=1)
    with pytest.raises(ValueError, match="loguniform"):
        loguniform(0, 1)
