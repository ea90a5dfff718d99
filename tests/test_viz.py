"""profundo.viz: the drawing model, DOT text, both rendering paths, backward steps, and `profundo graph`."""
import gc
import re
import shutil
import weakref

import numpy as np
import pytest

import profundo
from profundo import viz
from profundo._errors import is_checked
from profundo.cli import main as cli
from profundo.viz import expr, graph, render

HAS_DOT = shutil.which("dot") is not None


def example():
    x = profundo.tensor([1.0, 2.0], requires_grad=True)
    w = profundo.tensor(3.0, requires_grad=True)
    z = x * w
    y = (z + x).sum()
    return x, w, z, y


def kinds(g):
    return sorted(v.kind for v in g.model.nodes.values())


def test_nodes_edges_labels_and_backward_numbering():
    x, w, z, y = example()
    g = viz.draw(y, names={"x": x, "w": w, "z": z, "y": y})
    # 5 tensors (x, w, z, z + x, y) and 3 ops; each op has its inputs and its output
    assert kinds(g) == ["intermediate", "intermediate", "leaf", "leaf", "op", "op", "op", "output"]
    assert len(g.model.edges) == 8
    src = g.source
    assert src.startswith("digraph") and src.count("->") == 8
    assert "#1 SumBackward0" in src and "#2 AddBackward0" in src and "#3 MulBackward0" in src
    assert "{ x (#5) | (2,) float32 | data [1., 2.] | grad None }" in src  # before backward: no grad yet
    assert "{ w (#4) | () float32 | data 3 | grad None }" in src
    assert "{ y | () float32 | data 12 }" in src
    y.backward()
    after = viz.draw(y, names={"x": x, "w": w}).source
    assert "grad [4., 4.]" in after and "grad 3" in after


def test_numbering_is_the_order_the_engine_really_runs():
    a = profundo.randn(3, requires_grad=True)
    b = profundo.randn(3, requires_grad=True)
    c = a * b
    d = c.exp() + a.sin()
    e = (d * c).sum() + b.tanh().sum()
    predicted = [n.name() for n in graph.backward_order([e])]
    seen = []
    from profundo.autograd import engine
    engine.OBSERVER = lambda node, gin, gout: seen.append(node.name())
    try:
        e.backward()
    finally:
        engine.OBSERVER = None
    assert predicted == seen and len(seen) == 11  # 9 ops + 2 leaves


def test_names_default_to_the_callers_variables_and_options_work():
    x, w, z, y = example()
    g = viz.draw(y)
    labels = [v.title for v in g.model.nodes.values()]
    assert {"x", "w", "z", "y"} <= set(labels)
    quiet = viz.draw(y, names={}, show_values=False, show_grads=False, rankdir="TB").source
    assert "data" not in quiet and "grad" not in quiet and "rankdir=TB" in quiet
    big = profundo.randn(10, 10, requires_grad=True)
    big_line = [ln for ln in viz.draw((big * 2).sum(), names={"big": big}).source.splitlines() if "{ big" in ln]
    assert len(big_line) == 1 and "data" not in big_line[0]  # too big to print
    two = viz.draw([z, y], names={})
    assert kinds(two).count("output") == 2
    with pytest.raises(TypeError) as e:
        viz.draw("y")
    assert is_checked(e.value)
    with pytest.raises(ValueError):
        viz.draw(y, rankdir="XY")


def test_op_arguments_are_shown():
    x = profundo.randn(2, 3, requires_grad=True)
    src = viz.draw(x.softmax(dim=1).sum(dim=0).pow(2).sum(), names={}).source
    assert "dim=1" in src and "dim=0" in src and "p=2" in src


def test_drawing_keeps_nothing_alive_and_changes_no_gradient():
    x = profundo.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    g = viz.draw(y, names={"x": x})
    ref = weakref.ref(x)
    y.backward()
    grad = x.grad.numpy().copy()
    after = viz.draw(y, names={"x": x})
    np.testing.assert_array_equal(x.grad.numpy(), grad)
    del x, y
    gc.collect()
    assert ref() is None and g.model.nodes and after.model.nodes


def test_scopes_group_or_collapse_a_module():
    x = profundo.randn(4, 3)
    W = profundo.randn(3, 2, requires_grad=True)
    b = profundo.zeros(2, requires_grad=True)
    with viz.scope("fc1"):
        h = (x @ W + b).relu()
    loss = h.sum()
    expanded = viz.draw(loss, names={"W": W, "b": b})
    assert "subgraph cluster_0" in expanded.source and 'label="fc1"' in expanded.source
    folded = viz.draw(loss, names={"W": W, "b": b}, collapse=["fc1"])
    mods = [v for v in folded.model.nodes.values() if v.kind == "module"]
    assert len(mods) == 1 and mods[0].title == "fc1" and "3 ops" in mods[0].lines[0]
    ids = {v.title: v.id for v in folded.model.nodes.values()}
    edges = {(a, b) for a, b, _ in folded.model.edges}
    assert (ids["W"], mods[0].id) in edges and (ids["b"], mods[0].id) in edges  # parameters stay as inputs
    assert kinds(folded).count("op") == 1  # only the sum outside the module
    assert viz.draw(loss, collapse=True).source.count("box3d") == 1


