"""The fused cross-entropy and stack kernels (issue 13's speed work): every layout
path of the NumPy backend against PyTorch, on both backends, and the two
backends against each other."""
import numpy as np
import pytest

import profundo
from profundo._backend import BACKENDS

torch = pytest.importorskip("torch")

SHAPES = [(1120, 28), (256, 10), (64, 784), (4, 3), (3000, 2), (40, 48), (30, 49)]


def _logits(shape, dtype, seed=0, scale=3):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype) * scale


# scale 3: logits spread wider than the NumPy backend's one-shift band (the per-row paths);
# scale 0.5: within it (one shift for all rows), on the shapes large enough to take it
@pytest.mark.parametrize("scale", [3, 0.5], ids=["wide", "narrow"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(backend, shape, dtype, reduction, scale):
    x = _logits(shape, dtype, scale=scale)
    t = np.random.default_rng(1).integers(0, shape[1], shape[0])
    px = profundo.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    pl = profundo.nn.functional.cross_entropy(px, profundo.tensor(t), reduction=reduction)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t), reduction=reduction)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(pl.detach().numpy(), tl.detach().numpy(), **tol)
    up = np.random.default_rng(2).standard_normal(tl.shape).astype(dtype)
    pl.backward(profundo.tensor(up))
    tl.backward(torch.tensor(up))
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), **tol)
    assert px.grad.is_contiguous()  # a leaf's .grad is contiguous whatever layout the kernel worked in


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("spread", [15.9, 16.1], ids=["inside", "outside"])
def test_cross_entropy_at_the_edge_of_the_one_shift_band(backend, dtype, spread):
    # rows whose own maximum is ~16 below the largest logit: the one-shift path (just inside
    # the band) keeps the loss and the gradient of those rows as accurate as the per-row path
    from profundo._backend import numpy as numpy_backend
    rng = np.random.default_rng(3)
    x = rng.uniform(-0.5, 0.5, (1120, 28))
    x[::7] -= spread - 1.0  # every 7th row sits far below the others
    x = x.astype(dtype)
    assert (x.max() - x.min() <= numpy_backend._CE_BAND) == (spread < 16)
    t = rng.integers(0, 28, 1120)
    px, tx = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pl = profundo.nn.functional.cross_entropy(px, profundo.tensor(t), reduction="none")
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t), reduction="none")
    tol = dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(pl.detach().numpy(), tl.detach().numpy(), **tol)
    pl.sum().backward()
    tl.sum().backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("target_dtype", [np.uint8, np.int32, np.int64])
