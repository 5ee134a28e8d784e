"""Layers (modules), one file per family; `Module` and the containers are the base."""

from .activation import *
from .adaptive import *
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import *
from .dropout import *
from .flatten import *
from .linear import *
from .loss import *
from .module import Module
from .normalization import *
from .pooling import *
from .resize import *
from .rnn import *
from .rnn_cell import *
from .sparse import *
