"""Creating tensors: ``tensor``, ``zeros``, ``arange``, ``from_numpy``, ..."""
import math

import numpy as np

from ._backend import backend_of_device
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ._errors import check_alloc, check_new_shape, error, memory_error
from .ops._base import as_shape
from ._device import check_device
from .ops.out import factory_out
from .tensor import Tensor

_PY = (list, tuple, int, float, bool)


def _np_dtype(dtype, op):
    return None if dtype is None else to_dtype(dtype, op).np


def _strip_tensors(data):
    """Nested lists may hold tensors (``tensor([a, b])``): use their values."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_strip_tensors(d) for d in data]
    return data


def _check_real(value, op):
    """profundo has no complex dtype: refuse complex numbers instead of dropping their imaginary part."""
    if isinstance(value, complex):
        raise error(TypeError, op, f"must be real number, not complex ({value!r}); profundo has no complex dtype",
                    "profundo solo trabaja con números reales: usa .real/.imag por separado, "
                    "o abs() para el módulo")


def _complex_error(op, what):
    return error(TypeError, op, f"{what} holds complex numbers; profundo has no complex dtype and will not drop "
                 "their imaginary part", "usa la parte real e imaginaria por separado (np.real(a), np.imag(a)) "
                 "o el módulo np.abs(a)")


def _frame_to_array(df, dt, op):
    """A pandas DataFrame/Series: numeric and bool columns only."""
    import pandas as pd  # only reached when a DataFrame was passed, so pandas is there
    frame = df.to_frame() if isinstance(df, pd.Series) else df
    bad = [str(c) for c, t in frame.dtypes.items()
           if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))]
    if bad:
        raise error(TypeError, op, f"the DataFrame has non-numeric columns {bad}; only numeric and bool columns "
                    "can become a tensor",
                    "convierte esas columnas antes: pd.get_dummies(df, columns=[...], dummy_na=True) para "
                    "categorías, o elimínalas con df.drop(columns=[...])")
    cplx = [str(c) for c, t in frame.dtypes.items()
            if not isinstance(t, pd.api.extensions.ExtensionDtype) and np.dtype(t).kind == "c"]
    if cplx:
        raise _complex_error(op, f"the DataFrame column(s) {cplx}")
    if dt is None:
        kinds = {np.dtype(t).kind if not isinstance(t, pd.api.extensions.ExtensionDtype) else "f"
                 for t in frame.dtypes}
        dt = np.dtype(bool) if kinds == {"b"} else np.dtype(np.int64) if kinds <= {"b", "i", "u"} else \
            get_default_dtype().np
    if dt.kind in "iu":  # uint64 values above the target's maximum would wrap around
        big = [str(c) for c, t in frame.dtypes.items()
               if not isinstance(t, pd.api.extensions.ExtensionDtype) and np.dtype(t) == np.uint64
               and len(frame[c]) and frame[c].max() > np.iinfo(dt).max]
        if big:
            raise error(OverflowError, op, f"the uint64 column(s) {big} hold values larger than the largest "
                        f"{dt} ({np.iinfo(dt).max}); they would wrap around",
                        "profundo no tiene uint64: convierte esas columnas a float (df[c].astype(float)) o "
                        "redúcelas antes")
    arr = frame.to_numpy(dtype=dt, na_value=np.nan if dt.kind == "f" else None)
    return arr.reshape(-1) if isinstance(df, pd.Series) else arr


def _to_array(data, dtype, op, copy):
    dt = _np_dtype(dtype, op)
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(dt or arr.dtype, copy=copy)
    if type(data).__module__.startswith("pandas"):
        return _frame_to_array(data, dt, op)
    python_data = isinstance(data, _PY)
    if python_data:
        data = _strip_tensors(data)
    try:
        arr = np.array(data, copy=copy) if not python_data else np.asarray(data)
    except ValueError as e:
        raise error(ValueError, op, f"could not build a tensor from this data: {e}",
                    "todas las filas deben tener la misma longitud y los datos deben ser números") from None
    if arr.dtype.kind in "OUSVc":
        if arr.dtype.kind == "c" or (arr.dtype.kind == "O" and any(isinstance(v, complex) for v in arr.flat)):
            raise _complex_error(op, "the data")
        from_numpy_dtype(arr.dtype, op)  # raises the clear TypeError
    if dt is not None:
        return arr.astype(dt, copy=False)
    if python_data and arr.dtype == np.float64:
        return arr.astype(get_default_dtype().np)  # Python floats become the default float
    from_numpy_dtype(arr.dtype, op)
    return arr


def _finish(arr, requires_grad, op="tensor"):
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor with a copy of ``data`` (nested lists, numbers, NumPy arrays, DataFrames)."""
    if device is not None:
        check_device(device, "tensor")
    if pin_memory:
        raise error(RuntimeError, "tensor", "pin_memory=True requires a CUDA or other accelerator backend; no "
                    "pinned memory allocator is available on this system",
                    "quita pin_memory=True: sirve para copiar rápido a una GPU, y profundo calcula en la CPU")
    arr = _to_array(data, dtype, "tensor", copy=True)
    if isinstance(data, Tensor) or not arr.flags.owndata:
        arr = arr.copy()
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with ``data`` when it can."""
    if device is not None:
        check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype is to_dtype(dtype) else data.to(dtype)
    return _finish(_to_array(data, dtype, "as_tensor", copy=False), False)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor that shares memory with ``ndarray`` (changes show in both)."""
    if not isinstance(ndarray, np.ndarray):
        raise error(TypeError, "from_numpy", f"expected np.ndarray (got {type(ndarray).__name__})",
                    "para listas usa profundo.tensor(...)")
    from_numpy_dtype(ndarray.dtype, "from_numpy")
    return Tensor._make(ndarray)


