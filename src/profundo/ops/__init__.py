"""All built-in ops.  Each family lives in its own module; this file makes
every op available as a function (``profundo.exp(x)``) and as a Tensor
method (``x.exp()``) -- the same function object in both places."""
import functools
import inspect

from . import compare, convert, elementwise, index, inplace, linalg, reduce, shape, softmax, sorting, special
from ..tensor import Tensor
from ._base import check_operand
from ._docs import DOCS

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
    (sorting, "sort argsort msort topk kthvalue median nanmedian unique bincount cummax cummin logcumsumexp meshgrid"),
    (special, "lgamma digamma"),
]:
    for _name in _names.split():
        FUNCTIONS[_name] = getattr(_mod, _name)


def _document(table):
    """A short docstring (PyTorch's first line, ``_docs.py``) for each op that has none."""
    for name, fn in table.items():
        if name in DOCS and not getattr(fn, "__doc__", None):
            fn.__doc__ = DOCS[name]


_document(FUNCTIONS)


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


def _where(self, condition, other):
    """``self`` where ``condition`` is True, else ``other``: ``profundo.where(condition, self, other)``."""
    return elementwise.where(condition, self, other)


_METHODS.update(
    where=_where,
    view=shape.view, view_as=shape.view_as, reshape_as=shape.reshape_as, expand_as=shape.expand_as,
    repeat=shape.repeat, contiguous=shape.contiguous, to=convert.to, type_as=convert.type_as, type=convert.type,
    float=convert.float, double=convert.double, half=convert.half, long=convert.long, int=convert.int,
    short=convert.short, char=convert.char, byte=convert.byte, bool=convert.bool,
    __getitem__=index.getitem, __setitem__=inplace.setitem,
)
for _name in dir(inplace):
    if _name.endswith("_") and not _name.startswith("_"):
        _METHODS[_name] = getattr(inplace, _name)


_NUMBER = (int, float, bool, Tensor)  # (a Tensor subclass too, e.g. d2l's ``H @ W + self.b``: a Parameter)


def _operator(op_cls, name):
    """``tensor <op> other``: straight to ``op_cls.apply`` (as ``profundo.<name>``
    and the method reach it), after refusing an operand that is no number."""
    def method(self, other):
        if other.__class__ is not Tensor and other.__class__ is not float and not isinstance(other, _NUMBER):
            other = check_operand(name, other)
        return op_cls.apply(self, other)
    method.__name__ = f"__{name}__"
    method.__qualname__ = f"Tensor.__{name}__"
    method.__doc__ = f"``self {_SYMBOLS[name]} other``: the same op as ``profundo.{name}``."
    return method


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _reflected(fn):
    def method(self, other):
        return fn(check_operand(fn.__name__, other), self)
    return method


def _matrix_transpose(self):
    """``self.mT``: the last two dims swapped (a matmul's backward takes two per product)."""
    n = self._data.ndim
    if n >= 2:
        return shape.Transpose.apply(self, n - 2, n - 1)  # the dims already valid: ~0.4 us less
    return shape.transpose(self, -2, -1)  # (explains the error)


def _invert(self):
    return compare.logical_not(self) if self._data.dtype.kind == "b" else compare.bitwise_not(self)


_METHODS.update(
    __add__=_operator(elementwise.Add, "add"), __radd__=_operator(elementwise.Add, "add"),
    __sub__=_operator(elementwise.Sub, "sub"), __rsub__=_reflected(elementwise.sub),
    __mul__=_operator(elementwise.Mul, "mul"), __rmul__=_operator(elementwise.Mul, "mul"),
    __truediv__=_operator(elementwise.Div, "div"), __rtruediv__=_reflected(elementwise.div),
    __floordiv__=elementwise.floor_divide, __rfloordiv__=_reflected(elementwise.floor_divide),
    __mod__=elementwise.remainder, __rmod__=_reflected(elementwise.remainder),
    __pow__=elementwise.pow, __rpow__=_reflected(elementwise.pow),
    __matmul__=linalg.matmul, __rmatmul__=_reflected(linalg.matmul),
    __neg__=elementwise.neg, __pos__=lambda self: self, __abs__=elementwise.abs, __invert__=_invert,
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
    mT=property(_matrix_transpose),
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

_document(_METHODS)
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
