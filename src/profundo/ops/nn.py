"""Neural-network ops fused into one graph node each, as PyTorch's
``AddmmBackward0``, ``NllLossBackward0`` and ``BinaryCrossEntropyBackward0``.

``Addmm`` is ``x @ W^T + b``; ``NllLoss`` picks ``-logp[i, target[i]]``, with
class weights, ``ignore_index`` and the reduction; ``BinaryCrossEntropy`` is
the elementwise BCE on probabilities; ``LeakyRelu`` is leaky_relu.  Their backwards are written with
profundo ops, so they are differentiable too (``create_graph=True``).
"""
import math

from .._backend import backend_of
from ._base import _GRAD, Op, Tensor, error


class Addmm(Op):
    """``x @ weight.T + bias`` for x of shape (..., in) and weight (out, in)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        a, w = x._data, weight._data
        if a.ndim > 2:
            # (..., in) as one (rows, in) matrix: one BLAS product instead of NumPy's loop over the
            # leading dims (2.3x on (32, 32, 64) @ (64, 192), a Transformer's projection)
            out = (a.reshape(math.prod(a.shape[:-1]), a.shape[-1]) @ w.T).reshape(a.shape[:-1] + (w.shape[0],))
        else:
            out = a @ w.T
        if bias is not None:
            out += bias._data  # in place on the fresh result: no temporary
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        rows = math.prod(g.shape[:-1])  # not reshape(-1, 0): -1 is ambiguous when a feature count is 0
        g2 = g.reshape(rows, g.shape[-1])
        gx = None
        if nx:  # (the 2-D product for N-D inputs: see forward)
            gx = g @ weight if g.dim() <= 2 else (g2 @ weight).reshape(x.shape)
        gw = g2.mT @ x.reshape(rows, x.shape[-1]) if nw else None
        gb = g2.sum(0) if nb else None
        return gx, gw, gb


class NllLoss(Op):
    """Mean/sum/none of ``-w[t_i] * logp[i, t_i]`` over rows i of a (M, C) input whose target is not ignored."""

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        xp = backend_of(logp).xp
        t = target._data
        keep = t != ignore_index
        safe = xp.where(keep, t, 0)
        rows = xp.arange(len(t))
        w = keep.astype(logp._data.dtype)
        if weight is not None:
            w *= weight._data[safe]
        ctx.rows, ctx.safe, ctx.w, ctx.shape, ctx.reduction = rows, safe, w, logp._data.shape, reduction
        losses = -logp._data[rows, safe] * w
        if reduction == "none":
            return losses
        total = losses.sum(dtype=logp._data.dtype)
        if reduction == "mean":
            ctx.denom = w.sum(dtype=logp._data.dtype)
            return xp.asarray(total / ctx.denom, dtype=logp._data.dtype)
        return xp.asarray(total, dtype=logp._data.dtype)

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        scale = Tensor._make(-ctx.w)  # d loss_i / d logp[i, t_i]
        if ctx.reduction == "mean":
            scale = scale / Tensor._make(ctx.denom)
        per_row = scale * g
        index = Tensor._make(ctx.safe.reshape(-1, 1))
        zeros = Tensor._make(xp.zeros(ctx.shape, per_row._data.dtype))
        return zeros.scatter(1, index, per_row.reshape(-1, 1)), None, None, None, None


class CrossEntropy(Op):
    """Cross-entropy of (N, C) logits ``x`` and class indices ``target`` with no class
    weights and no ignored rows: ``-log_softmax(x)[i, target[i]]``, then the reduction.
    One node, as PyTorch's fused kernel, so that its gradient is one formula,
    ``(softmax(x) - onehot(target)) * g`` (``/ N`` for the mean), instead of
    log_softmax's and nll_loss's backwards chained (``F.cross_entropy`` takes the
    general path, log_softmax then nll_loss, for weights, ignored rows or label smoothing).
    Forward + backward, float32, 1 thread: (256, 10) logits (the MLP's) 168 -> 88 us (torch 104);
    (1120, 28) (d2l's RNN) 307 -> 206 us (torch 100: NumPy's exp and broadcasts over short rows);
    the backend's ``cross_entropy`` kernel (numpy.py) took more off since."""

    @staticmethod
    def forward(ctx, x, target, reduction):
        be = backend_of(x)
        xp = be.xp
        t = target._data
        losses, p = be.cross_entropy(x._data, t)  # p = softmax(x) comes along, kept for backward
        ctx.save_for_backward(x)
        ctx.p, ctx.target, ctx.reduction = p, t, reduction
        if reduction == "none":
            return losses
        total = losses.sum(dtype=losses.dtype)
        return xp.asarray(total / losses.dtype.type(len(t)) if reduction == "mean" else total, dtype=losses.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return CrossEntropyGrad.apply(g, x, ctx.p, ctx.target, ctx.reduction), None, None


class CrossEntropyGrad(Op):
    """``(p - onehot(target)) * g`` with ``p = softmax(x)``: the cross-entropy's backward
    as one op (the backend's ``cross_entropy_backward``), itself differentiable."""

    node_name = "CrossEntropyBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, p, target, reduction):
        ctx.save_for_backward(g, x)
        ctx.target, ctx.reduction = target, reduction
        return backend_of(g).cross_entropy_backward(g._data, p, target, reduction)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        xp = backend_of(x).xp
        p = x.softmax(1)
        onehot = xp.zeros(x._data.shape, x._data.dtype)
        onehot[xp.arange(len(ctx.target)), ctx.target] = 1
        d = p - Tensor._make(onehot)  # the gradient for g = 1
        n = x.shape[0]
        if ctx.reduction == "none":
            scale, grad_g = g.reshape(-1, 1), (gg * d).sum(1)
        else:
            scale, grad_g = (g / n, (gg * d).sum() / n) if ctx.reduction == "mean" else (g, (gg * d).sum())
        v = gg * scale  # and through p = softmax(x): softmax's backward of v
        grad_x = p * (v - (v * p).sum(1, keepdim=True))
        return grad_g, grad_x, None, None, None


class BinaryCrossEntropy(Op):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``, each log clamped at -100 (PyTorch's rule).

    One op so that its gradient is PyTorch's ``(p - t) / max(p (1 - p), 1e-12)``:
    finite even at p = 0 or 1, where the clamped logs alone would give 0 * inf.
    """

    @staticmethod
    def forward(ctx, p, t):
        xp = backend_of(p).xp
        ctx.save_for_backward(p, t)
        log_p = xp.maximum(xp.log(p._data), -100)
        log_1p = xp.maximum(xp.log1p(-p._data), -100)
        return -(t._data * log_p + (1 - t._data) * log_1p)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        gp = g * (p - t) / (p * (1 - p)).clamp(min=1e-12)
        gt = g * ((1 - p).log().clamp(min=-100) - p.log().clamp(min=-100)) if ctx.needs_input_grad[1] else None
        return gp, gt


class LeakyRelu(Op):
    """``x`` where x > 0, else ``negative_slope * x`` (the backend's ``leaky_relu`` kernel)."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        a = x._data
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return backend_of(x).leaky_relu(a, negative_slope)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if not _GRAD.enabled:  # a first-order backward records nothing: LeakyReluGrad's kernel straight
            return Tensor._make(backend_of(g).leaky_relu_backward(g._data, x._data, ctx.negative_slope)), None
        return LeakyReluGrad.apply(g, x, ctx.negative_slope), None


class LeakyReluGrad(Op):
    """``g`` where x > 0, else ``negative_slope * g``: leaky_relu's backward (linear in g)."""

    node_name = "LeakyReluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        return backend_of(g).leaky_relu_backward(g._data, x._data, negative_slope)

    @staticmethod
    def backward(ctx, gg):
        (x,) = ctx.saved_tensors
        return LeakyReluGrad.apply(gg, x, ctx.negative_slope), None, None


# ------------------------------------------------------------------ padding
# F.pad(x, pad, mode): ``pad`` lists (left, right) amounts from the LAST dim backwards:
# (left_W, right_W, left_H, right_H, ...).  A negative amount crops.
#
# constant:  a frame of ``value``; the input is copied into the middle (slices).
# reflect / replicate / circular: each output position along a padded dim copies one
#   input position; ``_source_index`` gives that position for every output position,
#   so the forward is ``take`` along each padded dim and the backward adds each output
#   gradient back to the position it was copied from (``np.add.at``: mirrored and edge
#   positions receive several contributions).
PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(n, left, right, mode, xp):
    """For each output position along a dim of size ``n``: the input position it copies."""
    if mode == "circular":  # crop first (negative pads), then wrap around what is left
        lo = max(-left, 0)
        kept = n - lo - max(-right, 0)
        j = xp.arange(-max(left, 0), kept + max(right, 0))
        return lo + (j % kept if kept else j)
    j = xp.arange(-left, n + right)  # output position j shows input position j (when inside)
    if mode == "reflect":  # -j left of 0, 2(n-1) - j right of n-1 (the edge is not repeated)
        return (n - 1) - xp.abs((n - 1) - xp.abs(j))
    return xp.clip(j, 0, n - 1)  # replicate: the edge value


def _constant_slices(shape, plan):
    """The region of the input kept (cropped by negative pads) and where it lands in the output."""
    src, dst = [slice(None)] * len(shape), [slice(None)] * len(shape)
    for d, left, right in plan:
        start, stop = max(-left, 0), shape[d] - max(-right, 0)
        src[d] = slice(start, stop)
        dst[d] = slice(max(left, 0), max(left, 0) + stop - start)
    return tuple(src), tuple(dst)


def _padded_shape(shape, plan):
    out = list(shape)
    for d, left, right in plan:
        out[d] = shape[d] + left + right
    return tuple(out)


def _untake(g, index, n, axis):
    """The adjoint of ``take(a, index, axis)``: each ``g`` slice added back at ``index`` (repeats add up)."""
    xp = backend_of(g).xp
    moved = xp.moveaxis(g, axis, 0)
    out = xp.zeros((n,) + moved.shape[1:], g.dtype)
    backend_of(g).scatter_add(out, index, moved)
    return xp.moveaxis(out, 0, axis)


class Pad(Op):
    """``F.pad``; ``plan`` is a tuple of (dim, left, right), already checked."""

    node_name = "PadBackward0"

    @staticmethod
    def forward(ctx, x, plan, mode, value):
        xp = backend_of(x).xp
        a = x._data
        ctx.plan, ctx.mode, ctx.in_shape = plan, mode, a.shape
        if mode == "constant":
            out = xp.full(_padded_shape(a.shape, plan), value, a.dtype)
            src, dst = _constant_slices(a.shape, plan)
            out[dst] = a[src]
            return out
        for d, left, right in plan:
            a = xp.take(a, _source_index(a.shape[d], left, right, mode, xp), axis=d)
        return a

    @staticmethod
    def backward(ctx, g):
        return PadGrad.apply(g, ctx.plan, ctx.mode, ctx.in_shape), None, None, None


class PadGrad(Op):
    """Pad's backward (linear in ``g``): the output gradient summed back onto the input
    positions each output position copied; itself differentiable (its adjoint is Pad again)."""

    node_name = "PadBackwardBackward0"

    @staticmethod
    def forward(ctx, g, plan, mode, in_shape):
        xp = backend_of(g).xp
        ga = g._data
        ctx.plan, ctx.mode = plan, mode
        if mode == "constant":  # the frame got no input: only the copied region has a gradient
            out = xp.zeros(in_shape, ga.dtype)
            src, dst = _constant_slices(in_shape, plan)
            out[src] = ga[dst]
            return out
        for d, left, right in reversed(plan):
            ga = _untake(ga, _source_index(in_shape[d], left, right, mode, xp), in_shape[d], d)
        return ga

    @staticmethod
    def backward(ctx, gg):
        return Pad.apply(gg, ctx.plan, ctx.mode, 0), None, None, None


def _pad_amounts(pad):
    """``pad`` as a tuple of Python ints (PyTorch accepts a tuple, list or Size of ints)."""
    if isinstance(pad, Tensor) or not isinstance(pad, (tuple, list)):
        raise error(TypeError, "pad", f"argument 'pad' must be tuple of ints, not {type(pad).__name__}",
                    "pad es una tupla (izq, der) por dimensión, empezando por la última: p. ej. (1, 1, 2, 2)")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, bool) or not hasattr(p, "__index__"):
            raise error(TypeError, "pad", f"argument 'pad' must be tuple of ints, but found element of type "
                        f"{type(p).__name__} at pos {i}", "los márgenes son enteros, p. ej. (1, 1)")
        out.append(int(p.__index__()))
    return tuple(out)


def _pad_value(value, x):
    """The fill value of constant padding, as PyTorch converts it to the input's dtype."""
    xp = backend_of(x).xp
    if value is None:
        return 0
    if isinstance(value, Tensor) or not isinstance(value, (int, float, bool)) and not hasattr(value, "__float__"):
        raise error(TypeError, "pad", f"argument 'value' must be float, not {type(value).__name__}",
                    "value es un número, p. ej. value=0.0")
    dt = x._data.dtype
    if dt.kind in "iu":
        info = xp.iinfo(dt)
        if not (xp.isfinite(value) and info.min <= value <= info.max):
            raise error(RuntimeError, "pad", f"value cannot be converted to type {dt.name} without overflow "
                        f"(value {value})", f"elige un valor que quepa en {dt.name}")
        return int(value)  # truncated toward zero, as PyTorch
    return value


def pad(input, pad, mode="constant", value=None):
    """Pad (or crop, with negative amounts) the last ``len(pad) // 2`` dims of ``input``."""
    if mode not in PAD_MODES:
        raise error(NotImplementedError, "pad", f"Unrecognised padding mode {mode}",
                    "los modos son 'constant', 'reflect', 'replicate' y 'circular'")
    amounts = _pad_amounts(pad)
    ndim, shape = input._data.ndim, tuple(input._data.shape)
    if len(amounts) % 2:
        raise error(RuntimeError, "pad", "Padding length must be divisible by 2",
                    "da un par (izquierda, derecha) por dimensión")
    k = len(amounts) // 2
    if k > ndim:
        raise error(RuntimeError, "pad", f"Padding length should be less than or equal to two times the input "
                    f"dimension but got padding length {len(amounts)} and input of dimension {ndim}",
                    "hay más pares (izq, der) que dimensiones en la entrada")
    # pair i pads dim -1 - i
    plan = tuple((ndim - 1 - i, amounts[2 * i], amounts[2 * i + 1]) for i in range(k))
    if mode == "constant":
        for d, left, right in plan:
            if shape[d] - max(-left, 0) - max(-right, 0) < 0:  # PyTorch crops each side in turn
                raise error(RuntimeError, "pad", f"narrow(): length must be non-negative. (padding "
                            f"({left}, {right}) of dim {d} of size {shape[d]} in input {list(shape)})",
                            "los márgenes negativos recortan: no se puede recortar más de lo que hay")
        return Pad.apply(input, plan, mode, _pad_value(value, input))
    _check_nonconstant(mode, value, plan, shape, input)
    return Pad.apply(input, plan, mode, None)


def _check_nonconstant(mode, value, plan, shape, input):
    """PyTorch's rules for reflect/replicate/circular: the last 1-3 dims, with 1 or 2 leading dims."""
    ndim, k = len(shape), len(plan)
    if value is not None and value != 0:
        raise error(RuntimeError, "pad", f'Padding mode "{mode}" doesn\'t take in value argument',
                    "value solo sirve con mode='constant'")
    if not 1 <= k <= 3 or ndim not in (k + 1, k + 2):
        raise error(NotImplementedError, "pad", f"Padding size {2 * k} is not supported for {ndim}D input tensor.",
                    f"con mode='{mode}' se rellenan 1, 2 o 3 dimensiones finales de una entrada con 1 o 2 "
                    "dimensiones delante (p. ej. (N, C, H, W) con pad de 4 números)")
    if mode in ("reflect", "replicate"):
        kind = "reflection" if mode == "reflect" else "replication"
        if input._data.dtype.kind == "b":
            raise error(NotImplementedError, "pad", f'"{kind}_pad{k}d" not implemented for \'Bool\'',
                        "convierte la entrada con .float() o usa mode='constant'")
        if 0 in shape[ndim - k - 1:]:  # only a leading batch dim may be empty
            raise error(RuntimeError, "pad", f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                        f"batch size and other non-zero dimensions for input, but got: {list(shape)}",
                        "solo la dimensión del lote puede estar vacía")
    for i, (d, left, right) in enumerate(plan):
        n = shape[d]
        if mode == "reflect" and (left >= n or right >= n):
            raise error(RuntimeError, "pad", f"Argument #{4 + 2 * i}: Padding size should be less than the "
                        f"corresponding input dimension, but got: padding ({left}, {right}) at dimension {d} of "
                        f"input {list(shape)}", "con reflect, cada margen debe ser menor que el tamaño de la dimensión")
        if mode == "circular":
            kept = n - max(-left, 0) - max(-right, 0)
            if kept < 0:
                raise error(RuntimeError, "pad", f"Negative padding value is resulting in an empty dimension "
                            f"(padding ({left}, {right}) of dimension {d} of size {n})",
                            "los márgenes negativos recortan: no se puede recortar más de lo que hay")
            if left > kept or right > kept:
                raise error(RuntimeError, "pad", f"Padding value causes wrapping around more than once. (padding "
                            f"({left}, {right}) at dimension {d}, which keeps {kept} of its {n} elements)",
                            "con circular, cada margen debe ser como mucho el tamaño de la dimensión")
    sizes = [shape[d] + left + right for d, left, right in plan]
    if mode != "circular" and (min(sizes) < 0 or max(sizes) < 1):  # some padded dim must stay non-empty
        raise error(RuntimeError, "pad", f"input {list(shape)} is too small. Calculated output sizes of the padded "
                    f"dims: {sizes[::-1]}", "los márgenes negativos dejan la salida vacía")
