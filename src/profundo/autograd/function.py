"""``Function`` (one op: forward and backward side by side) and ``Node`` (a
vertex of the backward graph, which is also the ``ctx`` an op receives).

This is the same API as ``torch.autograd.Function``::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            (y,) = ctx.saved_tensors
            return grad_output * y

    y = Exp.apply(x)        # y.grad_fn is an <ExpBackward> node

Built-in ops (``profundo.ops``) are written the same way.  Their forward
computes on the arrays (``x._data``) and returns an array; their backward is
written with profundo's own tensor ops, so ``create_graph=True`` gives
differentiable gradients.  The engine (``engine.py``) reduces every gradient to
the shape of its input, so a backward may return the broadcast shape.
"""
import inspect
import itertools
import threading
import weakref

from .. import _device
from .._backend import _STATE as _BACKENDS, backend_of
from .._dtype import float32 as _float32, float64 as _float64
from .._errors import broadcast_error, error, is_checked, memory_error
from ..tensor import Tensor
from . import anomaly, grad_mode

_sequence = itertools.count()
class _Scope(threading.local):
    """The names of the modules (or viz.scope blocks) being run by this thread,
    outermost first, in ``.stack``; each recorded node remembers them so a drawing
    can group or collapse a module.  Per thread: two threads running models at once
    do not tag each other's ops.  Used as a list (append, pop, [-1], bool)."""

    def __init__(self):
        self.stack = []
        self.current = ()  # the stack as a tuple, made when it changes: every op recorded inside shares it

    def append(self, name):
        _SCOPES_OPEN.append(True)  # (one call, atomic under the GIL: no lock, ~0.5 us less per module call)
        self.stack.append(name)
        self.current = tuple(self.stack)

    def enter(self, name):
        """Open the scope of a child module called ``name`` (``parent.name`` inside an open one)."""
        stack = self.stack
        stack.append(f"{stack[-1]}.{name}" if stack else name)
        self.current = tuple(stack)
        _SCOPES_OPEN.append(True)

    def pop(self):
        stack = self.stack
        name = stack.pop()
        self.current = tuple(stack)
        _SCOPES_OPEN.pop()
        return name

    def __getitem__(self, i):
        return self.stack[i]

    def __len__(self):
        return len(self.stack)

    def __iter__(self):
        return iter(self.stack)


SCOPE = _Scope()
# one entry per scope open in any thread: a recorded op reads the per-thread stack
# (a thread-local read, ~30 ns) only when some thread has one open
_SCOPES_OPEN = []
_GRAD = grad_mode.STATE
_GRAD_OFF = grad_mode.OFF  # an entry per thread that has grad mode off (see apply)
_SEVERAL_DEVICES = _device.SEVERAL  # [True] once tensors may live on two devices (see apply)
_ANOMALY = anomaly.STATE
_new = object.__new__

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class Node:
    """A vertex of the backward graph (``tensor.grad_fn``)."""

    _edges = ()            # per forward input: (next node, its output_nr) or None
    _saved = None          # what save_for_backward stored (packed after forward)
    _versions = None       # the recorded kernel path's saved inputs: their versions (else None)
    _freed = False         # saved values released by a backward without retain_graph
    _seq = 0               # creation order: later nodes run first in backward
    _out_meta = ()         # per output: (shape, numpy dtype), to check and materialize grads
    _retained = None       # {output_nr: weakref(tensor)} for tensor.retain_grad()
    _hooks = None          # {output_nr: [hook, ...]} for tensor.register_hook()
    _trace = None          # forward stack, kept in anomaly mode
    _non_differentiable = ()  # outputs marked by ctx.mark_non_differentiable
    _fresh_grads = True    # the backward's arrays may become a leaf's .grad (see Function)
    _special = False       # True once hooks or retained grads are set: the engine looks closer
    materialize_grads = True

    @property
    def needs_input_grad(self):
        """Per forward input: does it need a gradient? (derived from the edges)"""
        edges = self._edges
        if len(edges) == 2:  # the common binary op
            return (edges[0] is not None, edges[1] is not None)
        return tuple([e is not None for e in edges])

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {id(self):#x}>"

    @property
    def next_functions(self):
        return tuple(e if e is not None else (None, 0) for e in self._edges)

    @property
    def metadata(self):
        return self.__dict__.setdefault("_metadata", {})

    # -- ctx API used inside forward --------------------------------------
    def save_for_backward(self, *tensors):
        """Keep tensors (inputs or outputs of forward) for backward.

        Only tensors and None, as in PyTorch (checked when the graph is
        recorded).  Their version is recorded: modifying one in place before
        backward raises an error instead of silently computing a wrong gradient."""
        self._saved = tensors

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = outputs

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self):
        if self._freed:
            raise error(RuntimeError, None, FREED_MESSAGE,
                        "el primer backward() liberó el grafo: pasa retain_graph=True o vuelve a calcular la salida")
        saved = self._saved
        if not saved:
            return ()
        versions = self._versions
        if versions is not None:  # the op's own inputs, as given (see Function.apply's kernel path)
            for t, v in zip(saved, versions):
                if v is not None:
                    vc = t._vc
                    if vc is not None and vc[0] != v:
                        raise _version_error(t, vc[0], v, self)
            return saved
        out = []
        for s in saved:
            if s.__class__ is SavedTensor:  # SavedTensor.unpack, inlined (hot: ~0.1 us per saved input)
                t = s.tensor
                vc = t._vc
                if vc is not None and vc[0] != s.version:
                    raise _version_error(t, vc[0], s.version, self)
                out.append(t)
            elif s.__class__ is SavedOutput:
                out.append(s.unpack(self))
            else:  # None, numbers: as is
                out.append(s)
        return tuple(out)


