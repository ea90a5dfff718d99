"""In-place ops (``add_``, ``x[i] = v``, ``+=``, ...).

An in-place op keeps the tensor object, writes the new values into its
array, and bumps its version counter (shared with its views), so a backward
that needs the old values raises instead of silently using the new ones.

Every in-place form is its op's ``apply`` with ``out=self``: ``x.add_(y)`` and
``x += y`` are ``Add.apply(x, y, out=x)``, ``x.relu_()`` is
``Relu.apply(x, out=x)``, ``x.fill_(v)`` is ``Fill.apply(x, v, out=x)``,
``x[i] = v`` is ``Copy.apply(x[i], v, out=x[i])`` (``IndexPut`` for an
advanced index).  ``Function.apply`` hands those calls to ``_apply_into``
(autograd/function.py), which uses the rules below, so every form checks
the same things:

* no graph to record (``recording`` is False): the result is written into
  ``self``'s array (``write``: PyTorch's dtype, shape and expand() rules);
* with autograd recording, the op is computed out of place on a snapshot of
  ``self`` (that records its node, with the *old* history of ``self`` as
  input; ``record_inplace``) after refusing a leaf that requires grad, and
  ``self`` takes the new node as its ``grad_fn``.  If ``self`` is a view, its
  base's history is rewritten too (``ViewScatter``), as PyTorch's CopySlices does.

Integer bit shifts have no autograd op: their result is copied in (``Copy``)
after the same dtype check.
"""
from ..autograd import grad_mode
from ..autograd.function import SavedOutput
from .._backend import backend_of
from .._dtype import can_cast, scalar_type_name as _tname
from .._dims import norm_dim
from .._errors import broadcast_error
from ._base import Op, Tensor, check_operand, error
from .compare import bitwise_left_shift, bitwise_right_shift
from .elementwise import (Abs, Acos, Acosh, Add, Asin, Asinh, Atan, Atan2, Atanh, Ceil, ClampTensor, Clamp,
                          Copysign, Cos, Cosh, Div, DivRounding, Erf, Exp, Exp2, Expm1, Floor, FloorDivide, Fmod,
                          Frac, Lerp, Log, Log10, Log1p, Log2, Mul, Neg, Pow, PowTensor, Reciprocal, Relu,
                          Remainder, Round, Rsqrt, Sigmoid, Sign, Sin, Sinh, Sqrt, Sub, Tan, Tanh, Trunc, clamp, div)
from .index import (IndexAdd, IndexPut, MaskedFill, Scatter, ScatterAdd, ScatterReduce, Slice, _check_index,
                    _check_masked_fill, _check_scatter_reduce, _check_vector_index, _legacy_reduce, normalize_key,
                    scatter_reduce)
from .shape import Tril, Triu, _check_matrix

_GRAD = grad_mode.STATE


# ---------------------------------------------------------------- the rules _apply_into uses
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
            mask = Tensor._make(backend_of(base).xp.ones(base._data.shape, bool))
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
    if not _GRAD.enabled:
        return False
    if self._requires_grad or (self._base is not None and self._base._requires_grad):
        return True
    for a in args:  # (a loop, not any(...): this runs on every in-place op)
        if (a.__class__ is Tensor or isinstance(a, Tensor)) and a._requires_grad:
            return True
    return False


def _check_target(self, src_dtype, src_shape, op):
    """Can a result of this dtype and shape be written into ``self``? (PyTorch's rules)"""
    dst = self._data
    if src_dtype is not dst.dtype and src_dtype != dst.dtype and not can_cast(src_dtype, dst.dtype):
        raise error(RuntimeError, op, f"result type {_tname(src_dtype)} can't be cast to the desired output "
                    f"type {_tname(dst.dtype)}", "el resultado no cabe en el tipo del tensor; usa la versión "
                    "sin guion bajo (x = x + ...) o convierte antes con .float()")
    be = backend_of(self)
    if not be.is_writeable(dst):
        raise error(RuntimeError, op, "unsupported operation: more than one element of the written-to tensor "
                    "refers to a single memory location. Please clone() the tensor before performing the "
                    "operation.", "el tensor viene de expand(): usa .clone() antes de modificarlo")
    if src_shape != dst.shape and src_shape:  # (a 0-d result fills the whole tensor)
        try:
            shape = be.xp.broadcast_shapes(src_shape, dst.shape)
        except ValueError:
            shape = None
        if shape != dst.shape:
            raise error(RuntimeError, op, f"output with shape {list(dst.shape)} doesn't match the broadcast shape "
                        f"{list(shape or src_shape)}", "una operación in-place no puede cambiar la forma del "
                        "tensor; usa la versión sin guion bajo")


