"""Convolution (Unit 2): ``F.conv1d``, ``F.conv2d``, ``F.conv_transpose1d``, ``F.conv_transpose2d``,
``F.unfold`` and ``F.fold``.

A convolution is a matrix product once the windows of the input are laid out as columns
(the backend's ``im2col``); its two gradients are two more products:

- ``Convolution``      out = conv(x, W) + b         (the forward)
- ``ConvInputGrad``    dL/dx = conv^T(g, W)          (the adjoint in x: a *transposed* convolution)
- ``ConvWeightGrad``   dL/dW = corr(x, g)            (each weight meets every window it read)

The three are ops, and each one's backward is written with the others (all three are linear in
each argument), so the gradient of a convolution is itself differentiable: ``create_graph=True``,
``gradgradcheck`` and double backward work as in PyTorch.  ``conv_transpose`` is
``ConvInputGrad`` used as a forward (with a bias), and ``unfold``/``fold`` are im2col/col2im
themselves (``Im2Col``/``Col2Im``, each the other's adjoint).

Padding: zeros, done by the backend kernels; the other padding modes of ``nn.Conv2d`` call ``F.pad``
first.  ``conf`` carries (stride, padding as (left, right) pairs, dilation, groups) through the
graph.
"""
import math
from collections import namedtuple

from .._backend import backend_of
from .._dtype import scalar_type_name as _tname
from .._errors import error
from ..autograd import grad_mode
from ._base import Op, Tensor

_GRAD = grad_mode.STATE
#: the largest im2col buffer a convolution keeps from its forward for its weight gradient (bytes)
_KEEP_COLS_BYTES = 64 * 2**20

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]

Conf = namedtuple("Conf", "stride padding dilation groups")


def _padded_shape(shape, padding):
    return tuple(shape[:2]) + tuple(n + lo + hi for n, (lo, hi) in zip(shape[2:], padding))


def _spatial(ndim):
    """The batch and spatial dims of an (N, C, *spatial) array: what a bias gradient sums over."""
    return (0,) + tuple(range(2, ndim))


# ------------------------------------------------------------------ the three convolution ops
class Convolution(Op):
    """``conv(x, W) + b`` for x (N, C, *in), W (O, C // groups, *k), b (O,) or None.
    ``out_size`` (internal) keeps only the first outputs along each dim: the gradient of a
    transposed convolution with ``output_padding`` needs it."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, conf, out_size=None):
        be = backend_of(x)
        # When the weight's gradient will be needed, keep the im2col columns for it (an extra
        # copy of the input per kernel offset, freed by the backward): recomputing them costs
        # 10-25 % of a layer's forward + backward.  Above _KEEP_COLS_BYTES they are recomputed, so
        # a large network's memory stays bounded.
        keep = _GRAD.enabled and weight._requires_grad
        out = be.conv_forward(x._data, weight._data, None if bias is None else bias._data, conf.stride,
                              conf.padding, conf.dilation, conf.groups, out_size, keep)
        if keep:
            out, cols = out
            ctx.cols = (be, cols) if cols.nbytes <= _KEEP_COLS_BYTES else None
        ctx.save_for_backward(x, weight)
        ctx.conf = conf
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = ConvInputGrad.apply(g, weight, ctx.conf, tuple(x.shape)) if need[0] else None
        cols = None
        kept = getattr(ctx, "cols", None)
        if kept is not None:
            ctx.cols = None  # used once: a second backward (retain_graph) recomputes them
            if kept[0] is backend_of(x):
                cols = kept[1]
        gw = ConvWeightGrad.apply(x, g, ctx.conf, tuple(weight.shape), cols) if need[1] else None
        gb = g.sum(_spatial(g.dim())) if need[2] else None
        return gx, gw, gb, None, None


class ConvInputGrad(Op):
    """``conv^T(g, W)``: the gradient of ``conv(x, W)`` with respect to x (of shape
    ``in_shape``), for the output gradient g.  Linear in g and in W; its own gradients are a
    convolution (in g) and a weight gradient (in W)."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, g, weight, conf, in_shape):
        ctx.save_for_backward(g, weight)
        ctx.conf = conf
        return _input_grad(g, weight, conf, in_shape)

    @staticmethod
    def backward(ctx, gg):
        # L = <conv^T(g, W), v> = <g, conv(v, W)>: d/dg = conv(v, W), d/dW = corr(v, g)
        g, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        dg = Convolution.apply(gg, weight, None, ctx.conf, tuple(g.shape[2:])) if need[0] else None
        dw = ConvWeightGrad.apply(gg, g, ctx.conf, tuple(weight.shape)) if need[1] else None
        return dg, dw, None, None


