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
