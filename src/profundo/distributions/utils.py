"""Helpers shared by the distributions (as ``torch.distributions.utils``)."""
import numpy as np

from .._errors import error
from ..tensor import Tensor
from .distribution import as_float_tensor


def noise(draw, shape, like):
    """Parameter-free noise of ``shape`` with ``like``'s float dtype (the reparameterization's epsilon),
    drawn on the host and handed to ``like``'s device (profundo.random's seam)."""
    from ..random import _to_device
    return Tensor._make(_to_device(np.asarray(draw(tuple(shape)), dtype=like._data.dtype), like.device))


def broadcast_all(*params):
    """The parameters as float tensors of one common shape."""
    from ..ops import FUNCTIONS
    tensors = [as_float_tensor(p, next((q for q in params if isinstance(q, Tensor)), None)) for p in params]
    return FUNCTIONS["broadcast_tensors"](*tensors)


def one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise error(ValueError, name, "Either `probs` or `logits` must be specified, but not both.",
                    "pasa probs=... (probabilidades) o logits=... (log-odds), solo uno de los dos")


def clamp_probs(p):
    eps = float(np.finfo(p._data.dtype).eps)
    return p.clamp(eps, 1 - eps)


def softplus(x):
    """log(1 + e^x), stable for any x (the same function as ``nn.functional``'s)."""
    from ..nn.functional import _softplus
    return _softplus(x)
