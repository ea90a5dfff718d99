"""From the recorded autograd graph to a drawing model: tensor nodes, op nodes, edges.

The model holds only text (labels, ids), never tensors or graph nodes, so a
drawing keeps nothing alive and changes nothing.  Like micrograd's
``draw_dot``, tensors and ops are separate nodes: data flows
``input -> op -> output``; the backward pass visits the ops in the numbered
order (``#1`` first).
"""
import heapq
import inspect
from dataclasses import dataclass, field

import numpy as np

from ..autograd.function import AccumulateGrad
from ..tensor import Tensor


@dataclass
class VNode:
    """One box of the drawing."""
    id: str
    kind: str             # "leaf", "parameter", "intermediate", "output", "op" or "module"
    title: str            # name of the tensor, or the op (``MulBackward0``)
    lines: list           # more label lines: shape/dtype, value, grad, op arguments
    order: int = None     # position in the backward pass (1 = first)
    scope: str = None     # innermost module / viz.scope the op ran in


@dataclass
class GraphModel:
    nodes: dict = field(default_factory=dict)   # id -> VNode, in drawing order
    edges: list = field(default_factory=list)   # (from id, to id, label)
    rankdir: str = "LR"
    tensor_ids: dict = field(default_factory=dict)  # tensor key -> node id (keys hold ints only)
    op_ids: dict = field(default_factory=dict)      # id(backward node) -> node id


def _fmt(arr, precision=4):
    arr = np.asarray(arr)
    if arr.ndim == 0:
        return np.format_float_positional(arr.item(), precision=precision, trim="-") \
            if arr.dtype.kind == "f" else str(arr.item())
    return np.array2string(arr, precision=precision, separator=", ", suppress_small=True).replace("\n", "")


def _shape_dtype(shape, dtype):
    return f"{tuple(shape)} {np.dtype(dtype).name}"


def _op_args(node):
    """The op's own arguments, as its forward saved them (``dim=1``, ``p=2``)."""
    out = []
    for k, v in node.__dict__.items():
        if k.startswith("_") or k == "in_shape":
            continue
        if k == "dims" and isinstance(v, tuple) and len(v) == 1:
            k, v = "dim", v[0]
        if isinstance(v, (bool, int, float, str, type(None))) or \
                (isinstance(v, tuple) and all(isinstance(x, (int, float, slice, type(None))) for x in v)):
            out.append(f"{k}={v}")
    return out


def _caller_names(skip):
    """Names of tensors in the calling code (notebook globals or function locals).

    In a function, Python <= 3.12 answers ``frame.f_locals`` with a snapshot
    dict stored *on the frame*: it would keep every local of the caller alive
    (even after ``del h``) until the function returns.  So the snapshot is
    emptied once read (Python 3.13 keeps no such snapshot either); module and
    class frames are left alone, their ``f_locals`` is the real namespace.
    """
    frame = inspect.currentframe()
    snapshot = None
    try:
        for _ in range(skip):
            frame = frame.f_back
        found = {}
        scopes = [frame.f_globals]
        if frame.f_code.co_flags & inspect.CO_OPTIMIZED:
            snapshot = frame.f_locals
            scopes.append(snapshot)
        else:
            scopes.append(frame.f_locals)
        for scope in scopes:
            for name, value in scope.items():
                if isinstance(value, Tensor) and not name.startswith("_"):
                    found[name] = value
        return found
    finally:
        if isinstance(snapshot, dict):  # 3.13+ gives a write-through proxy: nothing is kept, never clear it
            snapshot.clear()
        del frame, snapshot


def tensor_key(t):
    return ("out", id(t.grad_fn), t._output_nr) if t.grad_fn is not None else ("leaf", id(t))