class SavedTensor:
    """A tensor kept by ``ctx.save_for_backward`` (an input, or any tensor that
    is not an output of the node), with its version when saved."""

    __slots__ = ("tensor", "version")

    def __init__(self, tensor, version):
        self.tensor = tensor
        self.version = version

    def unpack(self, node):
        """The tensor, unless an in-place op modified it since it was saved."""
        t = self.tensor
        vc = t._vc
        if vc is not None and vc[0] != self.version:  # no counter yet: never modified
            raise _version_error(t, vc[0], self.version, node)
        return t


class SavedOutput:
    """An output of the node kept by ``ctx.save_for_backward`` (exp and tanh
    save their result).  Only its array, its position among the outputs and its
    version counter are kept: the output tensor points at the node (its
    grad_fn), so holding it would make a reference cycle, freed late."""

    __slots__ = ("data", "output_nr", "counter")

    def __init__(self, data, output_nr, counter):
        self.data = data
        self.output_nr = output_nr
        self.counter = counter  # shared with the output (and its views); the output was at version 0

    def unpack(self, node):
        """The output again (this node as its grad_fn), unless modified in place since."""
        if self.counter[0]:
            raise _version_error(None, self.counter[0], 0, node, self.output_nr)
        t = _new(Tensor)
        t._data = data = self.data
        if data.dtype.kind == "f":
            t._requires_grad = True
            t.grad_fn = node
            t._output_nr = self.output_nr
        return t


_SAVED = (SavedTensor, SavedOutput)


def _version_error(t, now, expected, node, nr=0):
    if t is not None and t.grad_fn is not None:
        who = f"which is output {t._output_nr} of {t.grad_fn.name()}"
    elif t is not None:
        who = "which is a leaf tensor"
    else:
        who = f"which is output {nr} of {node.name()}"
    shape = list(t.shape) if t is not None else ""
    return error(
        RuntimeError, None,
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [profundo.Tensor {shape}], {who}, is at version {now}; expected version "
        f"{expected} instead. Hint: enable anomaly detection to find the operation that failed to "
        "compute its gradient, with profundo.autograd.set_detect_anomaly(True).",
        "no modifiques in-place (x += ..., x[...] = ...) un tensor que el grafo necesita; "
        "usa la versión sin guion bajo (x = x + ...) o .clone()")


class BackwardNode(Node):
    """The node of one ``Function`` call; its class is named after the op."""

    _forward_cls = None


