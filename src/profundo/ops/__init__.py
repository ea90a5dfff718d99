"""All built-in ops.  Each family lives in its own module; this file makes
every op available as a function (``profundo.exp(x)``) and as a Tensor
method (``x.exp()``) -- the same function object in both places."""
import functools
import inspect

from . import compare, convert, elementwise, index, inplace, linalg, reduce, shape, softmax, sorting
from .._backend import xp
from ..autograd import grad_mode
from ..autograd.function import _apply_recorded
from ..tensor import Tensor
from ._base import check_operand

# functions exported at the top level of profundo (``profundo.<name>``)
FUNCTIONS = {}
for _mod, _names in [
    (elementwise, "add sub subtract rsub mul multiply div divide true_divide floor_divide remainder fmod pow "
                  "square neg negative maximum minimum atan2 arctan2 logaddexp logaddexp2 copysign lerp clamp clip "
                  "clamp_min clamp_max where "
                  "round exp exp2 expm1 log log2 log10 log1p sqrt rsqrt reciprocal abs absolute sin cos tan asin "
                  "arcsin acos arccos atan arctan sinh cosh tanh asinh arcsinh acosh arccosh atanh arctanh "
                  "sigmoid erf relu sign floor ceil trunc fix frac"),
    (compare, "eq ne lt le gt ge not_equal less less_equal greater greater_equal logical_and logical_or "
              "logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not isnan isinf isfinite "
              "isposinf isneginf isclose allclose equal bitwise_left_shift bitwise_right_shift"),
    (reduce, "sum mean nansum prod max min amax amin argmax argmin var std var_mean std_mean norm cumsum "
             "cumprod all any count_nonzero"),
    (softmax, "softmax log_softmax logsumexp"),
    (shape, "reshape flatten unflatten permute transpose swapaxes swapdims t movedim moveaxis expand "
            "broadcast_to broadcast_tensors squeeze unsqueeze cat concat concatenate stack hstack vstack narrow "
            "select split chunk unbind flip fliplr flipud roll repeat_interleave tile tril triu clone diagonal "
            "diag_embed diag"),
    (index, "index_select index_add gather scatter scatter_add scatter_reduce masked_fill masked_select nonzero "
            "argwhere take "
            "take_along_dim index_put"),
    (linalg, "matmul mm bmm mv dot inner outer ger trace einsum"),
    (sorting, "sort argsort msort topk kthvalue median nanmedian unique cummax cummin logcumsumexp meshgrid"),
]:
    for _name in _names.split():
        FUNCTIONS[_name] = getattr(_mod, _name)

def _numpy_aliases(fn):
    """Accept NumPy's names ``axis=`` and ``keepdims=`` for ``dim=`` and
    ``keepdim=``, as PyTorch does (d2l writes ``X.sum(axis=1, keepdims=True)``)."""
    def wrapper(*args, **kwargs):
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)
    functools.update_wrapper(wrapper, fn)
    return wrapper


for _name, _fn in FUNCTIONS.items():
    if "dim" in inspect.signature(_fn).parameters:
        FUNCTIONS[_name] = _numpy_aliases(_fn)

# Tensor methods: the functions above (input first) plus method-only ones
_METHODS = dict(FUNCTIONS)
for _name in "broadcast_tensors cat concat concatenate stack hstack vstack einsum where rsub meshgrid".split():
    _METHODS.pop(_name)  # not methods in PyTorch (or a different argument order)
_METHODS.update(
    where=lambda self, condition, other: elementwise.where(condition, self, other),
    view=shape.view, view_as=shape.view_as, reshape_as=shape.reshape_as, expand_as=shape.expand_as,
    repeat=shape.repeat, contiguous=shape.contiguous, to=convert.to, type_as=convert.type_as, type=convert.type,
    float=convert.float, double=convert.double, half=convert.half, long=convert.long, int=convert.int,
    short=convert.short, char=convert.char, byte=convert.byte, bool=convert.bool,
    __getitem__=index.getitem, __setitem__=inplace.setitem,
)
for _name in dir(inplace):
    if _name.endswith("_") and not _name.startswith("_"):
        _METHODS[_name] = getattr(inplace, _name)


_NUMBER = (int, float, bool)
_GRAD = grad_mode.STATE
_new_tensor_object = object.__new__
_ndarray = xp.ndarray


