"""Dimension arguments: ``dim=-1`` and friends, checked once for every op."""
from ._errors import error


def norm_dim(dim, ndim, op):
    """A dim in ``[-ndim, ndim)`` as a non-negative int (0-d tensors accept 0 and -1)."""
    n = max(ndim, 1)
    if not isinstance(dim, int) or isinstance(dim, bool):
        if hasattr(dim, "__index__"):  # a NumPy integer or a one-element integer tensor
            dim = dim.__index__()
        else:
            raise error(TypeError, op, f"dim must be an int, got {type(dim).__name__}",
                        "dim es un entero (o una tupla de enteros)")
    if not -n <= dim < n:
        raise error(IndexError, op,
                    f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})",
                    "las dimensiones van de 0 a x.dim()-1 (o de -x.dim() a -1)")
    return dim % n if ndim else 0
