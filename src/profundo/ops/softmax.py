"""softmax, log_softmax and logsumexp: numerically stable (shifted by the max)."""
from .._backend import reduce_sum
from ._base import Op, error, expand_reduced, float_arr, keepdim_shape, norm_dim, norm_dims, reduced_shape, xp


def _shift(a, axis, nan_on_posinf=False):
    """The max along ``axis`` (kept), with infinities replaced by 0 so that
    ``a - m`` never computes ``inf - inf``.

    With ``nan_on_posinf`` (softmax, log_softmax) a ``+inf`` max is kept: the
    row's ``a - m`` then holds ``inf - inf = nan``, and the whole row comes out
    NaN, as PyTorch's.  The test costs nothing in the common case: it looks at
    the row maxima only, never at the data again.
    """
    if not a.size:
        return xp.zeros(keepdim_shape(a.shape, axis), a.dtype)
    m = xp.maximum.reduce(a, axis=axis, keepdims=True)
    if not xp.isfinite(m).all():
        replace = (m == -xp.inf) if nan_on_posinf else ~xp.isfinite(m)
        m = xp.where(replace, 0, m)
    return m


class Softmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        a = float_arr(x)
        e = a - _shift(a, (dim,), nan_on_posinf=True)
        xp.exp(e, out=e)
        e /= reduce_sum(e, dim, True)
        ctx.save_for_backward(e)
        ctx.dim = dim
        return e

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SoftmaxGrad.apply(g, y, ctx.dim), None


class SoftmaxGrad(Op):
    """``y * (g - sum(g * y))``: softmax's backward as one op, itself differentiable."""

    node_name = "SoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, g, y, dim):
        ctx.save_for_backward(g, y)
        ctx.dim = dim
        ga, ya = g._data, y._data
        out = ga * ya
        s = reduce_sum(out, dim, True)
        xp.subtract(ga, s, out=out)  # four passes over the data, one new array
        out *= ya
        return out

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        d = ctx.dim
        s = (g * y).sum(dim=d, keepdim=True)
        grad_g = SoftmaxGrad.apply(gg, y, d)  # linear in g
        grad_y = gg * (g - s) - g * (gg * y).sum(dim=d, keepdim=True)
        return grad_g, grad_y, None


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        a = float_arr(x)
        shifted = a - _shift(a, (dim,), nan_on_posinf=True)
        p = xp.exp(shifted)
        s = reduce_sum(p, dim, True)
        shifted -= xp.log(s)
        p /= s  # softmax(x) = exp(y): kept, so that backward needs no second exp (the costly pass)
        ctx.save_for_backward(shifted, p)
        ctx.dim = dim
        return shifted

    @staticmethod
    def backward(ctx, g):
        y, p = ctx.saved_tensors
        return LogSoftmaxGrad.apply(g, y, ctx.dim, p._data), None


class LogSoftmaxGrad(Op):
    """``g - exp(y) * sum(g)``: log_softmax's backward as one op, itself
    differentiable.  ``p``, if given, is ``exp(y)`` already computed (an array)."""

    node_name = "LogSoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, g, y, dim, p=None):
        ctx.save_for_backward(g, y)
        ctx.dim = dim
        out = (xp.exp(y._data) if p is None else p) * reduce_sum(g._data, dim, True)
        xp.subtract(g._data, out, out=out)
        return out

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        d = ctx.dim
        p = y.exp()
        grad_g = gg - (gg * p).sum(dim=d, keepdim=True)
        grad_y = -gg * p * g.sum(dim=d, keepdim=True)
        return grad_g, grad_y, None, None


class Logsumexp(Op):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        a = float_arr(x)
        m = _shift(a, dims)
        y = xp.log(reduce_sum(xp.exp(a - m), dims, True)) + m
        out = y if keepdim else y.reshape(reduced_shape(a.shape, dims))
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim, ctx.in_shape = dims, keepdim, a.shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        if not ctx.keepdim:
            y = y.reshape(keepdim_shape(ctx.in_shape, ctx.dims))
        return expand_reduced(g, ctx.in_shape, ctx.dims, ctx.keepdim) * (x - y).exp(), None, None


def _dim(op, input, dim):
    if dim is None:
        raise error(TypeError, op, f"{op}() missing the required argument 'dim'",
                    f"indica sobre qué dimensión normalizar, p. ej. {op}(x, dim=1) para filas")
    return norm_dim(dim, input._data.ndim, op)


def softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = _dim("softmax", input, dim)
    if input._data.ndim == 0:  # a 0-d tensor is normalized as one element (torch accepts dim 0 or -1)
        return Softmax.apply(input.reshape(1), 0).reshape(())
    return Softmax.apply(input, d)


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = _dim("log_softmax", input, dim)
    if input._data.ndim == 0:
        return LogSoftmax.apply(input.reshape(1), 0).reshape(())
    return LogSoftmax.apply(input, d)


def logsumexp(input, dim, keepdim=False):
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    return Logsumexp.apply(input, norm_dims(dim, input._data.ndim, "logsumexp"), keepdim)
