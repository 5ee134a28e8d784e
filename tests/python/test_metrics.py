"""ax.train.metrics: functional metrics against scikit-learn on random data (absent classes,
zero division, odd labels, weights), stateful metrics fed in batches against the whole-data
value, and ``get_metric``."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import axonite as ax
from axonite.train import metrics as M

skm = pytest.importorskip("sklearn.metrics")

AVERAGES = [None, "binary", "micro", "macro", "weighted"]
ZERO_DIVISIONS = ["warn", 0, 1.0, np.nan]
PRF = [
    (M.precision, skm.precision_score),
    (M.recall, skm.recall_score),
    (M.f1, skm.f1_score),
]


def _close(a, b) -> bool:
    a = a.numpy() if isinstance(a, ax.Tensor) else np.asarray(a, dtype=np.float64)
    return bool(np.allclose(a, np.asarray(b, dtype=np.float64), rtol=1e-12, atol=0, equal_nan=True))


def _random_labels(rng: np.random.Generator, case: int) -> tuple[np.ndarray, np.ndarray]:
    """Small random label vectors: few classes (so some are absent from y_true or y_pred, or
    from both in the middle of the range), sometimes -1/1 or shifted labels."""
    n = int(rng.integers(1, 30))
    k = int(rng.integers(1, 6))
    y_true = rng.integers(0, k, n)
    y_pred = rng.integers(0, k, n)
    if case % 4 == 1:
        y_true, y_pred = 2 * y_true - 1, 2 * y_pred - 1  # odd labels, gaps
    elif case % 4 == 2:
        y_pred = np.where(y_pred == 1, 3, y_pred)  # class 1 never predicted
    return y_true, y_pred


def _sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ---- functional classification vs scikit-learn -----------------------------------------------


@pytest.mark.parametrize(("ours", "theirs"), PRF, ids=["precision", "recall", "f1"])
def test_prf_match_sklearn_on_random_labels(ours, theirs) -> None:
    rng = np.random.default_rng(1)
    compared = errors = 0
    for case in range(40):
        y_true, y_pred = _random_labels(rng, case)
        for average in AVERAGES:
            for zd in ZERO_DIVISIONS:
                try:
                    want = _sk(theirs, y_true, y_pred, average=average, zero_division=zd)
                except ValueError:
                    with pytest.raises(ValueError, match=ours.__name__):
                        _sk(ours, y_true, y_pred, average=average, zero_division=zd)
                    errors += 1
                    continue
                got = _sk(ours, y_true, y_pred, average=average, zero_division=zd)
                assert _close(got, want), (case, average, zd, y_true, y_pred, got, want)
                compared += 1
    assert compared > 400 and errors > 10  # both regimes exercised


def test_prf_labels_and_sample_weight_match_sklearn() -> None:
    rng = np.random.default_rng(2)
    for _ in range(15):
        y_true = rng.integers(0, 5, 40)
        y_pred = rng.integers(0, 5, 40)
        w = rng.random(40)
        for labels in ([0, 2, 7], [4, 1], [3]):
            for average in (None, "micro", "macro", "weighted"):
                for ours, theirs in PRF:
                    got = _sk(ours, y_true, y_pred, labels=labels, average=average, sample_weight=w)
                    want = _sk(
                        theirs, y_true, y_pred, labels=labels, average=average, sample_weight=w
                    )
                    assert _close(got, want), (labels, average, ours.__name__)


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0, math.inf])
def test_fbeta_matches_sklearn(beta: float) -> None:
    rng = np.random.default_rng(3)
    for _ in range(10):
        y_true, y_pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
        for average in ("micro", "macro", "weighted"):
            got = M.fbeta_score(y_true, y_pred, beta=beta, average=average, zero_division=0)
            want = skm.fbeta_score(y_true, y_pred, beta=beta, average=average, zero_division=0)
            assert _close(got, want)


def test_zero_division_binary_closed_form() -> None:
    y_true = [1, 1, 0, 0]
    y_pred = [0, 0, 0, 0]  # nothing predicted positive
    assert M.precision(y_true, y_pred, zero_division=1.0) == 1.0
    assert M.precision(y_true, y_pred, zero_division=0) == 0.0
    assert math.isnan(M.precision(y_true, y_pred, zero_division=np.nan))
    assert M.recall(y_true, y_pred, zero_division=1.0) == 0.0  # 0 / 2 is defined
    with pytest.warns(M.UndefinedMetricWarning, match="Precision is ill-defined"):
        assert M.precision(y_true, y_pred) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        M.precision(y_true, y_pred, zero_division=0)  # explicit value: silent
        M.recall(y_true, y_pred)  # recall is well defined: silent
    # pos_label absent and only one label present: all counts of pos_label are zero
    assert M.f1([0, 0, 0], [0, 0, 0], zero_division=1.0) == 1.0
    assert M.recall([0, 0], [0, 0], pos_label=1, zero_division=0) == 0.0


def test_binary_average_errors() -> None:
    with pytest.raises(ValueError, match=r"precision: target is multiclass.*average='binary'"):
        M.precision([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match=r"recall: pos_label=1 is not a valid label.*\[-1, 2\]"):
        M.recall([-1, 2, 2], [2, -1, 2])
    assert M.recall([-1, 2, 2], [2, -1, 2], pos_label=2) == 0.5
    with pytest.raises(ValueError, match=r"f1: average must be one of .* got 'samples'"):
        M.f1([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="zero_division must be 'warn', 0, 1 or nan, got 2"):
        M.precision([0, 1], [0, 1], zero_division=2)


def test_accuracy_matches_sklearn_with_weights() -> None:
    rng = np.random.default_rng(4)
    for _ in range(10):
        y_true, y_pred, w = rng.integers(0, 4, 33), rng.integers(0, 4, 33), rng.random(33)
        assert M.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
        assert M.accuracy(y_true, y_pred, normalize=False) == skm.accuracy_score(
            y_true, y_pred, normalize=False
        )
        assert M.accuracy(y_true, y_pred, sample_weight=w) == pytest.approx(
            skm.accuracy_score(y_true, y_pred, sample_weight=w), rel=1e-12
        )
        assert M.accuracy(y_true, y_pred, normalize=False, sample_weight=w) == pytest.approx(
            skm.accuracy_score(y_true, y_pred, normalize=False, sample_weight=w), rel=1e-12
        )


def test_prediction_formats() -> None:
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 4, 60)
    scores = rng.random((60, 4)).astype(np.float32)
    labels = scores.argmax(1)
    # (N, C) scores -> argmax; tensors, arrays and lists all accepted
    for yp in (ax.tensor(scores), scores, scores.tolist()):
        assert M.accuracy(ax.tensor(y_true), yp) == skm.accuracy_score(y_true, labels)
    assert _close(
        M.f1(y_true, scores, average="macro"), skm.f1_score(y_true, labels, average="macro")
    )
    # one-hot y_true is read with argmax too
    onehot = np.eye(4)[y_true]
    assert M.accuracy(onehot, scores) == skm.accuracy_score(y_true, labels)
    # binary float scores are thresholded (> threshold), (N,) or (N, 1)
    yb = rng.integers(0, 2, 50)
    prob = rng.random(50)
    hard = (prob > 0.5).astype(int)
    assert M.accuracy(yb, prob) == skm.accuracy_score(yb, hard)
    assert M.accuracy(yb, prob.reshape(-1, 1)) == skm.accuracy_score(yb, hard)
    assert _close(M.precision(yb, prob), skm.precision_score(yb, hard))
    hard3 = (prob > 0.3).astype(int)
    assert _close(M.recall(yb, prob, threshold=0.3), skm.recall_score(yb, hard3))
    assert M.accuracy(yb.astype(bool), prob) == skm.accuracy_score(yb, hard)
    # strictly greater, as Keras: a score equal to the threshold is negative
    assert M.accuracy([0, 1], [0.5, 0.7]) == 1.0
    assert M.Accuracy(from_logits=True)([0, 1], [0.0, 0.1]) == 1.0
    # whole-valued float labels are labels
    assert M.accuracy([0.0, 2.0, 3.0], [0.0, 2.0, 1.0]) == pytest.approx(2 / 3)


def test_classification_input_errors() -> None:
    with pytest.raises(ValueError, match=r"accuracy: y_pred holds continuous scores \(e.g. 0.5\)"):
        M.accuracy([0, 1, 2], [0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match="precision: y_true must hold class labels"):
        M.precision([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="recall: y_true and y_pred have different numbers of "):
        M.recall([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"f1: y_pred must have shape .* got \(2, 2, 2\)"):
        M.f1([0, 1], np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="accuracy: y_true and y_pred are empty"):
        M.accuracy([], [])
    with pytest.raises(TypeError, match="accuracy: y_true must hold numbers"):
        M.accuracy(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match=r"accuracy: sample_weight must have shape \(2,\)"):
        M.accuracy([0, 1], [0, 1], sample_weight=[1.0])


def test_confusion_matrix_matches_sklearn() -> None:
    rng = np.random.default_rng(6)
    for case in range(20):
        y_true, y_pred = _random_labels(rng, case)
        got = M.confusion_matrix(y_true, y_pred)
        assert got.dtype == ax.int64
        np.testing.assert_array_equal(got.numpy(), _sk(skm.confusion_matrix, y_true, y_pred))
        w = rng.random(y_true.shape[0])
        for normalize in (None, "true", "pred", "all"):
            got = M.confusion_matrix(y_true, y_pred, sample_weight=w, normalize=normalize)
            want = _sk(skm.confusion_matrix, y_true, y_pred, sample_weight=w, normalize=normalize)
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    y_true, y_pred = rng.integers(0, 3, 30), rng.integers(0, 3, 30)
    np.testing.assert_array_equal(
        M.confusion_matrix(y_true, y_pred, num_classes=5).numpy(),
        skm.confusion_matrix(y_true, y_pred, labels=range(5)),
    )
    for labels in ([2, 0], [1, 4, 0]):
        np.testing.assert_array_equal(
            M.confusion_matrix(y_true, y_pred, labels=labels).numpy(),
            skm.confusion_matrix(y_true, y_pred, labels=labels),
        )
    # closed form: scores are argmax-ed
    cm = M.confusion_matrix([0, 1, 1], ax.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]))
    assert cm.tolist() == [[1, 0], [1, 1]]
    with pytest.raises(ValueError, match=r"confusion_matrix: labels must lie in \[0, 2\).*got 2"):
        M.confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="confusion_matrix: normalize must be one of"):
        M.confusion_matrix([0, 1], [0, 1], normalize="rows")


# ---- functional regression vs scikit-learn ---------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (M.mae, skm.mean_absolute_error),
        (M.mse, skm.mean_squared_error),
        (M.rmse, skm.root_mean_squared_error),
        (M.r2, skm.r2_score),
    ],
    ids=["mae", "mse", "rmse", "r2"],
)
def test_regression_matches_sklearn(ours, theirs) -> None:
    rng = np.random.default_rng(7)
    for shape in [(25,), (25, 1), (25, 3)]:
        y_true = rng.normal(size=shape)
        y_pred = y_true + 0.3 * rng.normal(size=shape)
        w = rng.random(25)
        outputs = ["raw_values", "uniform_average"]
        if len(shape) > 1 and shape[1] > 1:
            outputs.append(rng.random(shape[1]))  # output weights
        else:
            with pytest.raises(ValueError, match="custom multioutput weights are only useful"):
                ours(y_true, y_pred, multioutput=[1.0])
        if ours is M.r2:
            outputs.append("variance_weighted")
        for mo in outputs:
            for sw in (None, w):
                got = ours(ax.tensor(y_true), y_pred, sample_weight=sw, multioutput=mo)
                want = theirs(y_true, y_pred, sample_weight=sw, multioutput=mo)
                assert _close(got, want), (shape, mo, sw is None)
    # (N,) against (N, 1) is allowed, as in scikit-learn
    assert _close(ours(y_true[:, 0], y_pred[:, :1]), theirs(y_true[:, 0], y_pred[:, :1]))


def test_r2_degenerate_cases() -> None:
    const = np.full(5, 2.0)
    # perfect prediction of constant targets -> 1, imperfect -> 0 (force_finite), like sklearn
    assert M.r2(const, const) == skm.r2_score(const, const) == 1.0
    assert M.r2(const, const + 1) == skm.r2_score(const, const + 1) == 0.0
    assert math.isinf(M.r2(const, const + 1, force_finite=False))
    with pytest.warns(M.UndefinedMetricWarning, match="less than two samples"):
        assert math.isnan(M.r2([1.0], [2.0]))
    y = np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    p = y + np.array([[0.5, 0.1], [0.0, 0.2], [0.0, 0.3]])
    for mo in ("raw_values", "uniform_average", "variance_weighted"):
        assert _close(M.r2(y, p, multioutput=mo), skm.r2_score(y, p, multioutput=mo))


def test_regression_input_errors() -> None:
    with pytest.raises(ValueError, match=r"mse: y_true and y_pred have different shapes: \(3,\)"):
        M.mse([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"mae: y_true must have shape \(N,\) or \(N, k\)"):
        M.mae(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="rmse: multioutput must be"):
        M.rmse([1.0, 2.0], [1.0, 2.0], multioutput="mean")


# ---- stateful metrics: batches give the whole-data value --------------------------------------


def _batches(n: int, rng: np.random.Generator) -> list[slice]:
    cuts = np.sort(rng.choice(np.arange(1, n), size=4, replace=False))
    edges = [0, *cuts.tolist(), n]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


@pytest.mark.parametrize(
    ("cls", "fn"),
    [(M.Precision, skm.precision_score), (M.Recall, skm.recall_score), (M.F1Score, skm.f1_score)],
    ids=["Precision", "Recall", "F1Score"],
)
def test_label_count_metrics_batched_equal_full_data(cls, fn) -> None:
    rng = np.random.default_rng(8)
    for case in range(12):
        k = 2 if case % 3 == 0 else 5
        y_true = rng.integers(0, k, 64)
        y_pred = rng.integers(0, k, 64)
        if case % 2:
            y_pred = np.where(y_pred == 1, 0, y_pred)  # a class never predicted
        w = rng.random(64) if case % 4 == 3 else None
        averages = ["micro", "macro", "weighted"] + (["binary"] if k == 2 else [])
        for average in averages:
            metric = cls(average=average, zero_division=0.0)
            for sl in _batches(64, rng):
                metric.update_state(ax.tensor(y_true[sl]), y_pred[sl], None if w is None else w[sl])
            want = fn(y_true, y_pred, average=average, zero_division=0.0, sample_weight=w)
            assert metric.result() == pytest.approx(want, rel=1e-12, abs=1e-15), (case, average)
            metric.reset_state()
            assert metric.result() == 0.0


def test_stateful_binary_errors_and_fixed_classes() -> None:
    p = M.Precision()  # average='binary'
    p.update_state([0, 1], [0, 1])
    p.update_state([2], [2])
    with pytest.raises(ValueError, match="Precision: target is multiclass"):
        p.result()
    r = M.Recall(average="macro", num_classes=3)
    with pytest.raises(ValueError, match=r"Recall\.update_state: label 3 is out of range"):
        r.update_state([0, 3], [0, 1])
    with pytest.raises(ValueError, match=r"F1Score\.update_state: labels must be class indices"):
        M.F1Score(average="macro").update_state([-1, 0], [0, 0])
    with pytest.raises(ValueError, match="Precision: average must be 'binary'"):
        M.Precision(average=None)


def test_stateful_prf_thresholds_binary_scores() -> None:
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 40)
    logits = rng.normal(size=(40, 1)).astype(np.float32)
    m = M.F1Score(from_logits=True)
    m.update_state(y[:15], logits[:15])
    m.update_state(y[15:], logits[15:])
    assert m.result() == pytest.approx(skm.f1_score(y, (logits[:, 0] > 0).astype(int)))


def test_accuracy_metric_batched_and_thresholds() -> None:
    rng = np.random.default_rng(10)
    y = rng.integers(0, 3, 70)
    scores = rng.random((70, 3))
    acc = M.Accuracy()
    for sl in _batches(70, rng):
        acc.update_state(y[sl], ax.tensor(scores[sl]))
    assert acc.result() == pytest.approx(skm.accuracy_score(y, scores.argmax(1)), rel=1e-12)
    assert acc.name == "accuracy"
    # logits: threshold at 0; probabilities: at `threshold`
    yb = np.array([1, 0, 1, 1, 0])
    logits = np.array([2.0, -1.0, -0.5, 0.1, 0.3])
    m = M.Accuracy(from_logits=True)
    assert m(yb, logits) == pytest.approx(3 / 5)
    m = M.Accuracy(threshold=0.25)
    assert m(yb, np.array([[0.3], [0.2], [0.1], [0.9], [0.26]])) == pytest.approx(3 / 5)
    # weighted, and a second batch keeps accumulating
    m = M.Accuracy()
    m.update_state([0, 1], [0, 0], sample_weight=[3.0, 1.0])
    assert m.result() == pytest.approx(0.75)
    m.update_state([1], [1], sample_weight=[4.0])
    assert m.result() == pytest.approx(7 / 8)
    m.reset_state()
    assert m.result() == 0.0


@pytest.mark.parametrize(
    ("cls", "fn"),
    [
        (M.MeanAbsoluteError, skm.mean_absolute_error),
        (M.MeanSquaredError, skm.mean_squared_error),
        (M.RootMeanSquaredError, skm.root_mean_squared_error),
        (M.R2Score, skm.r2_score),
    ],
    ids=["mae", "mse", "rmse", "r2"],
)
def test_regression_metrics_batched_equal_full_data(cls, fn) -> None:
    rng = np.random.default_rng(11)
    for shape in [(50,), (50, 3)]:
        y = rng.normal(size=shape)
        p = y + rng.normal(size=shape)
        w = rng.random(50)
        for sw in (None, w):
            m = cls()
            for sl in _batches(50, rng):
                m.update_state(ax.tensor(y[sl]), p[sl], None if sw is None else sw[sl])
            want = fn(y, p, sample_weight=sw)
            assert m.result() == pytest.approx(want, rel=1e-10), (shape, sw is None)
    # (N, 1) predictions against (N,) targets, the usual model output
    m = cls()
    m.update_state(y[:, 0], p[:, :1].astype(np.float32))
    assert m.result() == pytest.approx(fn(y[:, 0], p[:, 0].astype(np.float32)), rel=1e-6)
    with pytest.raises(ValueError, match="update_state: got 2 outputs, earlier batches had 1"):
        m.update_state(y[:, :2], p[:, :2])


def test_mean_metric() -> None:
    m = M.Mean()
    assert m.result() == 0.0
    m.update_state(2.0)
    m.update_state(ax.tensor(4.0))
    assert m.result() == pytest.approx(3.0)
    m.update_state(ax.tensor([1.0, 1.0]), sample_weight=[1.0, 3.0])
    assert m.result() == pytest.approx((2 + 4 + 1 + 3) / 6)
    m.reset_state()
    m.update_state(1.5, sample_weight=10)  # e.g. a batch loss weighted by batch size
    m.update_state(3.0, sample_weight=5)
    assert m.result() == pytest.approx((15 + 15) / 15)
    with pytest.raises(ValueError, match=r"Mean\.update_state: sample_weight of shape"):
        m.update_state(ax.tensor([1.0, 2.0]), sample_weight=[1.0, 2.0, 3.0])


# ---- get_metric -------------------------------------------------------------------------------


def test_get_metric_names_and_loss_flavours() -> None:
    acc = M.Accuracy(name="mine")
    assert M.get_metric(acc) is acc
    assert isinstance(M.get_metric(M.Recall), M.Recall)
    m = M.get_metric("acc")
    assert isinstance(m, M.Accuracy) and m.name == "acc" and not m.from_logits
    for loss in (ax.nn.BCEWithLogitsLoss(), "bce_with_logits", "binary_crossentropy_with_logits"):
        m = M.get_metric("accuracy", loss=loss)
        assert m.from_logits and m.threshold == 0.0
    m = M.get_metric("accuracy", loss=ax.nn.BCELoss())
    assert not m.from_logits and m.threshold == 0.5
    # the flavour changes the numbers: logits 0.2 and 0.4 are positive, as probabilities not
    y, out = [1, 1, 0], [0.2, 0.4, -1.0]
    assert M.get_metric("accuracy", loss=ax.nn.BCEWithLogitsLoss())(y, out) == 1.0
    assert M.get_metric("accuracy", loss="bce")(y, out) == pytest.approx(1 / 3)
    # multiclass losses: argmax; precision/recall/f1 macro-averaged
    m = M.get_metric("f1", loss=ax.nn.CrossEntropyLoss())
    assert isinstance(m, M.F1Score) and m.average == "macro" and m.name == "f1"
    assert M.get_metric("precision", loss=ax.nn.BCEWithLogitsLoss()).average == "binary"
    for name, cls in [
        ("mae", M.MeanAbsoluteError),
        ("mse", M.MeanSquaredError),
        ("rmse", M.RootMeanSquaredError),
        ("recall", M.Recall),
    ]:
        assert type(M.get_metric(name)) is cls
    with pytest.raises(
        ValueError, match=r"get_metric: unknown metric 'auc'; known names are .*'rmse'"
    ):
        M.get_metric("auc")
    with pytest.raises(TypeError, match="get_metric: spec must be a Metric"):
        M.get_metric(3)


def test_get_metric_wraps_callables_batch_weighted() -> None:
    def hit_rate(y_true, y_pred) -> float:
        return float((np.asarray(y_true) == np.asarray(y_pred)).mean())

    m = M.get_metric(hit_rate)
    assert isinstance(m, M.FunctionMetric) and m.name == "hit_rate"
    m.update_state(np.array([1, 1, 1]), np.array([1, 1, 1]))  # 1.0 over 3 samples
    m.update_state(np.array([0]), np.array([1]))  # 0.0 over 1 sample
    assert m.result() == pytest.approx(3 / 4)  # the whole-data hit rate
    assert M.get_metric(lambda a, b: 0.0).name == "<lambda>"