class ConvWeightGrad(Op):
    """``corr(x, g)``: the gradient of ``conv(x, W)`` with respect to W (of shape
    ``weight_shape``), for the output gradient g.  Linear in x and in g.  ``cols``: the forward's
    im2col columns of x, when it kept them."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, conf, weight_shape, cols=None):
        ctx.save_for_backward(x, g)
        ctx.conf = conf
        return backend_of(x).conv_weight_grad(x._data, g._data, weight_shape, conf.stride, conf.padding,
                                              conf.dilation, conf.groups, cols)

    @staticmethod
    def backward(ctx, gv):
        # L = <corr(x, g), V> = <g, conv(x, V)>: d/dx = conv^T(g, V), d/dg = conv(x, V)
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        dx = ConvInputGrad.apply(g, gv, ctx.conf, tuple(x.shape)) if need[0] else None
        dg = Convolution.apply(x, gv, None, ctx.conf, tuple(g.shape[2:])) if need[1] else None
        return dx, dg, None, None, None


def _input_grad(g, weight, conf, in_shape):
    """The array of ``conv^T(g, W)`` (the backend's input-gradient kernel)."""
    return backend_of(g).conv_input_grad(g._data, weight._data, tuple(in_shape), conf.stride, conf.padding,
                                         conf.dilation, conf.groups)


class ConvTranspose(Op):
    """``conv^T(x, W) + b``: a transposed convolution, W of shape (C_in, C_out // groups, *k).
    It is ``ConvInputGrad`` used as a forward, so its gradients are a convolution (in x) and a
    weight gradient (in W) with the roles of input and output swapped."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, conf, out_shape):
        out = _input_grad(x, weight, conf, out_shape)
        if bias is not None:
            out += bias._data.reshape((-1,) + (1,) * (out.ndim - 2))
        ctx.save_for_backward(x, weight)
        ctx.conf = conf
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = Convolution.apply(g, weight, None, ctx.conf, tuple(x.shape[2:])) if need[0] else None
        gw = ConvWeightGrad.apply(g, x, ctx.conf, tuple(weight.shape)) if need[1] else None
        gb = g.sum(_spatial(g.dim())) if len(need) > 2 and need[2] else None
        return gx, gw, gb, None, None


# ------------------------------------------------------------------ unfold / fold
class Im2Col(Op):
    """``F.unfold``: (N, C, *in) -> (N, C * K, L), every window of the (padded) input as a column."""

    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, kernel_size, dilation, padding, stride):
        be = backend_of(x)
        ctx.args = (tuple(x.shape[2:]), kernel_size, dilation, padding, stride)
        return be.xp.ascontiguousarray(be.im2col(x._data, kernel_size, stride, padding, dilation))

    @staticmethod
    def backward(ctx, g):
        return (Col2Im.apply(g, *ctx.args),) + (None,) * 4


class Col2Im(Op):
    """``F.fold``: (N, C * K, L) -> (N, C, *output_size), each column summed back onto its window
    (the adjoint of ``Im2Col``; overlapping windows add up)."""

    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, output_size, kernel_size, dilation, padding, stride):
        be = backend_of(cols)
        c = cols.shape[1] // math.prod(kernel_size)
        padded = _padded_shape((cols.shape[0], c) + tuple(output_size), padding)
        blocks = _blocks(padded[2:], kernel_size, dilation, stride)
        ctx.args = (kernel_size, dilation, padding, stride)
        return be.col2im(cols._data, (cols.shape[0], c) + tuple(output_size), kernel_size, stride, padding, dilation,
                         blocks)

    @staticmethod
    def backward(ctx, g):
        return (Im2Col.apply(g, *ctx.args),) + (None,) * 5


def _blocks(padded, kernel_size, dilation, stride):
    """The number of windows along each dim of a padded input."""
    return tuple((n - d * (k - 1) - 1) // s + 1 for n, k, d, s in zip(padded, kernel_size, dilation, stride))


# ------------------------------------------------------------------ argument checks
_DIMS_TEXT = {1: "(N, C, L)", 2: "(N, C, H, W)"}


def _ints(value, k, name, op):
    """``value`` (an int, or a sequence of 1 or k ints) as a tuple of k ints (PyTorch's rule)."""
    seq = value if isinstance(value, (tuple, list)) else [value]
    out = []
    for v in seq:
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            raise error(TypeError, op, f"argument '{name}' must be tuple of ints, but found element of type "
                        f"{type(v).__name__}", f"{name} es un entero o una tupla de {k} enteros, p. ej. {name}=1")
        out.append(int(v.__index__()))
    if len(out) == 1:
        return tuple(out) * k
    if len(out) != k:
        raise error(RuntimeError, op, f"expected {name} to be a single integer value or a list of {k} values to "
                    f"match the convolution dimensions, but got {name}={out}",
                    f"da un entero o {k} enteros (uno por dimensión espacial)")
    return tuple(out)


def _check_tensor(op, name, t):
    if not isinstance(t, Tensor):
        raise error(TypeError, op, f"argument '{name}' must be Tensor, not {type(t).__name__}",
                    "convierte los datos con profundo.tensor(...)")


def _check_dtypes(op, input, weight, bias):
    dt = input._data.dtype
    if dt.kind == "b":
        raise error(NotImplementedError, op, f"convolution is not implemented for bool tensors (input "
                    f"{tuple(input.shape)})", "convierte la entrada con .float()")
    if weight._data.dtype != dt:
        raise error(RuntimeError, op, f"expected scalar type {_tname(dt)} but found {_tname(weight._data.dtype)}: "
                    f"input is {dt.name} and weight is {weight._data.dtype.name}",
                    "entrada y pesos deben tener el mismo dtype: usa x.float() o capa.double()")
    if bias is not None and bias._data.dtype != dt:
        raise error(RuntimeError, op, f"Input type ({dt.name}) and bias type ({bias._data.dtype.name}) should be "
                    "the same", "entrada y sesgo deben tener el mismo dtype: usa x.float() o capa.double()")


def _check_conv_args(op, k, input, weight, bias, stride, padding, dilation, groups, transposed=False):
    """PyTorch's checks of a convolution's arguments, in its order; returns the input as batched
    (N, C, *spatial), whether it was unbatched, and (stride, dilation) as tuples."""
    _check_tensor(op, "input", input)
    _check_tensor(op, "weight", weight)
    if bias is not None:
        _check_tensor(op, "bias", bias)
    if input.dim() not in (k + 1, k + 2):
        raise error(RuntimeError, op, f"Expected {k + 1}D (unbatched) or {k + 2}D (batched) input to {op}, but got "
                    f"input of size: {list(input.shape)}",
                    f"la entrada es {_DIMS_TEXT[k]} (un lote) o sin la N (un solo ejemplo)")
    if weight.dim() != k + 2:
        raise error(RuntimeError, op, f"weight of size {list(weight.shape)} should have {k + 2} dimensions "
                    f"({'in_channels, out_channels // groups' if transposed else 'out_channels, in_channels // groups'}"
                    f", *kernel_size)", f"los pesos de {op} tienen {k + 2} dimensiones")
    stride = _ints(stride, k, "stride", op)
    dilation = _ints(dilation, k, "dilation", op)
    if isinstance(groups, bool) or not hasattr(groups, "__index__"):
        raise error(TypeError, op, f"argument 'groups' must be int, not {type(groups).__name__}",
                    "groups es un entero, p. ej. groups=1")
    groups = int(groups.__index__())
    if min(stride) <= 0:
        raise error(RuntimeError, op, f"non-positive stride is not supported (stride={list(stride)})",
                    "el paso (stride) debe ser 1 o más")
    if isinstance(padding, (tuple, list)) or not isinstance(padding, str):
        pad = _ints(padding, k, "padding", op)
        if min(pad) < 0:
            raise error(RuntimeError, op, f"negative padding is not supported (padding={list(pad)})",
                        "el relleno (padding) debe ser 0 o más; para recortar usa F.pad con valores negativos")
    if min(dilation) <= 0:
        raise error(RuntimeError, op, f"non-positive dilation is not supported (dilation={list(dilation)})",
                    "la dilatación debe ser 1 o más")
    if groups <= 0:
        raise error(RuntimeError, op, f"non-positive groups is not supported (groups={groups})",
                    "groups debe ser 1 o más")
    if weight.shape[0] % groups or weight.shape[0] == 0:
        raise error(RuntimeError, op, f"Given groups={groups}, expected weight to be "
                    f"{'divisible by ' + str(groups) if weight.shape[0] else 'at least 1'} at dimension 0, but got "
                    f"weight of size [{list(weight.shape)}] instead",
                    "el número de filtros (dimensión 0 de los pesos) debe ser múltiplo de groups")
    _check_dtypes(op, input, weight, bias)
    unbatched = input.dim() == k + 1
    if unbatched:
        input = input.unsqueeze(0)
    c = input.shape[1]
    if transposed:
        if c != weight.shape[0]:
            raise error(RuntimeError, op, f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                        f"input{list(input.shape)} to have {weight.shape[0]} channels, but got {c} channels instead",
                        "los canales de la entrada deben ser la dimensión 0 de los pesos (in_channels)")
        n_out = weight.shape[1] * groups
    else:
        if c != weight.shape[1] * groups:
            raise error(RuntimeError, op, f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                        f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but got {c} channels "
                        "instead", "los canales de la entrada no coinciden con in_channels de la capa: revisa la "
                        "capa anterior (sus out_channels) o usa nn.LazyConv2d")
        n_out = weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != n_out):
        raise error(RuntimeError, op, f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
                    f"with {n_out} elements, but got bias of size {list(bias.shape)} instead",
                    "el sesgo tiene un valor por canal de salida")
    return input, unbatched, stride, dilation, groups


def _conv_padding(op, padding, k, weight, stride, dilation):
    """``padding`` as (left, right) pairs: an int or tuple (symmetric), 'valid' (none) or 'same'
    (the output as large as the input; an odd total puts the extra on the right, as PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * k
        if padding == "same":
            if any(s != 1 for s in stride):
                raise error(RuntimeError, op, f"padding='same' is not supported for strided convolutions "
                            f"(stride={list(stride)})", "con stride > 1 calcula el relleno a mano, p. ej. padding=1")
            pairs = []
            for ks, d in zip(weight.shape[2:], dilation):
                total = d * (ks - 1)
                pairs.append((total // 2, total - total // 2))
            return tuple(pairs)
        raise error(RuntimeError, op, f"Invalid padding string: {padding!r}",
                    "padding es un entero, una tupla, 'same' o 'valid'")
    return tuple((p, p) for p in _ints(padding, k, "padding", op))


def _check_kernel_fits(op, input, weight, padding, dilation):
    padded = [n + lo + hi for n, (lo, hi) in zip(input.shape[2:], padding)]
    span = [d * (ks - 1) + 1 for ks, d in zip(weight.shape[2:], dilation)]
    if any(s > n for s, n in zip(span, padded)):
        x_ = " x ".join
        raise error(RuntimeError, op, f"Calculated padded input size per channel: ({x_(map(str, padded))}). "
                    f"Kernel size: ({x_(map(str, span))}). Kernel size can't be greater than actual input size "
                    f"(input {list(input.shape)}, weight {list(weight.shape)})",
                    "la imagen es más pequeña que el filtro: ¿demasiadas capas o pooling? añade padding o "
                    "usa una entrada más grande")


def _conv(op, k, input, weight, bias, stride, padding, dilation, groups):
    input, unbatched, stride, dilation, groups = _check_conv_args(op, k, input, weight, bias, stride, padding,
                                                                  dilation, groups)
    pairs = _conv_padding(op, padding, k, weight, stride, dilation)
    _check_kernel_fits(op, input, weight, pairs, dilation)
    out = Convolution.apply(input, weight, bias, Conf(stride, pairs, dilation, groups))
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of ``input`` (N, C, L) or (C, L) with ``weight``
    (out_channels, C // groups, k).  ``padding``: int, tuple, ``'same'`` or ``'valid'``."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of ``input`` (N, C, H, W) or (C, H, W) with ``weight``
    (out_channels, C // groups, kH, kW).  ``padding``: int, tuple, ``'same'`` or ``'valid'``."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(op, k, input, weight, bias, stride, padding, output_padding, groups, dilation):
    if isinstance(padding, str):
        raise error(TypeError, op, f"argument 'padding' must be tuple of ints, not str ({padding!r})",
                    "la convolución transpuesta no acepta 'same'/'valid': da el relleno como entero")
    input, unbatched, stride, dilation, groups = _check_conv_args(op, k, input, weight, bias, stride, padding,
                                                                  dilation, groups, transposed=True)
    pad = _ints(padding, k, "padding", op)
    out_pad = _ints(output_padding, k, "output_padding", op)
    if any(p >= s and p >= d for p, s, d in zip(out_pad, stride, dilation)) or min(out_pad) < 0:
        raise error(RuntimeError, op, f"output padding must be smaller than either stride or dilation, but got "
                    f"output_padding={list(out_pad)}, stride={list(stride)}, dilation={list(dilation)}",
                    "output_padding solo desempata el tamaño de salida: debe ser menor que stride (o dilation)")
    size = tuple((n - 1) * s - 2 * p + d * (ks - 1) + op_ + 1
                 for n, s, p, d, ks, op_ in zip(input.shape[2:], stride, pad, dilation, weight.shape[2:], out_pad))
    if min(size) < 0:
        raise error(RuntimeError, op, f"the output size {list(size)} is negative (input {list(input.shape)}, "
                    f"weight {list(weight.shape)}, stride={list(stride)}, padding={list(pad)})",
                    "el relleno es demasiado grande para esta entrada")
    out_shape = (input.shape[0], weight.shape[1] * groups) + size
    out = ConvTranspose.apply(input, weight, bias, Conf(stride, tuple((p, p) for p in pad), dilation, groups),
                              out_shape)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution of ``input`` (N, C_in, L) with ``weight`` (C_in, C_out // groups, k):
    the adjoint of ``conv1d`` (each input value spreads over a window of the output)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution of ``input`` (N, C_in, H, W) with ``weight`` (C_in, C_out // groups, kH, kW):
    the adjoint of ``conv2d``; with stride 2 it doubles the size (up-sampling in decoders and GANs)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def _window_args(op, kernel_size, dilation, padding, stride):
    ks = _ints(kernel_size, 2, "kernel_size", op)
    d = _ints(dilation, 2, "dilation", op)
    if isinstance(padding, str):
        raise error(TypeError, op, f"argument 'padding' must be tuple of ints, but found element of type str "
                    f"({padding!r})", "padding es un entero o una tupla de 2 enteros")
    p = _ints(padding, 2, "padding", op)
    s = _ints(stride, 2, "stride", op)
    if min(ks) <= 0 or min(d) <= 0 or min(s) <= 0 or min(p) < 0:
        raise error(RuntimeError, op, f"kernel_size, dilation and stride must be positive and padding non-negative, "
                    f"but got kernel_size={ks}, dilation={d}, padding={p}, stride={s}",
                    "kernel_size, dilation y stride son 1 o más; padding, 0 o más")
    return ks, d, tuple((q, q) for q in p), s


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding windows of ``input`` (N, C, H, W) or (C, H, W) as columns: (N, C * kH * kW, L),
    L the number of windows (im2col).  ``unfold`` then a matmul is a convolution."""
    op = "unfold"
    _check_tensor(op, "input", input)
    ks, d, pad, s = _window_args(op, kernel_size, dilation, padding, stride)
    if input.dim() not in (3, 4):
        # PyTorch: IndexError below 3 dims (it reads dim 2 first), RuntimeError above 4
        raise error(IndexError if input.dim() < 3 else RuntimeError, op, f"Expected 3D or 4D (batch mode) tensor "
                    f"with possibly 0 batch size and other non-zero dimensions for input, but got: "
                    f"{list(input.shape)}", "unfold espera (N, C, H, W) o (C, H, W)")
    if input._data.dtype.kind not in "fc":
        raise error(NotImplementedError, op, f"\"im2col\" not implemented for '{_tname(input._data.dtype)}'",
                    "convierte la entrada con .float()")
    unbatched = input.dim() == 3
    if unbatched:
        input = input.unsqueeze(0)
    padded = _padded_shape(tuple(input.shape), pad)[2:]
    blocks = _blocks(padded, ks, d, s)
    if min(blocks) < 1:
        raise error(RuntimeError, op, f"Given input with spatial size {tuple(input.shape[2:])}, kernel_size={ks}, "
                    f"dilation={d}, padding={tuple(p for p, _ in pad)}, calculated shape of the array of sliding "
                    f"blocks as {blocks}, but its components must be at least one.",
                    "la ventana no cabe en la entrada: usa un kernel_size menor o añade padding")
    out = Im2Col.apply(input, ks, d, pad, s)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of ``unfold``: columns (N, C * kH * kW, L) or (C * kH * kW, L) summed back into
    an image (N, C, *output_size); where windows overlap, their values add up."""
    op = "fold"
    _check_tensor(op, "input", input)
    size = _ints(output_size, 2, "output_size", op)
    ks, d, pad, s = _window_args(op, kernel_size, dilation, padding, stride)
    if input.dim() not in (2, 3) or 0 in tuple(input.shape[-2:]):
        raise error(RuntimeError, op, f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
                    f"and non-zero dimensions for input, but got: {list(input.shape)}",
                    "fold espera (N, C * kH * kW, L) o (C * kH * kW, L)")
    if input._data.dtype.kind not in "fc":
        raise error(NotImplementedError, op, f"\"col2im\" not implemented for '{_tname(input._data.dtype)}'",
                    "convierte la entrada con .float()")
    unbatched = input.dim() == 2
    if unbatched:
        input = input.unsqueeze(0)
    k = ks[0] * ks[1]
    if input.shape[1] % k:
        raise error(RuntimeError, op, f"Expected size of input's dimension 1 to be divisible by the product of "
                    f"kernel_size, but got input.size(1)={input.shape[1]} and kernel_size={ks}.",
                    "la dimensión 1 es canales × kH × kW")
    blocks = _blocks(tuple(n + 2 * p for n, (p, _) in zip(size, pad)), ks, d, s)
    if min(blocks) < 1 or blocks[0] * blocks[1] != input.shape[2]:
        raise error(RuntimeError, op, f"Given output_size={size}, kernel_size={ks}, dilation={d}, "
                    f"padding={tuple(p for p, _ in pad)}, stride={s}, expected size of input's dimension 2 to match "
                    f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, "
                    f"but got input.size(2)={input.shape[2]}.",
                    "el número de columnas debe ser el número de ventanas que caben en output_size")
    out = Col2Im.apply(input, size, ks, d, pad, s)
    return out.squeeze(0) if unbatched else out
