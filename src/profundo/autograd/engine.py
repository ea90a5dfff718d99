"""The backward engine: runs the graph's nodes in reverse topological order.

No recursion anywhere (a graph 100,000 ops deep is fine): a first pass counts,
for every node, how many edges point at it; a node runs once all of them
delivered their gradient.  Ready nodes run latest-created first, like PyTorch.
"""
import heapq

from .._backend import backend_of
from .._errors import error
from ..tensor import Tensor
from . import anomaly, grad_mode
from .function import AccumulateGrad, accumulator_for
from .. import sparse  # row-sparse gradients (nn.Embedding(sparse=True)): see _fit, run_backward, _accumulate

_GRAD = grad_mode.STATE


def sum_to(grad, shape):
    """The one unbroadcast helper: sum ``grad`` down to ``shape``.

    Broadcasting copies a value along new leading dims and along dims of size
    1, so its gradient adds those copies back up.  Written with tensor ops so
    it is differentiable too (``create_graph=True``); a first-order backward,
    which records nothing, sums the array directly.
    """
    gshape = grad._data.shape
    if gshape == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = _SUM_DIMS.get((gshape, shape))
    if dims is None:
        dims = _sum_dims(gshape, shape)
    if not _GRAD.enabled:
        # a first-order backward records nothing: the sum and reshape on the array, not as two ops
        # (~4 us less per broadcast bias, e.g. 70 of the ~350 backward nodes of d2l's RNN step)
        # (summed without keepdim: a bias's gradient is then the fresh array itself, which its .grad
        # may take without a copy; a reshape is needed only when size-1 dims were summed too)
        be = backend_of(grad)
        a = be.reduce_sum(grad._data, dims, False)
        if a.__class__ is not be.ndarray:  # summed to a scalar: NumPy gives a NumPy scalar
            a = be.xp.asarray(a)
        return Tensor._make(a if a.shape == shape else a.reshape(shape))
    if dims:
        grad = grad.sum(dim=dims, keepdim=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


def _sum_dims(gshape, shape):
    """The dims ``sum_to`` sums to bring a gradient of ``gshape`` back to ``shape``: the
    leading dims broadcasting added, and those where ``shape`` has a 1.  Remembered per pair
    of shapes (a training loop meets the same few: ~1.5 us less per broadcast bias)."""
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1)
    if len(_SUM_DIMS) > 1024:
        _SUM_DIMS.clear()
    _SUM_DIMS[gshape, shape] = dims
    return dims


_SUM_DIMS = {}  # (gradient shape, input shape) -> dims to sum, for pairs seen before


def _expandable(shape, to):
    if (shape, to) in _EXPANDABLE:  # (a pair found expandable before: one set lookup)
        return True
    if len(shape) > len(to) or not all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(to))):
        return False
    if len(_EXPANDABLE) > 1024:
        _EXPANDABLE.clear()
    _EXPANDABLE.add((shape, to))
    return True


_EXPANDABLE = set()


def gradient_edge(t):
    """Where a gradient for tensor ``t`` enters the graph."""
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (accumulator_for(t), 0)
    return None


def _fit(node, i, g, meta):
    """Make gradient ``i`` of ``node`` fit the input it belongs to: a Tensor,
    summed down to the input's shape (the one unbroadcast rule), in its dtype."""
    shape, dt = meta
    if g.__class__ is sparse.RowSparseTensor:  # kept row-sparse
        return sparse.fit(node, g, shape, dt)
    if not isinstance(g, Tensor):  # an array or a number from a custom backward
        g = Tensor._make(backend_of(g).xp.asarray(g))
    arr = g._data
    if arr.shape != shape:
        if not _expandable(shape, arr.shape):
            raise error(RuntimeError, None, f"Function {node.name()} returned an invalid gradient at index {i} - "
                        f"got {list(arr.shape)} but expected shape compatible with {list(shape)}",
                        "el backward debe devolver, para cada entrada, un gradiente con la forma de esa entrada")
        g = sum_to(g, shape)
    if g._data.dtype != dt:
        g = g.to(dt)
    return g


