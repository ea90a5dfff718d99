"""Pooling and resampling (Unit 2): max/avg pooling, adaptive pooling, max_unpool, interpolate.

Every pool works on the last k dims of its input (k = 1 or 2): the dims before are planes
(N, C, or only C for an unbatched input), pooled independently.

- max pool: the backend reads the windows through ``sliding_windows`` (a strided view, no copy)
  and keeps, per window, the largest value and its flat position in the plane (PyTorch's
  ``return_indices``).  The backward scatters each output gradient to that position, in one
  flat scatter for the whole tensor (``plane_scatter``): no mask per element, no branch.
- avg pool: window sums divided by the window size (``count_include_pad``,
  ``divisor_override``); the backward spreads each share back over the window, one strided
  slice per kernel offset.
- adaptive avg pool and interpolate (nearest, linear/bilinear) are linear maps that act on each
  pooled dim separately: ``y = A_h x A_w^T`` with small matrices built from the sizes
  (``SeparableMap``), whose backward is the same map with the transposed matrices.
"""
import math

from .._backend import backend_of
from .._dtype import scalar_type_name
from ._base import Op, Tensor, error

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "max_unpool1d", "max_unpool2d", "interpolate"]


# ------------------------------------------------------------------ ops
class MaxPool(Op):
    """Max pooling over the last ``len(kernel_size)`` dims: ``(values, indices)``."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, out_size):
        be = backend_of(x)
        values, indices = be.max_pool(x._data, kernel_size, stride, padding, dilation, out_size)
        # windows that share no input (stride >= dilated kernel extent) have distinct winners,
        # so the backward may write instead of add (see the numpy backend's plane_scatter)
        ctx.overlapping = any(s < d * (ks - 1) + 1 for s, d, ks in zip(stride, dilation, kernel_size))
        ctx.indices, ctx.in_shape, ctx.k = indices, x._data.shape, len(kernel_size)
        return values, indices

    @staticmethod
    def backward(ctx, g, g_indices):
        return (PlaneScatter.apply(g, ctx.indices, ctx.in_shape, ctx.k, ctx.overlapping),
                None, None, None, None, None)


class WindowMax(Op):
    """The max of each window given by the in-plane positions of its candidates (adaptive max pool)."""

    node_name = "AdaptiveMaxPoolBackward0"

    @staticmethod
    def forward(ctx, x, positions, k):
        values, indices = backend_of(x).window_max(x._data, positions, k)
        ctx.indices, ctx.in_shape, ctx.k = indices, x._data.shape, k
        return values, indices

    @staticmethod
    def backward(ctx, g, g_indices):
        return PlaneScatter.apply(g, ctx.indices, ctx.in_shape, ctx.k, True), None, None


class PlaneScatter(Op):
    """A zero tensor of ``in_shape`` with ``g[..., o]`` added at ``indices[..., o]`` of its plane:
    a max pool's backward (linear in ``g``; its adjoint is ``PlaneGather``)."""

    node_name = "MaxPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, g, indices, in_shape, k, overlapping):
        ctx.indices, ctx.in_shape, ctx.k, ctx.overlapping = indices, in_shape, k, overlapping
        return backend_of(g).plane_scatter(g._data, indices, in_shape, k, overlapping)

    @staticmethod
    def backward(ctx, gg):
        return PlaneGather.apply(gg, ctx.indices, ctx.in_shape, ctx.k, ctx.overlapping), None, None, None, None


class PlaneGather(Op):
    """``a[..., indices[..., o]]`` per plane (the adjoint of ``PlaneScatter``; also max_unpool's backward)."""

    @staticmethod
    def forward(ctx, a, indices, in_shape, k, overlapping):
        ctx.indices, ctx.in_shape, ctx.k, ctx.overlapping = indices, in_shape, k, overlapping
        return backend_of(a).plane_gather(a._data, indices, k)

    @staticmethod
    def backward(ctx, g):
        return PlaneScatter.apply(g, ctx.indices, ctx.in_shape, ctx.k, ctx.overlapping), None, None, None, None


