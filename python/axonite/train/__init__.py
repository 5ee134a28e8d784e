"""``axonite.train``: Keras-style training on top of PyTorch-style modules and optimizers.

- ``Model`` (alias ``Trainer``): ``compile`` / ``fit`` / ``evaluate`` / ``predict``,
  ``train_on_batch``, ``save_weights`` / ``load_weights``;
- callbacks: ``Callback``, ``CallbackList``, ``History``, ``EarlyStopping``,
  ``ModelCheckpoint``, ``LearningRateScheduler``, ``ReduceLROnPlateau``, ``CSVLogger``,
  ``TensorBoard``, ``TerminateOnNaN``, ``DivergenceGuard``; ``ProgbarLogger`` (progress bars);
- metrics (functional, scikit-learn style, and stateful, Keras style) and ``summary``;
- ``Checkpoint``: resumable training-run checkpoints;
- ensembles (``VotingEnsemble``, ``AveragingEnsemble``, ``Bagging``, ``Stacking``) and
  hyperparameter search (``grid_search``, ``random_search``).
"""

from __future__ import annotations

from .callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    DivergenceGuard,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
)
from .checkpoint import Checkpoint
from .ensemble import AveragingEnsemble, Bagging, Stacking, VotingEnsemble
from .metrics import (
    Accuracy,
    F1Score,
    Mean,
    MeanAbsoluteError,
    MeanSquaredError,
    Metric,
    Precision,
    R2Score,
    Recall,
    RootMeanSquaredError,
    accuracy,
    confusion_matrix,
    f1,
    f1_score,
    get_metric,
    mae,
    mse,
    precision,
    r2,
    recall,
    rmse,
)
from .progress import ProgbarLogger
from .search import SearchResult, grid_search, loguniform, randint, random_search, uniform
from .summary import ModelSummary, summary
from .trainer import Model, Trainer

__all__ = [
    "Accuracy",
    "AveragingEnsemble",
    "Bagging",
    "SearchResult",
    "Stacking",
    "VotingEnsemble",
    "grid_search",
    "loguniform",
    "randint",
    "random_search",
    "uniform",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "Checkpoint",
    "DivergenceGuard",
    "EarlyStopping",
    "F1Score",
    "History",
    "LearningRateScheduler",
    "Mean",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "Model",
    "ModelCheckpoint",
    "ModelSummary",
    "Precision",
    "ProgbarLogger",
    "R2Score",
    "Recall",
    "ReduceLROnPlateau",
    "RootMeanSquaredError",
    "TensorBoard",
    "TerminateOnNaN",
    "Trainer",
    "accuracy",
    "confusion_matrix",
    "f1",
    "f1_score",
    "get_metric",
    "mae",
    "mse",
    "precision",
    "r2",
    "recall",
    "rmse",
    "summary",
]
