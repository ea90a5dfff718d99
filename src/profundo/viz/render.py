"""Turning a drawing model into pictures: Graphviz's ``dot`` when it is installed,
otherwise a layered layout drawn with matplotlib (same nodes, labels and edges)."""
import shutil
import subprocess
import sys
from pathlib import Path

from .._errors import error
from .dot import STYLE, node_label, to_dot

INSTALL_HINT = ("Para dibujos más bonitos instala el programa `dot` de Graphviz: `apt-get install graphviz` "
                "(Linux), `conda install graphviz`, `brew install graphviz` (macOS) o, en Colab, "
                "`!apt-get -qq install graphviz`. Mientras tanto se usa matplotlib.")
_hint_shown = False


def dot_available():
    """Is Graphviz's ``dot`` program on the PATH?"""
    return shutil.which("dot") is not None


def require_dot():
    """Refuse clearly, before any work, when ``dot`` is asked for but not installed."""
    if not dot_available():
        raise error(RuntimeError, "viz", "engine='dot' needs Graphviz's dot program, which is not on the PATH",
                    "instala Graphviz (apt-get install graphviz, brew install graphviz, conda install graphviz) "
                    "o usa engine='matplotlib' (--engine matplotlib)")


def _show_hint_once():
    global _hint_shown
    if not _hint_shown:
        _hint_shown = True
        print(INSTALL_HINT, file=sys.stderr)


def pipe_dot(source, fmt):
    """Run Graphviz's ``dot`` program on DOT text (the program directly: the ``graphviz`` package only wraps it)."""
    require_dot()
    try:
        done = subprocess.run(["dot", f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise error(RuntimeError, "viz", f"could not run dot: {e}", "revisa la instalación de Graphviz") from None
    if done.returncode:
        raise error(RuntimeError, "viz", f"dot failed: {done.stderr.decode(errors='replace')}",
                    "revisa la instalación de Graphviz") from None
    return done.stdout


ENGINES = ("dot", "matplotlib")


def check_engine(engine):
    """``engine`` is None (dot when installed, else matplotlib), "dot" or "matplotlib"; a typo is refused."""
    if engine is not None and engine not in ENGINES:
        raise error(ValueError, "viz", f"unknown engine {engine!r}; choose None, 'dot' or 'matplotlib'",
                    "engine='dot' usa Graphviz; engine='matplotlib' no necesita nada más")
    return engine


# ---------------------------------------------------------------- matplotlib
_FILL = {kind: style.split('fillcolor="')[1].split('"')[0] for kind, style in STYLE.items()}


def layout(model):
    """Layered layout: a node's layer is its longest distance from a source (inputs left, output right)."""
    preds = {vid: [] for vid in model.nodes}
    for a, b, _ in model.edges:
        preds[b].append(a)
    layer = {}

    def depth(vid):
        stack = [vid]
        while stack:
            v = stack[-1]
            pending = [p for p in preds[v] if p not in layer]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            layer[v] = 1 + max((layer[p] for p in preds[v]), default=-1)
        return layer[vid]

    for vid in model.nodes:
        depth(vid)
    columns = {}
    for vid in model.nodes:
        columns.setdefault(layer[vid], []).append(vid)
    pos = {}
    for x, vids in columns.items():
        for y, vid in enumerate(vids):
            offset = (len(vids) - 1) / 2
            pos[vid] = (x, offset - y) if model.rankdir in ("LR", "RL") else (y - offset, -x)
    return pos


def draw_matplotlib(model, highlight=None):
    """A matplotlib Figure of the model (the fallback when ``dot`` is missing).

    Built without pyplot, so the user's backend and open figures are left alone.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch
    pos = layout(model)
    xs, ys = [p[0] for p in pos.values()] or [0], [p[1] for p in pos.values()] or [0]
    sx, sy = 3.2, 1.3  # data units per layer / per row
    fig = Figure(figsize=(max(4, (max(xs) - min(xs) + 1) * 2.6), max(2.5, (max(ys) - min(ys) + 1) * 1.1)))
    ax = fig.subplots()
    for a, b, label in model.edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1 * sx - 0.9, y1 * sy), xytext=(x0 * sx + 0.9, y0 * sy),
                    arrowprops={"arrowstyle": "->", "color": "#dc3545" if label else "#555555"})
        if label:
            ax.text((x0 + x1) * sx / 2, (y0 + y1) * sy / 2 + 0.15, label, fontsize=7, color="#dc3545",
                    ha="center")
    for vid, v in model.nodes.items():
        x, y = pos[vid]
        text = "\n".join(node_label(v))
        hl = highlight and vid in highlight
        ax.add_patch(FancyBboxPatch((x * sx - 0.9, y * sy - 0.45), 1.8, 0.9, boxstyle="round,pad=0.05",
                                    facecolor=_FILL[v.kind], edgecolor="#dc3545" if hl else "#333333",
                                    linewidth=3 if hl else 1))
        ax.text(x * sx, y * sy, text, ha="center", va="center", fontsize=7, family="monospace")
    ax.set_xlim(min(xs) * sx - 1.2, max(xs) * sx + 1.2)
    ax.set_ylim(min(ys) * sy - 0.8, max(ys) * sy + 0.8)
    ax.axis("off")
    fig.tight_layout()
    return fig


def fig_bytes(fig, fmt):
    import io

    from matplotlib import rc_context
    buf = io.BytesIO()
    with rc_context({"svg.fonttype": "none"}):  # keep the labels as text in SVG
        fig.savefig(buf, format=fmt, dpi=110)
    return buf.getvalue()


def picture(model, fmt, highlight=None, engine=None):
    """SVG or PNG bytes of the model: ``dot`` if available (or ``engine="dot"``), else matplotlib."""
    use_dot = dot_available() if check_engine(engine) is None else engine == "dot"
    if use_dot:
        return pipe_dot(to_dot(model, highlight), fmt)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise error(RuntimeError, "viz", "cannot draw: neither Graphviz's dot program nor matplotlib is installed",
                    "instala graphviz (apt-get install graphviz) o matplotlib (pip install matplotlib); "
                    "el texto DOT siempre está en grafo.source") from None
    _show_hint_once()
    return fig_bytes(draw_matplotlib(model, highlight), fmt)


def check_output(path):
    """The format of a picture file (from its suffix), refusing what cannot be written before any work is done."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png", "pdf", "dot", "gv"):
        raise error(ValueError, "viz", f"unknown picture format {path.suffix!r} for {path}",
                    "usa un nombre que termine en .svg, .png, .pdf o .dot")
    if path.is_dir():
        raise error(IsADirectoryError, "viz", f"{path} is a folder, not a file name",
                    f"p. ej. {path / ('grafo.' + fmt)}")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise error(FileNotFoundError, "viz", f"cannot write {path}: the folder {parent} does not exist",
                    f"créala primero (mkdir -p {parent}) o elige otra ruta")
    return fmt


def save(model, path, highlight=None, engine=None):
    path = Path(path)
    fmt = check_output(path)
    if fmt in ("dot", "gv"):
        path.write_text(to_dot(model, highlight))
        return path
    path.write_bytes(picture(model, fmt, highlight, engine))
    return path
