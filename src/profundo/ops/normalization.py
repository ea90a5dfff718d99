"""Normalization (Unit 2): batch norm, layer norm, group norm; and channel dropout.

All three normalize ``xhat = (x - mean) / sqrt(var + eps)`` with the mean and the biased
variance over some axes, then scale and shift, ``y = weight * xhat + bias``:

- batch norm: over the batch and the spatial dims, per channel (axis 1); in eval mode the
  running statistics replace the batch's;
- layer norm: over the last dims (``normalized_shape``), per example;
- group norm: over each group of channels (and the spatial dims), per example.

Each is one op whose backward is the closed form (``normalize_backward`` in the backend):
with ``dxhat = g * weight`` and n the number of elements in a statistic,

    dL/dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))

because ``d mean / dx_i = 1/n`` and ``d invstd / dx_i = -invstd * xhat_i / n``; and
``dL/dweight = sum(g * xhat)``, ``dL/dbias = sum(g)`` over every axis but the parameter's.
When the graph of the backward is recorded (``create_graph=True``) the same formula is written
with tensor ops, so the gradient is differentiable again.
"""
import warnings

from .._backend import backend_of
from .._dtype import scalar_type_name
from ..autograd import grad_mode
from ._base import Op, Tensor, error

__all__ = ["batch_norm", "layer_norm", "group_norm", "dropout1d", "dropout2d"]

_GRAD = grad_mode.STATE


def _closed_form(dxhat, xhat, invstd, axes):
    """``normalize_backward`` written with tensor ops (recorded: differentiable again)."""
    return invstd * (dxhat - dxhat.mean(axes, keepdim=True) - xhat * (dxhat * xhat).mean(axes, keepdim=True))


def _tensor_stats(x, axes, eps):
    """``xhat`` and ``invstd`` of ``x`` over ``axes``, with tensor ops (for the recorded backward)."""
    mean = x.mean(axes, keepdim=True)
    d = x - mean
    invstd = ((d * d).mean(axes, keepdim=True) + eps).rsqrt()
    return d * invstd, invstd


def _arr(t):
    return None if t is None else t._data


class BatchNorm(Op):
    """``(x - mean) * invstd * weight + bias`` per channel (axis 1 of (N, C, ...)).  ``mean`` and
    ``invstd`` are arrays of shape (C,): the batch's statistics (``training``: they depend on x) or the
    running ones (constants)."""

    node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, mean, invstd, training, eps):
        ctx.save_for_backward(x, weight)
        ctx.mean, ctx.invstd, ctx.training, ctx.eps = mean, invstd, training, eps
        return backend_of(x).batch_norm(x._data, mean, invstd, _arr(weight), _arr(bias))

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        _, need_w, need_b = ctx.needs_input_grad[:3]
        if _GRAD.enabled:  # create_graph: the closed form with tensor ops
            axes = (0,) + tuple(range(2, x.dim()))
            shape = (1, -1) + (1,) * (x.dim() - 2)
            if ctx.training:
                xhat, invstd = _tensor_stats(x, axes, ctx.eps)
            else:
                invstd = Tensor._make(ctx.invstd.reshape(shape))
                xhat = (x - Tensor._make(ctx.mean.reshape(shape))) * invstd
            dxhat = g * weight.reshape(shape) if weight is not None else g
            dx = _closed_form(dxhat, xhat, invstd, axes) if ctx.training else dxhat * invstd
            dw = (g * xhat).sum(axes) if need_w else None
            db = g.sum(axes) if need_b else None
            return dx, dw, db, None, None, None, None
        dx, dw, db = backend_of(g).batch_norm_backward(g._data, x._data, ctx.mean, ctx.invstd, _arr(weight),
                                                       ctx.training)
        return (Tensor._make(dx), Tensor._make(dw) if need_w else None, Tensor._make(db) if need_b else None,
                None, None, None, None)


