"""Every in-place form of profundo's Tensor, as a table the in-place tests run
(tests/test_inplace_parity.py against PyTorch, tests/test_dispatch.py for the
dispatch path).

A case: ``call(x, *args)`` runs the in-place form on ``x``; ``args`` are built
for a module ``T`` (``profundo`` or ``torch``) by ``build_args``: a float NumPy
array becomes a float64 tensor, an int array an int64 index tensor, a bool
array a mask; numbers stay numbers.  ``op`` names the op class whose
``apply(..., out=x)`` the form reaches; ``domain`` picks input values inside
the op's domain; ``diff=False`` marks a form PyTorch gives no derivative;
``random`` marks a random fill (values are compared by their support only).
"""
import operator
from dataclasses import dataclass

import numpy as np

_rng = np.random.default_rng(11)
X = _rng.standard_normal((3, 4))
Y = _rng.standard_normal((3, 4))
Z = _rng.standard_normal((3, 4))
ROW = _rng.standard_normal(4)
POS = np.abs(Y) + 0.5
MASK = X > 0.2
IDX = np.array([[0, 2], [1, 3], [3, 0]])  # scatter along dim 1: distinct positions per row
SRC = _rng.standard_normal((3, 2))
VIDX = np.array([2, 0])                   # index_add_/index_fill_ along dim 1
ROWS = np.array([2, 0])                   # x[ROWS] = ...
W = _rng.standard_normal((3, 4))          # the loss is (x * W).sum()
SCALAR = np.array(2.5)                    # a 0-d tensor

DOMAINS = {"any": X, "pos": np.abs(X) + 0.5, "unit": np.tanh(X) * 0.9, "gt1": np.abs(X) + 1.5}


@dataclass
class Case:
    name: str
    call: object
    op: str
    args: tuple = ()
    domain: str = "any"
    diff: bool = True
    random: str = ""


def _m(method, *fixed, **kwargs):
    """``x.<method>(*fixed, *args, **kwargs)``, ``args`` the case's built arguments."""
    return lambda x, *args: getattr(x, method)(*fixed, *args, **kwargs)


def _setitem(key):
    def call(x, v):
        x[key] = v
        return x
    return call


def _setitem_tensor_key(x, key, v):
    x[key] = v
    return x


UNARY = [("neg_", "Neg"), ("negative_", "Neg"), ("abs_", "Abs"), ("absolute_", "Abs"), ("sign_", "Sign"),
         ("reciprocal_", "Reciprocal"), ("exp_", "Exp"), ("exp2_", "Exp2"), ("expm1_", "Expm1"),
         ("log_", "Log", "pos"), ("log2_", "Log2", "pos"), ("log10_", "Log10", "pos"), ("log1p_", "Log1p", "pos"),
         ("sqrt_", "Sqrt", "pos"), ("rsqrt_", "Rsqrt", "pos"), ("sin_", "Sin"), ("cos_", "Cos"), ("tan_", "Tan"),
         ("asin_", "Asin", "unit"), ("arcsin_", "Asin", "unit"), ("acos_", "Acos", "unit"),
         ("arccos_", "Acos", "unit"), ("atan_", "Atan"), ("arctan_", "Atan"), ("sinh_", "Sinh"), ("cosh_", "Cosh"),
         ("tanh_", "Tanh"), ("asinh_", "Asinh"), ("arcsinh_", "Asinh"), ("acosh_", "Acosh", "gt1"),
         ("arccosh_", "Acosh", "gt1"), ("atanh_", "Atanh", "unit"), ("arctanh_", "Atanh", "unit"),
         ("sigmoid_", "Sigmoid"), ("relu_", "Relu"), ("erf_", "Erf"), ("floor_", "Floor"), ("ceil_", "Ceil"),
         ("trunc_", "Trunc"), ("fix_", "Trunc"), ("frac_", "Frac"), ("round_", "Round"), ("square_", "Pow"),
         ("zero_", "Zero")]