def _fitted(g, shape):
    """``g`` summed down to ``shape`` if it is a dense gradient of another shape."""
    return sum_to(g, shape) if g.__class__ is Tensor and g._data.shape != shape else g


def _fit_buffer(node, buf):
    """Sum the broadcast-shaped gradients in ``node``'s buffer down to its outputs' shapes
    (checked when they arrived, so no error here)."""
    for i, g in enumerate(buf):
        if g is not None:
            buf[i] = _fitted(g, node._out_meta[i][0])


def _mark_shared(result, shared):
    """Arrays a backward returned for more than one input (``a + b`` sends the
    same gradient to both) must not become two leaves' ``.grad``."""
    seen = set()
    for g in result:
        if g is not None and isinstance(g, Tensor):
            k = id(g._data)
            if k in seen:
                shared.add(k)
            seen.add(k)


def _gradient_count(node, result):
    """A backward must return one gradient per forward input (extra Nones are fine)."""
    n = len(node._edges)
    if len(result) > n and all(r is None for r in result[n:]):
        return result[:n]
    raise error(RuntimeError, None, f"function {node.name()} returned an incorrect number of gradients "
                f"(expected {n}, got {len(result)})",
                "backward devuelve un gradiente por cada argumento de forward (None para los que no son tensores)")


def _check_nan(node, result):
    for i, g in enumerate(result):
        if g is None:
            continue
        arr = g._data if isinstance(g, Tensor) else g
        xp = backend_of(arr).xp
        if xp.isnan(xp.asarray(arr)).any():
            raise _nan_error(node, i)


def _nan_error(node, i):
    text = f"Function '{node.name()}' returned nan values in its {i}th output."
    if node._trace:
        frame = node._trace[-1]
        text += (f"\nThe forward call that created it: File \"{frame.filename}\", line {frame.lineno}, "
                 f"in {frame.name}\n    {frame.line}")
    else:
        text += " (run the forward pass inside detect_anomaly() to see where it was created)"
    return error(RuntimeError, None, text,
                 "busca un log de 0, una raíz de 0, una división por 0 o 0/0 en esa línea")


# None, or ``f(node, grads_in, grads_out)`` called as each node runs (profundo.viz watches backward)
OBSERVER = None

# callbacks queued during a backward pass, run once it has finished (``queue_callback``);
# _PASSES counts the backward passes running (one, or more when a hook runs its own backward)
_FINAL_CALLBACKS = []
_PASSES = [0]


def queue_callback(callback):
    """Run ``callback()`` once the backward pass now running has finished, every
    leaf's ``.grad`` written (PyTorch's ``Variable._execution_engine.queue_callback``).
    ``profundo.distributed.DistributedDataParallel`` queues its gradient all-reduce
    here from a hook on the model's output.  A pass that fails drops what was
    queued during it."""
    if not _PASSES[0]:
        raise error(RuntimeError, "queue_callback", "Final callbacks can only be installed during backward pass.",
                    "llama a queue_callback desde un hook, mientras corre backward()")
    if not callable(callback):
        raise error(TypeError, "queue_callback", f"expected a callable, got {type(callback).__name__}",
                    "pasa una función sin argumentos")
    _FINAL_CALLBACKS.append(callback)