def write(self, values, op):
    """Copy ``values`` (an array) into ``self``'s array."""
    dst = self._data
    if values.dtype is not dst.dtype or values.shape != dst.shape or not backend_of(self).is_writeable(dst):
        _check_target(self, values.dtype, values.shape, op)  # (the common case needs no more checks)
    dst[...] = values  # (NumPy: 2x faster than copyto for a 0-d value; a copy where they overlap)
    self._bump_version()


def record_inplace(self, op, fn):
    """An in-place op that records (``recording`` said so; ``_apply_into`` asks it
    first): refuse a leaf that requires grad, compute ``fn`` out of place on a
    snapshot of ``self``, write the result in, and give ``self`` its history."""
    _check_leaf(self, op)
    result = fn(_snapshot(self))
    if result._data.dtype != self._data.dtype:
        if not can_cast(result._data.dtype, self._data.dtype):
            write(self, result._data, op)  # raises the cast error
        result = result.to(self.dtype)
    write(self, result._data, op)
    _tie_saved_output(result, self)
    _rebase(self, result)
    return self


def _tie_saved_output(result, self):
    """The op saved its output (``exp_``, ``sigmoid_``, ``relu_``): from now on that
    output is ``self``, its array and its versions, so changing ``self`` again before
    backward raises as in PyTorch (and the result's own array is not kept)."""
    node = result.grad_fn
    saved = node._saved if node is not None else None
    if not saved or not any(s.__class__ is SavedOutput and s.data is result._data for s in saved):
        return
    since = _VersionsSince(self._vc)
    node._saved = tuple(SavedOutput(self._data, s.output_nr, since)
                        if s.__class__ is SavedOutput and s.data is result._data else s for s in saved)


class _VersionsSince:
    """A version counter that reads 0 until ``self`` is changed again (what a
    ``SavedOutput`` checks: its output was at version 0 when saved)."""

    __slots__ = ("vc", "at")

    def __init__(self, vc):
        self.vc, self.at = vc, vc[0]

    def __getitem__(self, i):
        return self.vc[0] - self.at


def _snapshot(t):
    """``t``'s current value and history in a new tensor object.  The op reads
    (and may save for backward) the snapshot, so writing the result into
    ``t`` afterwards does not change what its backward will see."""
    s = Tensor._make(backend_of(t).copy(t._data))
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


