"""The one array namespace every kernel goes through.

Today it is NumPy.  A CuPy backend can later replace ``xp`` without touching
the ops: ops call ``xp.exp``, ``xp.matmul``, ... and never import numpy for
computation themselves.
"""
import numpy as np

xp = np

# Like PyTorch, a division by zero or a log of a negative number gives inf/nan
# silently (anomaly mode finds them).  ``np.errstate`` would cost ~3 us per op,
# so profundo sets NumPy's floating-point warnings off once, at import.
np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

#: the array type of this backend
ndarray = np.ndarray


def asarray(x, dtype=None):
    """Return ``x`` as an array of this backend (no copy when possible)."""
    return xp.asarray(x, dtype=dtype)


# Reductions call the ufunc's reduce directly: np.sum/np.max add ~3 us of
# Python-level argument handling per call, which small tensors feel.
def reduce_sum(a, axis, keepdims=False, dtype=None):
    return xp.add.reduce(a, axis=axis, dtype=dtype, keepdims=keepdims)


def reduce_max(a, axis, keepdims=False):
    return xp.maximum.reduce(a, axis=axis, keepdims=keepdims)


def reduce_min(a, axis, keepdims=False):
    return xp.minimum.reduce(a, axis=axis, keepdims=keepdims)


def scatter_add(target, index, values):
    """``target[index] += values`` where repeated indices accumulate.

    ``np.add.at`` is the readable reference; for the common case of one
    integer index array on the first axis a sort-free ``bincount`` would be
    faster, which the embedding layers can specialise later.
    """
    xp.add.at(target, index, values)


def reshape_view(a, shape):
    """``a`` reshaped without copying, or ValueError if that needs a copy."""
    try:
        return xp.reshape(a, shape, copy=False)  # NumPy >= 2.1
    except TypeError:  # older NumPy: setting .shape on a view refuses to copy
        v = a.view()
        try:
            v.shape = shape
        except AttributeError as e:
            raise ValueError(str(e)) from None
        return v