class LayerNorm(Op):
    """Normalization over the last ``k`` dims of each example, then ``weight * xhat + bias``
    (``weight``/``bias`` shaped like those dims, or None)."""

    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        be, a = backend_of(x), x._data
        axes = tuple(range(a.ndim - k, a.ndim))
        mean, var = be.norm_stats(a, axes)
        invstd = 1 / be.xp.sqrt(var + eps)
        xhat = (a - mean) * invstd
        ctx.save_for_backward(x, weight)
        ctx.xhat, ctx.invstd, ctx.axes, ctx.eps = xhat, invstd, axes, eps
        y = xhat * weight._data if weight is not None else xhat
        if bias is not None:
            y = y + bias._data
        return y.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        _, need_w, need_b = ctx.needs_input_grad[:3]
        axes = ctx.axes
        lead = tuple(range(g.dim() - len(axes)))  # the parameters are shared by every example
        if _GRAD.enabled:
            xhat, invstd = _tensor_stats(x, axes, ctx.eps)
            dxhat = g * weight if weight is not None else g
            dx = _closed_form(dxhat, xhat, invstd, axes)
            dw = (g * xhat).sum(lead) if need_w else None
            db = g.sum(lead) if need_b else None
            return dx, dw, db, None, None
        be, ga, xhat = backend_of(g), g._data, ctx.xhat
        dxhat = ga * weight._data if weight is not None else ga
        dx = be.normalize_backward(dxhat, xhat, ctx.invstd, axes).astype(ga.dtype, copy=False)
        dw = Tensor._make(be.reduce_sum(ga * xhat, lead).astype(ga.dtype, copy=False)) if need_w else None
        db = Tensor._make(be.reduce_sum(ga, lead)) if need_b else None
        return Tensor._make(dx), dw, db, None, None


class GroupNorm(Op):
    """Normalization of (N, C, ...) over each of ``groups`` groups of C/groups channels (and the
    spatial dims), per example, then ``weight * xhat + bias`` per channel."""

    node_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        be, a = backend_of(x), x._data
        grouped = a.reshape(a.shape[0], groups, -1)  # (N, G, C/G * spatial)
        mean, var = be.norm_stats(grouped, (2,))
        invstd = 1 / be.xp.sqrt(var + eps)
        xhat = ((grouped - mean) * invstd).reshape(a.shape)
        ctx.save_for_backward(x, weight)
        ctx.xhat, ctx.invstd, ctx.groups, ctx.eps = xhat, invstd, groups, eps
        shape = (1, -1) + (1,) * (a.ndim - 2)
        y = xhat * weight._data.reshape(shape) if weight is not None else xhat
        if bias is not None:
            y = y + bias._data.reshape(shape)
        return y.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        _, need_w, need_b = ctx.needs_input_grad[:3]
        n, groups = x.shape[0], ctx.groups
        shape = (1, -1) + (1,) * (x.dim() - 2)
        axes = (0,) + tuple(range(2, x.dim()))  # the per-channel parameters are shared by examples and pixels
        if _GRAD.enabled:
            xhat, invstd = _tensor_stats(x.reshape(n, groups, -1), (2,), ctx.eps)
            dxhat = g * weight.reshape(shape) if weight is not None else g
            dx = _closed_form(dxhat.reshape(n, groups, -1), xhat, invstd, (2,)).reshape(x.shape)
            xhat = xhat.reshape(x.shape)
            dw = (g * xhat).sum(axes) if need_w else None
            db = g.sum(axes) if need_b else None
            return dx, dw, db, None, None
        be, ga, xhat = backend_of(g), g._data, ctx.xhat
        dxhat = ga * weight._data.reshape(shape) if weight is not None else ga
        dx = be.normalize_backward(dxhat.reshape(n, groups, -1), xhat.reshape(n, groups, -1), ctx.invstd, (2,))
        dx = dx.reshape(ga.shape).astype(ga.dtype, copy=False)
        dw = Tensor._make(be.reduce_sum(ga * xhat, axes).astype(ga.dtype, copy=False)) if need_w else None
        db = Tensor._make(be.reduce_sum(ga, axes)) if need_b else None
        return Tensor._make(dx), dw, db, None, None