class AccumulateGrad(Node):
    """The node that adds a gradient into a leaf tensor's ``.grad``."""

    _seq = float("inf")  # run as soon as ready: frees the gradient early
    _special = True

    def __init__(self, variable):
        self.variable = variable
        d = variable._data
        self._out_meta = ((d.shape, d.dtype),)  # the engine re-checks it when accumulating

    @property
    def _hooks(self):
        hooks = self.variable._hooks
        return {0: hooks} if hooks else None

    def accumulate(self, g, owned, create_graph):
        """``variable.grad += g``.  ``owned``: no one else holds ``g``'s array,
        so it can become ``.grad`` without a copy (4-6 % of the MLP step)."""
        var = self.variable
        cur = var._grad
        if cur is None:
            if create_graph:
                var._grad = g
            elif owned:  # g itself when it is a plain tensor (a backward's result): no new object
                var._grad = g if g.grad_fn is None and not g._requires_grad else g.detach()
            else:  # a copy, C-contiguous
                var._grad = Tensor._make(backend_of(g).copy(g._data))
        elif create_graph or cur._requires_grad or not backend_of(cur).is_writeable(cur._data):
            var._grad = cur + g
        else:
            backend_of(cur).xp.add(cur._data, g._data, out=cur._data)
            cur._bump_version()


def _node_backward(cls):
    """The op's ``backward`` as a plain function stored on its node class, so
    that the engine's ``node._backward(*grads)`` is ``cls.backward(node, *grads)``."""
    fn = inspect.getattr_static(cls, "backward")
    if isinstance(fn, staticmethod):
        return fn.__func__
    return lambda ctx, *grads: cls.backward(ctx, *grads)


