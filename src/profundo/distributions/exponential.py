"""The exponential distribution."""
from ..random import _rng
from .distribution import Distribution
from .utils import broadcast_all, noise


class Exponential(Distribution):
    """Exponential with ``rate`` (mean ``1/rate``); ``rsample`` is ``e / rate`` with ``e ~ Exp(1)``."""

    has_rsample = True
    arg_constraints = {"rate": ("GreaterThan(lower_bound=0.0)", lambda a: a > 0)}
    support = ("GreaterThanEq(lower_bound=0.0)", lambda a: a >= 0)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate ** -2

    def rsample(self, sample_shape=()):
        e = noise(_rng(None).standard_exponential, self._extended_shape(sample_shape), self.rate)
        return e / self.rate

    def log_prob(self, value):
        self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def entropy(self):
        return 1.0 - self.rate.log()