# ------------------------------------------------------------------ arguments
def _tname(t):
    return scalar_type_name(t._data.dtype)


def _check_float(op, input):
    if not isinstance(input, Tensor):
        raise error(TypeError, op, f"{op}(): argument 'input' (position 1) must be Tensor, not "
                    f"{type(input).__name__}", "convierte los datos con profundo.tensor(...)")
    if not input.is_floating_point():
        raise error(NotImplementedError, op, f'"{op}" not implemented for \'{_tname(input)}\'',
                    "convierte la entrada a flotante con .float()")


def _check_vector(op, name, t, n, input):
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise error(TypeError, op, f"{name} must be a Tensor or None, got {type(t).__name__}",
                    f"{name} es un tensor de {n} elementos")
    if t._data.size != n:
        raise error(RuntimeError, op, f"{name} should contain {n} elements not {t._data.size} "
                    f"(input shape {tuple(input.shape)})",
                    f"{name} necesita un valor por canal: {n} (input.shape[1])")
    if t._data.dtype != input._data.dtype:
        raise error(RuntimeError, op, f"mixed dtype (CPU): all inputs must share same datatype (input "
                    f"{input.dtype}, {name} {t.dtype})", "convierte el modelo con model.to(x.dtype) o x.float()")


def _verify_batch_size(shape):
    n = shape[0]
    for s in shape[2:]:
        n *= s
    if n == 1:
        raise error(ValueError, "batch_norm", f"Expected more than 1 value per channel when training, got input "
                    f"size {_size(shape)}",
                    "con un solo valor por canal no hay varianza: usa un lote mayor que 1 o model.eval()")