class MaxUnpool(Op):
    """``out[..., indices[..., o]] = x[..., o]`` in a zero tensor of ``out_shape`` (per plane)."""

    @staticmethod
    def forward(ctx, x, indices, out_shape, k):
        ctx.indices, ctx.out_shape, ctx.k = indices, out_shape, k
        return backend_of(x).plane_put(x._data, indices, out_shape, k)

    @staticmethod
    def backward(ctx, g):
        return PlaneGather.apply(g, ctx.indices, ctx.out_shape, ctx.k, True), None, None, None


class AvgPool(Op):
    """Average pooling: each window's sum divided by ``divisor`` (an array broadcast on the output)."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, out_size, divisor):
        ctx.args, ctx.in_shape = (kernel_size, stride, padding, divisor), x._data.shape
        return backend_of(x).avg_pool(x._data, kernel_size, stride, padding, out_size, divisor)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolGrad.apply(g, ctx.in_shape, *ctx.args), None, None, None, None, None


class AvgPoolGrad(Op):
    """Average pooling's backward (linear in ``g``): its adjoint is the average pooling itself."""

    node_name = "AvgPoolBackwardBackward0"

    @staticmethod
    def forward(ctx, g, in_shape, kernel_size, stride, padding, divisor):
        ctx.args = (kernel_size, stride, padding, tuple(g._data.shape[-len(kernel_size):]), divisor)
        return backend_of(g).avg_pool_backward(g._data, kernel_size, stride, padding, in_shape, divisor)

    @staticmethod
    def backward(ctx, gg):
        return AvgPool.apply(gg, *ctx.args), None, None, None, None, None


class SeparableMap(Op):
    """``y = A_1 (x) A_2^T`` on the last one or two dims: each matrix ``A_i`` (out_i, in_i) mixes one dim.

    Adaptive average pooling (each row averages a window) and interpolation (each row holds the
    one or two weights of the input positions an output position reads) are such maps.  The
    backward is the same map with the transposed matrices, so it is differentiable to any order."""

    @staticmethod
    def forward(ctx, x, mats, slots=None):
        ctx.mats = mats
        return _separable(backend_of(x).xp, x._data, mats, slots)

    @staticmethod
    def backward(ctx, g):
        return SeparableMap.apply(g, tuple(m.T for m in ctx.mats)), None, None


def _separable(xp, a, mats, slots=None):
    if not xp.isfinite(a).all():  # a matmul would spread an inf or NaN over its whole row (0 * inf)
        return _separable_gather(xp, a, mats, slots)
    if len(mats) == 1:
        return xp.matmul(a, mats[0].T)
    return xp.matmul(xp.matmul(mats[0], a), mats[1].T)


def _nonzero_slots(xp, m):
    """Each row's non-zero columns and weights, padded to the longest row (``valid`` marks the real ones)."""
    count = int((m != 0).sum(axis=1).max()) if m.size else 0
    order = xp.argsort(m == 0, axis=1, kind="stable")[:, :count]  # the non-zero columns first
    weights = xp.take_along_axis(m, order, axis=1)
    return order, weights, weights != 0


def _separable_gather(xp, a, mats, slots):
    """The same map computed as PyTorch's kernels do, reading for each output only its own input
    positions (``slots``: per dim, the columns, weights and validity of each row's terms), so an inf
    or NaN reaches only the outputs that read it."""
    k = len(mats)
    for i, m in enumerate(mats):
        axis = a.ndim - k + i
        cols, weights, valid = slots[i] if slots is not None else _nonzero_slots(xp, m)
        shape = [1] * a.ndim
        shape[axis] = m.shape[0]
        out = xp.zeros(a.shape[:axis] + (m.shape[0],) + a.shape[axis + 1:], a.dtype)
        for j in range(cols.shape[1]):
            term = xp.take(a, cols[:, j], axis=axis) * weights[:, j].reshape(shape)
            out += xp.where(valid[:, j].reshape(shape), term, 0)  # a padding slot adds nothing
        a = out
    return a


