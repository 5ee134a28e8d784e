"""Top-level ops (``ax.exp``, ``ax.add``, ``ax.zeros``, ...) re-exported from the extension:
every public name the C++ module binds is part of the ``axonite`` namespace."""

from ._C import *
