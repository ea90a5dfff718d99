"""The d2l library's PyTorch API on profundo (issue 15): ``from profundo import d2l`` runs the book's code
with no ``d2l`` package and no version pins."""
from .base import *  # noqa: F401,F403
from .plotting import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .cnn import *  # noqa: F401,F403
from .sequence import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .aliases import *  # noqa: F401,F403