# ------------------------------------------------------------------ arguments
def _ints(value, k, what, op):
    """An int or a sequence of 1 or k ints, as a k-tuple (PyTorch's rule for pooling arguments)."""
    if isinstance(value, bool) or isinstance(value, float) or isinstance(value, Tensor):
        raise error(TypeError, op, f"argument '{what}' must be tuple of ints, not {type(value).__name__}",
                    f"{what} es un entero o una tupla de {k} enteros")
    if hasattr(value, "__index__"):
        return (int(value.__index__()),) * k
    try:
        values = tuple(int(v.__index__()) for v in value)
    except (TypeError, AttributeError):
        raise error(TypeError, op, f"argument '{what}' must be tuple of ints, not {type(value).__name__}",
                    f"{what} es un entero o una tupla de {k} enteros") from None
    if len(values) == 1:
        return values * k
    if len(values) != k:
        two = {1: "one int", 2: "two ints"}[k]
        raise error(RuntimeError, op, f"{op}: {what} must either be a single int, or a tuple of {two}",
                    f"{what} es un entero o una tupla de {k} enteros")
    return values


def _check_input(input, k, op):
    if not isinstance(input, Tensor):
        raise error(TypeError, op, f"{op}(): argument 'input' (position 1) must be Tensor, not "
                    f"{type(input).__name__}", "convierte los datos con profundo.tensor(...)")
    shape = tuple(input._data.shape)
    if len(shape) not in (k + 1, k + 2) or 0 in shape[len(shape) - k - 1:]:
        raise error(RuntimeError, op, f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with optional 0 dim "
                    f"batch size for input, but got: {list(shape)}",
                    f"la entrada es (C, {'L' if k == 1 else 'H, W'}) o un lote (N, C, {'L' if k == 1 else 'H, W'})")
    return shape


def _out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's ``pooling_output_shape``: with ``ceil_mode`` the last window may stick out on the right,
    but must start inside the input or the left padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_args(op, input, kernel_size, stride, padding, dilation, ceil_mode, k):
    shape = _check_input(input, k, op)
    ks = _ints(kernel_size, k, "kernel_size", op)
    st = ks if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _ints(stride, k, "stride", op)
    pad = _ints(padding, k, "padding", op)
    dil = _ints(dilation, k, "dilation", op)
    hint = "revisa kernel_size, stride, padding y dilation de la capa de pooling"
    if min(st) == 0:
        raise error(RuntimeError, op, "stride should not be zero", hint)
    if min(st) < 0:
        raise error(RuntimeError, op, f"stride should be greater than zero, but got stride {st}", hint)
    if min(dil) <= 0:
        raise error(RuntimeError, op, f"dilation should be greater than zero, but got dilation {dil}", hint)
    if min(pad) < 0:
        raise error(RuntimeError, op, f"pad must be non-negative, but got pad: {min(pad)}", hint)
    for p, kk, d in zip(pad, ks, dil):
        if p > (d * (kk - 1) + 1) // 2 or kk <= 0:
            raise error(RuntimeError, op, f"pad should be at most half of effective kernel size, but got pad={p}, "
                        f"kernel_size={kk} and dilation={d}",
                        "el relleno (padding) no puede pasar de la mitad del tamaño de la ventana")
    sizes = shape[-k:]
    out = tuple(_out_size(n, kk, s, p, d, ceil_mode) for n, kk, s, p, d in zip(sizes, ks, st, pad, dil))
    if min(out) < 1:
        planes = shape[-k - 1]
        raise error(RuntimeError, op, f"Given input size: ({'x'.join(map(str, (planes,) + sizes))}). Calculated "
                    f"output size: ({'x'.join(map(str, (planes,) + out))}). Output size is too small",
                    "la ventana es más grande que la entrada (con su padding): reduce kernel_size o revisa "
                    "el tamaño que llega a esta capa")
    return ks, st, pad, dil, out


