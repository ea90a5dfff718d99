"""Normalization layers (Unit 2): ``BatchNorm1d/2d``, ``LazyBatchNorm1d/2d``, ``LayerNorm``, ``GroupNorm``.

Batch norm keeps running statistics in buffers (``running_mean``, ``running_var``, and
``num_batches_tracked``, an int64 count), with PyTorch's state_dict keys: in ``train()`` mode it
normalizes with the batch's statistics and moves the running ones towards them (``momentum``, or
a cumulative average when ``momentum=None``); in ``eval()`` mode it uses the running ones.
"""
from ..._device import check_device
from ..._errors import error
from ...creation import empty, ones, tensor, zeros
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedBuffer, UninitializedParameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LayerNorm", "GroupNorm"]


class _BatchNorm(Module):
    _expected = ()  # the input dims this layer accepts

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if device is not None:
            check_device(device, type(self).__name__)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self._dtype = dtype
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=_int64()))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._bump_version()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        if not isinstance(input, Tensor):
            raise error(TypeError, type(self).__name__, f"input must be a Tensor, got {type(input).__name__}",
                        "convierte los datos con profundo.tensor(...)")
        if input.dim() not in self._expected:
            want = " or ".join(f"{d}D" for d in self._expected)
            raise error(ValueError, repr(self), f"expected {want} input (got {input.dim()}D input)",
                        "BatchNorm1d recibe (N, C) o (N, C, L); BatchNorm2d recibe (N, C, H, W)")
        if input.shape[1] != self.num_features:
            raise error(RuntimeError, repr(self), f"running_mean should contain {input.shape[1]} elements not "
                        f"{self.num_features} (input shape {tuple(input.shape)}: {input.shape[1]} channels, the "
                        f"layer was built for {self.num_features})",
                        "num_features debe ser el número de canales de la entrada (x.shape[1])")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            # momentum=None: a cumulative average, each batch weighing 1 / (batches seen so far)
            factor = 1.0 / float(self.num_batches_tracked.item()) if self.momentum is None else self.momentum
        # the batch's statistics when training, or when there are no running ones to use
        batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        tracked = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if tracked else None, self.running_var if tracked else None,
                            self.weight, self.bias, batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


def _int64():
    from ..._dtype import int64
    return int64


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L), per feature/channel."""

    _expected = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W), per channel."""

    _expected = (4,)


class _LazyBatchNorm(_BatchNorm):
    """A batch norm whose ``num_features`` is read from the first input (``input.shape[1]``)."""

    cls_to_become = None

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None, *,
                 bias=True):
        Module.__init__(self)
        if device is not None:
            check_device(device, type(self).__name__)
        self.num_features, self.eps, self.momentum = 0, eps, momentum
        self.affine, self.track_running_stats, self._dtype, self._bias = affine, track_running_stats, dtype, bias
        if affine:
            self.weight = UninitializedParameter(empty(0, dtype=dtype))
            self.bias = UninitializedParameter(empty(0, dtype=dtype)) if bias else None
            if not bias:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", UninitializedBuffer(dtype))
            self.register_buffer("running_var", UninitializedBuffer(dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=_int64()))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _initialize(self, num_features):
        self.num_features = num_features
        if self.affine:
            self.weight.materialize((num_features,))  # in place: an optimizer may hold them
            if self._bias:
                self.bias.materialize((num_features,))
        if self.track_running_stats:
            count = self.num_batches_tracked
            self.running_mean = zeros(num_features, dtype=self.running_mean.dtype)
            self.running_var = ones(num_features, dtype=self.running_var.dtype)
            self.reset_parameters()
            self.num_batches_tracked = count  # the count is not reset by materializing
        else:
            self.reset_parameters()
        self.__class__ = self.cls_to_become  # as PyTorch: once initialized it is a plain BatchNorm

    def _materialize(self, name, shape):
        """Called by load_state_dict: create the parameters and buffers with the checkpoint's shape."""
        self._initialize(shape[0])

    def _load_from_state_dict(self, state_dict, prefix, strict, missing, unexpected, errors, assign=False):
        for name in ("weight", "running_mean"):  # a buffer too: affine=False has no weight to materialize
            value = state_dict.get(prefix + name)
            if isinstance(value, Tensor) and value.dim() == 1 and type(self) is not self.cls_to_become:
                self._initialize(value.shape[0])
                break
        Module._load_from_state_dict(self, state_dict, prefix, strict, missing, unexpected, errors, assign)

    def forward(self, input):
        if isinstance(input, Tensor) and input.dim() in self._expected:
            self._initialize(input.shape[1])
        return _BatchNorm.forward(self, input)


class LazyBatchNorm1d(_LazyBatchNorm):
    _expected = (2, 3)
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm):
    _expected = (4,)
    cls_to_become = BatchNorm2d


def _affine_parameters(module, shape, affine, bias, dtype):
    """The learnt scale (``weight``, ones) and shift (``bias``, zeros) of LayerNorm and GroupNorm,
    registered as None when ``affine`` (or ``bias``) is off, as PyTorch does."""
    module.register_parameter("weight", Parameter(empty(shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(empty(shape, dtype=dtype)) if affine and bias else None)
    module.reset_parameters()


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class LayerNorm(Module):
    """Normalizes each example over its last dims (``normalized_shape``), with a learnt scale and shift
    of that shape (``elementwise_affine``; ``bias=False`` keeps only the scale)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if device is not None:
            check_device(device, "LayerNorm")
        if isinstance(normalized_shape, int) or hasattr(normalized_shape, "__index__"):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalizes each example over groups of ``num_channels / num_groups`` channels, with a learnt
    scale and shift per channel (``affine``)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if device is not None:
            check_device(device, "GroupNorm")
        if num_channels % num_groups != 0:
            raise error(ValueError, "GroupNorm", f"num_channels ({num_channels}) must be divisible by num_groups "
                        f"({num_groups})", "elige num_groups que divida al número de canales")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, (num_channels,), affine, bias, dtype)

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