def collect_nodes(roots):
    """Every backward node reachable from the root tensors, and the leaf tensors."""
    seen, stack = {}, [t.grad_fn for t in roots if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        for e in node._edges:
            if e is not None and id(e[0]) not in seen:
                stack.append(e[0])
    return list(seen.values())


def backward_order(roots):
    """The order the engine runs the nodes in (the same rule: ready nodes, newest first).

    Returns a list of backward nodes (AccumulateGrad included).
    """
    start = []
    for t in roots:
        n = t.grad_fn
        if n is None and t._requires_grad:
            n = t._acc_ref() if t._acc_ref is not None else None
        if n is not None and n not in start:
            start.append(n)
    deps, stack = {n: 0 for n in start}, list(start)
    while stack:
        for e in stack.pop()._edges:
            if e is not None:
                if e[0] in deps:
                    deps[e[0]] += 1
                else:
                    deps[e[0]] = 1
                    stack.append(e[0])
    heap, tie, order = [], 0, []
    for n in start:
        if deps[n] == 0:
            heapq.heappush(heap, (-n._seq, tie, n))
            tie += 1
    node = None
    while node is not None or heap:
        if node is None:
            node = heapq.heappop(heap)[2]
        order.append(node)
        ready = None
        for e in node._edges if type(node) is not AccumulateGrad else ():
            if e is None:
                continue
            deps[e[0]] -= 1
            if deps[e[0]] == 0:
                if ready is not None:
                    heapq.heappush(heap, (-ready._seq, tie, ready))
                    tie += 1
                ready = e[0]
        if ready is not None and heap and -heap[0][0] > ready._seq:
            heapq.heappush(heap, (-ready._seq, tie, ready))
            tie += 1
            ready = None
        node = ready
    return order


def build(roots, names=None, *, show_values=True, show_grads=True, max_values=6, collapse=None, rankdir="LR",
          name_depth=3):
    """The drawing model of the graph that produced ``roots``."""
    model = GraphModel(rankdir=rankdir)
    named = {}
    for name, t in (names or {}).items():
        if isinstance(t, Tensor):
            named.setdefault(tensor_key(t), (name, t))
    root_keys = {tensor_key(t) for t in roots}
    objs = {tensor_key(t): t for t in roots}
    for key, (_, t) in named.items():
        objs.setdefault(key, t)

    nodes = collect_nodes(roots)
    order = {id(n): i + 1 for i, n in enumerate(backward_order(roots))}
    op_ids = {}
    for n in nodes:
        if type(n) is not AccumulateGrad:
            op_ids[id(n)] = f"op{len(op_ids)}"

    by_key = {}

    def tensor_node(key, shape, dtype, t=None, acc=None):
        if key in by_key:  # one box per tensor
            return by_key[key]
        vid = by_key[key] = f"t{len(by_key)}"
        t = t if t is not None else objs.get(key)
        name = named.get(key, (None,))[0]
        if key in root_keys:
            kind = "output"
        elif key[0] == "leaf":
            kind = "parameter" if t is not None and type(t).__name__ == "Parameter" else "leaf"
        else:
            kind = "intermediate"
        lines = [_shape_dtype(shape, dtype)]
        if show_values and t is not None and t._data.size <= max_values:
            lines.append(f"data {_fmt(t._data)}")
        if show_grads and t is not None and (key[0] == "leaf" or t._grad is not None):
            g = t._grad  # a leaf shows "grad None" before backward(): nothing has flowed yet
            if g is None:
                lines.append("grad None")
            else:
                lines.append(f"grad {_fmt(g._data)}" if g._data.size <= max_values else
                             f"grad {_shape_dtype(g._data.shape, g._data.dtype)}")
        model.nodes[vid] = VNode(vid, kind, name or "", lines, order=order.get(id(acc)) if acc is not None else None)
        return vid

    # op nodes first (so their ids exist), then tensors and edges
    for n in nodes:
        if type(n) is AccumulateGrad:
            continue
        scope = n.__dict__.get("_scope")
        model.nodes[op_ids[id(n)]] = VNode(op_ids[id(n)], "op", n.name(), _op_args(n), order.get(id(n)),
                                           scope[-1] if scope else None)
    for n in nodes:
        if type(n) is AccumulateGrad:
            continue
        for e in n._edges:
            if e is None:
                continue
            src, nr = e
            if type(src) is AccumulateGrad:
                var = src.variable
                tid = tensor_node(("leaf", id(var)), var._data.shape, var._data.dtype, var, src)
            else:
                shape, dt = src._out_meta[nr]
                tid = tensor_node(("out", id(src), nr), shape, dt)
                _add_edge(model, op_ids[id(src)], tid)
            _add_edge(model, tid, op_ids[id(n)])
    for t in roots:
        tid = tensor_node(tensor_key(t), t._data.shape, t._data.dtype, t,
                          t._acc_ref() if t.grad_fn is None and t._acc_ref is not None else None)
        if t.grad_fn is not None:
            _add_edge(model, op_ids[id(t.grad_fn)], tid)
    model.tensor_ids, model.op_ids = by_key, op_ids
    if collapse:
        _collapse(model, collapse)
    return model


def _add_edge(model, a, b, label=""):
    if (a, b, label) not in model.edges:
        model.edges.append((a, b, label))


def _collapse(model, collapse):
    """Replace the ops of each collapsed module by one node (its parameters stay as inputs)."""
    scopes = {v.scope for v in model.nodes.values() if v.scope}
    # a module contains its submodules: "net" holds the ops of "net.0" and "net.1"
    top = {s.split(".")[0] for s in scopes}
    wanted = top if collapse is True else set(collapse)
    for number, scope in enumerate(sorted(wanted)):
        members = [v.id for v in model.nodes.values() if v.kind == "op" and v.scope
                   and (v.scope == scope or v.scope.startswith(scope + "."))]
        if not members:
            continue
        mid = f"module{number}"
        ops = set(members)
        orders = [model.nodes[m].order for m in members if model.nodes[m].order]
        names = sorted({model.nodes[m].title for m in members})
        # tensors made and used only inside the module disappear with it
        made_inside = {b for a, b, _ in model.edges if a in ops}
        used_outside = {a for a, b, _ in model.edges if a in made_inside and b not in ops}
        drop = ops | (made_inside - used_outside - {v.id for v in model.nodes.values() if v.kind == "output"})
        edges = []
        for a, b, label in model.edges:
            a2 = mid if a in ops else a
            b2 = mid if b in ops else b
            if a2 in drop or b2 in drop or a2 == b2:
                continue
            if (a2, b2, label) not in edges:
                edges.append((a2, b2, label))
        model.edges = edges
        new = {}
        for vid, v in model.nodes.items():
            if vid in drop:
                if vid == members[0]:
                    new[mid] = VNode(mid, "module", scope, [f"{len(members)} ops: " + ", ".join(names)],
                                     min(orders) if orders else None)
                continue
            new[vid] = v
        model.nodes = new
