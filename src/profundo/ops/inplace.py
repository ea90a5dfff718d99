"""In-place ops (``add_``, ``x[i] = v``, ``+=``, ...).

An in-place op keeps the tensor object, writes the new values into its
array, and bumps its version counter (shared with its views), so a backward
that needs the old values raises instead of silently using the new ones.

With autograd recording, the op is computed out of place first (that records
its node, with the *old* history of ``self`` as input) and ``self`` takes the
new node as its ``grad_fn``.  If ``self`` is a view, its base's history is
rewritten too (``ViewScatter``), as PyTorch's CopySlices does.

The in-place forms of the arithmetic and kernel ops are the op's own
``apply`` with ``out=self`` (``x.add_(y)`` is ``Add.apply(x, y, out=x)``,
see ``Function.apply``); ``recording``, ``apply_inplace`` and ``write``
below are the rules it calls.
"""
from ..autograd import grad_mode
from .._backend import backend_of
from .._dtype import can_cast, scalar_np_dtype
from ._base import Op, Tensor, check_operand, error, xp
from .compare import bitwise_left_shift, bitwise_right_shift
from .elementwise import (Add, Cos, Div, Exp, Log, Mul, Neg, Sin, Sqrt, Sub, Tanh, Where, clamp, lerp,
                          pow)
from .index import IndexPut, normalize_key


def _replay(t, steps):
    """Apply the recorded view ops ``steps`` to ``t`` (base -> view)."""
    for cls, extra in steps:
        t = cls.apply(t, *extra)
    return t


class ViewScatter(Op):
    """The base after an in-place op on one of its views: the base everywhere
    except the view's region, which now holds ``values``."""

    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, values, steps):
        ctx.steps = steps
        with grad_mode.no_grad():
            mask = Tensor._make(xp.ones(base._data.shape, bool))
            _replay(mask, steps)._data[...] = False  # True outside the view
        ctx.save_for_backward(mask._data)
        return base._data  # already updated in place: no copy

    @staticmethod
    def backward(ctx, g):
        (outside,) = ctx.saved_tensors
        return g * outside, _replay(g, ctx.steps), None


def _check_leaf(t, op):
    if t.grad_fn is None and t._requires_grad:
        raise error(RuntimeError, op, "a leaf Variable that requires grad is being used in an in-place operation.",
                    "las actualizaciones de parámetros van dentro de `with profundo.no_grad():`")
    base = t._base
    if base is not None and base.grad_fn is None and base._requires_grad:
        raise error(RuntimeError, op, "a view of a leaf Variable that requires grad is being used in an in-place "
                    "operation.", "haz la operación dentro de `with profundo.no_grad():` o usa .clone()")


def recording(self, args):
    """Does an in-place op on ``self`` with these operands record a node?"""
    if not grad_mode.STATE.enabled:
        return False
    if self._requires_grad or (self._base is not None and self._base._requires_grad):
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def _check_target(self, src_dtype, src_shape, op):
    """Can a result of this dtype and shape be written into ``self``? (PyTorch's rules)"""
    dst = self._data
    if src_dtype != dst.dtype and not can_cast(src_dtype, dst.dtype):
        raise error(RuntimeError, op, f"result type {_tname(src_dtype)} can't be cast to the desired output "
                    f"type {_tname(dst.dtype)}", "el resultado no cabe en el tipo del tensor; usa la versión "
                    "sin guion bajo (x = x + ...) o convierte antes con .float()")
    if not backend_of(self).is_writeable(dst):
        raise error(RuntimeError, op, "unsupported operation: more than one element of the written-to tensor "
                    "refers to a single memory location. Please clone() the tensor before performing the "
                    "operation.", "el tensor viene de expand(): usa .clone() antes de modificarlo")
    if src_shape != dst.shape:
        shape = _broadcast_or_none(src_shape, dst.shape)
        if shape != dst.shape:
            raise error(RuntimeError, op, f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                        f"{list(shape or src_shape)}", "una operación in-place no puede cambiar la forma del "
                        "tensor; usa la versión sin guion bajo")


def _broadcast_or_none(a, b):
    try:
        return xp.broadcast_shapes(a, b)
    except ValueError:
        return None


def write(self, values, op):
    """Copy ``values`` (an array) into ``self``'s array."""
    _check_target(self, values.dtype, values.shape, op)
    xp.copyto(self._data, values, casting="unsafe")
    self._bump_version()


def _tname(np_dtype):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(np_dtype.name, np_dtype.name)


def apply_inplace(self, op, fn, *args):
    """Compute ``fn(self, *args)`` and make it ``self``'s new value (and history)."""
    if not recording(self, args):
        result = fn(self, *args)
        write(self, result._data, op)
        return self
    _check_leaf(self, op)
    result = fn(_snapshot(self), *args)
    if result._data.dtype != self._data.dtype:
        if not can_cast(result._data.dtype, self._data.dtype):
            write(self, result._data, op)  # raises the cast error
        result = result.to(self.dtype)
    write(self, result._data, op)
    _rebase(self, result)
    return self


