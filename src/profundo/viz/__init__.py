"""See the computational graph: ``profundo.viz.draw(y)``.

    >>> import profundo as torch
    >>> from profundo import viz
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> g = viz.draw(y)          # in Jupyter/Colab the cell shows the picture
    >>> g.render("grafo.svg")    # or .png / .pdf / .dot
    >>> steps = viz.backward_steps(y)   # runs y.backward(), one frame per step

One box per tensor (name, shape and dtype, value and gradient when small) and
one ellipse per op (``MulBackward0``, with arguments such as ``dim=1``).  The
``#n`` numbers give the order in which ``backward()`` visits the ops.  Leaves
are blue, parameters gold, the output green.  With Graphviz's ``dot`` the
picture comes from ``dot``; without it, from matplotlib (same content).
"""
import contextlib

from .._errors import error
from ..autograd import engine as _engine
from ..autograd import function as _function
from ..autograd.function import AccumulateGrad
from ..tensor import Tensor
from . import graph as _graph
from .dot import to_dot
from .render import INSTALL_HINT, dot_available, picture, save  # noqa: F401

__all__ = ["draw", "backward_steps", "scope", "Graph", "BackwardSteps", "dot_available"]


class Graph:
    """A drawing of a computational graph: DOT text, SVG/PNG files, and a picture in Jupyter."""

    def __init__(self, model, highlight=(), caption=None):
        self.model = model
        self.highlight = set(highlight)
        self.caption = caption

    @property
    def source(self):
        """The DOT text (Graphviz's language), as ``graphviz.Digraph.source``."""
        return to_dot(self.model, self.highlight)

    def pipe(self, format="svg", engine=None):
        """The picture as bytes (``format`` "svg", "png" or "pdf"); ``engine`` "dot" or "matplotlib"."""
        return picture(self.model, format, self.highlight, engine)

    def render(self, path, engine=None):
        """Write the picture to ``path`` (.svg, .png, .pdf or .dot); returns the path."""
        return save(self.model, path, self.highlight, engine)

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(self)}
        try:
            bundle["image/svg+xml"] = self.pipe("svg").decode()
        except Exception as e:  # no dot and no matplotlib: the text explains
            bundle["text/plain"] += f"\n({e})"
        return bundle

    def __repr__(self):
        kinds = [v.kind for v in self.model.nodes.values()]
        ops = sum(k in ("op", "module") for k in kinds)
        head = f"<profundo.viz.Graph: {len(kinds) - ops} tensors, {ops} ops>"
        return head + (f"\n{self.caption}" if self.caption else "")


def _as_roots(tensors):
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise error(TypeError, "viz.draw", f"expected a tensor or a list of tensors, got {type(tensors).__name__}",
                    "pasa el resultado de tu cálculo, p. ej. viz.draw(y)")
    return roots


def _names(names, skip):
    if names is None:
        return _graph._caller_names(skip)
    if isinstance(names, dict):
        return names
    raise error(TypeError, "viz.draw", f"names must be a dict {{name: tensor}}, got {type(names).__name__}",
                "p. ej. viz.draw(y, names={'x': x, 'w': w})")


def draw(tensors, names=None, *, show_values=True, show_grads=True, max_values=6, collapse=None, rankdir="LR"):
    """Draw the graph that computed ``tensors`` (a tensor or a list).

    names: ``{name: tensor}`` labels; by default the tensor variables of the
    calling code are used.  show_values / show_grads: print values and
    gradients of tensors with at most ``max_values`` elements.  collapse:
    ``True`` or a list of module names (``nn`` modules, or ``viz.scope``
    blocks) to draw as one node each; otherwise their ops are grouped in a
    dashed frame.  rankdir: "LR" (left to right) or "TB" (top to bottom).
    """
    roots = _as_roots(tensors)
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise error(ValueError, "viz.draw", f"rankdir must be 'LR' or 'TB', got {rankdir!r}",
                    "usa 'LR' (izquierda a derecha) o 'TB' (arriba a abajo)")
    model = _graph.build(roots, _names(names, 3), show_values=show_values, show_grads=show_grads,
                         max_values=max_values, collapse=collapse, rankdir=rankdir)
    return Graph(model)