def _fast_binary(op_cls, name, kernel):
    """``tensor <op> other``: the hot path of every model and of every backward.

    When nothing is recorded and both operands are floating tensors of one
    dtype (or a tensor and a Python float), the result is just
    ``kernel(a, b)`` on the arrays -- exactly what ``op_cls.forward`` computes
    then -- so it skips the Function machinery (~1 us per op)."""
    def method(self, other):
        if other.__class__ is Tensor:
            if _GRAD.enabled and (self._requires_grad or other._requires_grad):
                return _apply_recorded(op_cls, (self, other))  # what apply would do, one check sooner
            a, b = self._data, other._data
            if a.dtype is b.dtype and a.dtype.kind == "f":
                try:
                    out = kernel(a, b)
                except (ValueError, MemoryError):  # shapes that do not broadcast, or too large: the op explains it
                    return op_cls.apply(self, other)
                t = _new_tensor_object(Tensor)
                t._data = out if out.__class__ is _ndarray else xp.asarray(out)
                return t
        elif other.__class__ is float:
            if _GRAD.enabled and self._requires_grad:
                return _apply_recorded(op_cls, (self, other))
            if self._data.dtype.kind == "f":
                a = self._data
                out = kernel(a, xp.array(other, a.dtype))
                t = _new_tensor_object(Tensor)
                t._data = out if out.__class__ is _ndarray else xp.asarray(out)
                return t
        elif not isinstance(other, _NUMBER):
            other = check_operand(name, other)
        return op_cls.apply(self, other)
    method.__name__ = f"__{name}__"
    return method


def _fast_neg(self):
    """``-tensor``, skipping the Function machinery when nothing is recorded."""
    a = self._data
    if not (_GRAD.enabled and self._requires_grad) and a.dtype.kind == "f":
        t = _new_tensor_object(Tensor)
        t._data = xp.negative(a) if a.ndim else xp.asarray(-a)
        return t
    return elementwise.neg(self)


def _reflected(fn):
    def method(self, other):
        return fn(check_operand(fn.__name__, other), self)
    return method


def _invert(self):
    return compare.logical_not(self) if self._data.dtype.kind == "b" else compare.bitwise_not(self)


_METHODS.update(
    __add__=_fast_binary(elementwise.Add, "add", xp.add), __radd__=_fast_binary(elementwise.Add, "add", xp.add),
    __sub__=_fast_binary(elementwise.Sub, "sub", xp.subtract), __rsub__=_reflected(elementwise.sub),
    __mul__=_fast_binary(elementwise.Mul, "mul", xp.multiply),
    __rmul__=_fast_binary(elementwise.Mul, "mul", xp.multiply),
    __truediv__=_fast_binary(elementwise.Div, "div", xp.true_divide), __rtruediv__=_reflected(elementwise.div),
    __floordiv__=elementwise.floor_divide, __rfloordiv__=_reflected(elementwise.floor_divide),
    __mod__=elementwise.remainder, __rmod__=_reflected(elementwise.remainder),
    __pow__=elementwise.pow, __rpow__=_reflected(elementwise.pow),
    __matmul__=linalg.matmul, __rmatmul__=_reflected(linalg.matmul),
    __neg__=_fast_neg, __pos__=lambda self: self, __abs__=elementwise.abs, __invert__=_invert,
    __eq__=compare.eq, __ne__=compare.ne, __lt__=compare.lt, __le__=compare.le, __gt__=compare.gt,
    __ge__=compare.ge,
    __and__=compare.bitwise_and, __rand__=compare.bitwise_and, __or__=compare.bitwise_or,
    __ror__=compare.bitwise_or, __xor__=compare.bitwise_xor, __rxor__=compare.bitwise_xor,
    __lshift__=compare.bitwise_left_shift, __rlshift__=_reflected(compare.bitwise_left_shift),
    __rshift__=compare.bitwise_right_shift, __rrshift__=_reflected(compare.bitwise_right_shift),
    __ilshift__=inplace.bitwise_left_shift_, __irshift__=inplace.bitwise_right_shift_,
    __iadd__=inplace.add_, __isub__=inplace.sub_, __imul__=inplace.mul_, __itruediv__=inplace.div_,
    __ipow__=inplace.pow_,
    T=property(lambda self: shape.permute(self, tuple(reversed(range(self._data.ndim))))),
    mT=property(lambda self: shape.transpose(self, -2, -1)),
)


def _new(maker):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        from .. import creation
        return getattr(creation, maker)(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    from .. import creation
    return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    from .. import creation
    return creation.tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


_METHODS.update(new_zeros=_new("zeros"), new_ones=_new("ones"), new_empty=_new("empty"), new_full=_new_full,
                new_tensor=_new_tensor)

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

# ---------------------------------------------------------------- out= (issue 16)
# The functions that take out= in PyTorch get it here, after the Tensor methods were set
# above: methods never take out=, as in PyTorch.  The mechanism and the list: ops/out.py.
from .out import OUT_SPECS, with_out  # noqa: E402

_ALIASES_CODE = _numpy_aliases(len).__code__
for _name, (_torch_name, _rule, _differentiable) in OUT_SPECS.items():
    _fn = FUNCTIONS[_name]
    if _fn.__code__ is _ALIASES_CODE:  # out= inside the axis=/keepdims= wrapper: one (*args, **kwargs) layer, not two
        FUNCTIONS[_name] = _numpy_aliases(with_out(_fn.__wrapped__, _torch_name, _rule, _differentiable))
    else:
        FUNCTIONS[_name] = with_out(_fn, _torch_name, _rule, _differentiable)
# ---------------------------------------------------------------- end of out=
