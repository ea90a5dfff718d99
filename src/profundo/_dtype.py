"""dtypes with PyTorch's names and type-promotion rules."""
import builtins

import numpy as np

from ._errors import error


class dtype:
    """A tensor element type, e.g. ``profundo.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name, np_type, category):
        self.name = name
        self.np = np.dtype(np_type)
        self.is_floating_point = category == 2
        self.is_signed = category == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating point

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return f"profundo.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}


def _by_name(name):
    return _NAMES[name]


class _Default:
    float = float32  # changed by set_default_dtype


_default = _Default()


def get_default_dtype():
    return _default.float


def set_default_dtype(d):
    d = to_dtype(d)
    if not d.is_floating_point:
        raise error(TypeError, "set_default_dtype",
                    f"only floating-point types are supported as the default type, got {d}",
                    "usa profundo.float32 o profundo.float64")
    _default.float = d


def from_numpy_dtype(np_dtype, op="tensor"):
    """The profundo dtype of a NumPy dtype, or a clear TypeError."""
    d = _FROM_NP.get(np_dtype)
    if d is None:
        d = _FROM_NP.get(np.dtype(np_dtype)) if not isinstance(np_dtype, np.dtype) else None
        if d is None:
            name = getattr(getattr(np_dtype, "type", None), "__name__", str(np_dtype))
            raise error(TypeError, op,
                        f"can't convert np.ndarray of type numpy.{name}. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.",
                        "convierte los datos a números (p. ej. con pandas: pd.get_dummies o .astype(float))")
    return d


def to_dtype(d, op="dtype"):
    """Accept a profundo dtype, a NumPy dtype/type, or Python's float/int/bool."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d]
    try:
        return from_numpy_dtype(np.dtype(d), op)
    except TypeError:
        raise error(TypeError, op, f"{d!r} is not a dtype; expected e.g. profundo.float32",
                    "usa un tipo de profundo como profundo.float32 o profundo.int64") from None


# ---------------------------------------------------------------- promotion
def _promote_pair(a, b):
    """torch.promote_types on NumPy dtypes (bool < integer < floating)."""
    if a == b:
        return a
    ca, cb = _FROM_NP[a]._category, _FROM_NP[b]._category
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


_PROMOTE_CACHE = {}


def promote_types(a, b):
    """``profundo.promote_types``: works on profundo dtypes."""
    return _FROM_NP[_promote_np(to_dtype(a).np, to_dtype(b).np)]


def _promote_np(a, b):
    key = (a, b)
    r = _PROMOTE_CACHE.get(key)
    if r is None:
        r = _PROMOTE_CACHE[key] = _promote_pair(a, b)
    return r


def _combine(higher, lower):
    """PyTorch's combine_categories: a lower-priority operand only wins by category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote_np(higher, lower)
    return higher


def scalar_np_dtype(value):
    """The dtype a Python (or NumPy) scalar takes part in promotion with."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return _default.float.np
    raise error(TypeError, None, f"unsupported scalar type {type(value).__name__} ({value!r})",
                "profundo trabaja con números reales: bool, int o float")


def result_np_dtype(arrays, scalars=()):
    """Result dtype of an op on ``arrays`` (ndarrays) and Python ``scalars``.

    PyTorch's rule: dimensioned tensors take priority over 0-dim tensors,
    which take priority over Python scalars, unless a lower-priority operand
    belongs to a higher category (bool < integer < floating point).
    """
    dim = zero = wrapped = None
    for a in arrays:
        dt = a.dtype
        if a.ndim:
            dim = dt if dim is None else _promote_np(dim, dt)
        else:
            zero = dt if zero is None else _promote_np(zero, dt)
    for s in scalars:
        dt = scalar_np_dtype(s)
        wrapped = dt if wrapped is None else _promote_np(wrapped, dt)
    return _combine(dim, _combine(zero, wrapped))


def can_cast(src, dst):
    """torch.can_cast on NumPy dtypes: no float->int, no non-bool->bool."""
    cs, cd = _FROM_NP[src]._category, _FROM_NP[dst]._category
    return cs <= cd


# PyTorch's ScalarType names, as its messages print them ("not implemented for 'Long'",
# "result type Float can't be cast to the desired output type Int")
_SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                      "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def scalar_type_name(np_dtype):
    """PyTorch's ScalarType name of a NumPy dtype (``Float`` for float32, ``Long`` for int64)."""
    return _SCALAR_TYPE_NAMES.get(np_dtype.name, np_dtype.name)
