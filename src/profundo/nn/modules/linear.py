"""``Identity``, ``Linear`` and ``LazyLinear`` (d2l builds most models from lazy layers)."""
import math

from ..._device import check_device
from ..._errors import error
from ...creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .module import Module


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


def _mismatch(input, out_features):
    """The likely mistake, in English and Spanish: an image not flattened, or a size
    miscounted after the convolutional layers (d2l's LeNet and VGG code meet the second)."""
    if input.dim() > 2:
        return ("; if it is an image, flatten it first (nn.Flatten())",
                "¿olvidaste aplanar la imagen (nn.Flatten() o x.reshape(len(x), -1))? o ajusta in_features")
    return (f"; after convolutions and pooling, nn.LazyLinear({out_features}) infers in_features from the first batch",
            "¿calculaste mal el tamaño tras las capas convolucionales? usa nn.LazyLinear, "
            "que deduce in_features del primer lote (o ajusta in_features)")


class Linear(Module):
    """``y = x W^T + b`` with ``W`` of shape (out_features, in_features), PyTorch's default initialization."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        if device is not None:
            check_device(device, "Linear")  # profundo computes on the CPU: any other device is refused
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        a = getattr(input, "_data", None)  # not a Tensor: F.linear names the type
        if a is not None and (a.ndim == 0 or a.shape[-1] != self.in_features):
            fix, hint = _mismatch(input, self.out_features)
            raise error(RuntimeError, repr(self),
                        f"input has {input.shape[-1] if input.dim() else 0} features in its last dim "
                        f"(input shape {tuple(input.shape)}), expected {self.in_features}{fix}", hint)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LazyLinear(Linear):
    """A ``Linear`` whose ``in_features`` is read from the first input it sees."""

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        if device is not None:
            check_device(device, "LazyLinear")
        self.in_features, self.out_features = 0, out_features
        self._dtype = dtype
        self.weight = UninitializedParameter(empty(0, dtype=dtype))
        self.bias = UninitializedParameter(empty(0, dtype=dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def _materialize(self, name, shape):
        """Called by load_state_dict: create the parameters with the checkpoint's shape."""
        if name == "weight":
            self._initialize(shape[1])

    def _initialize(self, in_features):
        self.in_features = in_features
        self.weight.materialize((self.out_features, in_features))  # in place: an optimizer may hold it
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()
        self.__class__ = Linear  # as PyTorch: once initialized it is a plain Linear

    def forward(self, input):
        if input.dim() == 0:
            raise error(RuntimeError, "LazyLinear", "input must have at least one dimension",
                        "pasa un lote de ejemplos (N, características)")
        self._initialize(input.shape[-1])
        return Linear.forward(self, input)

    def extra_repr(self):
        return f"in_features=<uninitialized>, out_features={self.out_features}"