def run_backward(root_edges, root_grads, keep_graph, create_graph, capture=None,
                 accumulate=True, user_grad_ids=()):
    """Propagate ``root_grads`` from ``root_edges`` through the graph.

    capture: list of edges whose incoming gradient to return (autograd.grad);
    only the nodes that lead to them run.  accumulate: run AccumulateGrad
    nodes (``.backward()``) or not (``autograd.grad``).
    """
    roots = [root_edges[0][0]] if len(root_edges) == 1 else list(dict.fromkeys(e[0] for e in root_edges))

    # 1. count the edges into every node (iterative depth-first walk)
    deps = dict.fromkeys(roots, 0)
    stack = list(roots)
    while stack:
        for e in stack.pop()._edges:
            if e is not None:
                nxt = e[0]
                c = deps.get(nxt)
                if c is None:  # first visit
                    deps[nxt] = 1
                    stack.append(nxt)
                else:
                    deps[nxt] = c + 1

    captured = None
    capture_at = {}
    needed = None
    if capture is not None:
        captured = [None] * len(capture)
        for slot, e in enumerate(capture):
            if e is not None:
                capture_at.setdefault(e[0], []).append((e[1], slot))
        needed = _nodes_leading_to(roots, deps, capture_at)

    # 2. seed the root gradients
    buffers = {}
    broadcast = set()  # nodes whose buffer holds a gradient not yet summed down to its input's shape
    # arrays that someone else may also hold (the user's gradients, a gradient
    # sent to two inputs, one a hook saw): never stolen as a leaf's .grad
    shared = set(user_grad_ids)
    for (node, nr), g in zip(root_edges, root_grads):
        _add_to_buffer(buffers, node, nr, g)

    if len(roots) == 1:  # one root (loss.backward()): it runs first, no heap to build (~0.5 us)
        heap, first = [], roots[0]
    else:
        heap = [(-node._seq, i, node) for i, node in enumerate(roots) if deps[node] == 0]
        heapq.heapify(heap)
        first = None
    tie = len(heap)

    heappop, heappush = heapq.heappop, heapq.heappush
    observer = OBSERVER  # profundo.viz.backward_steps watches the pass through this
    state = grad_mode.STATE
    prev_mode = state.enabled
    create_graph = bool(create_graph)
    if prev_mode is not create_graph:  # (d2l's backward inside no_grad: nothing to switch, ~1 us saved)
        state.enabled = create_graph
    node = first  # the next node to run, when it is the only ready one (a chain: no heap needed)
    anomaly_on = anomaly.STATE.enabled and anomaly.STATE.check_nan
    # a plain pass (no capture, observer or anomaly check) only looks further at
    # "special" nodes: leaves' accumulators and nodes with hooks or retained grads
    watch = capture is not None or observer is not None or anomaly_on
    n_callbacks = len(_FINAL_CALLBACKS)  # (a backward inside a hook runs only its own callbacks)
    _PASSES[0] += 1
    try:
        while True:
            if node is None:
                if not heap:
                    break
                node = heappop(heap)[2]
            buf = buffers.pop(node, None)
            if broadcast and node in broadcast:  # a gradient still in its broadcast shape: summed down now
                broadcast.discard(node)
                _fit_buffer(node, buf)
            if watch or node._special:
                if buf is not None:
                    if node._hooks:
                        _run_hooks(node, buf)
                        shared.update(id(getattr(g, "_data", g)) for g in buf if g is not None)  # (sparse)
                    if node._retained:
                        _retain(node, buf)
                if capture_at and node in capture_at:
                    for nr, slot in capture_at[node]:
                        captured[slot] = buf[nr] if buf is not None else None
                if needed is not None and node not in needed:
                    node = None
                    continue
                if type(node) is AccumulateGrad:
                    if observer is not None:
                        observer(node, buf, None)
                    if accumulate and buf is not None and buf[0] is not None:
                        _accumulate(node, buf[0], shared, create_graph)
                    node = None
                    continue
            edges = node._edges
            if buf is None:
                result = (None,) * len(edges)  # nothing flowed here: nothing to propagate
            else:
                if len(buf) > 1 and node.materialize_grads:  # (a lone output always has its gradient)
                    _materialize(node, buf)
                result = node._backward(*buf)  # the op's own backward(ctx=node, *grads)
                if result.__class__ is not tuple:
                    result = (result,)
                n = len(result)
                if n != len(edges):
                    result = _gradient_count(node, result)
                    n = len(result)
                if not node._fresh_grads:  # a custom backward may return an array it also keeps
                    shared.update(id(g._data) if isinstance(g, Tensor) else id(g) for g in result if g is not None)
                elif n == 2:  # one array sent to two inputs must not become two leaves' .grad
                    a, b = result
                    if a is not None and b is not None and a.__class__ is Tensor and b.__class__ is Tensor \
                            and a._data is b._data:
                        shared.add(id(a._data))
                elif n > 2:
                    _mark_shared(result, shared)
            if watch:
                if anomaly_on and buf is not None:
                    _check_nan(node, result)
                if observer is not None:
                    observer(node, buf, result)
            if not keep_graph and node._saved is not None:
                node._saved = None  # free what forward saved (a second backward raises)
                node._freed = True
            ready = None
            for e, g in zip(edges, result):
                if e is None:
                    continue
                nxt, nr = e
                if g is not None:
                    meta = nxt._out_meta
                    shape, dt = meta[nr]
                    if g.__class__ is not Tensor or (g._data.dtype is not dt and g._data.dtype != dt):
                        g = _fit(node, edges.index(e), g, (shape, dt))
                    elif g._data.shape != shape:
                        # a gradient in the broadcast shape of the op (the bias of ``x @ W + b``): checked
                        # now, summed down to the input's shape once, when ``nxt`` runs, after the
                        # gradients of the same shape that reach it meanwhile are added up (d2l's RNN:
                        # 35 time steps send b_h 35 (32, 32) gradients: one sum instead of 35)
                        if not _expandable(shape, g._data.shape):
                            _fit(node, edges.index(e), g, (shape, dt))  # raises the error that names the op
                        broadcast.add(nxt)
                    b = buffers.get(nxt)
                    if b is None:
                        if len(meta) == 1:
                            buffers[nxt] = [g]
                        else:
                            b = buffers[nxt] = [None] * len(meta)
                            b[nr] = g
                    else:
                        cur = b[nr]
                        if cur is None:
                            b[nr] = g
                        elif create_graph:  # recorded: the sum is part of the new graph
                            b[nr] = _fitted(cur, shape) + _fitted(g, shape)  # (one may be broadcast-shaped)
                        else:  # same dtype (fitted above): add the arrays, of one shape
                            try:
                                ca, ga = cur._data, g._data
                            except AttributeError:  # one is row-sparse (no ._data)
                                b[nr] = sparse.add_grads(_fitted(cur, shape), _fitted(g, shape))
                            else:
                                if ca.shape != ga.shape:  # (one still broadcast-shaped)
                                    ca, ga = _fitted(cur, shape)._data, _fitted(g, shape)._data
                                b[nr] = Tensor._make(ca + ga)
                d = deps[nxt] - 1
                deps[nxt] = d
                if d == 0:
                    if ready is not None:
                        heappush(heap, (-ready._seq, tie, ready))
                        tie += 1
                    ready = nxt
            if ready is not None and heap and -heap[0][0] > ready._seq:
                heappush(heap, (-ready._seq, tie, ready))  # an older-created node waits its turn
                tie += 1
                ready = None
            node = ready
    except BaseException:
        del _FINAL_CALLBACKS[n_callbacks:]
        raise
    finally:
        _PASSES[0] -= 1
        if prev_mode is not create_graph:
            state.enabled = prev_mode
    if len(_FINAL_CALLBACKS) > n_callbacks:
        callbacks = _FINAL_CALLBACKS[n_callbacks:]
        del _FINAL_CALLBACKS[n_callbacks:]
        for callback in callbacks:
            callback()
    return captured