class Function:
    """Base class of every op: subclass it with ``forward`` and ``backward``
    static methods and call ``YourOp.apply(*args)``."""

    #: outputs are views of input 0 (they share its memory and version counter)
    is_view = False
    #: appended to the node's name: built-in ops are ``MulBackward0`` like torch's
    _name_suffix = ""
    #: built-in ops turn a raw NumPy error into a message naming the op
    _wrap_errors = False
    #: a custom forward may call tensor ops, which must not be recorded; built-in
    #: forwards compute on arrays and skip that switch
    _forward_uses_tensor_ops = True
    #: backward returns new arrays (or its incoming gradient), never one kept
    #: elsewhere, so a leaf's ``.grad`` may take them without a copy; a custom
    #: backward may return a saved tensor, so its results are copied first
    _fresh_grads = False
    #: a built-in op whose forward, on tensors of one floating dtype (or a tensor
    #: and a Python float), is exactly ``xp.<kernel>(arrays)`` (or the backend's own
    #: method of that name, e.g. ``relu``): without a graph to record, ``apply``
    #: calls it directly (``backend_of(x).op_kernel(kernel)``, NumPy's ufunc on the
    #: CPU), skipping the ctx and the dtype checks (~0.5 us of a 1 us small op)
    kernel = None
    #: what that forward saves for backward, so that a recorded call can take the
    #: same kernel path: ``"nothing"``, ``"inputs"`` (``save_for_backward(*args)``)
    #: or ``"output"`` (``save_for_backward(result)``); None: the forward always runs
    kernel_saves = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__ and "kernel" not in cls.__dict__:  # a new forward: the parent's
            cls.kernel = cls.kernel_saves = None                        # kernel says nothing of it
        name = cls.__dict__.get("node_name") or cls.__name__ + "Backward" + cls._name_suffix
        cls._backward_cls = type(name, (BackwardNode,), {
            "_forward_cls": cls, "_fresh_grads": cls._fresh_grads, "__module__": cls.__module__,
            "__qualname__": name, "_backward": _node_backward(cls)})

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @classmethod
    def apply(cls, *args, out=None):
        """Run the op on ``args``.  Every form of a built-in op ends here:
        ``profundo.add(x, y)``, ``x.add(y)``, ``x + y``, and the in-place
        ``x.add_(y)`` / ``x += y``, which pass ``out=x``: the result is written
        into that tensor (see ``_apply_into``).

        Two ways through:
        1. some input requires grad (and grad mode is on): forward runs, and
           its result is linked into the graph (the node, its edges and what
           it saved); 1a is the same for an op that declares ``kernel_saves``,
           written out: its kernel in place of the forward call;
        2. nothing to record: the forward alone, with a fast path for an op
           that declares a ``kernel`` (the backend's kernel on the arrays, no ctx).
        Both are written here rather than in helpers: one Python call less
        per op (~50 ns, 2 % of a small op; a backward runs path 2 for most of
        its ops, a recorded forward path 1)."""
        if _SEVERAL_DEVICES[0]:  # False until a second device exists: one list read per op, not ~1 us
            _check_devices(cls, args, out)
        if out is not None:
            return _apply_into(cls, args, out)
        record = False
        # grad mode is per thread; while no thread has turned it off, the shared
        # list (empty) answers without the per-thread read (~40 ns, 1 % of an op)
        if not _GRAD_OFF or _GRAD.enabled:
            for a in args:
                if (a.__class__ is Tensor or isinstance(a, Tensor)) and a._requires_grad:
                    record = True
                    break
        if not record:
            # 2. nothing to record: the forward alone, and no graph work
            if cls.kernel is not None:
                # the no-grad fast path: the op's declared kernel, straight on the arrays
                found = _kernel_operands(cls, args)
                if found is not None:
                    kernel, xa, xb, be = found
                    try:
                        out = kernel(xa) if xb is None else kernel(xa, xb)
                    except (ValueError, MemoryError):  # shapes that do not broadcast, or too large:
                        out = None                     # forward below explains it
                    if out is not None:
                        t = _new(Tensor)
                        t._data = out if out.__class__ is be.ndarray else be.xp.asarray(out)  # 0-d: a scalar
                        return t
            ctx = cls._backward_cls()
            try:
                out = cls.forward(ctx, *args)
            except _FORWARD_ERRORS as e:
                raise _forward_error(cls, args, e) from None
            if out.__class__ is _BACKENDS.cpu.ndarray:  # a CPU array: the common case, inlined
                t = _new(Tensor)
                t._data = out
                if cls.is_view:  # (a backward's transposes and reshapes)
                    _mark_view(t, args[0], cls, args, False)
                return t
            if type(out) is tuple:
                outs = tuple(_to_tensor(o) for o in out)
                if cls.is_view:
                    for nr, t in enumerate(outs):
                        _mark_view(t, args[0], cls, args, False, nr)
                return outs
            t = _to_tensor(out)
            if cls.is_view:
                _mark_view(t, args[0], cls, args, False)
            return t

        # 1a. recorded, the common case written out (d2l's RNN step is ~250 of these): an op that
        #     is its backend kernel (it declares kernel_saves) on one or two CPU tensors of one
        #     floating dtype, or a tensor and a Python number.  The kernel, then the node, with
        #     what its forward would save: ~1 us less than 1b per op (a third of a recorded matmul's
        #     Python).  Anything else (a cast, another array type, anomaly mode on) takes 1b, whose
        #     forward computes and saves the same.
        saves = cls.kernel_saves
        if saves is not None and not _ANOMALY.enabled:
            a = args[0]
            xa = a._data if a.__class__ is Tensor or isinstance(a, Tensor) else None
            if xa is not None and xa.__class__ is _BACKENDS.cpu.ndarray and xa.dtype.kind == "f":
                dt = xa.dtype
                b = xb = None
                if len(args) == 2:
                    b = args[1]
                    if b.__class__ is Tensor or isinstance(b, Tensor):
                        xb = b._data
                        if xb.dtype is not dt or xb.__class__ is not xa.__class__:
                            xb = None
                    elif b.__class__ is float or b.__class__ is int:
                        xb = _F32_SCALARS.get(b) if dt is _F32 else None
                        if xb is None:
                            xb = scalar_array(b, dt, xa)
                        b = None  # (no edge)
                if xb is not None or len(args) == 1:
                    be = _BACKENDS.cpu
                    try:
                        kernel = be.op_kernels[cls]
                    except KeyError:
                        kernel = be.op_kernels[cls] = be.op_kernel(cls.kernel)
                    try:
                        out = kernel(xa) if xb is None else kernel(xa, xb)
                    except (ValueError, MemoryError):  # 1b explains it
                        out = None
                    if out is not None:
                        if out.__class__ is not xa.__class__:  # 0-d: a scalar
                            out = be.xp.asarray(out)
                        ctx = cls._backward_cls()
                        fn = a.grad_fn
                        ea = (fn, a._output_nr) if fn is not None else (accumulator_for(a), 0) if a._requires_grad \
                            else None
                        if xb is None:
                            ctx._edges = (ea,)
                        elif b is None:  # a number operand
                            ctx._edges = (ea, None)
                        else:
                            fn = b.grad_fn
                            ctx._edges = (ea, (fn, b._output_nr) if fn is not None else (accumulator_for(b), 0)
                                          if b._requires_grad else None)
                        ctx._seq = next(_sequence)
                        if _SCOPES_OPEN:  # inside a child module (or a viz.scope block): tag the node
                            scope = SCOPE.current
                            if scope:
                                ctx._scope = scope
                        t = _new(Tensor)
                        t._data = out
                        ctx._out_meta = ((out.shape, out.dtype),)
                        t._requires_grad = True
                        t.grad_fn = ctx
                        if saves == "inputs":  # the inputs as given, and their versions
                            vc = a._vc
                            va = vc[0] if vc is not None else 0
                            if xb is None:
                                ctx._versions = (va,)
                            elif b is None:
                                ctx._versions = (va, None)
                            else:
                                vc = b._vc
                                ctx._versions = (va, vc[0] if vc is not None else 0)
                            ctx._saved = args
                        elif saves == "output":  # the output, without the cycle of holding t
                            s = _new(SavedOutput)
                            s.data, s.output_nr, s.counter = out, 0, [0]
                            t._vc = s.counter
                            ctx._saved = (s,)
                        return t

        # 1b. recorded: forward, then the node
        ctx = cls._backward_cls()
        try:
            if cls._forward_uses_tensor_ops:
                _GRAD.enabled = False  # a custom forward's own tensor ops are not recorded
                try:
                    out = cls.forward(ctx, *args)
                finally:
                    _GRAD.enabled = True
            else:
                out = cls.forward(ctx, *args)
        except _FORWARD_ERRORS as e:
            raise _forward_error(cls, args, e) from None
        # link the node to where each input's gradient goes: its grad_fn, or its
        # AccumulateGrad node if it is a leaf
        if len(args) == 1:  # a unary op: its one input requires grad, or nothing would be recorded
            a = args[0]
            fn = a.grad_fn
            ctx._edges = ((fn, a._output_nr),) if fn is not None else ((accumulator_for(a), 0),)
        elif len(args) == 2:  # a binary op (one operand may be a number): _edge written out, 2 calls less (~0.1 us)
            a, b = args
            if a.__class__ is Tensor or isinstance(a, Tensor):
                fn = a.grad_fn
                ea = (fn, a._output_nr) if fn is not None else (accumulator_for(a), 0) if a._requires_grad else None
            else:
                ea = None
            if b.__class__ is Tensor or isinstance(b, Tensor):
                fn = b.grad_fn
                eb = (fn, b._output_nr) if fn is not None else (accumulator_for(b), 0) if b._requires_grad else None
            else:
                eb = None
            ctx._edges = (ea, eb)
        else:
            ctx._edges = tuple([_edge(a) for a in args])
        ctx._seq = next(_sequence)
        if _SCOPES_OPEN:
            scope = SCOPE.current  # (one tuple per open scope, not one per op: ~0.1 us less)
            if scope:
                ctx._scope = scope
        if type(out) is tuple:
            return _record_outputs(cls, ctx, args, out)
        # one output: the common case, written out
        t = _new(Tensor)
        arr = t._data = out if out.__class__ is _BACKENDS.cpu.ndarray else _to_tensor(out)._data
        dt = arr.dtype
        ctx._out_meta = ((arr.shape, dt),)
        if (dt is _F32 or dt.kind == "f") and not ctx._non_differentiable:  # (float32 by identity: ~30 ns less)
            t._requires_grad = True
            t.grad_fn = ctx
        saved = ctx._saved
        if saved is not None:
            # _pack_saved's common cases written out (one call less per recorded op, ~5 % of
            # Mm's): the output (tanh, exp) becomes a SavedOutput, any other tensor (Mm's a and
            # b) a SavedTensor; anything else (None, a number, an array) goes through _pack_saved
            packed = []
            for item in saved:
                if item is out:
                    vc = t._vc
                    if vc is None:
                        vc = t._vc = [0]
                    s = _new(SavedOutput)
                    s.data, s.output_nr, s.counter = arr, 0, vc
                    packed.append(s)
                elif item.__class__ is Tensor or isinstance(item, Tensor):
                    vc = item._vc
                    s = _new(SavedTensor)
                    s.tensor, s.version = item, (vc[0] if vc is not None else 0)
                    packed.append(s)
                else:
                    _pack_saved(cls, ctx, (out,), (t,))
                    break
            else:
                ctx._saved = packed
        if cls.is_view:
            _mark_view(t, args[0], cls, args, True)
        if _ANOMALY.enabled:
            ctx._trace = anomaly.user_stack()
        return t


