"""Comparisons, logical and bitwise ops.  Their results are bool or integer
tensors, so they have no gradient and need no ``Op``."""
from .._errors import broadcast_error
from .._backend import backend_of
from ._base import Tensor, backend_for, check_operand, error, operands


def _apply(op, ufunc, a, b):
    b = check_operand(op, b)
    if not isinstance(a, Tensor):
        a = check_operand(op, a)
    xp = backend_for(a, b).xp
    ufunc = getattr(xp, ufunc)
    xa, xb = operands(a, b)
    return _result(op, xp, ufunc, xa, xb, a, b)


def _result(op, xp, ufunc, xa, xb, a, b):
    """``ufunc(xa, xb)`` as a tensor; operands that do not broadcast get PyTorch's error."""
    try:
        return Tensor._make(xp.asarray(ufunc(xa, xb)))
    except ValueError:
        sa = a._data.shape if isinstance(a, Tensor) else ()
        sb = b._data.shape if isinstance(b, Tensor) else ()
        raise broadcast_error(op, sa, sb) from None


def eq(input, other):
    return _apply("eq", "equal", input, other)


def ne(input, other):
    return _apply("ne", "not_equal", input, other)


def lt(input, other):
    return _apply("lt", "less", input, other)


def le(input, other):
    return _apply("le", "less_equal", input, other)


def gt(input, other):
    return _apply("gt", "greater", input, other)


def ge(input, other):
    return _apply("ge", "greater_equal", input, other)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def logical_and(input, other):
    return _apply("logical_and", "logical_and", input, other)


def logical_or(input, other):
    return _apply("logical_or", "logical_or", input, other)


def logical_xor(input, other):
    return _apply("logical_xor", "logical_xor", input, other)


def logical_not(input):
    xp = backend_of(input).xp
    return Tensor._make(xp.logical_not(input._data))


def _check_bitwise(op, *values):
    for v in values:
        if isinstance(v, Tensor) and v._data.dtype.kind == "f" or isinstance(v, float):
            raise error(RuntimeError, op, f"\"{op}_cpu\" not implemented for 'Float': bitwise ops need bool or "
                        "integer tensors", "para máscaras usa tensores bool; para combinar condiciones con "
                        "flotantes usa logical_and/logical_or")


def bitwise_and(input, other):
    _check_bitwise("bitwise_and", input, other)
    return _apply("bitwise_and", "bitwise_and", input, other)


def bitwise_or(input, other):
    _check_bitwise("bitwise_or", input, other)
    return _apply("bitwise_or", "bitwise_or", input, other)


def bitwise_xor(input, other):
    _check_bitwise("bitwise_xor", input, other)
    return _apply("bitwise_xor", "bitwise_xor", input, other)


def bitwise_not(input):
    xp = backend_of(input).xp
    _check_bitwise("bitwise_not", input)
    return Tensor._make(xp.invert(input._data))


def _shift(op, kernel, ufunc, input, other):
    """``input << other`` / ``input >> other`` on integers, with PyTorch's
    rule for a shift by a negative amount or by the width of the type or
    more: ``<<`` gives 0, ``>>`` gives 0 or -1 (the sign)."""
    other = check_operand(op, other)
    if not isinstance(input, Tensor):
        input = check_operand(op, input)
    xp = backend_for(input, other).xp
    ufunc = getattr(xp, ufunc)
    xa, xb = operands(input, other)
    dt = (xa if isinstance(xa, xp.ndarray) else xb).dtype
    if dt.kind not in "iu":  # floats, or bool with bool
        name = {"f": "Float", "b": "Bool"}.get(dt.kind, str(dt))
        if dt == xp.float64:
            name = "Double"
        raise error(NotImplementedError, op, f"\"{kernel}_cpu\" not implemented for '{name}': bit shifts need "
                    "integer tensors", "convierte con .long() o usa multiplicaciones por potencias de 2")
    bits = dt.itemsize * 8
    if not isinstance(xb, xp.ndarray) and not 0 <= xb < bits:
        xb = bits  # a Python int that NumPy could not cast; NumPy shifts by >= bits like PyTorch
    return _result(op, xp, ufunc, xa, xb, input, other)


def bitwise_left_shift(input, other):
    """``input << other`` (integers only)."""
    return _shift("bitwise_left_shift", "lshift", "left_shift", input, other)


def bitwise_right_shift(input, other):
    """``input >> other`` (integers only; arithmetic shift: the sign is kept)."""
    return _shift("bitwise_right_shift", "rshift", "right_shift", input, other)


def isnan(input):
    xp = backend_of(input).xp
    return Tensor._make(xp.isnan(input._data))


def isinf(input):
    xp = backend_of(input).xp
    return Tensor._make(xp.isinf(input._data))


def isfinite(input):
    xp = backend_of(input).xp
    return Tensor._make(xp.isfinite(input._data))


def isposinf(input):
    xp = backend_of(input).xp
    return Tensor._make(xp.isposinf(input._data))


def isneginf(input):
    xp = backend_of(input).xp
    return Tensor._make(xp.isneginf(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    xp = backend_of(input).xp
    xa, xb = operands(input, check_operand("isclose", other))
    return Tensor._make(xp.asarray(xp.isclose(xa, xb, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True if both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())
