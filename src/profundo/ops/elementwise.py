"""Elementwise math: arithmetic, powers, exp/log, trig, activations, clamp, where.

Each op is one ``Op`` with its forward (NumPy, on arrays) and its backward
(profundo tensor ops, so it is differentiable again).  Broadcasting needs no
code here: the engine sums every gradient back to its input's shape.
"""
import math

from .._backend import backend_of
from .._dtype import scalar_type_name
from .._errors import zero_division_error
from ._base import _GRAD
from ._base import (Op, Tensor, backend_for, check_operand, error, float_arr, operands, result_dtype,
                    get_default_dtype)


# ---------------------------------------------------------------- arithmetic
class Add(Op):
    kernel = "add"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "nothing"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = operands(a, b)
        return xa + xb

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    kernel = "subtract"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "nothing"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = operands(a, b)
        try:
            return xa - xb
        except TypeError:  # NumPy refuses bool - bool (checked here, off the common path)
            if any(isinstance(v, backend_for(a, b).ndarray) and v.dtype.kind == "b" for v in (xa, xb)):
                raise error(RuntimeError, "sub",
                            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                            "trying to invert a mask, use the `~` or `logical_not()` operator instead.",
                            "para invertir una máscara usa ~mascara") from None
            raise

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Op):
    kernel = "multiply"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "inputs"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        xa, xb = operands(a, b)
        return xa * xb

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g * b if na else None), (g * a if nb else None)


class Div(Op):
    kernel = "true_divide"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "inputs"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, a, b):
        xp = backend_for(a, b).xp
        ctx.save_for_backward(a, b)
        xa, xb = operands(a, b)
        if (xa if isinstance(xa, xp.ndarray) else xb).dtype.kind != "f":
            fdt = get_default_dtype().np  # true division of integers gives the default float
            xa = xa.astype(fdt) if isinstance(xa, xp.ndarray) else xa
            xb = xb.astype(fdt) if isinstance(xb, xp.ndarray) else xb
        return xa / xb

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = g / b if na else None
        gb = -g * a / (b * b) if nb else None
        return ga, gb


class Neg(Op):
    kernel = "negative"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "nothing"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "b":
            raise error(RuntimeError, "neg",
                        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                        "invert a mask, use the `~` or `logical_not()` operator instead.",
                        "para invertir una máscara usa ~mascara")
        return -x._data

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Op):
    """tensor ** number"""

    @staticmethod
    def forward(ctx, x, p):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        ctx.p = p
        xa, xp_ = operands(x, p)
        return xp.power(xa, xp_)

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        (x,) = ctx.saved_tensors
        p = ctx.p
        if p == 0:  # d/dx x**0 = 0 everywhere, 0 ** 0 included (PyTorch returns zeros, whatever g holds)
            return Tensor._make(xp.zeros(x._data.shape, g._data.dtype)), None
        return g * p * x ** (p - 1), None


class PowTensor(Op):
    """tensor ** tensor"""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, x, p):
        xp = backend_of(x).xp
        xa, xb = operands(x, p)
        y = xp.power(xa, xb)
        ctx.save_for_backward(x, p, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, p, y = ctx.saved_tensors
        nx, npow = ctx.needs_input_grad
        gx = None
        if nx:  # p * x**(p-1); PyTorch defines it as 0 where p == 0 (0 * 0**-1 would be nan at x == 0)
            gx = where(p == 0, 0.0, g * p * x ** (p - 1))
        gp = None
        if npow:  # d/dp x**p = x**p * log(x); PyTorch defines it as 0 where x == 0 and p >= 0
            gp = where((x == 0) & (p >= 0), 0.0, g * y * x.log())
        return gx, gp


class RPow(Op):
    """number ** tensor"""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, base, p):
        xp = backend_of(p).xp  # (base is a number)
        xa, xb = operands(base, p)
        y = xp.power(xa, xb)
        ctx.save_for_backward(y)
        ctx.base = base
        if base == 0:
            ctx.p = (p.detach(),)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if ctx.base == 0:  # d/dp 0**p = 0**p * log(0): PyTorch takes it as 0 for p >= 0
            (p,) = ctx.p
            return None, where(p >= 0, 0.0, g * y * -math.inf)
        return None, g * y * math.log(ctx.base)


