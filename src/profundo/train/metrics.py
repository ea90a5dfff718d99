"""Metrics: functions ``metric(y_hat, y) -> float`` averaged over the examples of an epoch."""
from .._errors import error


def accuracy(y_hat, y):
    """Fraction of rows whose largest score is at the true class (d2l's ``accuracy`` / len)."""
    if y_hat.dim() > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    elif y_hat.dim() > 1:  # one logit per example: binary classification
        y_hat = (y_hat.reshape(-1) > 0).long()
    if tuple(y_hat.shape) != tuple(y.shape):
        raise error(ValueError, "accuracy", f"predictions of shape {tuple(y_hat.shape)} do not match labels of "
                    f"shape {tuple(y.shape)}", "la salida debe ser (N, clases) y las etiquetas (N,)")
    return float((y_hat.to(y.dtype) == y).float().mean())


METRICS = {"accuracy": accuracy}


def resolve(metrics):
    """``["accuracy", my_fn]`` -> ``{"accuracy": accuracy, "my_fn": my_fn}``."""
    out = {}
    for m in metrics or ():
        if isinstance(m, str):
            if m not in METRICS:
                raise error(ValueError, "Trainer", f"unknown metric {m!r}; known: {sorted(METRICS)}",
                            "pasa 'accuracy' o una función metric(y_hat, y) -> float")
            out[m] = METRICS[m]
        elif callable(m):
            out[getattr(m, "__name__", "metric")] = m
        else:
            raise error(TypeError, "Trainer", f"a metric must be a name or a function, got {type(m).__name__}",
                        "pasa 'accuracy' o una función metric(y_hat, y) -> float")
    return out
