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


_ZEROS = {}  # (shape, dtype) -> read-only zeros, most recently added last


def zeros_like_readonly(a, max_bytes=1 << 22, keep=8):
    """A read-only array of zeros shaped like ``a``, reused between calls.

    ``np.maximum(a, zeros)`` runs NumPy's SIMD loop, 3x faster than
    ``np.maximum(a, 0)``, and reusing the zeros saves filling them each
    time.  Only arrays of at most ``max_bytes`` are kept, ``keep`` shapes at most.
    """
    if a.nbytes > max_bytes:
        return xp.zeros_like(a)
    key = (a.shape, a.dtype)
    z = _ZEROS.get(key)
    if z is None:
        if len(_ZEROS) >= keep:
            _ZEROS.pop(next(iter(_ZEROS)))
        z = _ZEROS[key] = xp.zeros(a.shape, a.dtype)
        z.flags.writeable = False
    return z


# Reductions call the ufunc's reduce directly: np.sum/np.max add ~3 us of
# Python-level argument handling per call, which small tensors feel; and a
# one-element axis tuple is passed as an int, which NumPy takes ~1 us faster.
def _axis(axis):
    return axis[0] if axis.__class__ is tuple and len(axis) == 1 else axis


def reduce_sum(a, axis, keepdims=False, dtype=None):
    axis = _axis(axis)
    if _rows_for_einsum(a, axis) and dtype is None:
        out = xp.einsum("...i->...", a)
        return out[..., None] if keepdims else out
    return xp.add.reduce(a, axis, dtype, None, keepdims)


def _rows_for_einsum(a, axis):
    """Sums of contiguous float rows of 64 to 4096 elements, in a large array:
    ``np.einsum("...i->...")`` vectorizes them 2.5x faster than
    ``np.add.reduce`` (``softmax``, ``sum(dim=-1)``), and rows this short keep
    its lane-wise sums about as accurate as NumPy's pairwise ones."""
    return (a.ndim and (axis == a.ndim - 1 or axis == -1) and a.dtype.kind == "f" and a.size >= 4096
            and 64 <= a.shape[-1] <= 4096 and a.strides[-1] == a.itemsize)


def reduce_max(a, axis, keepdims=False):
    return xp.maximum.reduce(a, _axis(axis), None, None, keepdims)


def reduce_min(a, axis, keepdims=False):
    return xp.minimum.reduce(a, _axis(axis), None, None, keepdims)


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
