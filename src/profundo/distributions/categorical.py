"""The categorical distribution (one draw among K categories)."""
import numpy as np

from .._errors import error
from ..tensor import Tensor
from .distribution import Distribution, as_float_tensor
from .utils import clamp_probs, one_of


class Categorical(Distribution):
    """One draw among K categories with probabilities ``probs`` (normalized along the last dim) or ``logits``."""

    arg_constraints = {"probs": ("Simplex()", lambda a: (a >= 0) & np.isclose(a.sum(-1, keepdims=True), 1)),
                       "logits": ("IndependentConstraint(Real(), 1)", lambda a: ~np.isnan(a))}

    def __init__(self, probs=None, logits=None, validate_args=None):
        one_of(type(self).__name__, probs, logits)
        if probs is not None:
            probs = as_float_tensor(probs)
            if probs.dim() < 1:
                raise error(ValueError, type(self).__name__, "`probs` parameter must be at least one-dimensional.",
                            "pasa un vector de probabilidades, una por categoría")
            self.probs = probs / probs.sum(-1, keepdim=True)  # like torch: normalized, not required to sum to 1
            self.logits = clamp_probs(self.probs).log()
        else:
            logits = as_float_tensor(logits)
            if logits.dim() < 1:
                raise error(ValueError, type(self).__name__, "`logits` parameter must be at least one-dimensional.",
                            "pasa un vector de logits, uno por categoría")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = self.probs.shape[-1]
        self.support = (f"IntegerInterval(lower_bound=0, upper_bound={self._num_events - 1})",
                        lambda a: (a >= 0) & (a < self._num_events) & (a == np.floor(a)))
        super().__init__(self.probs.shape[:-1], (), validate_args)

    @property
    def param_shape(self):
        return self.probs.shape

    @property
    def mean(self):
        from ..creation import full
        return full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    variance = mean

    def _draw(self, sample_shape):
        """Category indices of shape ``sample_shape + batch_shape`` (inverse-CDF sampling, vectorized)."""
        from ..random import multinomial
        rows = self.probs.detach().reshape(-1, self._num_events)
        count = int(np.prod(sample_shape, dtype=np.int64))
        idx = multinomial(rows, count, replacement=True)._data.T  # (count, rows)
        return idx.reshape(tuple(sample_shape) + tuple(self._batch_shape))

    def sample(self, sample_shape=()):
        return Tensor._make(self._draw(tuple(sample_shape)).astype(np.int64))

    def log_prob(self, value):
        self._validate_sample(value)
        from ..ops import FUNCTIONS
        value = value.long().unsqueeze(-1)
        value, log_pmf = FUNCTIONS["broadcast_tensors"](value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        return -(self.logits.clamp(min=min_real) * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        from ..creation import arange
        values = arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