# ------------------------------------------------------------------ max pooling
def _max_pool(op, k, input, kernel_size, stride, padding, dilation, ceil_mode):
    ks, st, pad, dil, out = _pool_args(op, input, kernel_size, stride, padding, dilation, ceil_mode, k)
    if input._data.dtype.kind not in "fiu":
        raise error(NotImplementedError, op, f'"{op}" not implemented for \'{_tname(input)}\'',
                    "convierte la entrada a flotante con .float()")
    return MaxPool.apply(input, ks, st, pad, dil, out)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value of each window of the last dim; with ``return_indices`` also where it was."""
    values, indices = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The largest value of each window of the last two dims; with ``return_indices`` also where it was
    (its flat position ``h * W + w`` in the plane)."""
    values, indices = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (values, indices) if return_indices else values


# ------------------------------------------------------------------ average pooling
def _divisor(xp, sizes, ks, st, pad, out, count_include_pad, divisor_override, dtype):
    """PyTorch's divisor of each window: its size clipped to the padded input (``count_include_pad``),
    or to the input itself; the product of one factor per dim."""
    if divisor_override is not None:
        return xp.asarray(divisor_override, dtype)
    div = xp.ones((1,) * len(out), dtype)
    for i, (n, kk, s, p, o) in enumerate(zip(sizes, ks, st, pad, out)):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + kk, n + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        div = div * (end - start).astype(dtype).reshape((-1,) + (1,) * (len(out) - 1 - i))
    return div


def _avg_pool(op, k, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    ks, st, pad, _, out = _pool_args(op, input, kernel_size, stride, padding, 1, ceil_mode, k)
    if not input.is_floating_point():
        raise error(NotImplementedError, op, f"{op} of an integer tensor ({input.dtype}) is not supported",
                    "convierte la entrada a flotante con .float()")
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, int):
            raise error(TypeError, op, f"divisor_override must be an int, got {type(divisor_override).__name__}",
                        "divisor_override es un entero distinto de cero")
        if divisor_override == 0:
            raise error(RuntimeError, op, "divisor must be not zero", "divisor_override no puede ser 0")
    xp = backend_of(input).xp
    div = _divisor(xp, input._data.shape[-k:], ks, st, pad, out, count_include_pad, divisor_override,
                   input._data.dtype)
    return AvgPool.apply(input, ks, st, pad, out, div)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean of each window of the last dim."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean of each window of the last two dims."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


# ------------------------------------------------------------------ adaptive pooling
def _adaptive_bounds(xp, n, out):
    """PyTorch's adaptive windows: output ``o`` covers ``[floor(o n / out), ceil((o + 1) n / out))``."""
    o = xp.arange(out)
    return (o * n) // out, -((-(o + 1) * n) // out)


def _adaptive_size(op, input, output_size, k):
    shape = tuple(input._data.shape)
    if len(shape) not in (k + 1, k + 2):
        raise error(RuntimeError, op, f"{op}(): Expected {k + 1}D or {k + 2}D tensor, but got {list(shape)}",
                    f"la entrada es (C, {'L' if k == 1 else 'H, W'}) o un lote (N, C, ...)")
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != k:
            raise error(RuntimeError, op, f"{op}: output_size must be {k}", f"da {k} tamaños de salida")
        sizes = tuple(shape[len(shape) - k + i] if s is None else s for i, s in enumerate(output_size))
    else:
        sizes = (output_size,) * k
    if any(isinstance(s, bool) or not hasattr(s, "__index__") for s in sizes):
        raise error(TypeError, op, f"output_size must be ints (or None), got {output_size!r}",
                    "output_size es un entero o una tupla de enteros")
    sizes = tuple(int(s.__index__()) for s in sizes)
    if min(sizes) < 0:
        raise error(RuntimeError, op, f"{op}: elements of output_size must be greater than or equal to 0 but "
                    f"received {sizes}", "los tamaños de salida no pueden ser negativos")
    if 0 in shape[len(shape) - k - 1:]:
        raise error(RuntimeError, op, f"{op}(): Expected input to have non-zero size for non-batch dimensions, "
                    f"but input has sizes {list(shape)}", "solo la dimensión del lote puede estar vacía")
    return sizes


