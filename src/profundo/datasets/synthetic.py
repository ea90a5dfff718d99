"""Synthetic data used in the course (known answers, so a model can be checked)."""
import math

from .._errors import error
from ..tensor import Tensor
from ..utils.data import TensorDataset


def synthetic_data(w, b, num_examples, noise=0.01, generator=None):
    """d2l's linear-regression data: ``X ~ N(0, 1)``, ``y = X w + b + N(0, noise^2)``.

    Returns ``X`` (num_examples, len(w)) and ``y`` (num_examples, 1), both float32.
    """
    from .. import random
    from ..creation import tensor
    w = w if isinstance(w, Tensor) else tensor(w)
    if w.dim() != 1 or not w.is_floating_point():
        raise error(ValueError, "synthetic_data", f"w must be a 1-d float tensor, got shape {tuple(w.shape)} "
                    f"and dtype {w.dtype}", "p. ej. w = profundo.tensor([2.0, -3.4])")
    if not isinstance(num_examples, int) or num_examples < 0:
        raise error(ValueError, "synthetic_data", f"num_examples must be a non-negative int, got {num_examples!r}",
                    "pasa cuántos ejemplos quieres, p. ej. 1000")
    X = random.normal(0.0, 1.0, (num_examples, len(w)), generator=generator, dtype=w.dtype)
    y = X @ w + b
    y = y + random.normal(0.0, noise, y.shape, generator=generator, dtype=w.dtype)
    return X, y.reshape(-1, 1)


def linear_regression_dataset(w, b, num_examples, noise=0.01, generator=None):
    """``TensorDataset(X, y)`` of ``synthetic_data``."""
    return TensorDataset(*synthetic_data(w, b, num_examples, noise, generator))


def noisy_sine(num_steps=1000, noise=0.2, period=200 * math.pi, generator=None):
    """d2l's time series (chapter 9): ``x_t = sin(2 pi t / period) + N(0, noise^2)``, t = 1..num_steps.

    Returns ``(time, x)`` float32 tensors of length ``num_steps``.
    """
    from .. import random
    from ..creation import arange
    time = arange(1, num_steps + 1, dtype=None).float()
    x = (time * (2 * math.pi / period)).sin() + random.normal(0.0, noise, (num_steps,), generator=generator)
    return time, x
