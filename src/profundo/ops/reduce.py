"""Reductions: sum, mean, prod, max/min, var/std, norm, cumulative sums, all/any."""
import math
from collections import namedtuple

from .._backend import backend_of
from ._base import Op, Tensor, error, expand_reduced, keepdim_shape, norm_dim, norm_dims, reduced_shape

# torch.return_types.max and friends
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _int_sum_dtype(a):
    xp = backend_of(a).xp
    return None if a.dtype.kind == "f" else xp.int64


def _count(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _dims(input, dim, op):
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        dim = None  # PyTorch: an empty dim list reduces over everything
    return norm_dims(dim, input._data.ndim, op)


class Sum(Op):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        a = x._data
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return backend_of(x).reduce_sum(a, dims, keepdim, _int_sum_dtype(a))

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g, ctx.in_shape, ctx.dims, ctx.keepdim), None, None


class Mean(Op):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = backend_of(x).xp
        a = x._data
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        if a.dtype == xp.float16:  # NumPy's mean accumulates half precision in float32
            return xp.mean(a, axis=dims, keepdims=keepdim)
        return backend_of(x).reduce_sum(a, dims, keepdim) / _count(a.shape, dims)

    @staticmethod
    def backward(ctx, g):
        n = _count(ctx.in_shape, ctx.dims)
        return expand_reduced(g / n, ctx.in_shape, ctx.dims, ctx.keepdim), None, None


class Prod(Op):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        xp = backend_of(x).xp
        a = x._data
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return xp.prod(a, axis=dim, keepdims=keepdim, dtype=_int_sum_dtype(a))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.dim is None:  # every element: the product of all the others
            return g * _prod_others(x.reshape(-1), 0).reshape(x.shape), None, None
        d = ctx.dim
        if not ctx.keepdim:
            g = g.unsqueeze(d)
        return g * _prod_others(x, d), None, None


def _prod_others(x, dim):
    """Product along ``dim`` of every element but the one at each position.

    Exclusive cumulative products from the left and from the right: correct
    even when ``x`` has zeros (dividing the total by ``x`` would not be)."""
    xp = backend_of(x).xp
    n = x.shape[dim]
    if n <= 1:
        return Tensor._make(xp.ones(x._data.shape, x._data.dtype))
    from .shape import cat
    shape = list(x.shape)
    shape[dim] = 1
    ones = Tensor._make(xp.ones(shape, x._data.dtype))
    left = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    right = cat([ones, x.flip(dim).narrow(dim, 0, n - 1)], dim).cumprod(dim).flip(dim)
    return left * right


class Extreme(Op):
    """max/min over dims with a single result; ties share the gradient equally."""

    node_name = "AmaxBackward0"

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest):
        be = backend_of(x)
        xp = be.xp
        a = x._data
        y = (be.reduce_max if largest else be.reduce_min)(a, dims, True)
        if a.dtype.kind == "f":
            mask = a == y
            ctx.save_for_backward((mask / be.reduce_sum(mask, dims, True, xp.int64)).astype(a.dtype))
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return y if keepdim else y.reshape(reduced_shape(a.shape, dims))

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        return expand_reduced(g, ctx.in_shape, ctx.dims, ctx.keepdim) * w, None, None, None


class ExtremeDim(Op):
    """max/min along one dim: values and the index where each was found."""

    node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        xp = backend_of(x).xp
        a = x._data
        if a.ndim == 0:
            ctx.save_for_backward(None)
            return a.copy(), xp.zeros((), xp.int64)
        idx = (xp.argmax if largest else xp.argmin)(a, axis=dim, keepdims=True)
        values = xp.take_along_axis(a, idx, axis=dim)
        shape = [1] * a.ndim
        shape[dim] = a.shape[dim]
        ctx.save_for_backward(xp.arange(a.shape[dim]).reshape(shape) == idx)
        ctx.dim, ctx.keepdim = dim, keepdim
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        return values, idx.astype(xp.int64)

    @staticmethod
    def backward(ctx, g, g_idx):
        (mask,) = ctx.saved_tensors
        if mask is None:
            return g, None, None, None
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        return g * mask, None, None, None


