"""What every built-in op shares: the ``Op`` base class and argument helpers."""
from .._backend import backend_of
from .._backend import xp as host_xp  # host-side: NumPy arrays and scalars a user passes in
from .._dtype import _FROM_NP, get_default_dtype, result_np_dtype, scalar_np_dtype, to_dtype
from .._dims import norm_dim
from .._errors import error
from ..autograd import grad_mode
from ..autograd.function import Function, scalar_array
from ..tensor import Tensor

_SCALARS = (bool, int, float)
_GRAD = grad_mode.STATE


class Op(Function):
    """A built-in op: named ``XxxBackward0`` in the graph, like PyTorch's, and
    a raw NumPy error inside it becomes an error that names the op."""

    _name_suffix = "0"
    _wrap_errors = True
    _forward_uses_tensor_ops = False
    _fresh_grads = True


def arr(x):
    """The array of a tensor (other values pass through)."""
    return x._data if isinstance(x, Tensor) else x


def float_arr(x):
    """The array of ``x`` as floating point (integers become the default float)."""
    a = x._data
    if a.dtype.kind != "f":
        a = a.astype(get_default_dtype().np)
    return a


def check_operand(op, x):
    """Tensors and Python/NumPy scalars pass; a NumPy array is wrapped; anything else is a TypeError."""
    if isinstance(x, Tensor) or isinstance(x, _SCALARS):
        return x
    if type(x) is host_xp.ndarray:
        return Tensor._make(x)
    if isinstance(x, host_xp.generic):
        return x.item()
    raise error(TypeError, op, f"unsupported operand type {type(x).__name__!r}; expected a Tensor or a number",
                "convierte el valor con profundo.tensor(...)")


def operands(a, b):
    """Arrays of ``a`` and ``b`` (tensors or Python scalars) in their common dtype."""
    if isinstance(a, Tensor):
        xa = a._data
        if isinstance(b, Tensor):
            xb = b._data
            if xa.dtype is xb.dtype or xa.dtype == xb.dtype:  # (the identity test first: ~30 ns less)
                return xa, xb
            dt = result_np_dtype((xa, xb))
        else:
            xb = b
            kind, tb = xa.dtype.kind, type(b)
            if kind == "f" and (tb is float or tb is int):
                # the number takes the tensor's dtype; as a 0-d array NumPy handles it ~2x faster.
                # scalar_array keeps the ones it made: finding one costs ~0.03 us, making one ~0.2
                return xa, scalar_array(b, xa.dtype, xa)
            if tb is int and kind in "iu":
                return xa, xb  # a Python int never changes an integer tensor's dtype
            dt = result_np_dtype((xa,), (b,))
            if dt == xa.dtype:
                return xa, xb
    else:
        xa, xb = a, b._data
        dt = result_np_dtype((xb,), (a,))
    if isinstance(a, Tensor) and xa.dtype != dt:  # (the other operand is a number)
        xa = xa.astype(dt)
    if isinstance(b, Tensor) and xb.dtype != dt:
        xb = xb.astype(dt)
    return xa, xb


def backend_for(a, b):
    """The backend of the first tensor among ``a`` and ``b`` (a binary op's
    operands: one of them may be a Python number)."""
    return backend_of(a if isinstance(a, Tensor) else b)


def result_dtype(*values):
    arrays = [v._data for v in values if isinstance(v, Tensor)]
    scalars = [v for v in values if not isinstance(v, Tensor)]
    return result_np_dtype(arrays, scalars)


def norm_dims(dim, ndim, op):
    """``dim`` (None, int, or sequence) as a sorted tuple of non-negative dims."""
    if dim.__class__ is int and 0 <= dim < ndim:
        return (dim,)  # the common case, already valid
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(sorted({norm_dim(d, ndim, op) for d in dim}))
        if len(dims) != len(dim):
            raise error(RuntimeError, op, f"dim {tuple(dim)} appears multiple times in the list of dims",
                        "no repitas dimensiones")
    else:
        dims = (norm_dim(dim, ndim, op),)
    return dims if ndim else ()


def keepdim_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def reduced_shape(shape, dims):
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def expand_reduced(g, in_shape, dims, keepdim):
    """Broadcast the gradient of a reduction back over the reduced dims."""
    if not _GRAD.enabled:  # a first-order backward records nothing: one read-only broadcast view
        a = g._data if keepdim else g._data.reshape(keepdim_shape(in_shape, dims))
        return Tensor._make(backend_of(g).xp.broadcast_to(a, in_shape))
    if not keepdim:
        g = g.reshape(keepdim_shape(in_shape, dims))
    return g.expand(in_shape)


def as_shape(args, op):
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(args) == 1 and (isinstance(args[0], (tuple, list, Tensor)) or hasattr(args[0], "__iter__")):
        args = tuple(args[0])
    for s in args:
        if type(s) is not int:
            break
    else:
        return args  # the common case: plain ints
    out = []
    for s in args:
        try:
            out.append(int(s.__index__()))
        except (AttributeError, TypeError):
            raise error(TypeError, op, f"sizes must be ints, got {s!r} in {args!r}",
                        "la forma es una tupla de enteros, p. ej. (2, 3)") from None
    return tuple(out)


def np_dtype(dtype, op="dtype"):
    return None if dtype is None else to_dtype(dtype, op).np


def pdtype(np_dt):
    return _FROM_NP[np_dt]


__all__ = ["Op", "Tensor", "backend_of", "backend_for", "error", "arr", "float_arr", "operands", "norm_dim", "norm_dims",
           "keepdim_shape", "reduced_shape", "expand_reduced", "as_shape", "np_dtype", "pdtype", "check_operand",
           "result_dtype", "scalar_np_dtype", "get_default_dtype"]
