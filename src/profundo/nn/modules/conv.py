"""Convolution layers: ``Conv1d``, ``Conv2d``, ``LazyConv1d``, ``LazyConv2d``, ``ConvTranspose1d``,
``ConvTranspose2d``, ``Unfold`` and ``Fold``, with PyTorch's arguments, defaults, initialization,
``state_dict`` keys (``weight``, ``bias``) and ``repr``.

The weight of a convolution is (out_channels, in_channels // groups, *kernel_size); a transposed
convolution's is (in_channels, out_channels // groups, *kernel_size).  Both start as PyTorch's:
``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias the same
bound.  ``padding_mode`` other than ``'zeros'`` pads with ``F.pad`` first, as PyTorch does.
"""
import math

from ..._device import check_device
from ..._errors import error, is_checked
from ...creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "LazyConv1d", "LazyConv2d", "ConvTranspose1d", "ConvTranspose2d", "Unfold", "Fold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, k, name, layer):
    if isinstance(value, (tuple, list)):
        out = tuple(value)
        if len(out) == 1:
            out = out * k
    else:
        out = (value,) * k
    if len(out) != k or any(isinstance(v, bool) or not hasattr(v, "__index__") for v in out):
        raise error(TypeError if len(out) == k else ValueError, layer,
                    f"{name} must be an int or a tuple of {k} ints, got {value!r}",
                    f"{name} es un entero o una tupla de {k} enteros")
    return tuple(int(v.__index__()) for v in out)


def _int(value, name, layer):
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise error(TypeError, layer, f"{name} must be an int, got {type(value).__name__} ({value!r})",
                    f"{name} es un número entero")
    return int(value.__index__())


