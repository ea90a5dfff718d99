"""``out=``: write a function's result into a tensor you already have.

``profundo.add(a, b, out=c)`` computes ``a + b`` and copies it into ``c``,
as PyTorch does: ``c`` keeps its identity (the call returns ``c`` itself),
its dtype (the result is cast to it when PyTorch allows the cast) and its
memory (a view writes through to its base); its version counter goes up by
one.  A ``c`` of another shape is resized first: silently when it has no
elements, with PyTorch's deprecation ``UserWarning`` otherwise.

``out=`` is not differentiable (the result is written into an existing
tensor, outside the graph), so with grad mode on it is refused when an input
or ``out`` requires grad -- PyTorch's error, word for word.

One mechanism for every function: ``with_out(fn, name, ...)`` returns ``fn``
with an extra keyword ``out=None``.  Without ``out`` it calls ``fn`` straight
away (the price is one Python call); with ``out`` it computes ``fn`` under
``no_grad`` and stores the result with ``store``.  ``factory_out`` does the
same for the tensor factories (``zeros(2, 3, out=t)``), where ``out`` also
gives the default dtype.

Which dtypes may receive a result differs between PyTorch's kernels, so each
function names its rule:

* ``"cast"`` (elementwise math, ``mean``, ``var``, ``cat``...): any dtype the
  result can be cast to (no float into an integer, nothing into bool);
* ``"exact"`` (``mm``, ``matmul``, ``where``, ``amax``, ``max(dim)``, ``sort``,
  ``argmax``...): only the result's own dtype;
* ``"accumulate"`` (``sum``, ``prod``, ``cumsum``...): the function computes in
  ``out``'s dtype, as if called with ``dtype=out.dtype``.

Views of another shape are the one deliberate difference: PyTorch re-strides
them inside their base's storage (and may grow the storage), which NumPy
views cannot do, so profundo refuses a view with elements and the wrong shape
with an explanation (PyTorch warns that resizing it is deprecated anyway).
"""
import functools
import inspect
import os
import sys
import warnings

from .._dtype import can_cast, scalar_type_name as _scalar_name, to_dtype
from .._backend import backend_of
from .._errors import error
from ..autograd import grad_mode
from ..tensor import Tensor

_GRAD = grad_mode.STATE
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_GENERATED = "<profundo out= wrapper>"  # the file name of the wrappers' generated code (in tracebacks)

# the C names PyTorch prints in "Expected out tensor to have dtype float, but got double instead"
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def with_out(fn, name, rule="cast", differentiable=True):
    """``fn`` with PyTorch's ``out=`` keyword.  ``name`` is the op's name in
    PyTorch's messages (``"sub"`` for ``subtract``); ``rule`` is the dtype
    rule above; a non-differentiable op (``argmax``, ``eq``) never refuses
    inputs that require grad."""
    def call_with_out(args, kwargs, out):
        return _call_with_out(fn, name, rule, differentiable, args, kwargs, out)

    wrapper = _finish(_forwarder(fn, call_with_out), fn)
    wrapper._out_rule = rule  # (tests list the wrapped functions by this mark)
    return wrapper


def _forwarder(fn, call_with_out):
    """``def f(<fn's parameters>, *, out=None)`` that calls ``fn`` when ``out``
    is None and ``call_with_out(args, kwargs, out)`` otherwise.

    Written out with fn's own parameter list (like ``dataclasses`` writes
    ``__init__``) because the no-out call is every model's hot path: a
    ``(*args, out=None, **kwargs)`` wrapper costs ~250 ns a call, this one
    ~50 ns.  A function that already takes ``**kwargs`` (the NumPy-alias
    wrappers of the reductions) gets the generic wrapper."""
    sig = inspect.signature(fn, follow_wrapped=False)
    params = list(sig.parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in params) or "out" in sig.parameters:
        def generic(*args, out=None, **kwargs):
            if out is None:
                return fn(*args, **kwargs)
            return call_with_out(args, kwargs, out)
        return generic
    defaults = {f"_out_d{i}": p.default for i, p in enumerate(params) if p.default is not p.empty}
    header, positional, keywords, star = [], [], [], False
    for i, p in enumerate(params):
        default = f"=_out_d{i}" if p.default is not p.empty else ""
        if p.kind is p.VAR_POSITIONAL:
            header.append(f"*{p.name}")
            positional.append(f"*{p.name}")
            star = True
        elif p.kind is p.KEYWORD_ONLY:
            if not star:
                header.append("*")
                star = True
            header.append(p.name + default)
            keywords.append(p.name)
        else:  # positional (or keyword): forwarded by position, which also keeps positional-only ones working
            header.append(p.name + default)
            positional.append(p.name)
    if not star:
        header.append("*")
    header.append("out=None")
    call = ", ".join(positional + [f"{k}={k}" for k in keywords])
    args_tuple = "(" + "".join(f"{a}, " for a in positional) + ")"
    kwargs_dict = "{" + ", ".join(f"{k!r}: {k}" for k in keywords) + "}"
    source = (f"def {fn.__name__}({', '.join(header)}):\n"
              f"    if out is None:\n"
              f"        return _out_fn({call})\n"
              f"    return _out_call({args_tuple}, {kwargs_dict}, out)\n")
    namespace = dict(defaults, _out_fn=fn, _out_call=call_with_out)
    exec(compile(source, _GENERATED, "exec"), namespace)  # noqa: S102  (built above from fn's own signature)
    return namespace[fn.__name__]