def _size(shape):
    return f"profundo.Size({list(shape)})"


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization of (N, C, ...) per channel.  ``training``: the batch's statistics, and the
    running ones (if given) move towards them in place, ``r = (1 - momentum) r + momentum s`` (the
    variance unbiased there, biased in the normalization, as PyTorch); otherwise the running ones."""
    op = "batch_norm"
    _check_float(op, input)
    if input.dim() < 2:
        raise error(RuntimeError, op, f"Expected at least 2 dimensions for input tensor but received {input.dim()} "
                    f"(input shape {tuple(input.shape)})", "la entrada es (N, C) o (N, C, ...)")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
        raise error(TypeError, op, f"argument 'momentum' must be float, not {type(momentum).__name__}",
                    "momentum es un número (nn.BatchNorm acepta momentum=None: media acumulada)")
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_vector(op, name, t, c, input)
    be, a = backend_of(input), input._data
    xp = be.xp
    if training:
        _verify_batch_size(a.shape)
        mean, var = be.batch_norm_stats(a)
        invstd = 1 / xp.sqrt(var + a.dtype.type(eps))
        if running_mean is not None or running_var is not None:
            n = a.size // c
            m = float(momentum)
            _moving_average(running_mean, mean, m)
            _moving_average(running_var, var * (n / (n - 1)), m)  # the unbiased variance, as PyTorch
    else:
        if running_mean is None or running_var is None:
            raise error(RuntimeError, op, "running_mean must be defined in evaluation mode",
                        "pasa running_mean y running_var, o training=True")
        mean = running_mean._data.astype(a.dtype, copy=False)
        invstd = 1 / xp.sqrt(running_var._data.astype(a.dtype, copy=False) + a.dtype.type(eps))
    return BatchNorm.apply(input, weight, bias, mean, invstd, bool(training), float(eps))


def _moving_average(running, value, momentum):
    """``running = (1 - momentum) * running + momentum * value``, written into the buffer (a statistic,
    outside the graph: its version goes up as with any in-place write)."""
    if running is None:
        return
    r = running._data
    r *= 1 - momentum
    r += (momentum * value).astype(r.dtype, copy=False)
    running._bump_version()


def _normalized_shape(op, normalized_shape):
    if isinstance(normalized_shape, bool) or not isinstance(normalized_shape, (tuple, list)) and \
            not hasattr(normalized_shape, "__len__"):
        raise error(TypeError, op, f"{op}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
                    f"{type(normalized_shape).__name__}", "normalized_shape es una tupla, p. ej. (10,)")
    return tuple(int(s) for s in normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize each example over its last dims (``normalized_shape``), then ``weight * xhat + bias``."""
    op = "layer_norm"
    _check_float(op, input)
    shape = _normalized_shape(op, normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise error(RuntimeError, op, f"Given normalized_shape={list(shape)}, expected input with shape "
                    f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}",
                    "normalized_shape son las últimas dimensiones de la entrada, p. ej. x.shape[-1:]")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise error(RuntimeError, op, f"Expected {name} to be of same shape as normalized_shape, but got {name} "
                        f"of shape {list(t.shape)} and normalized_shape = {list(shape)}",
                        f"{name} tiene la forma de normalized_shape")
    return LayerNorm.apply(input, weight, bias, k, float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize (N, C, ...) over groups of ``C / num_groups`` channels, then a per-channel affine map."""
    op = "group_norm"
    _check_float(op, input)
    if input.dim() < 2:
        raise error(RuntimeError, op, f"Expected at least 2 dimensions for input tensor but received {input.dim()}",
                    "la entrada es (N, C, ...)")
    c = input.shape[1]
    if isinstance(num_groups, bool) or not isinstance(num_groups, int) or num_groups <= 0 or c % num_groups:
        raise error(RuntimeError, op, f"Expected number of channels in input to be divisible by num_groups, but got "
                    f"input of shape {list(input.shape)} and num_groups={num_groups}",
                    "el número de canales debe ser múltiplo de num_groups")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.shape[0] != c):
            raise error(RuntimeError, op, f"Expected {name} to be a vector of size equal to the number of channels in "
                        f"input, but got {name} of shape {list(t.shape)} and input of shape {list(input.shape)}",
                        f"{name} tiene un valor por canal")
    if input._data.size == 0:
        return input * 1
    return GroupNorm.apply(input, weight, bias, num_groups, float(eps))


# ------------------------------------------------------------------ channel dropout
def _channel_dropout(op, input, p, training, inplace, batched):
    """Zero whole channels (every value of a (sample, channel) pair) with probability ``p`` and scale the
    others by ``1 / (1 - p)``: one mask value per channel, broadcast over the spatial dims."""
    from ..nn.functional import _drop
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise error(ValueError, op, f"dropout probability has to be between 0 and 1, but got {p}",
                    "p es la probabilidad de apagar cada canal: un número entre 0 y 1")
    if not training or p == 0:
        return input
    if not input.is_floating_point():
        raise error(RuntimeError, op, f"result type Float can't be cast to the desired output type {_tname(input)}",
                    "convierte la entrada a flotante con .float()")
    shape = tuple(input.shape)
    mask_shape = (shape[:2] if batched else shape[:1]) + (1,) * (len(shape) - (2 if batched else 1))
    return _drop(input, p, mask_shape, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, L) or (C, L): each channel is zeroed whole with probability ``p``."""
    if not isinstance(input, Tensor) or input.dim() not in (2, 3):
        raise error(RuntimeError, "dropout1d", f"dropout1d: Expected 2D or 3D input, but received a "
                    f"{getattr(input, 'ndim', 0)}D input. Note that dropout1d exists to provide channel-wise dropout "
                    "on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension "
                    "(i.e. 2D or 3D inputs).", "la entrada es (N, C, L) o (C, L)")
    return _channel_dropout("dropout1d", input, p, training, inplace, input.dim() == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, H, W): each feature map is zeroed whole with probability ``p``."""
    if not isinstance(input, Tensor):
        raise error(TypeError, "dropout2d", f"input must be a Tensor, got {type(input).__name__}",
                    "convierte los datos con profundo.tensor(...)")
    ndim = input.dim()
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", stacklevel=2)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This "
                      "behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout("dropout2d", input, p, training, inplace, True)  # dim 0 is always the batch

