"""softmax, log_softmax and logsumexp: numerically stable (shifted by the max)."""
from .._backend import backend_of
from ._base import Op, error, expand_reduced, float_arr, keepdim_shape, norm_dim, norm_dims, reduced_shape


class Softmax(Op):
    @staticmethod
    def forward(ctx, x, dim):
        # exp(x - max) / sum(exp(x - max)): shifted by the max, so exp never overflows
        e = backend_of(x).softmax(float_arr(x), dim)
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
        return backend_of(g).softmax_backward(g._data, y._data, dim)

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
        # softmax(x) = exp(y) comes along: kept, so that backward needs no second exp (the costly pass)
        shifted, p = backend_of(x).log_softmax(float_arr(x), dim)
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
        be = backend_of(g)
        return be.log_softmax_backward(g._data, be.exp(y._data) if p is None else p, dim)

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
        be = backend_of(x)
        m = be.max_for_shift(a, dims)
        y = be.xp.log(be.reduce_sum(be.exp(a - m), dims, True)) + m
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
