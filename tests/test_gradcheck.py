"""Every differentiable op of the registry passes float64 gradcheck, and the
smooth ones gradgradcheck (no PyTorch needed: finite differences are the oracle)."""
import numpy as np
import pytest

import profundo
from profundo.autograd import gradcheck, gradgradcheck
from registry import OPS, samples_of

# every test runs on both CPU backends (the ``backend`` fixture of conftest.py)
pytestmark = pytest.mark.usefixtures("backend")


def small(sample):
    arrays = [a for a in sample.args if isinstance(a, np.ndarray)]
    return all(0 < a.size <= 24 or a.dtype.kind != "f" for a in arrays)


def build(sample):
    args = []
    for a in sample.args:
        if isinstance(a, np.ndarray):
            t = profundo.from_numpy(np.array(a.astype(np.float64) if a.dtype.kind == "f" else a, order="K"))
            if a.dtype.kind == "f":
                t.requires_grad_()
            args.append(t)
        else:
            args.append(a)
    return args


def params(second_order):
    for op in OPS:
        if not op.grad or (second_order and not op.gradgrad):
            continue
        for i, sample in enumerate(samples_of(op)):
            if small(sample):
                yield pytest.param(op, sample, id=f"{op.name}-{i}")


def _func(op, sample):
    def f(*args):
        out = op.fn(profundo, *args, **sample.kwargs)
        return tuple(o for o in (out if isinstance(out, (tuple, list)) else (out,)) if o.is_floating_point())
    return f


def _finite_or_skip(f, args):
    if not all(np.isfinite(o.detach().numpy()).all() for o in f(*args)):
        pytest.skip("the function is not finite at this sample (e.g. var of one element): nothing to check")


@pytest.mark.parametrize("op,sample", list(params(False)))
def test_gradcheck(op, sample):
    f, args = _func(op, sample), tuple(build(sample))
    _finite_or_skip(f, args)
    assert gradcheck(f, args)


@pytest.mark.parametrize("op,sample", list(params(True)))
def test_gradgradcheck(op, sample):
    f, args = _func(op, sample), tuple(build(sample))
    _finite_or_skip(f, args)
    assert gradgradcheck(f, args)