# ---------------------------------------------------------------- ops that only write values
class Copy(Op):
    """``x.copy_(src)``: ``src`` broadcast to ``x``'s shape, in ``x``'s dtype.
    The old values of ``x`` get a zero gradient; ``src`` gets all of it."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, x, src):
        xp = backend_of(x).xp
        dst = x._data
        ctx.shape = dst.shape
        s = src._data if isinstance(src, Tensor) else src
        v = xp.asarray(s, dtype=dst.dtype)  # PyTorch casts any dtype here (copy_, fill_, x[i] = v)
        if v.shape == dst.shape:
            return v
        if not (_GRAD.enabled and (x._requires_grad or s is not src and src._requires_grad)):
            # no node records this result, so it is only written into x (Copy is no public
            # function): the write broadcasts it (fill_'s one number: no array of x's size)
            return v
        try:
            return xp.broadcast_to(v, dst.shape)  # a read-only view: the in-place form copies it in
        except ValueError:
            raise broadcast_error("copy_", dst.shape, v.shape) from None

    @staticmethod
    def backward(ctx, g):
        nx, ns = ctx.needs_input_grad
        gx = Tensor._make(backend_of(g).xp.zeros(ctx.shape, g._data.dtype)) if nx else None
        return gx, g if ns else None  # (the engine sums g down to src's shape and dtype)


class Fill(Copy):
    """``x.fill_(value)``: a number or a 0-d tensor everywhere."""

    node_name = "FillBackward0"


class Zero(Copy):
    """``x.zero_()``."""

    node_name = "ZeroBackward0"


def copy_(self, src, non_blocking=False):
    """Copy ``src``'s values (broadcast, cast to this tensor's dtype) into this tensor."""
    # (non_blocking only matters for copies to and from a GPU; on the CPU every copy is synchronous)
    if not isinstance(src, Tensor):
        src = Tensor._make(backend_of(self).asarray(src))
    return Copy.apply(self, src, out=self)


def fill_(self, value):
    """Fill this tensor with ``value`` (a number, or a 0-d tensor)."""
    if isinstance(value, Tensor) and value._data.ndim:
        raise error(RuntimeError, "fill_", f"fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value._data.ndim} dimensions.", "pasa un número o un tensor de 0 dimensiones (t.item())")
    return Fill.apply(self, value, out=self)


def zero_(self):
    """Fill this tensor with zeros."""
    return Zero.apply(self, 0, out=self)


def setitem(self, key, value):
    """``self[key] = value``: with a basic index (ints, slices), ``copy_`` into
    the view ``self[key]`` (only that region is written); with an advanced
    index (masks, integer tensors), ``IndexPut``."""
    parts, basic = normalize_key(key, backend_of(self).xp)
    value = check_operand("__setitem__", value)
    if basic:
        if not recording(self, (value,)):
            view = _plain_view(self, parts)
        elif self._base is None and self._requires_grad:  # a recorded view: the copy rewrites self's history
            view = Slice.apply(self, parts)
        else:
            view = None  # (a view not recorded, or a view of a view: IndexPut rewrites self itself)
    if basic and view is not None:
        if isinstance(value, Tensor) and value._data.ndim > view._data.ndim:
            value = _drop_leading_ones(value, view._data.ndim)
        Copy.apply(view, value, out=view)
        return
    if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
        one_masked = value._data.size == 1 and len(parts) == 1 and getattr(parts[0], "dtype", None) == bool
        if not (basic or one_masked):
            raise error(RuntimeError, "__setitem__", "Index put requires the source and destination dtypes match, "
                        f"got {_tname(self._data.dtype)} for the destination and {_tname(value._data.dtype)} for "
                        "the source.", "convierte el valor antes: x[i] = v.to(x.dtype)")
        value = value.to(self.dtype)  # a copy_ into a view, or one value under a mask: cast (as PyTorch)
    IndexPut.apply(self, parts, value, False, out=self)


def _plain_view(self, parts):
    """``self[parts]`` (a basic index) with nothing to record: the array view, sharing self's version counter."""
    if Ellipsis not in parts:
        parts = parts + (Ellipsis,)  # NumPy then returns a 0-d view, not a scalar copy
    try:
        view = Tensor._make(self._data[parts])
    except IndexError as e:
        raise error(IndexError, "__setitem__", f"{e} (tensor shape {tuple(self.shape)})",
                    "el índice debe estar dentro de la forma del tensor") from None
    view._vc = self._version_counter()
    return view


def _drop_leading_ones(value, ndim):
    """PyTorch lets a value have extra leading size-1 dims (``x[0] = ones(1, 3)``)."""
    lead = value._data.ndim - ndim
    if all(s == 1 for s in value._data.shape[:lead]):
        return value.reshape(value._data.shape[lead:])
    return value  # the copy explains the mismatch


# in-place random fills (parameter initialisation): only inside no_grad for leaves
def uniform_(self, a=0.0, b=1.0, *, generator=None):
    from .. import random as _random
    _floating_only(self, "uniform_", "check_uniform_bounds")
    return _fill_random(self, _random.uniform_array(self._data.shape, a, b, self._data.dtype, generator))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    from .. import random as _random
    _floating_only(self, "normal_", "normal_kernel_cpu")
    return _fill_random(self, _random.normal_array(self._data.shape, mean, std, self._data.dtype, generator))


