"""The Bernoulli distribution (one coin flip)."""
import numpy as np

from .distribution import Distribution, as_float_tensor
from .utils import clamp_probs, one_of, softplus


class Bernoulli(Distribution):
    """One coin flip: 1 with probability ``probs`` (or ``sigmoid(logits)``)."""

    arg_constraints = {"probs": ("Interval(lower_bound=0.0, upper_bound=1.0)", lambda a: (a >= 0) & (a <= 1)),
                       "logits": ("Real()", lambda a: ~np.isnan(a))}
    support = ("Boolean()", lambda a: (a == 0) | (a == 1))

    def __init__(self, probs=None, logits=None, validate_args=None):
        one_of("Bernoulli", probs, logits)
        if probs is not None:
            self.probs = as_float_tensor(probs)
            p = clamp_probs(self.probs)
            self.logits = p.log() - (-p).log1p()
        else:
            self.logits = as_float_tensor(logits)
            self.probs = self.logits.sigmoid()
        super().__init__(self.probs.shape, (), validate_args)

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        from ..random import bernoulli
        return bernoulli(self.probs.detach().expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        self._validate_sample(value)
        return value * self.logits - softplus(self.logits)

    def entropy(self):
        return softplus(self.logits) - self.probs * self.logits
