"""``axonite.nn.functional`` (``F``): the stateless forms of the layers and losses. Each family
lives in its own file; the math is in C++ (``axonite._C._nn``). Every public function is
wrapped once so that an argument of the wrong type is named in the error (``_argcheck``)."""

from ._argcheck import wrap_public as _wrap_public
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

_wrap_public(globals(), __name__)
