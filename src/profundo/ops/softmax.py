"""softmax, log_softmax and logsumexp: numerically stable (shifted by the max)."""
from ._base import Op, error, expand_reduced, float_arr, keepdim_shape, norm_dim, norm_dims, reduced_shape, xp


def _shift(a, axis):
    """The max along ``axis`` (kept), with infinities replaced by 0 so that
    ``a - m`` never computes ``inf - inf``."""
    m = xp.max(a, axis=axis, keepdims=True) if a.size else xp.zeros(keepdim_shape(a.shape, axis), a.dtype)
    return xp.where(xp.isfinite(m), m, 0)


class Softmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        a = float_arr(x)
        e = xp.exp(a - _shift(a, (dim,)))
        y = e / xp.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(dim=ctx.dim, keepdim=True)), None


class LogSoftmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        a = float_arr(x)
        shifted = a - _shift(a, (dim,))
        y = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - y.exp() * g.sum(dim=ctx.dim, keepdim=True), None


class Logsumexp(Op):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        a = float_arr(x)
        m = _shift(a, dims)
        y = xp.log(xp.sum(xp.exp(a - m), axis=dims, keepdims=True)) + m
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
    return Softmax.apply(input, _dim("softmax", input, dim))


def log_softmax(input, dim=None, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(input, _dim("log_softmax", input, dim))


def logsumexp(input, dim, keepdim=False):
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None
    return Logsumexp.apply(input, norm_dims(dim, input._data.ndim, "logsumexp"), keepdim)