def _accumulate(node, g, shared, create_graph):
    """Run a leaf's AccumulateGrad: its ``.grad`` takes ``g``'s array without
    a copy when nothing else holds it."""
    if g.__class__ is sparse.RowSparseTensor:
        return sparse.accumulate(node.variable, g)
    var = node.variable._data
    if g._data.shape != var.shape or g._data.dtype != var.dtype:  # the leaf's data was replaced since forward
        g = _fit(node, 0, g, (var.shape, var.dtype))
    arr = g._data
    owned = backend_of(g).owns_data(arr) and id(arr) not in shared
    node.accumulate(g, owned, create_graph)


def _materialize(node, buf):
    """Zeros for the outputs of ``node`` that got no gradient (``buf`` holds at
    least one gradient: its backend makes the zeros)."""
    be = backend_of(next(g for g in buf if g is not None))
    for i in range(len(buf)):
        if buf[i] is None:
            shape, dt = node._out_meta[i]
            buf[i] = Tensor._make(be.xp.zeros(shape, dt))


def _add_to_buffer(buffers, node, nr, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * len(node._out_meta)
    cur = buf[nr]
    buf[nr] = g if cur is None else cur + g


def _nodes_leading_to(roots, deps, targets):
    """The nodes from which some target node can be reached."""
    remaining = dict(deps)
    topo = []
    stack = [r for r in roots if remaining.get(r, 0) == 0]
    while stack:  # Kahn's algorithm: parents before children
        node = stack.pop()
        topo.append(node)
        for e in node._edges:
            if e is not None:
                c = e[0]
                remaining[c] -= 1
                if remaining[c] == 0:
                    stack.append(c)
    needed = set()
    for node in reversed(topo):  # children first
        if node in targets or any(e is not None and e[0] in needed for e in node._edges):
            needed.add(node)
    return needed


def _run_hooks(node, buf):
    for nr, hooks in node._hooks.items():
        g = buf[nr]
        if g is None:
            continue
        for hook in hooks:
            new = hook(g)
            if new is not None:
                if new.__class__ is not Tensor or new._data.shape != g._data.shape \
                        or new._data.dtype != g._data.dtype:
                    _check_hook_result(hook, new, g)
                g = new
        buf[nr] = g


def _check_hook_result(hook, new, g):
    """A hook may return None (keep the gradient) or a tensor like it: same shape and dtype (PyTorch's rule)."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(new, Tensor):
        raise error(TypeError, "register_hook", f"expected Tensor (or None), but hook '{name}' returned "
                    f"'{type(new).__module__ + '.' if type(new).__module__ not in ('builtins',) else ''}"
                    f"{type(new).__name__}'",
                    "el hook debe devolver un tensor con la forma del gradiente, o None para dejarlo igual")
    if new._data.shape != g._data.shape:
        raise error(RuntimeError, "register_hook", f"hook '{name}' has changed the size of value (was "
                    f"{tuple(g._data.shape)}, got {tuple(new._data.shape)})",
                    "el hook debe devolver un gradiente con la misma forma que el que recibe")
    if new._data.dtype != g._data.dtype:
        raise error(RuntimeError, "register_hook", f"hook '{name}' has changed the type of value (was "
                    f"{g.dtype} got {new.dtype})",
                    "el hook debe devolver un gradiente del mismo dtype: usa .to(grad.dtype)")


def _retain(node, buf):
    for nr, ref in node._retained.items():
        t = ref()
        g = buf[nr]
        if t is None or g is None:
            continue
        t._grad = g.clone() if t._grad is None else t._grad + g


# ---------------------------------------------------------------- public API
def _as_tuple(x):
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads, op):
    new, user_ids = [], []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if out._data.size != 1:
                raise error(RuntimeError, None, "grad can be implicitly created only for scalar outputs",
                            "para una salida no escalar pasa gradient= (p. ej. y.backward(torch.ones_like(y))) "
                            "o reduce primero: y.sum().backward()")
            new.append(_implicit_grad(out._data))
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(backend_of(out).xp.asarray(g, dtype=out._data.dtype))
            if g._data.shape != out._data.shape:
                raise error(RuntimeError, op,
                            f"Mismatch in shape: grad_output[{i}] has a shape of {list(g.shape)} and "
                            f"output[{i}] has a shape of {list(out.shape)}.",
                            "el gradiente inicial debe tener la misma forma que la salida")
            if g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)
            user_ids.append(id(g._data))
            new.append(g)
    return new, user_ids


def _implicit_grad(d):
    """The gradient ``backward()`` starts from on a one-element output array ``d``: ones."""
    return Tensor._make(backend_of(d).xp.ones(d.shape, d.dtype))


def _root_edges(outputs):
    edges = []
    for i, t in enumerate(outputs):
        e = gradient_edge(t)
        if e is None:
            raise error(RuntimeError, None,
                        f"element {i} of tensors does not require grad and does not have a grad_fn",
                        "crea las hojas con requires_grad=True (o x.requires_grad_()) antes de operar, "
                        "y no calcules la salida dentro de no_grad()")
        edges.append(e)
    return edges


def _roots(op, outputs, grad_outputs):
    """Root edges and seed gradients for ``backward``/``grad``."""
    if outputs.__class__ is Tensor:  # the common case: one tensor (and its gradient or None)
        outputs, grads = (outputs,), (grad_outputs,) if not isinstance(grad_outputs, (tuple, list)) else grad_outputs
    else:
        outputs = _as_tuple(outputs)
        grads = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise error(RuntimeError, op, f"got {len(grads)} gradients for {len(outputs)} outputs",
                    "pasa un gradiente por cada salida")
    edges = _root_edges(outputs)
    grads, user_ids = _make_grads(outputs, grads, op)
    return edges, grads, user_ids


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``."""
    if tensors.__class__ is Tensor and inputs is None and not create_graph:
        # the common call, ``loss.backward()`` or ``y.backward(g)`` on an op's output, written out:
        # _roots's checks pass for it (~150 Python opcodes less, 10 % of a small op's backward)
        fn = tensors.grad_fn
        if fn is not None:
            d = tensors._data
            if grad_tensors is None:
                if d.size == 1:
                    run_backward(((fn, tensors._output_nr),), (_implicit_grad(d),), bool(retain_graph), False)
                    return
            elif grad_tensors.__class__ is Tensor:
                gd = grad_tensors._data
                if gd.shape == d.shape and gd.dtype == d.dtype:
                    run_backward(((fn, tensors._output_nr),), (grad_tensors,), bool(retain_graph), False,
                                 user_grad_ids=(id(gd),))
                    return
    edges, grads, user_ids = _roots("backward", tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if not inputs:
        run_backward(edges, grads, retain_graph, create_graph, user_grad_ids=user_ids)
        return
    # backward(inputs=...): accumulate only into those tensors' .grad
    capture = [_input_edge(t, i) for i, t in enumerate(inputs)]
    got = run_backward(edges, grads, retain_graph, create_graph, capture=capture, accumulate=False,
                       user_grad_ids=user_ids)
    for t, g in zip(inputs, got):
        if g is not None:
            t._grad = (g if create_graph else g.detach().clone()) if t._grad is None else t._grad + g


def _input_edge(t, i):
    if not isinstance(t, Tensor):
        raise error(TypeError, "grad", f"inputs[{i}] must be a Tensor, got {type(t).__name__}",
                    "inputs debe ser un tensor o una lista de tensores")
    e = gradient_edge(t)
    if e is None:
        raise error(RuntimeError, None, "One of the differentiated Tensors does not require grad",
                    "solo se deriva respecto de tensores con requires_grad=True")
    return e


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    edges, grads, user_ids = _roots("grad", outputs, grad_outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    capture = [_input_edge(t, i) for i, t in enumerate(inputs)]
    got = run_backward(edges, grads, retain_graph, create_graph, capture=capture, accumulate=False,
                       user_grad_ids=user_ids)
    result = []
    for t, g in zip(inputs, got):
        if g is None:
            if not allow_unused:
                raise error(RuntimeError, None,
                            "One of the differentiated Tensors appears to not have been used in the graph. "
                            "Set allow_unused=True if this is the desired behavior.",
                            "esa entrada no interviene en el cálculo de la salida")
            if materialize_grads:
                g = Tensor._make(backend_of(t).xp.zeros(t._data.shape, t._data.dtype))
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
