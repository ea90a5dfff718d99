"""``repr(tensor)`` in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""
import numpy as np

from ._dtype import get_default_dtype

_IMPLIED = ("bool", "int64")  # dtypes torch does not print (plus the default float)


def _float_formatter(arr):
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    absf = np.abs(finite.astype(np.float64))
    nz = absf[absf > 0]
    ints = bool(np.all(finite == np.round(finite)))
    sci = nz.size > 0 and (nz.max() / nz.min() > 1000.0 or nz.max() > 1e8 or nz.min() < 1e-4)
    if ints and not (nz.size and nz.max() > 1e8):
        return lambda v: _special(v) or f"{v:.0f}."
    if sci:
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def format_array(arr, prefix="tensor("):
    if arr.dtype.kind == "f":
        fmt = _float_formatter(arr)
    elif arr.dtype.kind == "b":
        fmt = lambda v: "True" if v else "False"  # noqa: E731
    else:
        fmt = str
    flat = [fmt(v) for v in arr.reshape(-1).tolist()] if arr.size <= 1000 else None
    if flat is not None:
        # like torch, the column width comes from the finite values only
        finite = arr.reshape(-1) if arr.dtype.kind != "f" else np.isfinite(arr.reshape(-1))
        widths = [len(s) for s, ok in zip(flat, finite.tolist() if arr.dtype.kind == "f" else [True] * len(flat))
                  if ok] or [len(s) for s in flat]
        width = max(widths, default=0)
        strings = np.array([s.rjust(width) for s in flat], dtype=object).reshape(arr.shape)
        return np.array2string(strings, separator=", ", prefix=prefix, max_line_width=80,
                               formatter={"all": lambda s: s}, threshold=1000)
    with np.printoptions(precision=4, threshold=1000, edgeitems=3, linewidth=80):
        return np.array2string(arr, separator=", ", prefix=prefix)


def tensor_repr(t):
    arr = t._data
    prefix = "tensor("
    suffix = []
    if arr.size == 0 and arr.shape != (0,):
        body = "[]"
        suffix.append(f"size={tuple(arr.shape)}")
    else:
        body = format_array(arr, prefix)
    name = arr.dtype.name
    if name not in _IMPLIED and arr.dtype != get_default_dtype().np:
        suffix.append(f"dtype=profundo.{name}")
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffix.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffix) + ")"
