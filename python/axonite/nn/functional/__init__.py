"""``axonite.nn.functional`` (``F``): the stateless forms of the layers and losses. Each family
lives in its own file; the math is in C++ (``axonite._C._nn``)."""

from .activation import *
from .conv import *
from .dropout import *
from .linear import *
from .loss import *
from .normalization import *
from .pooling import *
from .resize import *
from .sampling import *
from .sparse import *