class Maximum(Op):
    @staticmethod
    def forward(ctx, a, b):
        xp = backend_for(a, b).xp
        xa, xb = operands(a, b)
        ctx.save_for_backward(*_extremum_weights(xa < xb, xa > xb, xa == xb, _gdt(xa, xb)))
        return xp.maximum(xa, xb)

    @staticmethod
    def backward(ctx, g):
        wa, wb = ctx.saved_tensors
        return g * wa, g * wb


class Minimum(Op):
    @staticmethod
    def forward(ctx, a, b):
        xp = backend_for(a, b).xp
        xa, xb = operands(a, b)
        ctx.save_for_backward(*_extremum_weights(xa > xb, xa < xb, xa == xb, _gdt(xa, xb)))
        return xp.minimum(xa, xb)

    @staticmethod
    def backward(ctx, g):
        wa, wb = ctx.saved_tensors
        return g * wa, g * wb


def _extremum_weights(a_loses, b_loses, ties, dtype):
    """The shares of the gradient that go to ``a`` and ``b``, as PyTorch gives
    them: all of it to an input that does not lose (to both where a NaN is
    compared), half to each on a tie.  Branch-free floats: NumPy's where() is
    ~10x slower on mixed masks."""
    xp = backend_of(a_loses).xp
    half = xp.asarray(ties).astype(dtype) * 0.5
    wa = xp.asarray(~a_loses).astype(dtype)
    wa -= half
    wb = xp.asarray(~b_loses).astype(dtype)
    wb -= half
    return wa, wb


def _gdt(xa, xb):
    dt = getattr(xa, "dtype", None) or getattr(xb, "dtype", None)
    return dt if dt.kind == "f" else get_default_dtype().np


class Atan2(Op):
    @staticmethod
    def forward(ctx, a, b):
        xp = backend_for(a, b).xp
        ctx.save_for_backward(a, b)
        xa, xb = operands(a, b)
        if xa.dtype.kind != "f":
            xa, xb = xa.astype(get_default_dtype().np), xb.astype(get_default_dtype().np)
        return xp.arctan2(xa, xb)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r = a * a + b * b
        return g * b / r, -g * a / r


class Logaddexp(Op):
    """``log(exp(a) + exp(b))`` without overflow (NumPy's stable kernel, exact at
    +-inf); d/da = 1 / (1 + exp(b - a)) = sigmoid(a - b)."""

    @staticmethod
    def forward(ctx, a, b):
        xp = backend_for(a, b).xp
        xa, xb = _float_operands("logaddexp", a, b)
        ctx.save_for_backward(a, b)
        return xp.logaddexp(xa, xb)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g * (a - b).sigmoid() if na else None), (g * (b - a).sigmoid() if nb else None)


class Logaddexp2(Op):
    """``log2(2**a + 2**b)``; d/da = 1 / (1 + 2**(b - a)) = sigmoid((a - b) ln 2)."""

    @staticmethod
    def forward(ctx, a, b):
        xp = backend_for(a, b).xp
        xa, xb = _float_operands("logaddexp2", a, b)
        ctx.save_for_backward(a, b)
        return xp.logaddexp2(xa, xb)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ln2 = math.log(2.0)
        return (g * ((a - b) * ln2).sigmoid() if na else None), (g * ((b - a) * ln2).sigmoid() if nb else None)


def _float_operands(op, a, b):
    """The arrays of ``a`` and ``b`` for an op defined on floating point only
    (PyTorch has no integer kernel for it)."""
    xp = backend_for(a, b).xp
    xa, xb = operands(a, b)
    dt = (xa if isinstance(xa, xp.ndarray) else xb).dtype
    if dt.kind != "f":
        name = {"b": "Bool", "i": "Long", "u": "Byte"}[dt.kind] if dt != xp.int32 else "Int"
        raise error(NotImplementedError, op, f"\"{op}_cpu\" not implemented for '{name}'",
                    "convierte los tensores a flotante con .float()")
    return xa, xb