def _snapshot(t):
    """``t``'s current value and history in a new tensor object.  The op reads
    (and may save for backward) the snapshot, so writing the result into
    ``t`` afterwards does not change what its backward will see."""
    s = Tensor._make(t._data.copy())
    s.grad_fn, s._output_nr, s._requires_grad = t.grad_fn, t._output_nr, t._requires_grad
    return s


def _rebase(self, result):
    """Give ``self`` the history of ``result`` (and its base, if it is a view)."""
    if self._base is not None:
        base = self._base
        new_base = ViewScatter.apply(base, result, self._view_steps)
        _set_history(base, new_base)
        result = _replay(base, self._view_steps)
    _set_history(self, result)


def _set_history(t, src):
    old_node, old_nr = t.grad_fn, t._output_nr
    t.grad_fn, t._output_nr = src.grad_fn, src._output_nr
    t._requires_grad = src._requires_grad
    if t._retains_grad and old_node is not None and old_node._retained:  # retain_grad follows the tensor
        ref = old_node._retained.pop(old_nr, None)
        if ref is not None and t.grad_fn is not None:
            if t.grad_fn._retained is None:
                t.grad_fn._retained = {}
                t.grad_fn._special = True
            t.grad_fn._retained[t._output_nr] = ref


def _binary_inplace(op, op_cls):
    def method(self, other, **kwargs):
        if other.__class__ is not Tensor:
            other = check_operand(op, other)
        if kwargs and kwargs.get("alpha", 1) != 1:
            other = other * kwargs["alpha"]
        return op_cls.apply(self, other, out=self)
    method.__name__ = op
    method.__doc__ = f"In-place version of ``{op[:-1]}``."
    return method


add_ = _binary_inplace("add_", Add)
sub_ = _binary_inplace("sub_", Sub)
mul_ = _binary_inplace("mul_", Mul)
div_ = _binary_inplace("div_", Div)
subtract_, multiply_, divide_, true_divide_ = sub_, mul_, div_, div_


def _replace(self, value):
    """``value`` broadcast over ``self`` (gradient: none to self, all to value)."""
    everywhere = Tensor._make(xp.ones(self._data.shape, bool))
    return Where.apply(everywhere, value, self)


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        src = Tensor._make(xp.asarray(src))
    if not recording(self, (src,)):
        write(self, src._data, "copy_")
        return self
    return apply_inplace(self, "copy_", _replace, src.to(self.dtype))


def fill_(self, value):
    if not recording(self, (value,)):
        if not backend_of(self).is_writeable(self._data):
            write(self, self._data, "fill_")
        self._data.fill(value.item() if isinstance(value, Tensor) else value)
        self._bump_version()
        return self
    return apply_inplace(self, "fill_", _replace, value)


def zero_(self):
    return fill_(self, 0)


def setitem(self, key, value):
    """``self[key] = value``."""
    parts, _ = normalize_key(key)
    value = check_operand("__setitem__", value)
    if not recording(self, (value,)):
        if not backend_of(self).is_writeable(self._data):
            write(self, self._data, "__setitem__")
        try:
            self._data[parts] = value._data if isinstance(value, Tensor) else value
        except (ValueError, IndexError) as e:
            raise error(type(e) if isinstance(e, IndexError) else RuntimeError, "__setitem__",
                        f"{e} (tensor shape {tuple(self.shape)}, value shape "
                        f"{tuple(value.shape) if isinstance(value, Tensor) else ()})",
                        "el valor debe poder difundirse (broadcast) a la región indexada") from None
        self._bump_version()
        return
    if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
        value = value.to(self.dtype)
    apply_inplace(self, "__setitem__", lambda s, v: IndexPut.apply(s, parts, v, False), value)


def _unary_inplace(name, fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, name, lambda s, *a: fn(s, *a, **kwargs), *args)
    method.__name__ = name
    method.__doc__ = f"In-place version of ``{name[:-1]}``."
    return method


def _op_inplace(name, op_cls):
    def method(self):
        return op_cls.apply(self, out=self)
    method.__name__ = name
    method.__doc__ = f"In-place version of ``{name[:-1]}``."
    return method


def pow_(self, exponent):
    return apply_inplace(self, "pow_", pow, exponent)


def clamp_(self, min=None, max=None):
    return apply_inplace(self, "clamp_", lambda s: clamp(s, min, max))


def lerp_(self, end, weight):
    return apply_inplace(self, "lerp_", lambda s: lerp(s, end, weight))


def addcmul_(self, tensor1, tensor2, value=1):
    """``self += value * tensor1 * tensor2`` (Adam's second moment)."""
    if not recording(self, (tensor1, tensor2)):
        prod = Mul.apply(tensor1, tensor2)
        if value != 1:
            Mul.apply(prod, value, out=prod)
        return Add.apply(self, prod, out=self)
    return apply_inplace(self, "addcmul_", lambda s: s + value * tensor1 * tensor2)


