"""Error messages: English text (PyTorch's wording where it has one) + a Spanish hint."""


def msg(op, text, hint=None):
    """Format ``"op: text"`` followed by a one-line Spanish hint (``Pista: ...``)."""
    out = f"{op}: {text}" if op else text
    if hint:
        out += f"\nPista: {hint}"
    return out


class CheckedError(Exception):
    """Mixin of the errors profundo raises on purpose (already explained)."""


_CHECKED = {}


def _checked_type(exc_type):
    t = _CHECKED.get(exc_type)
    if t is None:
        # a subclass with the same name, so it prints and catches like the built-in type
        t = _CHECKED[exc_type] = type(exc_type.__name__, (exc_type, CheckedError),
                                      {"__module__": "builtins"})
    return t


def error(exc_type, op, text, hint=None):
    """Build (not raise) an exception of ``exc_type`` with a formatted message."""
    return _checked_type(exc_type)(msg(op, text, hint))


def is_checked(exc):
    return isinstance(exc, CheckedError)


def shape_str(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def broadcast_error(op, shape_a, shape_b):
    """PyTorch's broadcasting error for two shapes that do not broadcast."""
    na, nb = len(shape_a), len(shape_b)
    n = max(na, nb)
    for i in range(1, n + 1):
        sa = shape_a[-i] if i <= na else 1
        sb = shape_b[-i] if i <= nb else 1
        if sa != sb and sa != 1 and sb != 1:
            text = (f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) "
                    f"at non-singleton dimension {n - i} "
                    f"(shapes {shape_str(shape_a)} and {shape_str(shape_b)})")
            break
    else:  # pragma: no cover - only called on a real mismatch
        text = f"shapes {shape_str(shape_a)} and {shape_str(shape_b)} do not broadcast"
    return error(RuntimeError, op, text,
                 "las dimensiones deben ser iguales o 1 (broadcasting); "
                 "revisa las formas con .shape o usa unsqueeze/reshape")


# PyTorch raises RuntimeError("ZeroDivisionError") for an integer division by
# zero and RuntimeError for a failed allocation; Python code catches
# ZeroDivisionError and MemoryError.  These types are both, so either works.
IntegerDivisionByZero = type("ZeroDivisionError", (ZeroDivisionError, RuntimeError), {"__module__": "builtins"})
OutOfMemory = type("MemoryError", (MemoryError, RuntimeError), {"__module__": "builtins"})


def zero_division_error(op, dtype):
    return error(IntegerDivisionByZero, op,
                 f"ZeroDivisionError: integer division by zero ({dtype} tensors have no inf or nan)",
                 "comprueba que el divisor no tenga ceros, o divide flotantes: a.float() // b da inf/nan")


def _bytes_str(n):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"  # pragma: no cover


def _total_memory():
    """Bytes of physical memory (None if the OS does not say)."""
    import os
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


TOTAL_MEMORY = _total_memory()


def memory_error(op, shape, itemsize, dtype_name):
    """The error for a tensor too large to allocate, naming the op, shape and bytes."""
    n = itemsize
    for s in shape:
        n *= s
    have = f" (this machine has {_bytes_str(TOTAL_MEMORY)} of memory)" if TOTAL_MEMORY else ""
    return error(OutOfMemory, op,
                 f"cannot allocate a tensor of shape {shape_str(tuple(shape))} and dtype {dtype_name}: "
                 f"{n} bytes ({_bytes_str(n)}){have}",
                 "el tensor no cabe en memoria: revisa la forma (¿un broadcasting inesperado, p. ej. "
                 "x[:, None] * y[None, :]?) o usa un tamaño o lote más pequeño")


def check_alloc(op, shape, np_dtype):
    """Refuse, before allocating, a tensor larger than the machine's memory
    (NumPy would raise a bare MemoryError, ValueError or OverflowError)."""
    n = np_dtype.itemsize
    for s in shape:
        n *= s
    if n > (TOTAL_MEMORY or 1 << 62):
        from ._dtype import _FROM_NP
        d = _FROM_NP.get(np_dtype)
        raise memory_error(op, shape, np_dtype.itemsize, d.name if d else str(np_dtype))


def check_new_shape(op, shape, np_dtype):
    """The checks of every tensor factory (zeros, randn, ...): no negative
    size, and no tensor larger than the machine's memory."""
    for s in shape:
        if s < 0:
            raise error(RuntimeError, op, f"Trying to create tensor with negative dimension {min(shape)}: "
                        f"{list(shape)}", "las dimensiones deben ser >= 0")
    check_alloc(op, shape, np_dtype)