class Copysign(Op):
    """``|a|`` with the sign of ``b``.  d/da = copysign(1, a) * copysign(1, b),
    i.e. result / a, taken as 0 where a == 0 (PyTorch's rule); d/db = 0."""

    @staticmethod
    def forward(ctx, a, b):
        xp = backend_for(a, b).xp
        xa, xb = operands(a, b)
        if (xa if isinstance(xa, xp.ndarray) else xb).dtype.kind != "f":  # integers give the default float
            fdt = get_default_dtype().np
            xa = xa.astype(fdt) if isinstance(xa, xp.ndarray) else float(xa)
            xb = xb.astype(fdt) if isinstance(xb, xp.ndarray) else float(xb)
        y = xp.copysign(xa, xb)
        ctx.save_for_backward(a, y)
        return y

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        a, y = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = where(a == 0, 0.0, g * (y / a)) if na else None
        gb = Tensor._make(xp.zeros(y._data.shape, g._data.dtype)) if nb else None
        return ga, gb


class Lerp(Op):
    @staticmethod
    def forward(ctx, start, end, weight):
        xp = backend_of(start).xp  # (start is a tensor; end and weight may be numbers)
        wt = isinstance(weight, Tensor)
        ctx.save_for_backward(start, end, weight if wt else None)
        ctx.weight = None if wt else weight
        xs, xe = operands(start, end)
        w = weight._data if wt else weight
        # PyTorch's formula: exact at both ends
        return xp.where(xp.abs(w) < 0.5, xs + w * (xe - xs), xe - (xe - xs) * (1 - w)).astype(xs.dtype)

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx.saved_tensors
        if w is None:
            w = ctx.weight
        ns, ne, nw = ctx.needs_input_grad
        return (g * (1 - w) if ns else None, g * w if ne else None,
                g * (end - start) if nw else None)


