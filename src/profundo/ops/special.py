"""Special functions of one tensor: ``lgamma`` (log |Gamma(x)|) and ``digamma`` (its derivative),
as PyTorch's ``LgammaBackward0`` and ``DigammaBackward0``.

The array formulas are the backend's (``lgamma``, ``digamma``, ``trigamma`` kernels: Stirling's
series, the recurrence and the reflection formula, in ``profundo/_backend/special.py``).  Each
backward is written with profundo ops, so it is differentiable once more: lgamma' = digamma,
digamma' = trigamma (PyTorch's ``polygamma(1, x)``).
"""
from .._backend import backend_of
from .._errors import error
from ._base import Op, float_arr


class Lgamma(Op):
    """``log |Gamma(x)|``; d/dx = digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend_of(x).lgamma(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Digamma.apply(x)


class Digamma(Op):
    """``digamma(x) = Gamma'(x) / Gamma(x)``; d/dx = trigamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend_of(x).digamma(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Trigamma.apply(x)


class Trigamma(Op):
    """``trigamma(x)``, digamma's derivative (not public: PyTorch's ``polygamma(1, x)``)."""

    node_name = "PolygammaBackward0"

    @staticmethod
    def forward(ctx, x):
        return backend_of(x).trigamma(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        raise error(NotImplementedError, "digamma", "the third derivative of lgamma (the second of digamma, "
                    "polygamma(2, x)) is not implemented",
                    "profundo deriva lgamma dos veces y digamma una; para más órdenes usa diferencias finitas")


def lgamma(input):
    """Natural logarithm of the absolute value of the gamma function of ``input``, elementwise
    (``lgamma(n + 1) = log(n!)``); +inf at 0 and the negative integers."""
    return Lgamma.apply(input)


def digamma(input):
    """The logarithmic derivative of the gamma function, ``d/dx lgamma(x)``, elementwise; -inf at 0,
    NaN at the negative integers (as PyTorch)."""
    return Digamma.apply(input)
