"""profundo: a deep-learning framework in NumPy, with PyTorch's API, for learning.

    >>> import profundo as torch      # the course's PyTorch code runs as is
    >>> x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x ** 2).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
# import order matters: autograd before tensor (tensor.py imports grad_mode)
from . import autograd  # noqa: F401,I001
from ._backend import get_backend, set_backend  # noqa: F401
from .tensor import Size, Tensor, device  # noqa: F401
from ._device import get_default_device, set_default_device  # noqa: F401
from ._dtype import (bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16,  # noqa: F401
                     int32, int64, promote_types, set_default_dtype, uint8)
from . import ops as _ops  # noqa: F401  (attaches the Tensor methods)
from .autograd import (enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled,  # noqa: F401
                       is_inference_mode_enabled, is_anomaly_enabled)
from .creation import (arange, as_tensor, asarray, empty, empty_like, eye, from_dlpack, from_numpy, full,  # noqa: F401
                       full_like, linspace, logspace, ones, ones_like, scalar_tensor, tensor, zeros, zeros_like)
from .random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed,  # noqa: F401
                     multinomial, normal, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                     seed, set_rng_state)
from . import linalg, random, utils  # noqa: F401
from . import accelerator, backends, cuda  # noqa: F401  (device selection answers for a CPU-only machine)
from . import nn, optim  # noqa: F401,E402
from .serialization import load, save  # noqa: F401,E402
from ._threads import get_num_threads, set_num_threads  # noqa: F401,E402

globals().update(_ops.FUNCTIONS)

# PyTorch's dtype aliases
half = float16
float = float32  # noqa: A001
double = float64
short = int16
int = int32  # noqa: A001
long = int64
uint8 = uint8

__version__ = "0.1.0"


def __getattr__(name):
    """``datasets``, ``transforms``, ``distributions``, ``viz``, ``train``, ``text``, ``recsys``, ``distributed``,
    ``d2l`` and ``interop`` load on first use (a faster ``import profundo``)."""
    if name in ("datasets", "transforms", "distributions", "viz", "train", "text", "recsys", "distributed", "d2l",
                "interop"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'profundo' has no attribute {name!r}")


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def result_type(tensor1, tensor2):
    from .ops._base import pdtype, result_dtype
    return pdtype(result_dtype(tensor1, tensor2))


def can_cast(from_, to):
    from ._dtype import can_cast as _can_cast
    return _can_cast(from_.np, to.np)