def bernoulli_(self, p=0.5, *, generator=None):
    from .. import random as _random
    be = backend_of(self)
    u = be.asarray(_random.uniform_array(self._data.shape, 0.0, 1.0, be.xp.float64, generator))
    probs = p._data if isinstance(p, Tensor) else p
    return _fill_random(self, u < probs)


def random_(self, from_=0, to=None, *, generator=None):
    from .. import random as _random
    dt = self._data.dtype
    if to is None:
        from_, to = 0, (from_ if from_ else 2 ** 24 if dt.kind == "f" else backend_of(self).xp.iinfo(dt).max)
    return _fill_random(self, _random.integers_array(self._data.shape, from_, to, dt, generator))


def exponential_(self, lambd=1.0, *, generator=None):
    from .. import random as _random
    if self._data.dtype.kind != "f":
        raise error(RuntimeError, "exponential_", "Exponential distribution is a continuous probability "
                    f"distribution. dtype must be a floating point but you specified {_tname(self._data.dtype)}",
                    "usa un tensor flotante (.float())")
    be = backend_of(self)
    u = be.asarray(_random.uniform_array(self._data.shape, 0.0, 1.0, be.xp.float64, generator))
    return _fill_random(self, -be.xp.log1p(-u) / lambd)


def _floating_only(self, op, kernel):
    if self._data.dtype.kind != "f":
        raise error(NotImplementedError, op, f'"{kernel}" not implemented for \'{_tname(self._data.dtype)}\'',
                    "usa un tensor flotante (.float())")


def _fill_random(self, values):
    """Write the drawn ``values`` (an array of ``self``'s shape) into ``self``: a copy_."""
    return Copy.apply(self, Tensor._make(backend_of(self).asarray(values)), out=self)


# ---------------------------------------------------------------- arithmetic
def add_(self, other, *, alpha=1):
    """``self += alpha * other``."""
    if other.__class__ is not Tensor:
        other = check_operand("add_", other)
    if alpha != 1:
        other = other * alpha
    return Add.apply(self, other, out=self)


def sub_(self, other, *, alpha=1):
    """``self -= alpha * other``."""
    if other.__class__ is not Tensor:
        other = check_operand("sub_", other)
    if alpha != 1:
        other = other * alpha
    return Sub.apply(self, other, out=self)


def div_(self, other, *, rounding_mode=None):
    """``self /= other`` (rounded with ``rounding_mode="floor"`` or ``"trunc"``)."""
    if other.__class__ is not Tensor:
        other = check_operand("div_", other)
    if rounding_mode is None:
        return Div.apply(self, other, out=self)
    if rounding_mode != "floor" and rounding_mode != "trunc":
        div(self, other, rounding_mode=rounding_mode)  # raises PyTorch's error
    return DivRounding.apply(self, other, rounding_mode, out=self)


def _binary_(name, op_cls):
    """``self.<name>(other)``: ``op_cls.apply(self, other, out=self)``."""
    def method(self, other):
        if other.__class__ is not Tensor:
            other = check_operand(name, other)
        return op_cls.apply(self, other, out=self)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of ``{name[:-1]}``."
    return method


mul_ = _binary_("mul_", Mul)
remainder_ = _binary_("remainder_", Remainder)
fmod_ = _binary_("fmod_", Fmod)
floor_divide_ = _binary_("floor_divide_", FloorDivide)
atan2_ = _binary_("atan2_", Atan2)
copysign_ = _binary_("copysign_", Copysign)
subtract_, multiply_, divide_, true_divide_, arctan2_ = sub_, mul_, div_, div_, atan2_


def pow_(self, exponent):
    """``self **= exponent``."""
    exponent = check_operand("pow_", exponent)
    return (PowTensor if isinstance(exponent, Tensor) else Pow).apply(self, exponent, out=self)


def square_(self):
    """``self **= 2``."""
    return Pow.apply(self, 2, out=self)


