"""What the Trainer shows: a progress bar (tqdm) and the loss/metric curves (matplotlib).

In Jupyter/Colab the bar is a widget and the curves are redrawn in place after
each epoch; in a terminal the bar is text; with ``progress=False``, or when the
``CI`` or ``PROFUNDO_QUIET`` environment variable is set, nothing is printed.
"""
import os
import sys


def in_notebook():
    shell = sys.modules.get("IPython")
    try:
        return shell is not None and shell.get_ipython() is not None and \
            type(shell.get_ipython()).__name__ in ("ZMQInteractiveShell", "Shell")
    except Exception:  # pragma: no cover
        return False


def quiet_by_default():
    return bool(os.environ.get("CI") or os.environ.get("PROFUNDO_QUIET"))


class _NoBar:
    def __init__(self, iterable=None, **kwargs):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix(self, *args, **kwargs):  # same signature as tqdm's
        pass

    def close(self):
        pass


def tqdm_available():
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def progress_bar(iterable, enabled, **kwargs):
    if not enabled:
        return _NoBar(iterable)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar(iterable)
    return tqdm(iterable, leave=False, **kwargs)


def plot_history(history, path=None, live=None):
    """Draw train/validation curves as a PNG: shown in place in a notebook (``live``), saved to ``path``.

    The figure is built without pyplot, so the user's matplotlib backend is never touched.
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None
    import io
    keys = [k[len("train_"):] for k in history if k.startswith("train_")]
    fig = Figure(figsize=(4.5 * len(keys), 3.2))
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    epochs = history["epoch"]
    for ax, k in zip(axes, keys):
        ax.plot(epochs, history[f"train_{k}"], "o-", label=f"train {k}")
        if history.get(f"val_{k}"):
            ax.plot(epochs, history[f"val_{k}"], "s--", label=f"val {k}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.set_title(k)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    png = buf.getvalue()
    if live is not None:
        from IPython.display import Image
        live.update(Image(data=png))
    if path is not None:
        with open(path, "wb") as f:
            f.write(png)
    return png
