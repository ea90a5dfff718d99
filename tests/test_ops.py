"""Registry-driven op tests against PyTorch (the oracle)."""
import numpy as np
import pytest

import profundo
from registry import OPS, Maker, build, samples_of

torch = pytest.importorskip("torch")
# every test runs on both CPU backends (the ``backend`` fixture of conftest.py)
pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("backend")]

TOL = {np.float32: dict(rtol=1.3e-6, atol=1e-5), np.float64: dict(rtol=1e-7, atol=1e-7)}




def outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def as_np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def params():
    for op in OPS:
        for i, sample in enumerate(samples_of(op)):
            yield pytest.param(op, sample, id=f"{op.name}-{i}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("op,sample", list(params()))
def test_forward_matches_torch(op, sample, dtype):
    _forward_matches_torch(op, sample, dtype, requires_grad=False)


def _forward_matches_torch(op, sample, dtype, requires_grad):
    p_args, _ = build(profundo, sample, dtype, requires_grad)
    t_args, _ = build(torch, sample, dtype, requires_grad)
    ours = outputs(op.fn(profundo, *p_args, **sample.kwargs))
    ref = outputs(op.fn(torch, *t_args, **sample.kwargs))
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert isinstance(o, profundo.Tensor)
        assert tuple(o.shape) == tuple(r.shape)
        assert o.dtype.name == str(r.dtype).split(".")[-1]
        assert o.requires_grad == r.requires_grad
        # the result's own precision: an integer input's float32 result (lgamma, digamma) is compared
        # at float32's tolerance even in the float64 run (torch's digamma(1) in float32 is 2 ulp from -γ)
        got = as_np(o)
        np.testing.assert_allclose(got, as_np(r), equal_nan=True,
                                   **TOL[np.float32 if got.dtype == np.float32 else dtype])


@pytest.mark.parametrize("op,sample", [p for p in params() if p.values[0].grad])
def test_recorded_forward_matches_torch(op, sample):
    """The forward with the graph recorded (inputs that require grad) against
    torch's, in float32: not only the no-grad path is checked."""
    _forward_matches_torch(op, sample, np.float32, requires_grad=True)


@pytest.mark.parametrize("op,sample", [p for p in params() if p.values[0].grad])
def test_gradients_match_torch(op, sample):
    dtype = np.float64
    p_args, p_leaves = build(profundo, sample, dtype, True)
    t_args, t_leaves = build(torch, sample, dtype, True)
    ours = [o for o in outputs(op.fn(profundo, *p_args, **sample.kwargs)) if o.requires_grad]
    ref = [r for r in outputs(op.fn(torch, *t_args, **sample.kwargs)) if r.requires_grad]
    assert len(ours) == len(ref)
    if not ref:
        return
    for o, r in zip(ours, ref):  # the recorded forward, in float64
        np.testing.assert_allclose(as_np(o), as_np(r), equal_nan=True, **TOL[dtype])
    rng = np.random.default_rng(1)
    ups = [rng.standard_normal(tuple(r.shape)) for r in ref]
    profundo.autograd.backward(ours, [profundo.tensor(u) for u in ups])
    torch.autograd.backward(ref, [torch.from_numpy(u) for u in ups])
    for pl, tl in zip(p_leaves, t_leaves):
        expected = np.zeros(tuple(tl.shape)) if tl.grad is None else tl.grad.numpy()
        got = np.zeros(tuple(pl.shape)) if pl.grad is None else pl.grad.numpy()
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, **TOL[dtype])


def error_params():
    for op in OPS:
        if op.errors:
            for i, sample in enumerate(op.errors(Maker(7))):
                yield pytest.param(op, sample, id=f"{op.name}-{i}")


@pytest.mark.parametrize("op,sample", list(error_params()))
def test_error_parity(op, sample):
    """Both libraries refuse the same bad input, with the same kind of error;
    profundo's message names the op and carries a Spanish hint."""
    t_args, _ = build(torch, sample, np.float32, False)
    with pytest.raises(Exception) as ref:
        op.fn(torch, *t_args, **sample.kwargs)
    p_args, _ = build(profundo, sample, np.float32, False)
    with pytest.raises(Exception) as ours:
        op.fn(profundo, *p_args, **sample.kwargs)
    assert isinstance(ours.value, type(ref.value)) or isinstance(ref.value, type(ours.value)), \
        (type(ours.value), type(ref.value), str(ours.value))
    assert "Pista:" in str(ours.value), str(ours.value)


# Large float arrays reduced over short contiguous rows take NumPy's einsum
# path (see _backend.reduce_sum); the registry's small samples never reach it.
@pytest.mark.parametrize("shape", [(64, 128), (3, 40, 200), (8, 4096)])
@pytest.mark.parametrize("name", ["sum", "mean", "softmax", "log_softmax", "logsumexp"])
def test_row_reductions_of_large_arrays_like_torch(name, shape):
    from profundo._backend.numpy import _rows_for_einsum
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    assert _rows_for_einsum(a, -1)
    up = np.random.default_rng(1).standard_normal(shape[:-1] + ((shape[-1],) if "softmax" in name else ()))
    up = up.astype(np.float32)
    x, t = profundo.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, u = getattr(profundo, name)(x, dim=-1), getattr(torch, name)(t, dim=-1)
    np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=1e-5, atol=1e-5)
    y.backward(profundo.tensor(up))
    u.backward(torch.tensor(up))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_row_sum_paths_agree_with_float64():
    reduce_sum = profundo._backend.BACKENDS["numpy"].reduce_sum
    rng = np.random.default_rng(2)
    for shape in [(256, 784), (16, 4096), (4, 8192), (784, 256)]:
        a = rng.standard_normal(shape).astype(np.float32)
        exact = a.astype(np.float64).sum(axis=-1)
        for keep in (False, True):
            got = reduce_sum(a, (a.ndim - 1,), keep)
            assert got.dtype == np.float32 and got.shape == (exact[..., None] if keep else exact).shape
            np.testing.assert_allclose(got.reshape(exact.shape), exact, rtol=2e-5, atol=2e-5 * np.sqrt(shape[-1]))
    t = rng.standard_normal((784, 256)).astype(np.float32).T  # rows not contiguous: NumPy's reduce
    np.testing.assert_allclose(reduce_sum(t, 1), t.astype(np.float64).sum(1), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_extremes_like_torch(dtype):
    values = [-1000.0, -745.0, -100.0, -89.0, -88.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 1000.0]
    x = profundo.tensor(values, dtype=getattr(profundo, dtype), requires_grad=True)
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    y, u = x.sigmoid(), t.sigmoid()
    np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=1e-6, atol=0)
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-45)
    assert not np.isnan(y.detach().numpy()).any()


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_ties_like_torch(name):
    a = [1.0, 2.0, 3.0, float("nan"), 5.0]
    b = [1.0, 3.0, 2.0, 0.0, float("nan")]
    xa, xb = (profundo.tensor(v, dtype=profundo.float64, requires_grad=True) for v in (a, b))
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
    getattr(profundo, name)(xa, xb).sum().backward()
    getattr(torch, name)(ta, tb).sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(xb.grad.numpy(), tb.grad.numpy())
