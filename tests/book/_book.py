"""Run the book's code as the book writes it (d2l, PyTorch edition) on profundo.

Each program is kept as source text, exactly in the book's form (``import torch``, ``from torch import nn``,
``from d2l import torch as d2l``).  :func:`run` makes the one mechanical change a student makes to use
profundo, the change issue 15 promises is enough:

- ``import torch``                   -> ``import profundo as torch``
- ``from torch[.x] import y``        -> ``from profundo[.x] import y``
- ``from d2l import torch as d2l``   -> ``from profundo import d2l``
- ``import torchvision`` / ``from torchvision import x`` -> ``import profundo as torchvision`` /
  ``from profundo import x`` (profundo has torchvision's ``datasets`` and ``transforms`` under their names)

and executes it.  Where the book shows a value that a later cell changes in place, the program calls
``show(name, value)`` (the notebook displaying a cell's last expression): ``ns["shown"][name]`` keeps a
copy as it was then.  The test then checks what the book claims about the result.  With ``framework="torch"``
the untouched source runs on PyTorch (only programs that do not need the ``d2l`` package), so deterministic
results can be compared with the oracle (``None`` when PyTorch is not installed).

Provenance: the programs follow the code of *Dive into Deep Learning* (Zhang, Lipton, Li, Smola; d2l.ai,
PyTorch edition), whose sample code d2l-en publishes under a modified MIT licence (LICENSE-SAMPLECODE: use,
copy and modify without attribution); sizes and epochs are reduced where a comment says "the book: ...".
"""
import re
import textwrap

import numpy as np
import pytest

import profundo

_RULES = [
    (re.compile(r"^(\s*)from d2l import torch as d2l\s*$", re.M), r"\1from profundo import d2l"),
    (re.compile(r"^(\s*)import torch\s*$", re.M), r"\1import profundo as torch"),
    (re.compile(r"^(\s*)from torch((?:\.\w+)*) import ", re.M), r"\1from profundo\2 import "),
    # torchvision's datasets and transforms live in profundo under the same names
    # (profundo.datasets.FashionMNIST, profundo.transforms.Resize, ...)
    (re.compile(r"^(\s*)import torchvision\s*$", re.M), r"\1import profundo as torchvision"),
    (re.compile(r"^(\s*)from torchvision import ", re.M), r"\1from profundo import "),
]


_D2L_IMPORT = re.compile(r"^\s*from d2l import torch as d2l\s*$", re.M)


def needs(*names):
    """Skip a program while profundo.d2l lacks one of the book's names (built by other parts of issue 15)."""
    from profundo import d2l
    missing = [n for n in names if not hasattr(d2l, n)]
    return pytest.mark.skipif(bool(missing), reason=f"profundo.d2l has no {', '.join(missing)} yet")


def to_profundo(source):
    """The book's source with its imports pointed at profundo (and nothing else changed)."""
    for pattern, repl in _RULES:
        source = pattern.sub(repl, source)
    return source


def run(source, framework="profundo", namespace=None):
    """Execute one program of the book; return its global namespace (the variables the book prints)."""
    source = textwrap.dedent(source)
    if framework == "profundo":
        code = to_profundo(source)
        assert "import torch" not in code.replace("import profundo as torch", "")
        profundo.manual_seed(0)
    elif framework == "torch":
        try:
            import torch
        except ImportError:  # CI's second run has no PyTorch: the oracle comparisons are skipped, not the program
            return None
        # the book imports d2l in most sections; where the program never uses it, PyTorch runs without it
        code = _D2L_IMPORT.sub("", source)
        assert "d2l" not in code, "the d2l package is not installed: compare only programs without it"
        torch.manual_seed(0)
    else:
        raise ValueError(framework)
    shown = {}

    def show(name, *values):
        """What the notebook displays for a cell's last expression: a copy, as it is at that moment."""
        shown[name] = [as_numpy(v).copy() if hasattr(v, "detach") else v for v in values]
        if len(values) == 1:
            shown[name] = shown[name][0]

    ns = {"__name__": "__book__", "show": show, "shown": shown}
    ns.update(namespace or {})
    exec(compile(code, f"<book:{framework}>", "exec"), ns)
    return ns


def as_numpy(value):
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_same(ours, ref, names, rtol=1e-6, atol=1e-7):
    """The named variables of a profundo run equal those of the PyTorch run (value, shape and dtype); nothing
    to compare when PyTorch is not installed (``ref`` is None)."""
    if ref is None:
        return
    for name in names:
        a, b = ours[name], ref[name]
        if hasattr(b, "detach") or isinstance(b, (list, tuple)) and b and hasattr(b[0], "detach"):
            pairs = zip(a, b) if isinstance(b, (list, tuple)) else [(a, b)]
            for x, y in pairs:
                x, y = as_numpy(x), as_numpy(y)
                assert x.shape == y.shape, (name, x.shape, y.shape)
                assert str(x.dtype) == str(y.dtype), (name, x.dtype, y.dtype)
                np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=name)
        else:
            assert a == b, (name, a, b)
