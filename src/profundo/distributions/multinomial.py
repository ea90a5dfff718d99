"""The multinomial distribution (counts of K categories in n draws)."""
import numpy as np

from .._backend import backend_of
from .._errors import error
from ..tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution

class Multinomial(Distribution):
    """Counts of each of K categories in ``total_count`` independent draws."""

    arg_constraints = Categorical.arg_constraints

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int) or isinstance(total_count, bool) or total_count < 0:
            raise error(ValueError, "Multinomial", f"total_count must be a non-negative int, got {total_count!r}",
                        "total_count es cuántas veces se lanza, p. ej. Multinomial(10, probs)")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        self.probs, self.logits = self._categorical.probs, self._categorical.logits
        n = self._categorical._num_events
        self.support = (f"Multinomial(upper_bound={total_count})",
                        lambda a: np.all(a >= 0, axis=-1) & (a.sum(-1) <= total_count) & np.all(a == np.floor(a), -1))
        super().__init__(self._categorical.batch_shape, (n,), validate_args=False)
        self._validate_args = self._categorical._validate_args

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        n = self._categorical._num_events
        draws = self._categorical._draw((self.total_count,) + tuple(sample_shape))
        counts = (draws[..., None] == backend_of(self.probs).xp.arange(n)).sum(axis=0)  # (on the probs' device)
        return Tensor._make(counts.astype(self.probs._data.dtype))

    def log_prob(self, value):
        self._validate_sample(value)
        be = backend_of(value)
        v = value._data.astype(be.xp.float64)
        # log(n! / (k_1! ... k_K!)) with log(k!) = lgamma(k + 1), the backend's vectorized kernel: constants
        # of the counts, no gradient needed
        log_factorials = be.lgamma(v.sum(-1) + 1) - be.lgamma(v + 1).sum(-1)
        from ..ops import FUNCTIONS
        logits = FUNCTIONS["where"]((value == 0) & self.logits.isinf(), 0.0, self.logits)
        constant = Tensor._make(log_factorials.astype(self.logits._data.dtype))
        return constant + (logits * value).sum(-1)

    def entropy(self):
        raise error(NotImplementedError, "Multinomial", "entropy() is not implemented for Multinomial",
                    "calcúlala como suma sobre los resultados posibles, o usa Categorical para un solo lanzamiento")
