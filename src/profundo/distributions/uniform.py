"""The continuous uniform distribution."""
from ..random import _rng
from .distribution import Distribution
from .utils import broadcast_all, noise


class Uniform(Distribution):
    """Uniform on ``[low, high)``; ``rsample`` is ``low + (high - low) * u`` with ``u ~ U(0, 1)``."""

    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        # the constraint compares the two parameters, so it is set per instance
        self.arg_constraints = {"low": ("LessThan(upper_bound=high)", lambda a: a < self.high._data),
                                "high": ("GreaterThan(lower_bound=low)", lambda a: a > self.low._data)}
        self.support = (f"Interval(lower_bound={_short(self.low)}, upper_bound={_short(self.high)})",
                        lambda a: (self.low._data <= a) & (a < self.high._data))
        super().__init__(self.low.shape, (), validate_args)

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    def rsample(self, sample_shape=()):
        u = noise(_rng(None).random, self._extended_shape(sample_shape), self.low)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        self._validate_sample(value)
        inside = ((self.low <= value) & (value < self.high)).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def entropy(self):
        return (self.high - self.low).log()


def _short(t):
    return t.item() if t.numel() == 1 else f"Tensor{tuple(t.shape)}"
