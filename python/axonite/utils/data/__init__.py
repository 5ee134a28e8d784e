"""Data loading (PyTorch's torch.utils.data): datasets, samplers, the DataLoader with seeded,
resumable shuffling and threaded prefetch, plus sklearn-compatible KFold/StratifiedKFold."""

from __future__ import annotations

from .bucket import BucketBatchSampler
from .dataloader import DataLoader, WorkerInfo, default_collate, default_convert, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .kfold import KFold, StratifiedKFold
from .sampler import (
    BatchSampler,
    BootstrapSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "BootstrapSampler",
    "BucketBatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "KFold",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StratifiedKFold",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