class _ConvNd(Module):
    """What every convolution layer shares: the arguments, the parameters and their init, the repr."""

    _k = None            # spatial dims
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        name, k = type(self).__name__, self._k
        if device is not None:
            check_device(device, name)  # profundo computes on the CPU: any other device is refused
        in_channels, out_channels = _int(in_channels, "in_channels", name), _int(out_channels, "out_channels", name)
        groups = _int(groups, "groups", name)
        if groups <= 0:
            raise error(ValueError, name, f"groups must be a positive integer (got groups={groups})",
                        "groups es 1 (convolución normal) o un divisor de los canales")
        if in_channels % groups:
            raise error(ValueError, name, f"in_channels must be divisible by groups (in_channels={in_channels}, "
                        f"groups={groups})", "cada grupo recibe in_channels / groups canales: elige un divisor")
        if out_channels % groups:
            raise error(ValueError, name, f"out_channels must be divisible by groups (out_channels={out_channels}, "
                        f"groups={groups})", "cada grupo produce out_channels / groups canales: elige un divisor")
        self.kernel_size = _ntuple(kernel_size, k, "kernel_size", name)
        self.stride = _ntuple(stride, k, "stride", name)
        self.dilation = _ntuple(dilation, k, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise error(ValueError, name, f"Invalid padding string {padding!r}, should be one of "
                            "{'valid', 'same'}", "padding es un entero, una tupla, 'same' o 'valid'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise error(ValueError, name, f"padding='same' is not supported for strided convolutions "
                            f"(stride={self.stride})", "con stride > 1 da el relleno como número, p. ej. padding=1")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, k, "padding", name)
        if padding_mode not in _PADDING_MODES:
            raise error(ValueError, name, f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                        f"padding_mode='{padding_mode}'", "usa 'zeros', 'reflect', 'replicate' o 'circular'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, k, "output_padding", name)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's amounts for the non-zero padding modes: last dim first, (left, right) each
        if self.padding == "same":
            pairs = []
            for d, ks in zip(self.dilation, self.kernel_size):
                total = d * (ks - 1)
                pairs.append((total // 2, total - total // 2))
        elif self.padding == "valid":
            pairs = [(0, 0)] * k
        else:
            pairs = [(p, p) for p in self.padding]
        self._reversed_padding_repeated_twice = [a for pair in reversed(pairs) for a in pair]
        self._dtype = dtype
        if in_channels or not isinstance(self, _LazyMixin):
            self._make_parameters(in_channels, bias)
            self.reset_parameters()

    def _weight_shape(self, in_channels):
        if self._transposed:
            return (in_channels, self.out_channels // self.groups) + self.kernel_size
        return (self.out_channels, in_channels // self.groups) + self.kernel_size

    def _make_parameters(self, in_channels, bias):
        self.in_channels = in_channels
        self.weight = Parameter(empty(self._weight_shape(in_channels), dtype=self._dtype))
        if bias:
            self.bias = Parameter(empty(self.out_channels, dtype=self._dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._k:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._k:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._k:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _named(self, fn, *args, **kwargs):
        """``fn(*args)``; an error it raises names this layer too (``Conv2d(3, 6, ...): conv2d: ...``)."""
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            if is_checked(e):
                raise type(e)(f"{self!r}: {e}") from None
            raise


class _Conv(_ConvNd):
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, False, 0, groups, bias,
                         padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        fn = getattr(F, self._fn)
        if self.padding_mode != "zeros":
            padded = self._named(F.pad, input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._named(fn, padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return self._named(fn, input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) or (C_in, L): ``out[n, o] = b[o] + sum_c weight[o, c] ⋆ x[n, c]``."""

    _k, _fn = 1, "conv1d"


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W): ``out[n, o] = b[o] + sum_c weight[o, c] ⋆ x[n, c]``
    (⋆ the cross-correlation).  Output size per dim: ``(n + 2 padding - dilation (k - 1) - 1) // stride + 1``."""

    _k, _fn = 2, "conv2d"


class _LazyMixin:
    """A convolution whose ``in_channels`` is read from the first input (``nn.LazyConv2d``): its
    parameters are ``UninitializedParameter`` until then, and it becomes a plain ``Conv2d`` after."""

    cls_to_become = None

    def _lazy_init(self, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                   device, dtype):
        _Conv.__init__(self, 0, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                       device, dtype)
        self.weight = UninitializedParameter(empty(0, dtype=dtype))
        if bias:
            self.bias = UninitializedParameter(empty(0, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def _initialize(self, in_channels):
        if in_channels % self.groups:
            raise error(ValueError, type(self).__name__, f"in_channels must be divisible by groups (the input has "
                        f"{in_channels} channels, groups={self.groups})",
                        "cada grupo recibe in_channels / groups canales: elige un divisor")
        self.in_channels = in_channels
        self.weight.materialize(self._weight_shape(in_channels))  # in place: an optimizer may hold them
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()
        self.__class__ = self.cls_to_become  # as PyTorch: once initialized it is a plain Conv2d

    def _materialize(self, name, shape):
        """Called by load_state_dict: create the parameters with the checkpoint's shape."""
        if name == "weight":
            self._initialize(shape[1] * self.groups)

    def forward(self, input):
        k = self._k
        if input.dim() not in (k + 1, k + 2):
            raise error(RuntimeError, repr(self), f"Expected {k + 1}D (unbatched) or {k + 2}D (batched) input, but got "
                        f"input of size: {list(input.shape)}", "la entrada es (N, C, ...) o (C, ...) sin el lote")
        self._initialize(input.shape[0] if input.dim() == k + 1 else input.shape[1])
        return self.forward(input)  # now the plain layer's forward


class LazyConv1d(_LazyMixin, Conv1d):
    cls_to_become = Conv1d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                        device, dtype)


class LazyConv2d(_LazyMixin, Conv2d):
    cls_to_become = Conv2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        self._lazy_init(out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                        device, dtype)


class _ConvTransposeNd(_ConvNd):
    _transposed = True
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise error(ValueError, type(self).__name__, f'Only "zeros" padding mode is supported for '
                        f"{type(self).__name__} (got padding_mode={padding_mode!r})",
                        "la convolución transpuesta solo rellena con ceros")
        if isinstance(padding, str):
            raise error(TypeError, type(self).__name__, f"padding must be an int or a tuple of ints, not a string "
                        f"({padding!r})", "la convolución transpuesta no acepta 'same'/'valid'")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule: between the smallest size and
        stride - 1 more)."""
        if output_size is None:
            return self.output_padding
        k = self._k
        size = [int(s) for s in output_size]
        if len(size) == k + 2 or (len(size) == k + 1 and input.dim() == k + 1):
            size = size[-k:]
        if len(size) != k:
            raise error(ValueError, repr(self), f"ConvTranspose{k}D: for {input.dim()}D input, output_size must have "
                        f"{k} or {k + 2} elements (got {len(size)})",
                        "output_size es el tamaño espacial, p. ej. (28, 28)")
        spatial = tuple(input.shape[-k:])
        lo = [(n - 1) * s - 2 * p + d * (ks - 1) + 1 for n, s, p, d, ks in
              zip(spatial, self.stride, self.padding, self.dilation, self.kernel_size)]
        hi = [m + s - 1 for m, s in zip(lo, self.stride)]
        for want, a, b in zip(size, lo, hi):
            if not a <= want <= b:
                raise error(ValueError, repr(self), f"requested an output size of {size}, but valid sizes range from "
                            f"{lo} to {hi} (for an input of {list(spatial)})",
                            "con stride s, la salida puede medir entre el mínimo y s - 1 más")
        return tuple(w - a for w, a in zip(size, lo))

    def forward(self, input, output_size=None):
        out_pad = self._output_padding(input, output_size)
        return self._named(getattr(F, self._fn), input, self.weight, self.bias, self.stride, self.padding, out_pad,
                           self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (the adjoint of ``Conv1d``) over (N, C_in, L) or (C_in, L)."""

    _k, _fn = 1, "conv_transpose1d"


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the adjoint of ``Conv2d``): each input value adds a copy of the kernel,
    scaled by it, into the output; with stride 2 it doubles the height and width.  Output size per dim:
    ``(n - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1``."""

    _k, _fn = 2, "conv_transpose2d"


class Unfold(Module):
    """``F.unfold`` as a layer: the sliding windows of (N, C, H, W) as columns (N, C * kH * kW, L)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """``F.fold`` as a layer: columns (N, C * kH * kW, L) summed back into an image (N, C, *output_size)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
