"""Computer-vision helpers: batch augmentations, fixed edge filters and model inspection.

``ax.vision.transforms`` holds torchvision-style random augmentations that work on one image
or a whole batch (colour adjustments in ``ax.vision.color``); ``ax.vision.filters`` the classic 3x3 edge filters (Sobel, Scharr, Prewitt,
Laplacian) as depthwise convolutions; ``saliency`` and ``feature_maps`` look inside a trained
model (input gradients and intermediate activations).
"""

from __future__ import annotations

from . import color, filters, transforms
from .filters import FixedConv2d, edge_kernels, laplacian, prewitt, scharr, sobel
from .inspect import feature_maps, saliency

__all__ = [
    "FixedConv2d",
    "color",
    "edge_kernels",
    "feature_maps",
    "filters",
    "laplacian",
    "prewitt",
    "saliency",
    "scharr",
    "sobel",
    "transforms",
]
