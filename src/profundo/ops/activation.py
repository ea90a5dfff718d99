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
from ._base import _GRAD, Op, Tensor

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
        if not _GRAD.enabled:  # a first-order backward records nothing: EluGrad's kernel straight
            return Tensor._make(backend_of(g).elu_backward(g._data, x._data, ctx.e, ctx.alpha)), None
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
        if not _GRAD.enabled:  # a first-order backward records nothing: SiluGrad's kernel straight
            return Tensor._make(backend_of(g).silu_backward(g._data, x._data, ctx.s))
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


# ---------------------------------------------------------------- more activations (issue 13)
# hardtanh (relu6 is hardtanh(0, 6)), hardsigmoid, hardswish and mish have kernels of their own;
# selu and celu reuse ELU's.  Each backward is one op linear in the incoming gradient, whose own
# backward gives the second derivative (0 for the piecewise-linear ones).

class Hardtanh(Op):
    """``x`` clipped to ``[min_val, max_val]``; d/dx = 1 strictly inside, else 0."""

    @staticmethod
    def forward(ctx, x, min_val, max_val):
        ctx.save_for_backward(x)
        ctx.limits = (min_val, max_val)
        return backend_of(x).hardtanh(x._data, min_val, max_val)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return HardtanhGrad.apply(g, x, *ctx.limits), None, None


class HardtanhGrad(Op):
    """``g`` strictly inside ``(min_val, max_val)``, else 0: linear in ``g``, constant in ``x``."""

    node_name = "HardtanhBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, min_val, max_val):
        ctx.save_for_backward(x)
        ctx.limits = (min_val, max_val)
        return backend_of(g).hardtanh_backward(g._data, x._data, min_val, max_val)

    @staticmethod
    def backward(ctx, gg):
        (x,) = ctx.saved_tensors
        return HardtanhGrad.apply(gg, x, *ctx.limits), None, None, None


class Hardsigmoid(Op):
    """``min(max(x + 3, 0), 6) / 6``; d/dx = 1/6 strictly inside ``(-3, 3)``, else 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend_of(x).hardsigmoid(x._data)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return HardsigmoidGrad.apply(g, x)


class HardsigmoidGrad(Op):
    node_name = "HardsigmoidBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x):
        ctx.save_for_backward(x)
        return backend_of(g).hardsigmoid_backward(g._data, x._data)

    @staticmethod
    def backward(ctx, gg):
        (x,) = ctx.saved_tensors
        return HardsigmoidGrad.apply(gg, x), None


class Hardswish(Op):
    """``x hardsigmoid(x)``; d/dx = 0 below -3, ``x / 3 + 1/2`` inside, 1 above 3."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend_of(x).hardswish(x._data)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return HardswishGrad.apply(g, x)


class HardswishGrad(Op):
    node_name = "HardswishBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x):
        ctx.save_for_backward(g, x)
        return backend_of(g).hardswish_backward(g._data, x._data)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        inside = ((x > -3) & (x < 3)).to(x.dtype)  # d/dx (x / 3 + 1/2) = 1/3 there
        return HardswishGrad.apply(gg, x), gg * g * inside / 3


class Mish(Op):
    """``x tanh(softplus(x))``; d/dx = ``t + x s (1 - t^2)``, t = tanh(softplus(x)), s = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        y, ctx.t, ctx.s = backend_of(x).mish(x._data)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return MishGrad.apply(g, x, ctx.t, ctx.s)


class MishGrad(Op):
    node_name = "MishBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, t=None, s=None):
        ctx.save_for_backward(g, x)
        if t is None:
            _, t, s = backend_of(x).mish(x._data)
        ctx.t, ctx.s = t, s
        return backend_of(g).mish_backward(g._data, x._data, t, s)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        t = Softplus.apply(x, 1.0, math.inf).tanh()
        s = x.sigmoid()
        # d/dx [t + x s (1 - t^2)] = (1 - t^2) s (2 + x (1 - s) - 2 x s t), as t' = (1 - t^2) s
        second = (1 - t * t) * s * (2 + x * (1 - s) - 2 * x * s * t)
        return MishGrad.apply(gg, x, ctx.t, ctx.s), gg * g * second, None, None


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Selu(Op):
    """``scale * elu(x, alpha)`` with SELU's fixed constants (self-normalizing networks)."""

    node_name = "EluBackward0"  # PyTorch's name: selu is an ELU with a scale

    @staticmethod
    def forward(ctx, x):
        y, ctx.e = backend_of(x).elu(x._data, SELU_ALPHA)
        ctx.save_for_backward(x)
        return y * y.dtype.type(SELU_SCALE)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return EluGrad.apply(g * SELU_SCALE, x, SELU_ALPHA, ctx.e)


class Celu(Op):
    """``x`` where x > 0, else ``alpha (exp(x / alpha) - 1)``; d/dx = 1, or ``exp(x / alpha)``."""

    @staticmethod
    def forward(ctx, x, alpha):
        be = backend_of(x)
        a = x._data
        neg, ctx.e = be.elu(a * a.dtype.type(1 / alpha), alpha)  # e = exp(min(x / alpha, 0))
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return be.xp.where(a > 0, a, neg)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        # ELU's backward at x / alpha with alpha 1: g where x > 0, else g exp(x / alpha)
        return EluGrad.apply(g, x * (1 / ctx.alpha), 1.0, ctx.e), None
