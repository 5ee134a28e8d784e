"""``axonite.nn``: modules (layers, losses, containers), ``functional``, ``init`` and ``utils``,
mirroring ``torch.nn``."""

from . import functional, init, utils
from .modules import *
from .parameter import Buffer, Parameter