def _adaptive_avg(op, k, input, output_size):
    if not isinstance(input, Tensor):
        raise error(TypeError, op, f"input must be a Tensor, got {type(input).__name__}",
                    "convierte los datos con profundo.tensor(...)")
    out = _adaptive_size(op, input, output_size, k)
    if not input.is_floating_point():
        raise error(NotImplementedError, op, f'"{op}" not implemented for \'{input.dtype}\'',
                    "convierte la entrada a flotante con .float()")
    xp = backend_of(input).xp
    dt = input._data.dtype
    mats, slots = [], []
    for n, o in zip(input._data.shape[-k:], out):
        # row o averages its window: 1 / (window size) on the window's columns, 0 elsewhere
        start, end = _adaptive_bounds(xp, n, o)
        j = xp.arange(n)
        inside = (j >= start[:, None]) & (j < end[:, None])
        mats.append((inside / (end - start)[:, None]).astype(dt))
        span = int((end - start).max()) if o else 0
        cols = start[:, None] + xp.arange(span)
        valid = cols < end[:, None]
        slots.append((xp.minimum(cols, n - 1), (valid / (end - start)[:, None]).astype(dt), valid))
    return SeparableMap.apply(input, tuple(mats), tuple(slots))


def adaptive_avg_pool1d(input, output_size):
    """Average pooling whose windows are chosen so that the output has ``output_size`` positions."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to an output of ``output_size`` (``(1, 1)``: the global average of each channel)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def _adaptive_max(op, k, input, output_size):
    if not isinstance(input, Tensor):
        raise error(TypeError, op, f"input must be a Tensor, got {type(input).__name__}",
                    "convierte los datos con profundo.tensor(...)")
    out = _adaptive_size(op, input, output_size, k)
    if input._data.dtype.kind != "f":
        raise error(NotImplementedError, op, f'"{op}" not implemented for \'{_tname(input)}\'',
                    "convierte la entrada a flotante con .float()")
    xp = backend_of(input).xp
    sizes = input._data.shape[-k:]
    if 0 in out:
        empty = xp.zeros(input._data.shape[:-k] + out, input._data.dtype)
        return Tensor._make(empty), Tensor._make(empty.astype(xp.int64))
    # every window as the in-plane positions of its candidates, padded to the longest window by
    # repeating its last position (a repeat changes neither the max nor the first index of it)
    coords = []
    for n, o in zip(sizes, out):
        start, end = _adaptive_bounds(xp, n, o)
        span = int((end - start).max())
        coords.append(xp.minimum(start[:, None] + xp.arange(span), end[:, None] - 1))  # (o, span)
    if k == 1:
        positions = coords[0]
    else:
        h, w = coords
        positions = (h[:, None, :, None] * sizes[1] + w[None, :, None, :]).reshape(out + (-1,))
    return WindowMax.apply(input, positions, k)


def _tname(t):
    return scalar_type_name(t._data.dtype)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    values, indices = adaptive_max_pool1d_with_indices(input, output_size)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to an output of ``output_size``; with ``return_indices`` also where each max was."""
    values, indices = adaptive_max_pool2d_with_indices(input, output_size)
    return (values, indices) if return_indices else values