def _check_nonempty(op, input, dim):
    if input._data.size == 0 and (dim is None or input._data.shape[norm_dim(dim, input._data.ndim, op)] == 0):
        raise error(IndexError if dim is not None else RuntimeError, op,
                    f"Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim "
                    f"with the 'dim' argument (input shape {tuple(input.shape)})"
                    if dim is None else f"cannot reduce over a zero-size dimension {dim} (input shape "
                    f"{tuple(input.shape)})", "no se puede calcular el máximo/mínimo de un tensor vacío")


def _max_min(op, largest, input, dim, keepdim):
    if isinstance(dim, Tensor):  # max(a, b): the elementwise maximum
        from .elementwise import maximum, minimum
        return (maximum if largest else minimum)(input, dim)
    _check_nonempty(op, input, dim)
    if dim is None:
        return Extreme.apply(input, tuple(range(input._data.ndim)), False, largest)
    d = norm_dim(dim, input._data.ndim, op)
    values, indices = ExtremeDim.apply(input, d, keepdim, largest)
    return (max_result if largest else min_result)(values, indices)


def max(input, dim=None, keepdim=False):
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices); ``max(x, y)``: elementwise."""
    return _max_min("max", True, input, dim, keepdim)


def min(input, dim=None, keepdim=False):
    return _max_min("min", False, input, dim, keepdim)


def amax(input, dim=(), keepdim=False):
    dims = _dims(input, dim, "amax")
    if input._data.size == 0:
        _check_nonempty("amax", input, None)
    return Extreme.apply(input, dims, keepdim, True)


def amin(input, dim=(), keepdim=False):
    dims = _dims(input, dim, "amin")
    if input._data.size == 0:
        _check_nonempty("amin", input, None)
    return Extreme.apply(input, dims, keepdim, False)


def _arg(op, fn, input, dim, keepdim):
    xp = backend_of(input).xp
    a = input._data
    if a.size == 0:
        _check_nonempty(op, input, dim)
    if dim is None:
        r = fn(a.reshape(-1))
        return Tensor._make(xp.asarray(r, dtype=xp.int64).reshape((1,) * a.ndim if keepdim else ()))
    d = norm_dim(dim, a.ndim, op)
    if a.ndim == 0:
        return Tensor._make(xp.zeros((), xp.int64))
    return Tensor._make(xp.asarray(fn(a, axis=d, keepdims=keepdim), dtype=xp.int64))


def argmax(input, dim=None, keepdim=False):
    xp = backend_of(input).xp
    return _arg("argmax", xp.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    xp = backend_of(input).xp
    return _arg("argmin", xp.argmin, input, dim, keepdim)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return Sum.apply(input, _dims(input, dim, "sum"), keepdim)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise error(RuntimeError, "mean", "mean(): could not infer output dtype. Input dtype must be either a "
                    f"floating point or complex dtype. Got: {input.dtype}",
                    "convierte a flotante primero: x.float().mean()")
    return Mean.apply(input, _dims(input, dim, "mean"), keepdim)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    from .elementwise import where
    return sum(where(input.isnan(), 0.0, input), dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = None if dim is None else norm_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:
        d = None
    return Prod.apply(input, d, keepdim)


# ---------------------------------------------------------------- variance
def _correction(op, dim, unbiased, correction):
    if isinstance(dim, bool):  # var(x, False): the legacy ``unbiased`` positional
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    elif unbiased is not None:
        raise error(RuntimeError, op, "cannot specify both unbiased and correction",
                    "usa solo correction= (unbiased es la forma antigua)")
    return dim, correction


class Var(Op):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        xp = backend_of(x).xp
        a = x._data
        ctx.save_for_backward(x)
        ctx.dims, ctx.correction, ctx.keepdim, ctx.in_shape = dims, correction, keepdim, a.shape
        d = a - a.mean(axis=dims, keepdims=True)
        denom = _count(a.shape, dims) - correction
        return (xp.sum(d * d, axis=dims, keepdims=keepdim) / (denom if denom > 0 else 0)).astype(a.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        denom = _count(ctx.in_shape, ctx.dims) - ctx.correction
        centered = x - x.mean(dim=ctx.dims, keepdim=True)
        g = expand_reduced(g, ctx.in_shape, ctx.dims, ctx.keepdim)
        return g * centered * (2.0 / denom if denom > 0 else math.inf), None, None, None


class Std(Op):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        xp = backend_of(x).xp
        a = x._data
        d = a - a.mean(axis=dims, keepdims=True)
        denom = _count(a.shape, dims) - correction
        y = xp.sqrt(xp.sum(d * d, axis=dims, keepdims=True) / (denom if denom > 0 else 0)).astype(a.dtype)
        out = y if keepdim else y.reshape(reduced_shape(a.shape, dims))
        ctx.save_for_backward(x, out)  # the output itself: differentiable again (create_graph)
        ctx.dims, ctx.correction, ctx.keepdim, ctx.in_shape = dims, correction, keepdim, a.shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        denom = _count(ctx.in_shape, ctx.dims) - ctx.correction
        if not ctx.keepdim:
            shape = keepdim_shape(ctx.in_shape, ctx.dims)
            g, y = g.reshape(shape), y.reshape(shape)
        # PyTorch: zero gradient where std == 0 (a safe divisor keeps inf out of double backward)
        zero = y == 0
        scale = (g / (y * (denom if denom > 0 else 0)).masked_fill(zero, 1.0)).masked_fill(zero, 0.0)
        return scale * (x - x.mean(dim=ctx.dims, keepdim=True)), None, None, None


def _var_args(op, input, dim, unbiased, correction):
    dim, correction = _correction(op, dim, unbiased, correction)
    if input._data.dtype.kind != "f":
        raise error(RuntimeError, op, f"{op}(): input dtype should be floating point, got {input.dtype}",
                    "convierte a flotante primero: x.float()")
    return _dims(input, dim, op), correction


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dims, correction = _var_args("var", input, dim, unbiased, correction)
    return Var.apply(input, dims, correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dims, correction = _var_args("std", input, dim, unbiased, correction)
    return Std.apply(input, dims, correction, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, None if isinstance(dim, bool) else dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, None if isinstance(dim, bool) else dim, keepdim))


# ---------------------------------------------------------------- norms
class Norm(Op):
    """Vector p-norm over ``dims``."""

    node_name = "NormBackward1"

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = backend_of(x).xp
        a = x._data
        if a.dtype.kind != "f":
            raise error(RuntimeError, "norm", f"norm(): input dtype should be floating point, got {x.dtype}",
                        "convierte a flotante primero: x.float()")
        ab = xp.abs(a)
        if p == 2:
            y = xp.sqrt(xp.sum(a * a, axis=dims, keepdims=True))
        elif p == math.inf:
            y = xp.max(ab, axis=dims, keepdims=True) if a.size else xp.zeros(keepdim_shape(a.shape, dims), a.dtype)
        elif p == -math.inf:
            y = xp.min(ab, axis=dims, keepdims=True)
        elif p == 0:
            y = xp.sum(a != 0, axis=dims, keepdims=True).astype(a.dtype)
        elif p == 1:
            y = xp.sum(ab, axis=dims, keepdims=True)
        else:
            y = xp.sum(ab ** p, axis=dims, keepdims=True) ** (1.0 / p)
        y = y.astype(a.dtype, copy=False)
        out = y if keepdim else y.reshape(reduced_shape(a.shape, dims))
        ctx.save_for_backward(x, out)
        ctx.p, ctx.dims, ctx.keepdim, ctx.in_shape = p, dims, keepdim, a.shape
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p = ctx.p
        if not ctx.keepdim:
            shape = keepdim_shape(ctx.in_shape, ctx.dims)
            g, y = g.reshape(shape), y.reshape(shape)
        if p == 0:
            gx = x * 0
        elif p == 1:
            gx = g * x.sign()
        elif p == 2:
            zero = y == 0
            gx = x * (g / y.masked_fill(zero, 1.0)).masked_fill(zero, 0.0)
        elif p in (math.inf, -math.inf):
            mask = (x.abs() == y).detach()
            w = mask / mask.sum(dim=ctx.dims, keepdim=True)
            gx = g * x.sign() * w
        else:
            # sign(x) |x|^(p-1), not x |x|^(p-2): the latter is 0 * inf = NaN at x == 0 when p < 2 (PyTorch's rule)
            scaled = x.sign() * x.abs() ** (p - 1)
            if p < 1:  # |x|^(p-1) is infinite at 0; the gradient there is 0, as in PyTorch
                scaled = scaled.masked_fill(x == 0, 0.0)
            zero = y == 0
            gx = scaled * (g / y.masked_fill(zero, 1.0) ** (p - 1)).masked_fill(zero, 0.0)
        return gx, None, None, None


def _p_value(p, op):
    if p in ("fro", None):
        return 2
    if isinstance(p, str):
        raise error(NotImplementedError, op, f"norm type {p!r} is not supported (only vector norms and 'fro')",
                    "usa p=2 ('fro'), 1, inf u otro número")
    return float(p)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return Norm.apply(input, _p_value(p, "norm"), _dims(input, dim, "norm"), keepdim)


# ---------------------------------------------------------------- cumulative
class Cumsum(Op):
    @staticmethod
    def forward(ctx, x, dim):
        xp = backend_of(x).xp
        ctx.dim = dim
        a = x._data
        return xp.cumsum(a, axis=dim, dtype=_int_sum_dtype(a)) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx, g):
        d = ctx.dim
        if g.ndim == 0:
            return g, None
        return g.flip(d).cumsum(d).flip(d), None  # each input feeds every later output


class Cumprod(Op):
    @staticmethod
    def forward(ctx, x, dim):
        xp = backend_of(x).xp
        a = x._data
        y = xp.cumprod(a, axis=dim, dtype=_int_sum_dtype(a)) if a.ndim else a.copy()
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        x, y = ctx.saved_tensors
        d = ctx.dim
        if x.ndim == 0:
            return g, None
        if not (x._data == 0).any():
            return (g * y).flip(d).cumsum(d).flip(d) / x, None
        # with zeros: d y_j / d x_i = prod_{k <= j, k != i} x_k, built explicitly (O(n^2))
        xl = x.movedim(d, -1)
        n = xl.shape[-1]
        eye = Tensor._make(xp.eye(n, dtype=bool))
        rows = where_(eye, 1.0, xl.unsqueeze(-2))        # row i: x with x_i replaced by 1
        partial = rows.cumprod(-1)                        # [i, j] = prod_{k<=j, k!=i} x_k
        upper = Tensor._make(xp.triu(xp.ones((n, n), dtype=bool)))  # only j >= i contributes
        gl = g.movedim(d, -1).unsqueeze(-2)
        return (partial * upper * gl).sum(-1).movedim(-1, d), None


def where_(cond, a, b):
    from .elementwise import where
    return where(cond, a, b)


def cumsum(input, dim, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return Cumsum.apply(input, norm_dim(dim, input._data.ndim, "cumsum"))


def cumprod(input, dim, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return Cumprod.apply(input, norm_dim(dim, input._data.ndim, "cumprod"))


# ---------------------------------------------------------------- logical
def all(input, dim=None, keepdim=False):
    xp = backend_of(input).xp
    dims = _dims(input, dim, "all")
    return Tensor._make(xp.asarray(xp.all(input._data, axis=dims, keepdims=keepdim)))


def any(input, dim=None, keepdim=False):
    xp = backend_of(input).xp
    dims = _dims(input, dim, "any")
    return Tensor._make(xp.asarray(xp.any(input._data, axis=dims, keepdims=keepdim)))


def count_nonzero(input, dim=None):
    xp = backend_of(input).xp
    dims = _dims(input, dim, "count_nonzero")
    return Tensor._make(xp.asarray(xp.count_nonzero(input._data, axis=dims), dtype=xp.int64))
