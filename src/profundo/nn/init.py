"""Weight initialization (``torch.nn.init``): in-place, without recording gradients.

Random draws come from profundo's generator, so ``profundo.manual_seed``
repeats them (the numbers differ from PyTorch's, the distributions are the same).
"""
import math
import warnings

from .._backend import backend_of
from .._errors import error
from ..autograd.grad_mode import no_grad
from ..random import _rng, _to_device


def _fill(tensor, values):
    """Write host-drawn ``values`` into ``tensor``, handed to its device's backend first (random.py's seam)."""
    with no_grad():
        tensor._data[...] = _to_device(values, tensor.device)
        tensor._bump_version()
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for an activation (PyTorch's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
              "sigmoid")
    if nonlinearity in linear:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise error(ValueError, "calculate_gain", f"negative_slope {slope} not a valid number",
                        "negative_slope es un número, p. ej. 0.01")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise error(ValueError, "calculate_gain", f"Unsupported nonlinearity {nonlinearity}",
                "usa 'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu' o 'selu'")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise error(ValueError, "init", "Fan in and fan out can not be computed for tensor with fewer than 2 "
                    "dimensions", "estas inicializaciones son para matrices de pesos (2 o más dimensiones)")
    receptive = math.prod(tensor.shape[2:]) if tensor.dim() > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise error(ValueError, "init", f"Mode {mode} not supported, please use one of fan_in, fan_out",
                    "usa mode='fan_in' o mode='fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return _fill(tensor, _rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return _fill(tensor, _rng(generator).normal(mean, std, tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Normal(mean, std) restricted to [a, b] (rejection of the draws outside, redrawn)."""
    rng = _rng(generator)
    values = rng.normal(mean, std, tensor.shape)
    bad = (values < a) | (values > b)
    while bad.any():
        values[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor, val):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def eye_(tensor):
    if tensor.dim() != 2:
        raise error(ValueError, "eye_", "Only tensors with 2 dimensions are supported", "usa una matriz")
    return _fill(tensor, backend_of(tensor).xp.eye(*tensor.shape))


def _xavier_std(tensor, gain, op):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if fan_in + fan_out == 0:  # PyTorch divides by zero here (ZeroDivisionError): same type, clearer text
        raise error(ZeroDivisionError, op, f"fan_in + fan_out is 0 for a tensor of shape {tuple(tensor.shape)}",
                    "la matriz de pesos no tiene filas ni columnas: revisa sus dimensiones")
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    bound = math.sqrt(3.0) * _xavier_std(tensor, gain, "xavier_uniform_")
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    return normal_(tensor, 0.0, _xavier_std(tensor, gain, "xavier_normal_"), generator)


def _zero_elements(tensor):
    # As in PyTorch: a weight with a 0 dimension (nn.Linear(0, 3)) has nothing to fill, and its fan may be 0
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _zero_elements(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _zero_elements(tensor):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)