@contextlib.contextmanager
def scope(name):
    """Group the ops run inside this block under ``name`` (``draw(..., collapse=[name])`` folds them)."""
    _function.SCOPE.append(str(name))
    try:
        yield
    finally:
        _function.SCOPE.pop()


class BackwardSteps:
    """The frames of one backward pass: ``steps[i]`` is a ``Graph`` with step i highlighted.

    In Jupyter ``steps.play()`` shows a slider (ipywidgets), else step with
    ``steps[0]``, ``steps[1]``, ...  ``steps.captions`` describes each step.
    """

    def __init__(self, frames):
        self.frames = frames

    def __len__(self):
        return len(self.frames)

    def __getitem__(self, i):
        return self.frames[i]

    @property
    def captions(self):
        return [f.caption for f in self.frames]

    def play(self):
        try:
            from ipywidgets import IntSlider, interact
        except ImportError:
            print("Instala ipywidgets para ver el deslizador; mientras tanto muestra pasos[i].")
            return None
        from IPython.display import display
        return interact(lambda paso: display(self.frames[paso]), paso=IntSlider(0, 0, len(self.frames) - 1))

    def __repr__(self):
        return f"<profundo.viz.BackwardSteps: {len(self)} frames>\n" + "\n".join(self.captions)


def backward_steps(tensor, gradient=None, names=None, *, retain_graph=None, max_values=6, rankdir="LR"):
    """Run ``tensor.backward(gradient)`` and record each step as a frame.

    A frame highlights the op (or leaf) being processed and labels every edge
    into it with the gradient it sends back to that input.  The last frame
    shows the graph with the final gradients.
    """
    (root,) = _as_roots(tensor)
    labels = _names(names, 3)
    model = _graph.build([root], labels, max_values=max_values, rankdir=rankdir)
    fmt = _graph._fmt
    steps = []

    def short(g):
        return "None" if g is None else fmt(g._data) if g._data.size <= max_values else str(tuple(g.shape))

    def observe(node, grads_in, grads_out):
        received = ", ".join(short(g) for g in grads_in) if grads_in else "None"
        if type(node) is AccumulateGrad:
            vid = model.tensor_ids.get(("leaf", id(node.variable)))
            who = model.nodes[vid].title or "leaf" if vid else "leaf"
            steps.append(({vid}, [], f"{who}.grad += {received}"))
            return
        vid = model.op_ids.get(id(node))
        edges = []
        sent = []
        for e, g in zip(node._edges, grads_out):
            if e is None or g is None:
                continue
            src, nr = e
            key = ("leaf", id(src.variable)) if type(src) is AccumulateGrad else ("out", id(src), nr)
            shape = src._out_meta[nr][0]
            g = _engine.sum_to(g, shape) if tuple(g.shape) != tuple(shape) else g
            tid = model.tensor_ids.get(key)
            if tid is not None:
                edges.append((tid, vid, short(g)))
                sent.append(f"{model.nodes[tid].title or tid}: {short(g)}")
        steps.append(({vid}, edges, f"{node.name()} receives {received} and sends " + "; ".join(sent)))

    prev = _engine.OBSERVER
    _engine.OBSERVER = observe
    try:
        root.backward(gradient, retain_graph=retain_graph)
    finally:
        _engine.OBSERVER = prev
    final = _graph.build([root], labels, max_values=max_values, rankdir=rankdir)
    frames = []
    for i, (hl, edges, text) in enumerate(steps, 1):
        m = _graph.GraphModel(dict(final.nodes), [e for e in final.edges], rankdir)
        labelled = {(a, b): lab for a, b, lab in edges}
        m.edges = [(a, b, labelled.get((a, b), lab)) for a, b, lab in m.edges]
        frames.append(Graph(m, hl - {None}, f"paso {i}/{len(steps)}: {text}"))
    frames.append(Graph(final, (), "fin: gradientes acumulados en .grad"))
    return BackwardSteps(frames)