def _check_devices(cls, args, out):
    """PyTorch's error when the tensors of one op live on two devices (a list
    argument, as ``cat``'s, is looked into)."""
    tensors = [out] if out is not None else []
    for a in args:
        if isinstance(a, (list, tuple)):
            tensors.extend(a)
        else:
            tensors.append(a)
    _device.check_same_device(cls.__name__.lower(), tensors)


def _kernel_operands(cls, args):
    """``(kernel, xa, xb, backend)`` when the op's forward on ``args`` would be
    exactly its backend kernel on their arrays: a floating tensor (a Parameter
    too) and a tensor of the same dtype, a Python number (which takes the
    tensor's dtype, as ``operands()`` does) or nothing (``xb`` None).  None otherwise:
    the forward then runs, and explains any error."""
    a = args[0]
    if not (a.__class__ is Tensor or isinstance(a, Tensor)):
        return None
    xa = a._data
    dt = xa.dtype
    if dt.kind != "f":
        return None
    be = _BACKENDS.cpu  # backend_of(xa) for a CPU array, without the call (~40 ns, 4 % of an op)
    if xa.__class__ is not be.ndarray:
        be = backend_of(xa)
    if len(args) == 1:
        xb = None
    else:
        b = args[1]
        if b.__class__ is float or b.__class__ is int:
            xb = _F32_SCALARS.get(b) if dt is _F32 else None  # the cache, inlined (see scalar_array)
            if xb is None:
                xb = scalar_array(b, dt, xa)
        elif isinstance(b, Tensor) and b._data.dtype is dt:
            xb = b._data
        else:
            return None
    try:
        kernel = be.op_kernels[cls]
    except KeyError:
        kernel = be.op_kernels[cls] = be.op_kernel(cls.kernel)
    return kernel, xa, xb, be