# ------------------------------------------------------------------ max_unpool
def _max_unpool(op, k, input, indices, kernel_size, stride, padding, output_size):
    _check_input(input, k, op)
    ks = _ints(kernel_size, k, "kernel_size", op)
    st = ks if stride is None else _ints(stride, k, "stride", op)
    pad = _ints(padding, k, "padding", op)
    if not isinstance(indices, Tensor) or indices._data.dtype.name != "int64":
        raise error(RuntimeError, op, "elements in indices should be type int64 but got: "
                    f"{getattr(indices, 'dtype', type(indices).__name__)}",
                    "pasa los índices que devuelve max_pool con return_indices=True")
    if tuple(indices.shape) != tuple(input.shape):
        raise error(RuntimeError, op, f"Expected shape of indices to be same as that of the input tensor "
                    f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}",
                    "los índices deben tener la misma forma que la entrada")
    shape = tuple(input._data.shape)
    default = tuple((n - 1) * s - 2 * p + kk for n, s, p, kk in zip(shape[-k:], st, pad, ks))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)[-k:]
        if len(out) != k:
            raise error(ValueError, op, f"output_size should be a sequence containing {k} or {k + 2} elements, "
                        f"but it has a length of '{len(tuple(output_size))}'", "da el tamaño (H, W) de salida")
        for o, d, s in zip(out, default, st):
            if not d - s < o < d + s:
                raise error(ValueError, op, f"invalid output_size \"{out}\" (dim must be between {d - s + 1} and "
                            f"{d + s - 1})", "usa el tamaño de la entrada original del max_pool")
    plane = math.prod(out)
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise error(RuntimeError, op, f"Found an invalid max index: {int(idx.max())} (output volumes are of size "
                    f"{'x'.join(map(str, out))})", "los índices no corresponden a este tamaño de salida")
    return MaxUnpool.apply(input, idx, shape[:-k] + out, k)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d``: each value back at the position its index names, zeros elsewhere."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


# ------------------------------------------------------------------ interpolate
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
_SUPPORTED = ("nearest", "nearest-exact", "linear", "bilinear")