def test_cross_entropy_small_integer_targets_do_not_overflow(backend, target_dtype):
    # flat positions are target * rows: a uint8 target times 1120 must not wrap
    x = _logits((1120, 28), np.float32)
    t = np.random.default_rng(1).integers(0, 28, 1120)
    px = profundo.tensor(x, requires_grad=True)
    loss = profundo.nn.functional.cross_entropy(px, profundo.tensor(t.astype(target_dtype)))
    loss.backward()
    tx = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tx, torch.tensor(t))
    tl.backward()
    np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-5)
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_of_a_transposed_input_and_its_gradient_into_a_matmul(backend):
    # a non-contiguous (N, C) input, and the gradient (column-major from the short-rows path)
    # flowing back through a product
    rng = np.random.default_rng(0)
    h, w = rng.standard_normal((1120, 32)).astype(np.float32), rng.standard_normal((28, 32)).astype(np.float32)
    t = rng.integers(0, 28, 1120)
    grads = []
    for T in (profundo, torch):
        H, W = T.tensor(h, requires_grad=True), T.tensor(w, requires_grad=True)
        logits = (W @ H.T).T  # (1120, 28), a transposed view
        loss = T.nn.functional.cross_entropy(logits, T.tensor(t))
        loss.backward()
        grads.append((loss.item(), H.grad.numpy(), W.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-5)
    for a, b in zip(grads[0][1:], grads[1][1:]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_cross_entropy_with_non_finite_logits_follows_torch(backend, value):
    x = _logits((1120, 28), np.float32)
    x[5, 3] = value
    x[7, :] = -np.inf if value == -np.inf else x[7, :]
    t = np.random.default_rng(1).integers(0, 28, 1120)
    pl = profundo.nn.functional.cross_entropy(profundo.tensor(x), profundo.tensor(t), reduction="none")
    tl = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(pl.numpy(), tl.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)


def test_cross_entropy_double_backward_matches_torch(backend):
    x = _logits((1120, 28), np.float64)
    t = np.random.default_rng(1).integers(0, 28, 1120)
    out = []
    for T in (profundo, torch):
        X = T.tensor(x, requires_grad=True)
        (g,) = T.autograd.grad(T.nn.functional.cross_entropy(X, T.tensor(t)), X, create_graph=True)
        (gg,) = T.autograd.grad((g * g).sum(), X)
        out.append((g.detach().numpy(), gg.numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_backends_agree_on_the_cross_entropy_kernels():
    ref, fast = BACKENDS["reference"], BACKENDS["numpy"]
    for shape in SHAPES:
        x = _logits(shape, np.float32)
        t = np.random.default_rng(1).integers(0, shape[1], shape[0])
        (lr, pr), (lf, pf) = ref.cross_entropy(x, t), fast.cross_entropy(x, t)
        np.testing.assert_allclose(lf, lr, rtol=2e-6, atol=2e-6)
        np.testing.assert_allclose(pf, pr, rtol=2e-6, atol=1e-8)
        for reduction, g in [("mean", np.float32(0.7)), ("sum", np.float32(2.0)),
                             ("none", np.linspace(-1, 1, shape[0]).astype(np.float32))]:
            # (p - 1) g against p g - g: the same float32 rounding error, about ulp(g), in another place
            np.testing.assert_allclose(fast.cross_entropy_backward(g, pf, t, reduction),
                                       ref.cross_entropy_backward(g, pr, t, reduction), rtol=2e-6,
                                       atol=2.4e-7 * np.abs(g).max())


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_stack_matches_torch(backend, dim):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((32, 28)).astype(np.float32) for _ in range(35)]
    ps = [profundo.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    p, t = profundo.stack(ps, dim), torch.stack(ts, dim)
    assert tuple(p.shape) == tuple(t.shape)
    np.testing.assert_array_equal(p.detach().numpy(), t.detach().numpy())
    up = rng.standard_normal(tuple(t.shape)).astype(np.float32)
    p.backward(profundo.tensor(up))
    t.backward(torch.tensor(up))
    for a, b in zip(ps, ts):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_stack_of_views_mixed_dtypes_and_scalars(backend):
    base = np.arange(24.0, dtype=np.float32).reshape(4, 6)
    p = profundo.tensor(base)
    views = [p.T, p.T * 2]  # non-contiguous inputs
    np.testing.assert_array_equal(profundo.stack(views, 1).numpy(), np.stack([base.T, base.T * 2], 1))
    mixed = profundo.stack([profundo.tensor([1, 2]), profundo.tensor([0.5, 1.5])])
    expect = torch.stack([torch.tensor([1, 2]), torch.tensor([0.5, 1.5])])
    assert mixed.dtype == profundo.float32 and str(expect.dtype) == "torch.float32"
    np.testing.assert_array_equal(mixed.numpy(), expect.numpy())
    scalars = profundo.stack([profundo.tensor(1.0), profundo.tensor(2.0)])
    np.testing.assert_array_equal(scalars.numpy(), [1.0, 2.0])
    cat = profundo.cat([profundo.tensor([1, 2]), profundo.tensor([0.5])])
    np.testing.assert_array_equal(cat.numpy(), torch.cat([torch.tensor([1, 2]), torch.tensor([0.5])]).numpy())