def from_dlpack(ext_tensor):
    """Zero-copy import of any DLPack-capable CPU array (NumPy, PyTorch, ...)."""
    arr = np.from_dlpack(ext_tensor)
    from_numpy_dtype(arr.dtype, "from_dlpack")
    return Tensor._make(arr)


def _sized(fill, op):
    """``zeros``, ``ones`` or ``empty``: ``fill`` names the array function of the device's backend."""
    def make(*sizes, size=None, dtype=None, device=None, requires_grad=False):
        if device is not None:
            check_device(device, op)
        shape = as_shape(sizes if size is None else (size,), op)
        dt = _np_dtype(dtype, op) or get_default_dtype().np
        check_new_shape(op, shape, dt)
        return _finish(allocate(op, getattr(backend_of_device(device).xp, fill), shape, dt), requires_grad)
    make.__name__ = op
    return make


def allocate(op, fill, shape, dt, *args):
    """``fill(shape, *args, dtype=dt)``; a NumPy MemoryError (less memory free
    than the machine has) becomes profundo's error naming the op and the size."""
    try:
        return fill(shape, *args, dtype=dt)
    except MemoryError:
        raise memory_error(op, shape, dt.itemsize, str(dt)) from None


zeros = factory_out(_sized("zeros", "zeros"), "zeros")  # (out=: ops/out.py)
ones = factory_out(_sized("ones", "ones"), "ones")
empty = factory_out(_sized("empty", "empty"), "empty")


def _like(maker):
    def make(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
        if device is not None:
            check_device(device, make.__name__)
        return maker(input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)
    make.__name__ = maker.__name__ + "_like"
    return make


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def _fill_dtype(fill_value):
    if isinstance(fill_value, bool):
        return np.dtype(bool)
    if isinstance(fill_value, int):
        return np.dtype(np.int64)
    return get_default_dtype().np


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    if device is not None:
        check_device(device, "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    _check_real(fill_value, "full")
    dt = _np_dtype(dtype, "full") or _fill_dtype(fill_value)
    shape = as_shape((size,), "full")
    check_new_shape("full", shape, dt)
    return _finish(allocate("full", backend_of_device(device).xp.full, shape, dt, fill_value), requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    if device is not None:
        check_device(device, "full_like")
    return full(input._data.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (excluded) every ``step``."""
    if device is not None:
        check_device(device, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise error(RuntimeError, "arange", "step must be nonzero", "el paso no puede ser 0")
    if (end - start) / step < 0:
        raise error(RuntimeError, "arange", f"upper bound and larger bound inconsistent with step sign "
                    f"(start={start}, end={end}, step={step})", "con step > 0 hace falta start <= end")
    dt = _np_dtype(dtype, "arange")
    ints = all(isinstance(v, int) for v in (start, end, step))
    if dt is None:
        dt = np.dtype(np.int64) if ints else get_default_dtype().np
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise error(RuntimeError, "arange", f"unsupported range: {start} -> {end} (step {step})",
                    "los límites y el paso deben ser números finitos")
    if ints and dt.kind != "f":
        check_alloc("arange", (-((start - end) // step),), dt)  # the exact count, for Python ints
        xp = backend_of_device(device).xp
        return _finish(allocate("arange", lambda shape, dtype: xp.arange(start, end, step, dtype=dtype),
                                (-((start - end) // step),), dt), requires_grad)
    n = math.ceil((end - start) / step)  # PyTorch's length rule, computed in double precision
    xp = backend_of_device(device).xp
    check_alloc("arange", (n,), np.dtype(np.float64))
    values = allocate("arange", lambda shape, dtype: xp.arange(shape[0], dtype=dtype), (n,), np.dtype(np.float64))
    return _finish((start + step * values).astype(dt), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    if device is not None:
        check_device(device, "linspace")
    dt = _np_dtype(dtype, "linspace") or get_default_dtype().np
    if steps < 0:
        raise error(RuntimeError, "linspace", "number of steps must be non-negative",
                    "steps es la cantidad de puntos: usa un entero >= 0")
    check_alloc("linspace", (steps,), np.dtype(np.float64))
    return _finish(backend_of_device(device).xp.linspace(start, end, steps).astype(dt), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    if device is not None:
        check_device(device, "logspace")
    dt = _np_dtype(dtype, "logspace") or get_default_dtype().np
    if steps < 0:
        raise error(RuntimeError, "logspace", "number of steps must be non-negative",
                    "steps es la cantidad de puntos: usa un entero >= 0")
    check_alloc("logspace", (steps,), np.dtype(np.float64))
    return _finish((base ** backend_of_device(device).xp.linspace(start, end, steps)).astype(dt), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    if device is not None:
        check_device(device, "eye")
    dt = _np_dtype(dtype, "eye") or get_default_dtype().np
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise error(RuntimeError, "eye", f"{name} must be greater or equal to 0, got {v}",
                        "el tamaño de la matriz identidad debe ser >= 0")
    shape = (n, n if m is None else m)
    check_alloc("eye", shape, dt)
    xp = backend_of_device(device).xp
    return _finish(allocate("eye", lambda s, dtype: xp.eye(*s, dtype=dtype), shape, dt), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    if device is not None:
        check_device(device, "scalar_tensor")
    dt = _np_dtype(dtype, "scalar_tensor") or get_default_dtype().np
    return _finish(backend_of_device(device).xp.asarray(s, dtype=dt), requires_grad)


full = factory_out(full, "full")  # out=: the values written into a tensor you have (ops/out.py)
arange = factory_out(arange, "arange")
