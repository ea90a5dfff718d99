"""GELU (exact and tanh forms), softplus, ELU and SiLU, one graph node each, as
PyTorch's ``GeluBackward0``, ``SoftplusBackward0``, ``EluBackward0``, ``SiluBackward0``.

The array formulas (forward and backward kernels) are the backend's: the plain
ones in ``profundo/_backend/reference.py``, the fast ones in ``special.py``;
the backward of each op is itself one op (``...Grad``, linear in the incoming
gradient), whose own backward is written with profundo ops, so second
derivatives work (``create_graph=True``).
"""
import math

from .._backend import backend_of
from ._base import Op

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Gelu(Op):
    """``x * Phi(x)``, Phi the standard normal CDF; d/dx = Phi(x) + x phi(x)."""

    @staticmethod
    def forward(ctx, x):
        y, ctx.cdf = backend_of(x).gelu(x._data)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return GeluGrad.apply(g, x, ctx.cdf)


class GeluGrad(Op):
    """``g * (Phi(x) + x phi(x))``: GELU's backward; ``cdf`` is Phi(x) when the forward kept it."""

    node_name = "GeluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, cdf=None):
        ctx.save_for_backward(g, x)
        if cdf is None:
            _, cdf = backend_of(x).gelu(x._data)
        ctx.cdf = cdf
        return backend_of(g).gelu_backward(g._data, x._data, cdf)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        # d/dx (Phi + x phi) = phi (2 - x^2)
        pdf = (x * x * -0.5).exp() * _INV_SQRT_2PI
        return GeluGrad.apply(gg, x, ctx.cdf), gg * g * pdf * (2 - x * x), None


class GeluTanh(Op):
    """GELU's tanh approximation ``0.5 x (1 + tanh(u))``, ``u = sqrt(2/pi) (x + 0.044715 x^3)``."""

    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x):
        y, ctx.th = backend_of(x).gelu_tanh(x._data)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return GeluTanhGrad.apply(g, x, ctx.th)


class GeluTanhGrad(Op):
    """``g * (0.5 (1 + th) + 0.5 x (1 - th^2) u')``: the tanh form's backward."""

    node_name = "GeluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, th=None):
        ctx.save_for_backward(g, x)
        if th is None:
            _, th = backend_of(x).gelu_tanh(x._data)
        ctx.th = th
        return backend_of(g).gelu_tanh_backward(g._data, x._data, th)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        b, k = _SQRT_2_OVER_PI, 0.044715
        th = (b * (x + k * x * x * x)).tanh()
        du = b * (1 + 3 * k * x * x)  # u'
        # d/dx [0.5 (1 + th) + 0.5 x (1 - th^2) u'] = (1 - th^2) (u' + 0.5 x (u'' - 2 th u'^2)), u'' = 6 b k x
        second = (1 - th * th) * (du + 0.5 * x * (6 * b * k * x - 2 * th * du * du))
        return GeluTanhGrad.apply(gg, x, ctx.th), gg * g * second, None


class Softplus(Op):
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold``; d/dx = sigmoid(beta x)."""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        return backend_of(x).softplus(x._data, beta, threshold)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return SoftplusGrad.apply(g, x, ctx.beta, ctx.threshold), None, None


class SoftplusGrad(Op):
    """``g * sigmoid(beta x)`` (``g`` above the threshold): softplus's backward, linear in ``g``."""

    node_name = "SoftplusBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, beta, threshold):
        ctx.save_for_backward(g, x)
        ctx.beta, ctx.threshold = beta, threshold
        return backend_of(g).softplus_backward(g._data, x._data, beta, threshold)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        beta, threshold = ctx.beta, ctx.threshold
        z = x * beta
        s = z.sigmoid()
        # d/dx sigmoid(beta x) = beta s (1 - s); 0 above the threshold, where the output is x
        below = (z <= threshold).to(x.dtype)
        return SoftplusGrad.apply(gg, x, beta, threshold), gg * g * beta * s * (1 - s) * below, None, None


class Elu(Op):
    """``x`` where x > 0, else ``alpha (exp(x) - 1)``; d/dx = 1, or ``alpha exp(x)``."""

    @staticmethod
    def forward(ctx, x, alpha):
        y, ctx.e = backend_of(x).elu(x._data, alpha)
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return EluGrad.apply(g, x, ctx.alpha, ctx.e), None


class EluGrad(Op):
    """``g`` where x > 0, else ``g alpha exp(x)``: ELU's backward, linear in ``g``."""

    node_name = "EluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, alpha, e=None):
        ctx.save_for_backward(g, x)
        if e is None:
            _, e = backend_of(x).elu(x._data, alpha)
        ctx.alpha, ctx.e = alpha, e
        return backend_of(g).elu_backward(g._data, x._data, e, alpha)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        # d/dx of the slope: alpha exp(x) where x <= 0, else 0
        second = ctx.alpha * x.clamp(max=0).exp() * (x <= 0).to(x.dtype)
        return EluGrad.apply(gg, x, ctx.alpha, ctx.e), gg * g * second, None, None


class Silu(Op):
    """``x sigmoid(x)``; d/dx = ``s (1 + x (1 - s))``, s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        y, ctx.s = backend_of(x).silu(x._data)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return SiluGrad.apply(g, x, ctx.s)


class SiluGrad(Op):
    """``g s (1 + x (1 - s))``: SiLU's backward, linear in ``g``."""

    node_name = "SiluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, s=None):
        ctx.save_for_backward(g, x)
        if s is None:
            _, s = backend_of(x).silu(x._data)
        ctx.s = s
        return backend_of(g).silu_backward(g._data, x._data, s)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        s = x.sigmoid()
        second = s * (1 - s) * (2 + x * (1 - 2 * s))  # d/dx [s (1 + x (1 - s))]
        return SiluGrad.apply(gg, x, ctx.s), gg * g * second, None
