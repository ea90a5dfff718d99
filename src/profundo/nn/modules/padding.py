"""Padding layers: ``ZeroPad2d``, ``ConstantPad1d``, ``ReflectionPad2d``, ... each calls ``F.pad``.

``padding`` is an int (the same amount on every side of the N last dims) or a tuple
``(left, right, top, bottom, front, back)`` for the last dim first, as ``F.pad``.
"""
from ..._errors import error
from .. import functional as F
from .module import Module


def _as_tuple(padding, n):
    if isinstance(padding, (tuple, list)):
        return tuple(padding)
    if isinstance(padding, bool) or not hasattr(padding, "__index__"):
        raise error(TypeError, "padding", f"padding must be an int or a tuple of ints, got {type(padding).__name__}",
                    "p. ej. nn.ZeroPad2d(1) o nn.ZeroPad2d((izq, der, arriba, abajo))")
    return (int(padding),) * (2 * n)


class _PadNd(Module):
    mode = None
    n = None  # how many trailing dims are padded

    def __init__(self, padding):
        super().__init__()
        self.padding = _as_tuple(padding, self.n)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input):
        if input.dim() not in (self.n + 1, self.n + 2):  # PyTorch's module checks this itself
            raise error(ValueError, type(self).__name__, f"expected {self.n + 1}D or {self.n + 2}D input (got "
                        f"{input.dim()}D input)", f"la entrada tiene forma (C, ...) o (N, C, ...) con {self.n} "
                        "dimensiones espaciales")
        return super().forward(input)


class ConstantPad1d(_ConstantPadNd):
    n = 1


class ConstantPad2d(_ConstantPadNd):
    n = 2


class ConstantPad3d(_ConstantPadNd):
    n = 3


class _Zero:
    """Mixed into ConstantPadNd: the value is 0 and the repr shows the padding only (as PyTorch)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_Zero, ConstantPad1d):
    pass


class ZeroPad2d(_Zero, ConstantPad2d):
    pass


class ZeroPad3d(_Zero, ConstantPad3d):
    pass


class ReflectionPad1d(_PadNd):
    mode, n = "reflect", 1


class ReflectionPad2d(_PadNd):
    mode, n = "reflect", 2


class ReflectionPad3d(_PadNd):
    mode, n = "reflect", 3


class ReplicationPad1d(_PadNd):
    mode, n = "replicate", 1


class ReplicationPad2d(_PadNd):
    mode, n = "replicate", 2


class ReplicationPad3d(_PadNd):
    mode, n = "replicate", 3


class CircularPad1d(_CircularPadNd):
    n = 1


class CircularPad2d(_CircularPadNd):
    n = 2


class CircularPad3d(_CircularPadNd):
    n = 3