def test_backward_steps_frames():
    x, w, z, y = example()
    steps = viz.backward_steps(y, names={"x": x, "w": w, "z": z})
    assert len(steps) == 6  # 3 ops + 2 leaves + the final picture
    caps = steps.captions
    assert caps[0].startswith("paso 1/5: SumBackward0 receives 1")
    assert "MulBackward0 receives [1., 1.] and sends x: [3., 3.]; w: 3" in caps[2]
    assert caps[3] == "paso 4/5: w.grad += 3" and caps[4] == "paso 5/5: x.grad += [4., 4.]"
    frame = steps[2].source
    assert 'color="#dc3545", penwidth=3' in frame and 'label="[3., 3.]"' in frame
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])  # it really ran backward
    assert "grad [4., 4.]" in steps[-1].source
    assert repr(steps).startswith("<profundo.viz.BackwardSteps: 6 frames>") and "paso 1/5" in repr(steps)


@pytest.mark.parametrize("engine", ["dot", "matplotlib"])
def test_both_rendering_paths_draw_the_same_content(engine, tmp_path, capsys):
    if engine == "dot" and not HAS_DOT:
        pytest.skip("Graphviz's dot is not installed")
    pytest.importorskip("matplotlib")
    x, w, z, y = example()
    g = viz.draw(y, names={"x": x, "w": w, "z": z, "y": y})
    svg = g.pipe("svg", engine=engine).decode()
    for text in ["SumBackward0", "AddBackward0", "MulBackward0", "data [1., 2.]", "grad None"]:
        assert text in svg.replace("&#45;", "-"), text
    png = g.render(tmp_path / "g.png", engine=engine)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert g.render(tmp_path / "g.dot").read_text() == g.source


def test_without_dot_matplotlib_is_used_and_the_hint_printed_once(monkeypatch, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(render, "dot_available", lambda: False)
    monkeypatch.setattr(render, "_hint_shown", False)
    x, w, z, y = example()
    g = viz.draw(y)
    bundle = g._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "MulBackward0" in bundle["image/svg+xml"]
    g.render(tmp_path / "a.svg")
    err = capsys.readouterr().err
    assert err.count("apt-get install graphviz") == 1 and "conda install graphviz" in err
    with pytest.raises(ValueError) as e:
        g.render(tmp_path / "a.jpg")
    assert is_checked(e.value)


# ------------------------------------------------------------------ command line
def test_cli_graph_computes_gradients_and_writes_the_picture(tmp_path, capsys):
    out = tmp_path / "grafo.dot"
    assert cli(["graph", "x**2 * sin(x) + y", "--values", "x=2.0", "y=[1,2,3]", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    dx = 3 * (2 * 2 * np.sin(2) + 4 * np.cos(2))
    found = re.search(r"d/dx = ([-\d.]+)", printed)
    assert found and abs(float(found[1]) - dx) < 1e-4
    assert "d/dy = [1. 1. 1.]" in printed
    text = out.read_text()
    assert "SinBackward0" in text and "PowBackward0" in text and "{ x (#" in text and "{ result |" in text
    assert cli(["graph", "sum(exp(a) @ b) / 2 + pi", "--values", "a=[1,2]", "b=[3,4]", "-o", str(out)]) == 0


HOSTILE = [
    ("__import__('os').system('ls')", "calling"),
    ("x.__class__", "attribute access"),
    ("x ** 1000000", "too large"),
    ("x ** -1000", "too large"),
    ("2 ** 3 ** 4", "nested powers"),
    ("x[0]", "indexing"),
    ("(lambda: 1)()", "not allowed"),
    ("open('f')", "calling 'open'"),
    ("x if x else x", "IfExp"),
    ("[x for x in x]", "ListComp"),
    ("'text' + x", "only numbers"),
    ("10 ** 100 + x", "too large"),
    ("1e300 * x", "only numbers"),
    ("sin + x", "is a function"),
    ("sin(x, x)", "exactly one argument"),
    ("_secret", "not allowed"),
    ("x +", "invalid syntax"),
    ("x " + "+ x " * 300, "too long"),
    ("", "empty"),
]


@pytest.mark.parametrize("text,why", HOSTILE)
def test_hostile_expressions_are_refused_and_point_at_the_problem(text, why):
    with pytest.raises(ValueError) as e:
        expr.parse(text)
    assert is_checked(e.value) and why in str(e.value) and "Pista" in str(e.value)


def test_cli_reports_errors_cleanly(capsys, tmp_path):
    assert cli(["graph", "__import__('os')", "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: profundo graph") and "^" in err
    assert cli(["graph", "x + z", "--values", "x=1"]) == 2
    assert "no value for ['z']" in capsys.readouterr().err
    assert cli(["graph", "x", "--values", "x=os.system"]) == 2
    assert cli(["graph", "x", "--values", "x=1", "w=2"]) == 2
    assert cli(["graph", "2 + 3"]) == 2 and "no variables" in capsys.readouterr().err
    assert not (tmp_path / "g.svg").exists()


def test_big_gradients_are_summarized_by_shape():
    w = profundo.randn(10, 10, requires_grad=True)
    (w * 2).sum().backward()
    assert "grad (10, 10) float32" in viz.draw((w * 2).sum(), names={"w": w}).source