def lerp_(self, end, weight):
    """``self += weight * (end - self)``."""
    return Lerp.apply(self, end, check_operand("lerp_", weight), out=self)


def addcmul_(self, tensor1, tensor2, value=1):
    """``self += value * tensor1 * tensor2`` (Adam's second moment)."""
    prod = Mul.apply(tensor1, tensor2)
    if value != 1:
        Mul.apply(prod, value, out=prod)
    return Add.apply(self, prod, out=self)


def addcdiv_(self, tensor1, tensor2, value=1):
    """``self += value * tensor1 / tensor2`` (Adam's update)."""
    q = Div.apply(tensor1, tensor2)
    if value != 1:
        Mul.apply(q, value, out=q)
    return Add.apply(self, q, out=self)


def clamp_(self, min=None, max=None):
    """Clamp this tensor's values into ``[min, max]``."""
    if min is None and max is None:
        clamp(self, min, max)  # raises PyTorch's error
    op = ClampTensor if isinstance(min, Tensor) or isinstance(max, Tensor) else Clamp
    return op.apply(self, min, max, out=self)


def clamp_min_(self, min):
    """In-place version of ``clamp_min``."""
    return clamp_(self, min=min)


def clamp_max_(self, max):
    """In-place version of ``clamp_max``."""
    return clamp_(self, max=max)


clip_ = clamp_


def round_(self, decimals=0):
    """Round to ``decimals`` decimal places (halves to even, as PyTorch)."""
    return Round.apply(self, decimals, out=self)


def tril_(self, diagonal=0):
    """In-place version of ``tril``."""
    _check_matrix("tril_", self)
    return Tril.apply(self, diagonal, out=self)


def triu_(self, diagonal=0):
    """In-place version of ``triu``."""
    _check_matrix("triu_", self)
    return Triu.apply(self, diagonal, out=self)


def _unary_(name, op_cls):
    """``self.<name>()``: ``op_cls.apply(self, out=self)``."""
    def method(self):
        return op_cls.apply(self, out=self)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place version of ``{name[:-1]}``."
    return method


neg_ = negative_ = _unary_("neg_", Neg)
abs_ = absolute_ = _unary_("abs_", Abs)
sign_ = _unary_("sign_", Sign)
reciprocal_ = _unary_("reciprocal_", Reciprocal)
exp_ = _unary_("exp_", Exp)
exp2_ = _unary_("exp2_", Exp2)
expm1_ = _unary_("expm1_", Expm1)
log_ = _unary_("log_", Log)
log2_ = _unary_("log2_", Log2)
log10_ = _unary_("log10_", Log10)
log1p_ = _unary_("log1p_", Log1p)
sqrt_ = _unary_("sqrt_", Sqrt)
rsqrt_ = _unary_("rsqrt_", Rsqrt)
sin_ = _unary_("sin_", Sin)
cos_ = _unary_("cos_", Cos)
tan_ = _unary_("tan_", Tan)
asin_ = arcsin_ = _unary_("asin_", Asin)
acos_ = arccos_ = _unary_("acos_", Acos)
atan_ = arctan_ = _unary_("atan_", Atan)
sinh_ = _unary_("sinh_", Sinh)
cosh_ = _unary_("cosh_", Cosh)
tanh_ = _unary_("tanh_", Tanh)
asinh_ = arcsinh_ = _unary_("asinh_", Asinh)
acosh_ = arccosh_ = _unary_("acosh_", Acosh)
atanh_ = arctanh_ = _unary_("atanh_", Atanh)
sigmoid_ = _unary_("sigmoid_", Sigmoid)
relu_ = _unary_("relu_", Relu)
erf_ = _unary_("erf_", Erf)
floor_ = _unary_("floor_", Floor)
ceil_ = _unary_("ceil_", Ceil)
trunc_ = fix_ = _unary_("trunc_", Trunc)
frac_ = _unary_("frac_", Frac)