def addcdiv_(self, tensor1, tensor2, value=1):
    """``self += value * tensor1 / tensor2`` (Adam's update)."""
    if not recording(self, (tensor1, tensor2)):
        q = Div.apply(tensor1, tensor2)
        if value != 1:
            Mul.apply(q, value, out=q)
        return Add.apply(self, q, out=self)
    return apply_inplace(self, "addcdiv_", lambda s: s + value * tensor1 / tensor2)


def bitwise_left_shift_(self, other):
    return apply_inplace(self, "bitwise_left_shift_", bitwise_left_shift, other)


def bitwise_right_shift_(self, other):
    return apply_inplace(self, "bitwise_right_shift_", bitwise_right_shift, other)


def masked_fill_(self, mask, value):
    return apply_inplace(self, "masked_fill_", lambda s: s.masked_fill(mask, value))


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    return apply_inplace(self, "scatter_", lambda s: s.scatter(dim, index, src, value=value, reduce=reduce))


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    return apply_inplace(self, "scatter_reduce_",
                         lambda s: s.scatter_reduce(dim, index, src, reduce, include_self=include_self))


def scatter_add_(self, dim, index, src):
    return apply_inplace(self, "scatter_add_", lambda s: s.scatter_add(dim, index, src))


def index_add_(self, dim, index, source, *, alpha=1):
    return apply_inplace(self, "index_add_", lambda s: s.index_add(dim, index, source, alpha=alpha))


def index_fill_(self, dim, index, value):
    def fill(s):
        mask = xp.zeros(s._data.shape, bool)
        xp.moveaxis(mask, dim, 0)[index._data] = True
        return s.masked_fill(Tensor._make(mask), value)
    return apply_inplace(self, "index_fill_", fill)


# in-place random fills (parameter initialisation): only inside no_grad for leaves
def uniform_(self, a=0.0, b=1.0, *, generator=None):
    from .. import random as _random
    return _fill_random(self, "uniform_", _random.uniform_array(self._data.shape, a, b, self._data.dtype, generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    from .. import random as _random
    return _fill_random(self, "normal_", _random.normal_array(self._data.shape, mean, std, self._data.dtype,
                                                              generator))


def bernoulli_(self, p=0.5, *, generator=None):
    from .. import random as _random
    u = _random.uniform_array(self._data.shape, 0.0, 1.0, xp.float64, generator)
    probs = p._data if isinstance(p, Tensor) else p
    return _fill_random(self, "bernoulli_", (u < probs).astype(self._data.dtype))


def random_(self, from_=0, to=None, *, generator=None):
    from .. import random as _random
    if to is None:
        from_, to = 0, (from_ if from_ else 2 ** 24 if self._data.dtype.kind == "f" else
                        xp.iinfo(self._data.dtype).max)
    return _fill_random(self, "random_", _random.integers_array(self._data.shape, from_, to, self._data.dtype,
                                                                generator))


def exponential_(self, lambd=1.0, *, generator=None):
    from .. import random as _random
    u = _random.uniform_array(self._data.shape, 0.0, 1.0, xp.float64, generator)
    return _fill_random(self, "exponential_", (-xp.log1p(-u) / lambd).astype(self._data.dtype))


def _fill_random(self, op, values):
    if recording(self, ()):
        _check_leaf(self, op)
        return apply_inplace(self, op, _replace, Tensor._make(values))
    write(self, values, op)
    return self


neg_ = _op_inplace("neg_", Neg)
exp_ = _op_inplace("exp_", Exp)
log_ = _op_inplace("log_", Log)
sqrt_ = _op_inplace("sqrt_", Sqrt)
abs_ = _unary_inplace("abs_", lambda s: s.abs())
relu_ = _unary_inplace("relu_", lambda s: s.relu())
sigmoid_ = _unary_inplace("sigmoid_", lambda s: s.sigmoid())
tanh_ = _op_inplace("tanh_", Tanh)
sin_ = _op_inplace("sin_", Sin)
cos_ = _op_inplace("cos_", Cos)
floor_ = _unary_inplace("floor_", lambda s: s.floor())
ceil_ = _unary_inplace("ceil_", lambda s: s.ceil())
round_ = _unary_inplace("round_", lambda s, decimals=0: s.round(decimals))
reciprocal_ = _unary_inplace("reciprocal_", lambda s: s.reciprocal())
clamp_min_ = _unary_inplace("clamp_min_", lambda s, m: s.clamp(min=m))
clamp_max_ = _unary_inplace("clamp_max_", lambda s, m: s.clamp(max=m))
clip_ = clamp_
tril_ = _unary_inplace("tril_", lambda s, k=0: s.tril(k))
triu_ = _unary_inplace("triu_", lambda s, k=0: s.triu(k))