def _interp_matrix(xp, n, out, mode, align_corners, scale, dtype):
    """The (out, n) matrix of one resized dim: row o holds the weights of the input positions that
    output position o reads (PyTorch's source-index rules); and the same as slots (the columns and
    weights of each row) for ``_separable_gather``."""
    o = xp.arange(out)
    m = xp.zeros((out, n), dtype)
    # PyTorch's scale: 1 / scale_factor when one was given, else in/out
    ratio = (1.0 / scale) if scale is not None else n / out
    if mode in ("nearest", "nearest-exact"):
        # computed in float32 as PyTorch does, so the floors agree at the edges
        r = xp.float32(ratio)
        src = o.astype(xp.float32) + (xp.float32(0.5) if mode == "nearest-exact" else xp.float32(0))
        src = xp.minimum(xp.floor(src * r).astype(xp.int64), n - 1)
        m[o, src] = 1
        return m, (src[:, None], xp.ones((out, 1), dtype), xp.ones((out, 1), bool))
    # in the input's dtype, as PyTorch computes the source positions (float32 for float32)
    t = xp.dtype(dtype).type
    if align_corners:
        src = o.astype(dtype) * t((n - 1) / (out - 1) if out > 1 else 0)
    else:
        src = xp.maximum(t(ratio) * (o.astype(dtype) + t(0.5)) - t(0.5), t(0))
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), n - 1)
    i1 = xp.minimum(i0 + 1, n - 1)
    lam = xp.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    m[o, i0] += 1 - lam
    m[o, i1] += lam
    # PyTorch reads both neighbours even when a weight is 0 (so 0 * inf gives NaN there too)
    return m, (xp.stack([i0, i1], 1), xp.stack([1 - lam, lam], 1), xp.ones((out, 2), bool))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of an (N, C, L) or (N, C, H, W) tensor: ``mode`` ``'nearest'``,
    ``'nearest-exact'``, ``'linear'`` (3-D) or ``'bilinear'`` (4-D), to ``size`` or by ``scale_factor``."""
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise error(TypeError, op, f"input must be a Tensor, got {type(input).__name__}",
                    "convierte los datos con profundo.tensor(...)")
    ndim = input.dim()
    if mode not in _MODES:
        raise error(NotImplementedError, op, f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                    f"{ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                    f"nearest-exact (got {mode})", "usa mode='nearest' o 'bilinear'")
    if align_corners is not None and mode not in ("linear", "bilinear", "bicubic", "trilinear"):
        raise error(ValueError, op, "align_corners option can only be set with the interpolating modes: "
                    "linear | bilinear | bicubic | trilinear", "quita align_corners con mode='nearest'")
    if antialias and not (mode in ("bilinear", "bicubic") and ndim == 4):
        raise error(ValueError, op, "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                    "requires a 4-D tensor as input", "quita antialias=True")
    k = ndim - 2
    if (size is None) == (scale_factor is None):
        raise error(ValueError, op, "only one of size or scale_factor should be defined" if size is not None
                    else "either size or scale_factor should be defined", "da size o scale_factor (solo uno)")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * max(k, 0)
        if len(sizes) != k:
            raise error(ValueError, op, f"Input and output must have the same number of spatial dimensions, but "
                        f"got input with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                        "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                        "(o1, o2, ...,oK) format.", "la entrada es (N, C, H, W) y size es (H, W)")
        if recompute_scale_factor:
            raise error(ValueError, op, "recompute_scale_factor is not meaningful with an explicit size.",
                        "quita recompute_scale_factor cuando das size")
        sizes = tuple(int(s) for s in sizes)
        scales = (None,) * k
    else:
        scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * max(k, 0)
        if len(scales) != k:
            raise error(ValueError, op, f"Input and scale_factor must have the same number of spatial dimensions, "
                        f"but got input with spatial dimensions of {list(input.shape[2:])} and scale_factor of "
                        f"shape {scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                        "scale_factor in (s1, s2, ...,sK) format.", "da un factor por dimensión espacial")
        scales = tuple(float(s) for s in scales)
        sizes = tuple(int(math.floor(n * s)) for n, s in zip(input.shape[2:], scales))
        if recompute_scale_factor:  # the scales follow from the sizes, as if size had been given
            scales = (None,) * k
    if antialias:
        raise error(NotImplementedError, op, "antialias=True is not supported by profundo",
                    "quita antialias=True (solo cambia algo al reducir la imagen)")
    if mode not in _SUPPORTED:
        raise error(NotImplementedError, op, f"mode {mode!r} is not supported by profundo; supported: "
                    f"{', '.join(_SUPPORTED)}", "usa mode='nearest' o 'bilinear'")
    need = {"linear": 1, "bilinear": 2}.get(mode)
    if need is not None and k != need:
        raise error(NotImplementedError, op, f"Got {ndim}D input, but {mode} mode needs {need + 2}D input",
                    "linear es para (N, C, L) y bilinear para (N, C, H, W)")
    if k not in (1, 2):
        raise error(NotImplementedError, op, f"Input Error: profundo's interpolate supports 3D and 4D inputs "
                    f"(got {ndim}D)", "la entrada es (N, C, L) o (N, C, H, W)")
    if not input.is_floating_point():
        raise error(NotImplementedError, op, f'"upsample_{mode}{k}d" not implemented for \'{_tname(input)}\'',
                    "convierte la entrada a flotante con .float()")
    if min(sizes) <= 0 or 0 in input.shape[1:]:
        raise error(RuntimeError, op, f"Input and output sizes should be greater than 0, but got input "
                    f"{list(input.shape[2:])} and output {list(sizes)}", "el tamaño de salida debe ser positivo")
    xp = backend_of(input).xp
    built = [_interp_matrix(xp, n, o, mode, bool(align_corners), s, input._data.dtype)
             for n, o, s in zip(input.shape[2:], sizes, scales)]
    return SeparableMap.apply(input, tuple(m for m, _ in built), tuple(sl for _, sl in built))