def _finish(wrapper, fn):
    """Name and document ``wrapper`` as ``fn``, with ``out`` in its signature (``help()`` shows it)."""
    functools.update_wrapper(wrapper, fn)
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
    params.insert(at, inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None))
    wrapper.__signature__ = sig.replace(parameters=params)
    return wrapper


def factory_out(fn, name):
    """``zeros``/``ones``/``empty``/``full``/``arange``/``rand``/``randn`` with
    ``out=``: the values are made in ``out``'s dtype (``dtype=``, if given,
    must be the same) and stored into it; ``requires_grad=True`` marks it."""
    def call_with_out(args, kwargs, out):
        _check_out_type(name, out)
        dtype = kwargs.get("dtype")
        if dtype is not None and to_dtype(dtype, name).np != out._data.dtype:
            raise error(RuntimeError, name, f"dtype {_scalar_name(to_dtype(dtype, name).np)} does not match dtype "
                        f"of out parameter ({_scalar_name(out._data.dtype)})",
                        "quita dtype=: el tensor out ya decide el tipo")
        kwargs["dtype"] = out.dtype
        requires_grad = kwargs.pop("requires_grad", False)
        store(out, fn(*args, **kwargs)._data, name)
        if requires_grad:
            out.requires_grad_(True)
        return out

    return _finish(_forwarder(fn, call_with_out), fn)


def _call_with_out(fn, name, rule, differentiable, args, kwargs, out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        _check_out_type(name, o)
    if differentiable and _GRAD.enabled and _any_requires_grad(args, kwargs, outs):
        raise error(RuntimeError, None, f"{name}(): functions with out=... arguments don't support automatic "
                    "differentiation, but one of the arguments requires grad.",
                    f"llama a {name} sin out= (y = profundo.{name}(...)) o dentro de `with profundo.no_grad():`")
    if rule == "accumulate":
        dtype = kwargs.get("dtype")
        if dtype is not None and to_dtype(dtype, name).np != outs[0]._data.dtype:
            raise _exact_error(name, to_dtype(dtype, name).np, outs[0]._data.dtype)
        kwargs["dtype"] = outs[0].dtype
    with grad_mode.no_grad():
        result = fn(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if len(results) != len(outs) or isinstance(out, Tensor) != isinstance(result, Tensor):
        what = "a Tensor" if isinstance(result, Tensor) else f"a tuple of {len(results)} Tensors"
        raise error(TypeError, name, f"argument 'out' must be {what} here, got {_describe(out)}",
                    "out= recibe un tensor por cada resultado: max(x, 1, out=(valores, indices))")
    for r, o in zip(results, outs):  # every check before the first write
        if rule != "accumulate":  # (an accumulated result is in out's dtype, or bool's sum in int64: cast back)
            _check_dtype(name, rule, r._data.dtype, o._data.dtype)
        _check_target(o, r._data.shape, name)
    for r, o in zip(results, outs):
        store(o, r._data, name)
    if isinstance(out, Tensor):
        return out
    return type(result)(*outs) if hasattr(result, "_fields") else tuple(outs)  # max_result(values=, indices=)


def store(out, values, op):
    """Copy the array ``values`` into the tensor ``out`` (PyTorch's out= write):
    resize ``out`` if its shape differs, cast to its dtype, bump its version."""
    _check_target(out, values.shape, op)
    dst, xp = out._data, backend_of(out).xp
    if dst.shape != values.shape:
        if dst.size:
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(dst.shape)}, "
                          f"which does not match the required output shape {list(values.shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they "
                          "have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to "
                          "zero elements with t.resize_(0).", UserWarning, stacklevel=_caller_level())
        # a new array for the same tensor object (its old views keep the old memory, as in PyTorch)
        out._data = dst = xp.empty(values.shape, dst.dtype)
    xp.copyto(dst, values, casting="unsafe")
    out._bump_version()