CASES = [Case(n, _m(n), op, domain=(rest[0] if rest else "any")) for n, op, *rest in UNARY] + [
    Case("add_", _m("add_", alpha=2), "Add", (Y,)),
    Case("add_number", _m("add_"), "Add", (1.5,)),
    Case("sub_", _m("sub_", alpha=0.5), "Sub", (Y,)),
    Case("subtract_", _m("subtract_"), "Sub", (Y,)),
    Case("mul_", _m("mul_"), "Mul", (Y,)),
    Case("mul_number", _m("mul_"), "Mul", (2.0,)),
    Case("multiply_", _m("multiply_"), "Mul", (Y,)),
    Case("div_", _m("div_"), "Div", (POS,)),
    Case("divide_", _m("divide_"), "Div", (POS,)),
    Case("true_divide_", _m("true_divide_"), "Div", (POS,)),
    Case("div_floor", _m("div_", rounding_mode="floor"), "DivRounding", (POS,)),
    Case("div_trunc", _m("div_", rounding_mode="trunc"), "DivRounding", (POS,)),
    Case("remainder_", _m("remainder_"), "Remainder", (POS,)),
    Case("fmod_", _m("fmod_"), "Fmod", (POS,)),
    Case("floor_divide_", _m("floor_divide_"), "FloorDivide", (POS,), diff=False),
    Case("atan2_", _m("atan2_"), "Atan2", (Y,)),
    Case("arctan2_", _m("arctan2_"), "Atan2", (Y,)),
    Case("copysign_", _m("copysign_"), "Copysign", (Y,)),
    Case("pow_", _m("pow_"), "Pow", (3.0,)),
    Case("pow_tensor", _m("pow_"), "PowTensor", (Y,), domain="pos"),
    Case("lerp_", _m("lerp_"), "Lerp", (Y, 0.3)),
    Case("lerp_tensor_weight", _m("lerp_"), "Lerp", (Y, POS)),
    Case("addcmul_", _m("addcmul_", value=0.5), "Add", (Y, Z)),
    Case("addcdiv_", _m("addcdiv_", value=2.0), "Add", (Y, POS)),
    Case("__iadd__", operator.iadd, "Add", (Y,)),
    Case("__isub__", operator.isub, "Sub", (Y,)),
    Case("__imul__", operator.imul, "Mul", (Y,)),
    Case("__itruediv__", operator.itruediv, "Div", (POS,)),
    Case("__ipow__", operator.ipow, "Pow", (2.0,)),
    Case("clamp_", _m("clamp_"), "Clamp", (-0.5, 0.5)),
    Case("clamp_tensor", _m("clamp_"), "ClampTensor", (-POS, POS)),
    Case("clip_", _m("clip_"), "Clamp", (-0.5, 0.5)),
    Case("clamp_min_", _m("clamp_min_"), "Clamp", (0.1,)),
    Case("clamp_max_", _m("clamp_max_"), "Clamp", (0.1,)),
    Case("round_decimals", _m("round_", decimals=1), "Round"),
    Case("tril_", _m("tril_"), "Tril"),
    Case("triu_", _m("triu_", diagonal=1), "Triu"),
    Case("copy_", _m("copy_"), "Copy", (Y,)),
    Case("copy_broadcast", _m("copy_"), "Copy", (ROW,)),
    Case("fill_", _m("fill_"), "Fill", (2.5,)),
    Case("fill_tensor", _m("fill_"), "Fill", (SCALAR,)),
    Case("masked_fill_", _m("masked_fill_"), "MaskedFill", (MASK, 2.0)),
    Case("masked_fill_tensor", _m("masked_fill_"), "MaskedFill", (MASK, SCALAR)),
    Case("index_fill_", _m("index_fill_"), "MaskedFill", (1, VIDX, -1.0)),
    Case("scatter_", _m("scatter_"), "Scatter", (1, IDX, SRC)),
    Case("scatter_value", _m("scatter_", value=2.0), "Scatter", (1, IDX)),
    Case("scatter_reduce_add", _m("scatter_", reduce="add"), "ScatterReduce", (1, IDX, SRC), diff=False),
    Case("scatter_add_", _m("scatter_add_"), "ScatterAdd", (1, IDX, SRC)),
    Case("scatter_reduce_", _m("scatter_reduce_", reduce="amax"), "ScatterReduce", (1, IDX, SRC)),
    Case("index_add_", _m("index_add_", alpha=2.0), "IndexAdd", (1, VIDX, SRC)),
    Case("setitem_row", _setitem(1), "Copy", (ROW,)),
    Case("setitem_slice_number", _setitem((slice(None), slice(1, 3))), "Copy", (-2.0,)),
    Case("setitem_mask", _setitem_tensor_key, "IndexPut", (MASK, 0.5)),
    Case("setitem_rows", _setitem_tensor_key, "IndexPut", (ROWS, ROW)),
    Case("normal_", _m("normal_"), "Copy", random="normal"),
    Case("uniform_", _m("uniform_"), "Copy", random="uniform"),
    Case("bernoulli_", _m("bernoulli_", 0.3), "Copy", random="bernoulli"),
    Case("exponential_", _m("exponential_"), "Copy", random="exponential"),
    Case("random_", _m("random_", 0, 10), "Copy", random="integers"),
]

# (operator.iadd(x, y) is ``x += y``: x.__iadd__(y))
# integer-only in-place forms (bit shifts: no autograd op; the result is copied in)
SHIFTS = [Case("bitwise_left_shift_", _m("bitwise_left_shift_"), "Copy", (2,)),
          Case("bitwise_right_shift_", _m("bitwise_right_shift_"), "Copy", (1,)),
          Case("__ilshift__", operator.ilshift, "Copy", (1,)),
          Case("__irshift__", operator.irshift, "Copy", (1,))]

# methods ending in "_" that are no in-place op on the values
NOT_OPS = {"requires_grad_", "detach_"}


def build_args(T, case, requires_grad=False):
    """The case's arguments for module ``T``: float arrays become float64 tensors
    (leaves that require grad when asked), int arrays index tensors, bool arrays masks."""
    out = []
    for a in case.args:
        if isinstance(a, np.ndarray):
            if a.dtype.kind == "f":
                out.append(T.tensor(a, dtype=T.float64, requires_grad=requires_grad))
            else:
                out.append(T.tensor(a))
        else:
            out.append(a)
    return out