# The 0-d arrays of the Python numbers met as operands (``y * 1.01``, a backward's
# ``g * 1.01``), per floating dtype: NumPy computes with a 0-d array ~2x faster
# than with a Python float, and making one costs ~0.2 us, finding it here ~0.03.
# Only passed to kernels as an input, never returned or written to.  The two
# common dtypes are told apart by identity (hashing a NumPy dtype costs ~50 ns).
# Zero is not kept (0.0 == -0.0 as keys, but their products differ in sign), nor
# NaN (never equal to itself); at most 256 numbers per dtype.
_F32, _F64 = _float32.np, _float64.np
_F32_SCALARS, _F64_SCALARS = {}, {}


def scalar_array(b, dt, like):
    """The Python number ``b`` as a 0-d array of the floating dtype ``dt``, on
    the backend of the array ``like``."""
    cache = _F32_SCALARS if dt is _F32 else _F64_SCALARS if dt is _F64 else None
    if cache is not None:
        a = cache.get(b)
        if a is not None:
            return a
    a = backend_of(like).xp.array(b, dt)
    if cache is not None and b and b == b and len(cache) < 256:
        cache[b] = a
    return a


_INPLACE = []  # ops.inplace (the in-place rules: leaves, views, version counters), found on first use


def _apply_into(cls, args, out):
    """``apply`` for an in-place form (``x.add_(y)`` is ``Add.apply(x, y, out=x)``):
    the op's result is written into ``out``'s array, whose version goes up.

    Recorded: ``ops.inplace.record_inplace`` runs the op out of place on a
    snapshot of ``out`` (``apply`` again, out of place) and gives ``out`` the new node.  Not recorded:
    the op's kernel writes into the array directly (``kernel(x, y, out=x._data)``),
    or else its forward computes the result and it is copied in."""
    if not _INPLACE:
        from ..ops import inplace
        _INPLACE.append(inplace)
    inplace = _INPLACE[0]
    if _GRAD.enabled and inplace.recording(out, args):
        def run(snapshot):  # the op, out of place, on a snapshot of ``out``'s value and history
            new = [snapshot if a is out else a for a in args]
            return Function.apply.__func__(cls, *new)  # recorded unless only a view's base requires grad
        return inplace.record_inplace(out, cls.__name__.lower() + "_", run)
    od = out._data
    found = _kernel_operands(cls, args) if cls.kernel is not None else None
    if found is not None and found[1].dtype is od.dtype:
        kernel, xa, xb, _ = found
        try:
            if xb is None:
                kernel(xa, out=od)
            else:
                kernel(xa, xb, out=od)
        except (ValueError, MemoryError):  # read-only target, shapes that do not fit: explained below
            pass
        else:
            out._bump_version()
            return out
    ctx = cls._backward_cls()
    try:
        result = cls.forward(ctx, *args)
    except _FORWARD_ERRORS as e:
        raise _forward_error(cls, args, e) from None
    inplace.write(out, result if result.__class__ is backend_of(out).ndarray else _to_tensor(result)._data,
                  cls.__name__.lower() + "_")
    return out