def _check_target(out, shape, op):
    """Refuse (before anything is written) an out that cannot take a result of this shape."""
    dst = out._data
    if dst.shape != shape:
        if dst.size and (out._base is not None or dst.base is not None):  # a view (of a tensor or an array)
            raise error(RuntimeError, op, f"out= is a view with shape {list(dst.shape)}, but the result has shape "
                        f"{list(shape)}; profundo cannot resize a view in place (PyTorch re-strides it inside "
                        "its base's storage)", "pasa una vista de la forma del resultado, o un tensor nuevo: "
                        "out=profundo.empty(0)")
    elif not backend_of(dst).is_writeable(dst):
        raise error(RuntimeError, op, "unsupported operation: more than one element of the written-to tensor "
                    "refers to a single memory location. Please clone() the tensor before performing the "
                    "operation.", "out= viene de expand(): usa .clone() o un tensor nuevo")


def _caller_level():
    """The ``stacklevel`` that makes a warning point at the user's line (the first
    frame outside profundo and its generated wrappers)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename.startswith(_PACKAGE_DIR)
                                 or frame.f_code.co_filename == _GENERATED):
        frame, level = frame.f_back, level + 1
    return level


def _check_out_type(name, out):
    if not isinstance(out, Tensor):
        raise error(TypeError, None, f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}",
                    "out= recibe un tensor de profundo, p. ej. out=profundo.empty(0)")


def _any_requires_grad(args, kwargs, outs):
    for o in outs:
        if o._requires_grad:
            return True
    for a in (*args, *kwargs.values()):
        if isinstance(a, Tensor):
            if a._requires_grad:
                return True
        elif isinstance(a, (list, tuple)):  # cat([...]), stack([...])
            if any(isinstance(t, Tensor) and t._requires_grad for t in a):
                return True
    return False


def _check_dtype(name, rule, src, dst):
    if src == dst:
        return
    if rule == "cast" and can_cast(src, dst):
        return
    if rule == "cast":
        if name in ("cat", "stack", "hstack", "vstack"):  # (PyTorch's cat checks its inputs, with a TypeError)
            raise error(TypeError, None, f"torch.cat(): input types can't be cast to the desired output type "
                        f"{_scalar_name(dst)}", "usa un out= flotante para resultados flotantes")
        raise error(RuntimeError, name, f"result type {_scalar_name(src)} can't be cast to the desired output type "
                    f"{_scalar_name(dst)}", "el resultado no cabe en el tipo de out=: usa un out= de tipo "
                    f"{_scalar_name(src).lower()} o convierte antes las entradas")
    raise _exact_error(name, src, dst)


def _exact_error(name, src, dst):
    return error(RuntimeError, name, f"Expected out tensor to have dtype {_C_NAMES.get(src.name, src.name)}, but "
                 f"got {_C_NAMES.get(dst.name, dst.name)} instead",
                 f"{name} solo escribe en un out= de su mismo dtype ({_scalar_name(src).lower()})")




def _describe(out):
    return f"a tuple of {len(out)}" if isinstance(out, (tuple, list)) else type(out).__name__


def _table(rule, names, differentiable=True):
    """``"alias=torch_name"`` entries -> {alias: (torch_name, rule, differentiable)}."""
    specs = {}
    for entry in names.split():
        alias, _, torch_name = entry.partition("=")
        specs[alias] = (torch_name or alias, rule, differentiable)
    return specs


# The functions of ops/__init__.py FUNCTIONS that take out= in PyTorch, with the name PyTorch's
# messages use, the dtype rule (checked against torch 2.13) and whether the op is differentiable.
OUT_SPECS = {
    **_table("cast", "add sub subtract=sub mul multiply=mul div divide=div true_divide=div remainder fmod pow "
                     "square=pow maximum minimum atan2 arctan2=atan2 logaddexp logaddexp2 copysign lerp "
                     "exp exp2 expm1 log log2 log10 log1p sqrt rsqrt reciprocal sin cos tan "
                     "asin arcsin=asin acos arccos=acos atan arctan=atan sinh cosh tanh asinh arcsinh=asinh acosh "
                     "arccosh=acosh atanh arctanh=atanh sigmoid erf "
                     "mean var std logsumexp outer ger=outer "
                     "cat concat=cat concatenate=cat stack hstack vstack"),
    **_table("cast", "floor_divide eq ne lt le gt ge not_equal=ne less=lt less_equal=le greater=gt "
                     "greater_equal=ge logical_and logical_or logical_xor logical_not", differentiable=False),
    **_table("exact", "abs absolute=abs neg negative=neg round sign floor ceil trunc fix=trunc frac "
                      "clamp clip=clamp clamp_min clamp_max where matmul mm bmm mv dot amax amin max min "
                      "norm=linalg_vector_norm sort topk kthvalue median cummax cummin logcumsumexp msort"),
    **_table("exact", "argmax argmin all any", differentiable=False),
    **_table("accumulate", "sum nansum prod cumsum cumprod"),
}