# ---------------------------------------------------------------- indexing
def masked_fill_(self, mask, value):
    """Write ``value`` where ``mask`` is True."""
    _check_masked_fill(self, mask, value)
    return MaskedFill.apply(self, mask, value, out=self)


def index_fill_(self, dim, index, value):
    """Write ``value`` at positions ``index`` along ``dim``: a masked_fill_."""
    d = norm_dim(dim, self._data.ndim, "index_fill_")
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise error(IndexError, "index_fill_", "index_fill_(): Expected dtype int64 for index.",
                    "el índice es un tensor de enteros (.long())")
    n, i = (self._data.shape[d] if self._data.ndim else 1), index._data
    if i.size and (i.max() >= n or i.min() < -n):
        bad = int(i.max()) if i.max() >= n else int(i.min())
        raise error(IndexError, "index_fill_", f"index {bad} is out of bounds for dimension {d} with size {n}",
                    "los índices van de 0 al tamaño de la dimensión - 1")
    xp = backend_of(self).xp
    mask = xp.zeros(self._data.shape, bool)
    xp.moveaxis(mask, d, 0)[i] = True
    return masked_fill_(self, Tensor._make(mask), value)


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    """Write ``src`` (or ``value``) at ``index`` along ``dim``; ``reduce="add"``/``"multiply"`` combines."""
    if src is None:
        src = value
    _same_dtype_src(self, src)
    if reduce is not None:
        return scatter_reduce_(self, dim, index, *_legacy_reduce(self, index, src, reduce))
    src = check_operand("scatter_", src)
    d = _check_index("scatter_", self, dim, index, src if isinstance(src, Tensor) else None)
    return Scatter.apply(self, d, index, src, out=self)


def _same_dtype_src(self, src, op="scatter"):
    """PyTorch's scatter kernels take a ``src`` tensor of ``self``'s dtype only (a number is cast)."""
    if isinstance(src, Tensor) and src._data.dtype != self._data.dtype:
        raise error(RuntimeError, op + "_", f"{op}(): Expected self.dtype to be equal to src.dtype (got "
                    f"{self.dtype} and {src.dtype})", "convierte src con src.to(x.dtype)")


def scatter_add_(self, dim, index, src):
    """Add ``src`` at ``index`` along ``dim``."""
    _same_dtype_src(self, src)
    d = _check_index("scatter_add_", self, dim, index, src)
    return ScatterAdd.apply(self, d, index, src, out=self)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into this tensor at ``index`` along ``dim``."""
    reduce = _check_scatter_reduce(self, src, reduce)
    if self._data.ndim == 0:  # a 0-d tensor is a 1-element vector to the op: reduced out of place, copied in
        return copy_(self, scatter_reduce(self.clone(), dim, index, src, reduce, include_self=include_self))
    d = _check_index("scatter_reduce_", self, dim, index, src)
    return ScatterReduce.apply(self, d, index, src, reduce, bool(include_self), out=self)


def index_add_(self, dim, index, source, *, alpha=1):
    """Add ``alpha * source`` at positions ``index`` along ``dim``."""
    if isinstance(source, Tensor) and source._data.dtype != self._data.dtype:
        raise error(RuntimeError, "index_add_", f"index_add_(): self ({_tname(self._data.dtype)}) and source "
                    f"({_tname(source._data.dtype)}) must have the same scalar type",
                    "convierte source con source.to(x.dtype)")
    d = _check_vector_index("index_add_", self, dim, index)
    return IndexAdd.apply(self, d, index.reshape(-1), source, alpha, out=self)


# ---------------------------------------------------------------- bit shifts
# (not autograd ops: integers have no gradient; the shifted values are copied in under PyTorch's dtype rule)
def bitwise_left_shift_(self, other):
    """``self <<= other``."""
    return _assign(self, bitwise_left_shift(self, other), "bitwise_left_shift_")


def bitwise_right_shift_(self, other):
    """``self >>= other``."""
    return _assign(self, bitwise_right_shift(self, other), "bitwise_right_shift_")


def _assign(self, result, op):
    _check_target(self, result._data.dtype, result._data.shape, op)
    return Copy.apply(self, result, out=self)
