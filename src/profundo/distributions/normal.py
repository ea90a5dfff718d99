"""The normal (Gaussian) distribution."""
import numpy as np

from ..random import _rng
from .distribution import LOG_SQRT_2PI, Distribution
from .utils import broadcast_all, noise


class Normal(Distribution):
    """Gaussian ``N(loc, scale^2)``; ``rsample`` is ``loc + scale * eps`` with ``eps ~ N(0, 1)``."""

    has_rsample = True
    arg_constraints = {"loc": ("Real()", lambda a: ~np.isnan(a)),
                       "scale": ("GreaterThan(lower_bound=0.0)", lambda a: a > 0)}
    support = ("Real()", lambda a: ~np.isnan(a))

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def rsample(self, sample_shape=()):
        eps = noise(_rng(None).standard_normal, self._extended_shape(sample_shape), self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - LOG_SQRT_2PI

    def entropy(self):
        return 0.5 + LOG_SQRT_2PI + self.scale.log()
