"""Base class of probability distributions, with ``torch.distributions``' API.

A distribution has a ``batch_shape`` (independent distributions side by side)
and an ``event_shape`` (the shape of one draw).  ``sample`` draws without
gradient; ``rsample`` (where it exists) draws as a differentiable function of
the parameters -- the reparameterization trick.  Parameters and values are
checked like PyTorch does (``validate_args=True`` by default).
"""
import math

import numpy as np

from .._errors import error
from ..autograd.grad_mode import no_grad
from ..tensor import Size, Tensor


def as_float_tensor(x, like=None):
    """A float tensor for a parameter given as a tensor or a number."""
    from ..creation import tensor
    if isinstance(x, Tensor):
        return x if x.is_floating_point() else x.float()
    dtype = like.dtype if isinstance(like, Tensor) and like.is_floating_point() else None
    return tensor(float(x) if isinstance(x, (int, float)) else x, dtype=dtype)


def _show(t):
    return np.array2string(t._data, precision=4, threshold=12, separator=", ")


class Distribution:
    has_rsample = False
    arg_constraints = {}   # parameter name -> (description, check on the array)
    support = None         # (description, check on the array) for log_prob's value
    _validate_default = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)
        self._validate_args = self._validate_default if validate_args is None else bool(validate_args)
        if self._validate_args:
            for name, (what, ok) in self.arg_constraints.items():
                value = self.__dict__.get(name)
                if value is None:
                    continue
                bad = ~np.asarray(ok(value._data))
                if np.any(bad):
                    raise error(ValueError, type(self).__name__,
                                f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of distribution "
                                f"{self!r} to satisfy the constraint {what}, but found invalid values:\n{_show(value)}",
                                _HINTS.get(name, "revisa los parámetros de la distribución"))

    @classmethod
    def set_default_validate_args(cls, value):
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        return Size(tuple(Size(sample_shape)) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        """Draw samples of shape ``sample_shape + batch_shape + event_shape`` (no gradient)."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise error(NotImplementedError, type(self).__name__, "rsample is not available for this distribution "
                    "(it has no reparameterization)", "usa sample(); los gradientes no pasan por esta muestra")

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def prob(self, value):
        return self.log_prob(value).exp()

    def entropy(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def perplexity(self):
        return self.entropy().exp()

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise error(ValueError, type(self).__name__, f"The value argument to log_prob must be a Tensor, got "
                        f"{type(value).__name__}", "convierte el valor con profundo.tensor(...)")
        if not self._validate_args or self.support is None:
            return
        what, ok = self.support
        if not np.all(ok(value._data)):
            raise error(ValueError, type(self).__name__,
                        f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within the support "
                        f"({what}) of the distribution {self!r}, but found invalid values:\n{_show(value)}",
                        "el valor no es posible para esta distribución (revisa su soporte)")

    def __repr__(self):
        params = ", ".join(f"{k}: {tuple(v.shape) if v.dim() else v.item()}" for k in self.arg_constraints
                           if isinstance(v := self.__dict__.get(k), Tensor))
        return f"{type(self).__name__}({params})"


_HINTS = {
    "probs": "las probabilidades deben estar entre 0 y 1 (y no ser todas 0)",
    "scale": "la desviación estándar (scale) debe ser positiva",
    "rate": "la tasa (rate) debe ser positiva",
    "low": "low debe ser menor que high",
    "logits": "los logits deben ser números finitos",
    "loc": "la media (loc) debe ser un número finito",
}

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