# ---------------------------------------------------------------- unary math
class Exp(Op):
    kernel = "exp"  # the forward on same-dtype floats (see Function.kernel)
    # (no kernel_saves: a recorded exp always runs forward below, the README's worked example)

    @staticmethod
    def forward(ctx, x):
        y = backend_of(x).exp(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Exp2(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        y = xp.exp2(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * math.log(2.0)


class Expm1(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        y = xp.expm1(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)


class Log(Op):
    kernel = "log"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "inputs"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.log(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x


class Log2(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.log2(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * math.log(2.0))


class Log10(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.log10(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * math.log(10.0))


class Log1p(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.log1p(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)


class Sqrt(Op):
    kernel = "sqrt"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "output"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        y = xp.sqrt(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g / (2 * y)


class Rsqrt(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        y = 1 / xp.sqrt(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * -0.5 * y * y * y


class Reciprocal(Op):
    @staticmethod
    def forward(ctx, x):
        y = 1 / float_arr(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -g * y * y


class Abs(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.abs(x._data)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sign()


class Sin(Op):
    kernel = "sin"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "inputs"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.sin(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos()


class Cos(Op):
    kernel = "cos"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "inputs"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.cos(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * x.sin()


class Tan(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        y = xp.tan(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 + y * y)


class Asin(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.arcsin(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (1 - x * x).rsqrt()


class Acos(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.arccos(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * (1 - x * x).rsqrt()


class Atan(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.arctan(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Sinh(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.sinh(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cosh()


class Cosh(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.cosh(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.sinh()


class Tanh(Op):
    kernel = "tanh"  # the forward on same-dtype floats (see Function.kernel)
    kernel_saves = "output"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        y = backend_of(x).tanh(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if not _GRAD.enabled:  # a first-order backward records nothing: TanhGrad's kernel straight
            return Tensor._make(backend_of(g).tanh_backward(g._data, y._data))  # on the arrays (~1 us less)
        return TanhGrad.apply(g, y)  # g * (1 - y²) as one op


class TanhGrad(Op):
    """``g * (1 - y²)``: tanh's backward as a single op (fewer Python calls),
    itself differentiable for second derivatives."""

    node_name = "TanhBackwardBackward0"

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return backend_of(g).tanh_backward(g._data, y._data)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return gg * (1 - y * y), gg * g * -2 * y


class Asinh(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.arcsinh(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x + 1).rsqrt()


class Acosh(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.arccosh(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x - 1).rsqrt()


class Atanh(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        return xp.arctanh(float_arr(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 - x * x)


class Erf(Op):
    """The error function; d/dx erf(x) = 2/sqrt(pi) exp(-x^2).  Used by GELU."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return backend_of(x).erf(float_arr(x))  # NumPy has no erf: a vectorized one (Cody's in float64)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp()


class Sigmoid(Op):
    kernel = "sigmoid"  # the forward on same-dtype floats: the backend's sigmoid (see Function.kernel)
    kernel_saves = "output"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        # 1 / (1 + exp(-x)), as PyTorch computes it: for x < -88 (float32) exp(-x)
        # overflows to inf (silently) and y = 1/inf = 0, so no NaN for any x.  (A where()
        # over the sign of x is 10x slower: NumPy's where branches on each element.)
        y = backend_of(x).sigmoid(float_arr(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if not _GRAD.enabled:  # a first-order backward records nothing: SigmoidGrad's kernel straight
            return Tensor._make(backend_of(g).sigmoid_backward(g._data, y._data))  # (as Tanh's)
        return SigmoidGrad.apply(g, y)  # g * y * (1 - y) as one op


class SigmoidGrad(Op):
    """``g * y * (1 - y)``: sigmoid's backward as a single, differentiable op."""

    node_name = "SigmoidBackwardBackward0"

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return backend_of(g).sigmoid_backward(g._data, y._data)

    @staticmethod
    def backward(ctx, gg):
        g, y = ctx.saved_tensors
        return gg * y * (1 - y), gg * g * (1 - 2 * y)


class Relu(Op):
    kernel = "relu"  # the forward on same-dtype floats: the backend's relu (see Function.kernel)
    kernel_saves = "output"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, x):
        y = backend_of(x).relu(x._data)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if not _GRAD.enabled:  # a first-order backward records nothing: ThresholdGrad's kernel straight
            return Tensor._make(backend_of(g).relu_backward(g._data, y._data))  # (as Tanh's)
        return ThresholdGrad.apply(g, y)  # g where y != 0 (y > 0, or NaN as in torch), else 0


class ThresholdGrad(Op):
    """``g * (y != 0)`` for ``y = relu(x)``: relu's backward as a single op
    (linear in ``g``).  A NaN output lets the gradient through, as in PyTorch."""

    node_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(y)
        return backend_of(g).relu_backward(g._data, y._data)

    @staticmethod
    def backward(ctx, gg):
        (y,) = ctx.saved_tensors
        return ThresholdGrad.apply(gg, y), None  # linear in g; zero almost everywhere in y


class Sign(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        return xp.sign(x._data)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class _ZeroGrad(Op):
    """Piecewise-constant ops: their gradient is zero wherever it exists."""

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Floor(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        return xp.floor(x._data) if x._data.dtype.kind == "f" else x._data.copy()


class Ceil(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        return xp.ceil(x._data) if x._data.dtype.kind == "f" else x._data.copy()


class Trunc(_ZeroGrad):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        return xp.trunc(x._data) if x._data.dtype.kind == "f" else x._data.copy()


def _no_integer_kernel(op, x):
    """PyTorch's error for an op that has no kernel for an integer (or bool) dtype."""
    return error(NotImplementedError, op, f'"{op}_cpu" not implemented for \'{scalar_type_name(x._data.dtype)}\'',
                 "convierte a flotante con .float()")


class Round(_ZeroGrad):
    @staticmethod
    def forward(ctx, x, decimals):
        xp = backend_of(x).xp
        if decimals and x._data.dtype.kind != "f":  # (without decimals an integer is returned as it is)
            raise _no_integer_kernel("round", x)
        return xp.round(x._data, decimals)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


class Frac(Op):
    @staticmethod
    def forward(ctx, x):
        xp = backend_of(x).xp
        if x._data.dtype.kind != "f":  # PyTorch has no integer kernel (an integer's fraction is always 0)
            raise _no_integer_kernel("frac", x)
        return x._data - xp.trunc(x._data)

    @staticmethod
    def backward(ctx, g):
        return g


class Clamp(Op):
    """clamp with number bounds (either may be None)."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = backend_of(x).xp
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        dt = result_dtype(x, *(v for v in (lo, hi) if v is not None))
        a = x._data.astype(dt, copy=False)
        return xp.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = None
        if ctx.lo is not None:
            mask = x >= ctx.lo
        if ctx.hi is not None:
            m = x <= ctx.hi
            mask = m if mask is None else mask & m
        return g * mask, None, None


class ClampTensor(Op):
    """clamp with tensor bounds (broadcast against x); either may be None."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = backend_of(x).xp
        dt = result_dtype(*(v for v in (x, lo, hi) if v is not None))
        a = x._data.astype(dt, copy=False)
        lo_a = None if lo is None else (lo._data if isinstance(lo, Tensor) else lo)
        hi_a = None if hi is None else (hi._data if isinstance(hi, Tensor) else hi)
        # where the gradient goes (PyTorch's rule: if min > max, max wins)
        if lo_a is not None and hi_a is not None:
            to_x = (a >= lo_a) & (a <= hi_a)
            to_lo = (a < lo_a) & (lo_a < hi_a)
            to_hi = (a > hi_a) | (hi_a < lo_a)
        elif lo_a is not None:
            to_x, to_lo, to_hi = a >= lo_a, a < lo_a, None
        else:
            to_x, to_lo, to_hi = a <= hi_a, None, a > hi_a
        ctx.save_for_backward(to_x, to_lo, to_hi)
        out = a if lo_a is None else xp.maximum(a, lo_a)
        out = out if hi_a is None else xp.minimum(out, hi_a)
        return out.astype(dt, copy=False)

    @staticmethod
    def backward(ctx, g):
        to_x, to_lo, to_hi = ctx.saved_tensors
        nx, nlo, nhi = ctx.needs_input_grad
        return (g * to_x if nx else None, g * to_lo if nlo else None,
                g * to_hi if nhi else None)


class Where(Op):
    @staticmethod
    def forward(ctx, cond, a, b):
        xp = backend_of(cond).xp
        c = cond._data
        if c.dtype.kind != "b":
            raise error(RuntimeError, "where", f"where expected condition to be a boolean tensor, but got a "
                        f"tensor with dtype {cond.dtype}", "usa una máscara booleana, p. ej. x > 0")
        ctx.save_for_backward(c)
        xa, xb = operands(a, b)
        return xp.where(c, xa, xb)

    @staticmethod
    def backward(ctx, g):
        (c,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        return (None, where(c, g, 0.0) if na else None, where(c, 0.0, g) if nb else None)


# ---------------------------------------------------------------- functional API
def _binary(op_cls, name, a, b, *extra):
    b = check_operand(name, b)
    if not isinstance(a, Tensor):
        a = check_operand(name, a)
    return op_cls.apply(a, b, *extra)


def add(input, other, *, alpha=1):
    other = check_operand("add", other)
    if alpha != 1:
        other = other * alpha
    return Add.apply(input, other)


def sub(input, other, *, alpha=1):
    other = check_operand("sub", other)
    if alpha != 1:
        other = other * alpha
    return Sub.apply(input, other)


subtract = sub


def rsub(input, other, *, alpha=1):
    return sub(check_operand("rsub", other), input * alpha if alpha != 1 else input)


def mul(input, other):
    return _binary(Mul, "mul", input, other)


multiply = mul


def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _binary(Div, "div", input, other)
    if rounding_mode == "floor" or rounding_mode == "trunc":
        return _binary(DivRounding, "div", input, other, rounding_mode)
    raise error(RuntimeError, "div", f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"{rounding_mode!r}", "usa rounding_mode=None, 'trunc' o 'floor'")


divide = true_divide = div


def _check_int_divisor(op, xb, dtype, xp):
    """Integers have no inf/nan: a zero divisor is an error, as in PyTorch (floats give inf/nan)."""
    if (xb == 0).any() if isinstance(xb, xp.ndarray) else xb == 0:
        raise zero_division_error(op, dtype)


def _rounded_quotient(op, xa, xb, mode, xp):
    """``xa / xb`` rounded toward -inf (``"floor"``) or toward zero (``"trunc"``), in the operands' dtype."""
    kind = (xa if isinstance(xa, xp.ndarray) else xb).dtype.kind
    if kind == "b":
        raise error(NotImplementedError, op, f"\"div_{mode}_cpu\" not implemented for 'Bool'",
                    "convierte los booleanos con .long() o .float() antes de dividir")
    if kind == "f":
        return xp.floor_divide(xa, xb) if mode == "floor" else xp.trunc(xa / xb)
    _check_int_divisor(op, xb, (xa if isinstance(xa, xp.ndarray) else xb).dtype, xp)
    q = xp.floor_divide(xa, xb)  # exact for integers (no float round trip)
    if mode == "trunc":  # floor and trunc differ by one where the signs differ and there is a remainder
        q = q + ((xp.remainder(xa, xb) != 0) & ((xa < 0) != (xb < 0)))
    return xp.asarray(q)


class DivRounding(Op):
    """``div(a, b, rounding_mode="floor" | "trunc")``: piecewise constant, so
    its gradient is zero for both inputs (PyTorch's ``DivBackward2``)."""

    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, mode):
        xa, xb = operands(a, b)
        q = _rounded_quotient("div", xa, xb, mode, backend_for(a, b).xp)
        ctx.shape = q.shape
        return q

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        na, nb, _ = ctx.needs_input_grad
        zeros = Tensor._make(xp.zeros(ctx.shape, g._data.dtype)) if na or nb else None
        return (zeros if na else None), (zeros if nb else None), None


class FloorDivide(Op):
    """``a // b``.  PyTorch defines no derivative for it: its result is in the
    graph, and a backward through it raises (``div(a, b, rounding_mode="floor")``
    is the differentiable one, with zero gradient)."""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, b):
        xa, xb = operands(a, b)
        return _rounded_quotient("floor_divide", xa, xb, "floor", backend_for(a, b).xp)

    @staticmethod
    def backward(ctx, g):
        raise error(RuntimeError, "floor_divide", "derivative for aten::floor_divide is not implemented",
                    "usa div(a, b, rounding_mode='floor'), cuyo gradiente es cero, o .detach() el resultado")


def floor_divide(input, other):
    """``input // other``, rounded toward -inf (no derivative, like PyTorch)."""
    return _binary(FloorDivide, "floor_divide", input, other)


class Remainder(Op):
    """Python's ``%``: ``a - floor(a / b) * b``, with the sign of ``b``.  (``Fmod``
    below is the same op with the quotient truncated.)"""

    rounding, ufunc = "floor", "remainder"

    @staticmethod
    def forward(ctx, a, b):
        op = ctx._forward_cls
        xp = backend_for(a, b).xp
        xa, xb = operands(a, b)
        q = _rounded_quotient(op.ufunc, xa, xb, op.rounding, xp)  # (refuses an integer zero divisor)
        ctx.save_for_backward(q)  # d/db = -q
        return xp.asarray(getattr(xp, op.ufunc)(xa, xb))  # exact, unlike a - q * b

    @staticmethod
    def backward(ctx, g):
        (q,) = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g if na else None), (-g * q if nb else None)


def remainder(input, other):
    """Python's ``%``: the result has the sign of ``other``."""
    return _binary(Remainder, "remainder", input, other)


class Fmod(Remainder):
    """C's fmod: ``a - trunc(a / b) * b``, with the sign of ``a``."""

    rounding, ufunc = "trunc", "fmod"


def fmod(input, other):
    """C's fmod: the result has the sign of ``input``."""
    return _binary(Fmod, "fmod", input, other)


def pow(input, exponent):
    if isinstance(input, Tensor):
        exponent = check_operand("pow", exponent)
        if isinstance(exponent, Tensor):
            return PowTensor.apply(input, exponent)
        return Pow.apply(input, exponent)
    return RPow.apply(check_operand("pow", input), exponent)


def square(input):
    return Pow.apply(input, 2)


def neg(input):
    return Neg.apply(input)


negative = neg


def maximum(input, other):
    return _binary(Maximum, "maximum", input, other)


def minimum(input, other):
    return _binary(Minimum, "minimum", input, other)


def atan2(input, other):
    return _binary(Atan2, "atan2", input, other)


arctan2 = atan2


def logaddexp(input, other):
    """``log(exp(input) + exp(other))``, computed without overflow."""
    return _binary(Logaddexp, "logaddexp", input, other)


def logaddexp2(input, other):
    """``log2(2**input + 2**other)``, computed without overflow."""
    return _binary(Logaddexp2, "logaddexp2", input, other)


def copysign(input, other):
    """The magnitude of ``input`` with the sign of ``other`` (the sign bit: -0.0 counts as negative)."""
    return _binary(Copysign, "copysign", input, other)


def lerp(input, end, weight):
    return Lerp.apply(input, end, check_operand("lerp", weight))


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise error(RuntimeError, "clamp", "At least one of 'min' or 'max' must not be None",
                    "indica al menos un límite: x.clamp(min=0)")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return ClampTensor.apply(input, min, max)
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def where(condition, input=None, other=None):
    """``where(cond, x, y)``: x where cond is True, else y.  ``where(cond)`` is ``nonzero(as_tuple=True)``."""
    xp = backend_for(condition, input).xp  # (condition may be a mask array or list)
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(condition, Tensor):
        condition = Tensor._make(xp.asarray(condition))
    if input is None or other is None:
        raise error(TypeError, "where", "where() takes a condition alone or a condition, input and other "
                    "(got only one of input and other)", "escribe where(cond, x, y) o where(cond)")
    input = check_operand("where", input)
    other = check_operand("where", other)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        # two numbers: the result takes their dtype (int64 for ints, the default float for floats)
        input = Tensor._make(xp.asarray(input, result_dtype(input, other)))
    return Where.apply(condition, input, other)


def round(input, decimals=0):
    return Round.apply(input, decimals)


def _unary(op_cls):
    def f(input):
        return op_cls.apply(input)
    f.__name__ = op_cls.__name__.lower()
    f.__doc__ = f"Elementwise {f.__name__} (gradient in ``{op_cls.__module__}.{op_cls.__name__}``)."
    return f


exp = _unary(Exp)
exp2 = _unary(Exp2)
expm1 = _unary(Expm1)
log = _unary(Log)
log2 = _unary(Log2)
log10 = _unary(Log10)
log1p = _unary(Log1p)
sqrt = _unary(Sqrt)
rsqrt = _unary(Rsqrt)
reciprocal = _unary(Reciprocal)
abs = _unary(Abs)
absolute = abs
sin = _unary(Sin)
cos = _unary(Cos)
tan = _unary(Tan)
asin = arcsin = _unary(Asin)
acos = arccos = _unary(Acos)
atan = arctan = _unary(Atan)
sinh = _unary(Sinh)
cosh = _unary(Cosh)
tanh = _unary(Tanh)
asinh = arcsinh = _unary(Asinh)
acosh = arccosh = _unary(Acosh)
atanh = arctanh = _unary(Atanh)
sigmoid = _unary(Sigmoid)
erf = _unary(Erf)
relu = _unary(Relu)
sign = _unary(Sign)
floor = _unary(Floor)
ceil = _unary(Ceil)
trunc = fix = _unary(Trunc)
frac = _unary(Frac)
