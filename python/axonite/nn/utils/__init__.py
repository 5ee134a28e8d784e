"""``axonite.nn.utils``: gradient clipping, weight penalties and parameter/vector conversion."""

from . import rnn, tbptt
from .clip_grad import *
from .convert_parameters import *
from .penalty import *