def _edge(a):
    """Where the gradient for forward input ``a`` goes: its grad_fn, its
    AccumulateGrad node if it is a leaf that requires grad, else None."""
    if a.__class__ is Tensor or isinstance(a, Tensor):
        fn = a.grad_fn
        if fn is not None:
            return (fn, a._output_nr)
        if a._requires_grad:
            return (accumulator_for(a), 0)
    return None


def _to_tensor(o):
    """A fresh tensor around what a forward returned: an array of its backend,
    a NumPy scalar (from 0-d math), a tensor (a custom forward), or a number."""
    if isinstance(o, Tensor):  # a custom forward returned a tensor: fresh object, same data
        return Tensor._make(o._data)
    be = backend_of(o)
    return Tensor._make(o if o.__class__ is be.ndarray else be.xp.asarray(o))


def _record_outputs(cls, ctx, args, outs):
    """The end of the recorded ``apply`` for a forward that returned several outputs."""
    non_diff = ctx._non_differentiable
    results, meta = [], []
    for i, o in enumerate(outs):
        t = _to_tensor(o)
        arr = t._data
        meta.append((arr.shape, arr.dtype))
        if arr.dtype.kind == "f" and not any(o is n for n in non_diff):
            t._requires_grad = True
            t.grad_fn = ctx
            t._output_nr = i
        results.append(t)
    ctx._out_meta = meta
    if ctx._saved is not None:
        _pack_saved(cls, ctx, outs, results)
    if cls.is_view:
        for nr, t in enumerate(results):
            _mark_view(t, args[0], cls, args, True, nr)
    if _ANOMALY.enabled:
        ctx._trace = anomaly.user_stack()
    return tuple(results)


def _pack_saved(cls, ctx, outs, results):
    """Turn each tensor that save_for_backward kept into a ``SavedOutput`` (an
    output of this node) or a ``SavedTensor`` (any other tensor).

    ``outs``: what forward returned; ``results``: the output tensors made of
    them.  A custom Function saves tensors or None, as in PyTorch.  A built-in
    op's forward computes on arrays and may take a number operand, so it may
    also save an array (kept as a constant tensor) or a number (kept as is).

    The records are made with ``_new`` and two or three attribute stores rather
    than by calling the class: no ``__init__`` frame (~50 ns a record, run for
    almost every recorded op)."""
    builtin = not cls._forward_uses_tensor_ops
    first_out, first_result = outs[0], results[0]
    packed = []
    for item in ctx._saved:
        if item is first_out or item is first_result:  # output 0 (exp and tanh save their result)
            vc = first_result._vc
            if vc is None:  # a fresh output's counter, shared with the views made of it later
                vc = first_result._vc = [0]
            s = _new(SavedOutput)
            s.data, s.output_nr, s.counter = first_result._data, 0, vc
        elif item.__class__ is Tensor or isinstance(item, Tensor):
            if len(outs) > 1 and _output_nr(item, outs, results):  # another output
                nr = _output_nr(item, outs, results)
                s = SavedOutput(results[nr]._data, nr, _fresh_counter(results[nr]))
            else:  # an input, or any other tensor
                vc = item._vc
                s = _new(SavedTensor)
                s.tensor, s.version = item, (vc[0] if vc is not None else 0)
        elif item is None or (builtin and item.__class__ in _NUMBERS):
            s = item
        elif len(outs) > 1 and _output_nr(item, outs, results):  # an array returned as another output
            nr = _output_nr(item, outs, results)
            s = SavedOutput(results[nr]._data, nr, _fresh_counter(results[nr]))
        elif builtin and hasattr(item, "dtype") and hasattr(item, "shape"):  # an array (or a NumPy scalar
            s = SavedTensor(_to_tensor(item), 0)                               # from 0-d math): a constant
        else:
            raise _save_type_error(ctx._saved, item)
        packed.append(s)
    ctx._saved = packed  # a list, read in order by saved_tensors


