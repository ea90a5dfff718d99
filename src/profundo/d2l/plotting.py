"""profundo.d2l: the book's plotting helpers (``plot``, ``set_figsize``, ``show_images``, ``Animator``, ...).

Same names, signatures and pictures as d2l 1.0.3.  matplotlib is optional for profundo, so it is imported
on first use (a clear ``ImportError`` says how to install it).  ``plot``, ``show_images`` and
``show_heatmaps`` draw with pyplot exactly as the book does (in a notebook the figure appears under the cell;
in a script call ``d2l.plt.show()`` or ``d2l.plt.savefig(...)``).  The live plots (``Animator`` here and
``ProgressBoard`` in base.py) never use pyplot: they draw on their own ``Figure``, shown in place in
Jupyter/Colab and written to a PNG file anywhere else, so a script or a test never opens a window or blocks.
"""
import atexit
import math
import os
import sys
import time

from .._errors import error

__all__ = ["plt", "use_svg_display", "set_figsize", "set_axes", "plot", "show_images", "show_heatmaps",
           "Animator"]


def in_notebook():
    """True inside a Jupyter or Colab kernel, where figures are displayed under the cell."""
    ipython = sys.modules.get("IPython")  # a kernel has always imported IPython: no import cost otherwise
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _matplotlib(what="plotting"):
    try:
        import matplotlib
    except ImportError:
        raise error(ImportError, "d2l", f"{what} needs matplotlib, which is not installed",
                    "instálalo con pip install matplotlib") from None
    return matplotlib


def _pyplot():
    _matplotlib()
    import matplotlib.pyplot as pyplot
    return pyplot


class _LazyPyplot:
    """``d2l.plt``: matplotlib.pyplot, imported the first time an attribute is used."""

    def __getattr__(self, name):
        return getattr(_pyplot(), name)

    def __repr__(self):
        return "<matplotlib.pyplot, imported on first use>"


plt = _LazyPyplot()


def new_figure(figsize, nrows=None, ncols=None):
    """A figure that is not registered with pyplot (no window, no backend change, no 'too many figures'
    warning); with ``nrows``/``ncols`` also its grid of axes, as ``plt.subplots`` returns them."""
    _matplotlib("the live plot")
    from matplotlib.figure import Figure
    fig = Figure(figsize=figsize)
    if nrows is None:
        return fig
    return fig, fig.subplots(nrows, ncols)


# Outside a notebook each frame is a PNG file.  Writing one costs a full Agg render (about 0.1 s), so a file
# is rewritten at most once per WRITE_INTERVAL_S; a newer frame waits in _pending until the next write,
# the end of Trainer.fit or the end of the program (flush_figures), so the file always ends up current.
WRITE_INTERVAL_S = 1.0
_pending = {}  # path -> (figure, owner) not yet written
_last_write = {}  # path -> time.monotonic() of the last write


def _write(fig, path, owner):
    fig.savefig(path, bbox_inches="tight")  # keep the axis labels inside the small figure
    _pending.pop(path, None)
    if path not in _last_write:  # say once where the picture is, not at every frame
        print(f"{owner}: not in a notebook, so the plot is written to {path}", file=sys.stderr)
    _last_write[path] = time.monotonic()


def flush_figures():
    """Write the frames still waiting for their PNG file (called at the end of ``Trainer.fit`` and at exit)."""
    for path, (fig, owner) in list(_pending.items()):
        _write(fig, path, owner)


atexit.register(flush_figures)


def show_figure(fig, path, owner):
    """Show ``fig`` in place in a notebook (replacing the previous frame); elsewhere write it to ``path``."""
    if in_notebook():
        from IPython import display
        display.display(fig)
        display.clear_output(wait=True)
        return
    path = os.path.abspath(path)
    if time.monotonic() - _last_write.get(path, -math.inf) < WRITE_INTERVAL_S:
        _pending[path] = (fig, owner)
    else:
        _write(fig, path, owner)


def use_svg_display():
    """Use the svg format to display a plot in Jupyter (outside a notebook there is no inline display and
    this does nothing)."""
    if in_notebook():
        from matplotlib_inline import backend_inline
        backend_inline.set_matplotlib_formats("svg")


def set_figsize(figsize=(3.5, 2.5)):
    """Set the figure size for matplotlib."""
    use_svg_display()
    plt.rcParams["figure.figsize"] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    """Set the axes for matplotlib."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _as_plottable(x):
    # matplotlib reads tensors through NumPy; a tensor that requires grad must leave the graph first
    return x.detach() if hasattr(x, "detach") else x


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, xscale="linear",
         yscale="linear", fmts=("-", "m--", "g-.", "r:"), figsize=(3.5, 2.5), axes=None):
    """Plot data points: one curve per element of ``Y`` (or of ``X`` when ``Y`` is None)."""

    def has_one_axis(X):  # True if X (tensor or list) has 1 axis
        return (hasattr(X, "ndim") and X.ndim == 1
                or isinstance(X, list) and not hasattr(X[0], "__len__"))

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    set_figsize(figsize)
    if axes is None:
        axes = plt.gca()
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        if len(x):
            axes.plot(_as_plottable(x), _as_plottable(y), fmt)
        else:
            axes.plot(_as_plottable(y), fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend if legend is not None else [])


def _image(img):
    """A tensor as a NumPy array (PIL images and arrays pass through), as the book's ``d2l.numpy``."""
    return img.detach().numpy() if hasattr(img, "detach") else img


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Plot a list of images in a ``num_rows`` x ``num_cols`` grid; returns the axes."""
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=False)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(_image(img))
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


def show_heatmaps(matrices, xlabel, ylabel, titles=None, figsize=(2.5, 2.5), cmap="Reds"):
    """Show heatmaps of matrices: ``matrices`` has shape (rows, columns, height, width)."""
    use_svg_display()
    if len(matrices.shape) != 4:
        raise error(ValueError, "show_heatmaps", f"matrices must have 4 dimensions (rows, columns, height, width), "
                    f"got shape {tuple(matrices.shape)}",
                    "para una sola matriz usa m.reshape((1, 1) + tuple(m.shape))")
    num_rows, num_cols, _, _ = matrices.shape
    fig, axes = plt.subplots(num_rows, num_cols, figsize=figsize, sharex=True, sharey=True, squeeze=False)
    for i, (row_axes, row_matrices) in enumerate(zip(axes, matrices)):
        for j, (ax, matrix) in enumerate(zip(row_axes, row_matrices)):
            pcm = ax.imshow(_image(matrix), cmap=cmap)
            if i == num_rows - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
            if titles:
                ax.set_title(titles[j])
    fig.colorbar(pcm, ax=axes, shrink=0.6)


class Animator:
    """For plotting data in animation (the training curves of the book's chapters 3 to 6).

    ``path`` (not in the book) is the PNG file written at every ``add`` outside a notebook."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, xscale="linear",
                 yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1, ncols=1, figsize=(3.5, 2.5),
                 path="animator.png"):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = new_figure(figsize, nrows, ncols)
        if nrows * ncols == 1:
            self.axes = [self.axes]
        else:
            self.axes = list(self.axes.flatten())
        # a lambda captures the arguments, to set the axes again after each redraw
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts
        self.path = path

    def add(self, x, y):
        """Add one point to each curve: ``y`` a number or one value per curve (None skips a curve)."""
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(float(b))
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        show_figure(self.fig, self.path, "Animator")