def _save_type_error(saved, item):
    i = next(k for k, v in enumerate(saved) if v is item)
    kind = type(item)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    return error(TypeError, None, f"save_for_backward can only save variables, but argument {i} is of type {name}",
                 "guarda cada tensor por separado, ctx.save_for_backward(x, y); otros valores van como "
                 "atributos: ctx.k = k")


def _output_nr(item, outs, results):
    """The position of ``item`` among outputs 1, 2, ... (0 if none: output 0 is checked first)."""
    for nr in range(1, len(outs)):
        if item is outs[nr] or item is results[nr]:
            return nr
    return 0


_NUMBERS = (float, int, bool)


def _fresh_counter(t):
    """The version counter of a just-made output (shared with the views made
    of it later), kept beside the saved output to detect in-place changes."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc


def _mark_view(out, src, cls, args, recording, nr=0):
    """``out`` (output ``nr``) is a view of ``src``: share its version counter; while
    recording, remember how to replay the view from its base (for in-place ops on it):
    ``cls`` again on ``args[1:]``, or for an op with several views (unbind) the step
    its ``view_step(args, nr)`` gives."""
    base, src_arr = out._data.base, src._data
    if base is None or not (base is src_arr or (src_arr.base is not None and base is src_arr.base)):
        return  # not a view after all (e.g. a reshape that had to copy)
    out._vc = src._version_counter()
    if recording or src._base is not None:
        out._base = src._base if src._base is not None else src
        step = cls.view_step(args, nr) if "view_step" in cls.__dict__ else (cls, args[1:])
        out._view_steps = src._view_steps + (step,)


_FORWARD_ERRORS = (ValueError, IndexError, TypeError, ArithmeticError, MemoryError)


def _forward_error(cls, args, e):
    """What to raise for ``e`` from a forward: a built-in op's raw NumPy error
    becomes one that names the op; other errors stay as they are."""
    if not cls._wrap_errors or is_checked(e):
        return e
    return _wrapped_error(cls, args, e)


def _wrapped_error(cls, args, e):
    tensors = [a for a in args if isinstance(a, Tensor)]
    op = cls.__name__.lower()
    if isinstance(e, MemoryError):  # NumPy's says the shape and dtype it could not allocate
        shape, dt = getattr(e, "shape", None), getattr(e, "dtype", None)
        if shape is not None and dt is not None:
            return memory_error(op, shape, dt.itemsize, str(dt))
        shapes = ", ".join(f"{tuple(a.shape)}" for a in tensors)
        return memory_error(op, (), 0, f"? (inputs of shapes {shapes})")
    if "broadcast" in str(e) and len(tensors) >= 2:
        return broadcast_error(op, tensors[0]._data.shape, tensors[1]._data.shape)
    shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in tensors)
    return error(RuntimeError if isinstance(e, ValueError) else type(e), op,
                 f"{e} (tensor arguments: {shapes})",
                 "revisa las formas (.shape) y los tipos (.dtype) de los argumentos")


def accumulator_for(t):
    """The AccumulateGrad node of a leaf tensor (created once, held weakly)."""
    ref = t._acc_ref
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._acc_ref = weakref.ref(node)
    return node


class once_differentiable:  # pragma: no cover - torch compatibility shim
    """Decorator accepted for torch compatibility; profundo's backward is
    already differentiable when written with tensor ops."""

    def __new__(cls, fn):
        return fn
