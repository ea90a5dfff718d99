"""nn.Embedding / F.embedding (issue 13, Unit 3) and its row-sparse gradients (issue 14's base):
values and gradients against torch with copied weights (padding_idx, scale_grad_by_freq, max_norm,
negative padding_idx), float64 finite differences, errors, repr, from_pretrained; sparse=True
against dense training (SGD, Adagrad), gradient accumulation, optimizers that refuse sparse
gradients, zero_grad and clip_grad_norm_.  Op-level checks: registry_embed.py."""
import numpy as np
import pytest

import profundo
from profundo import nn
from profundo.nn import functional as F
from profundo.sparse import RowSparseTensor

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def grad_np(g):
    return g.to_dense().numpy() if getattr(g, "is_sparse", False) else g.numpy()


IDX = np.array([[1, 4, 2, 4], [0, 2, 2, 7]])


# ---------------------------------------------------------------- dense, against torch
@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=2), dict(padding_idx=-1), dict(padding_idx=0),
                                dict(scale_grad_by_freq=True), dict(padding_idx=4, scale_grad_by_freq=True),
                                dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0),
                                dict(max_norm=1.5, norm_type=float("inf"), padding_idx=2)])
@pytest.mark.parametrize("sparse", [False, True])
def test_functional_matches_torch(torch, kw, sparse):
    if sparse and kw.get("scale_grad_by_freq"):
        pytest.skip("refused with sparse gradients, as torch: test_sparse_scale_grad_by_freq_refused")
    w0 = rand(8, 3)
    up = rand(2, 4, 3, seed=1)
    w = profundo.tensor(w0, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    y = F.embedding(profundo.tensor(IDX), w, sparse=sparse, **kw)
    ty = torch.nn.functional.embedding(torch.tensor(IDX), tw, sparse=sparse, **kw)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    # max_norm renormalized the table in place, as torch did
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-12, atol=1e-12)
    y.backward(profundo.tensor(up))
    ty.backward(torch.tensor(up))
    assert w.grad.is_sparse is sparse is tw.grad.is_sparse
    np.testing.assert_allclose(grad_np(w.grad), tw.grad.to_dense().numpy(), rtol=1e-12, atol=1e-12)
    if kw.get("max_norm") is not None:
        assert w._version > 0  # the in-place renorm is seen by autograd's version check


def test_module_matches_torch_with_copied_weights(torch):
    m = nn.Embedding(10, 4, padding_idx=3)
    t = torch.nn.Embedding(10, 4, padding_idx=3)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(m.weight.detach().numpy()))
    x = np.array([[3, 1, 9], [3, 3, 0]])
    y, ty = m(profundo.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6)
    assert not m.weight.grad.numpy()[3].any()  # the padding row gets no gradient
    assert list(m.state_dict()) == list(t.state_dict()) == ["weight"]


def test_init_is_standard_normal_with_zero_padding_row():
    m = nn.Embedding(2000, 50, padding_idx=-3)
    w = m.weight.detach().numpy()
    assert m.padding_idx == 1997 and not w[1997].any()
    rest = np.delete(w, 1997, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1) < 0.01
    assert m.weight.dtype == profundo.float32 and m.weight.requires_grad
    assert nn.Embedding(3, 2, dtype=profundo.float64).weight.dtype == profundo.float64


def test_repr_like_torch(torch):
    cases = [((5, 3), {}), ((5, 3), dict(padding_idx=-2, max_norm=2.0, sparse=True)),
             ((5, 3), dict(norm_type=1.0, scale_grad_by_freq=True))]
    for args, kw in cases:
        assert repr(nn.Embedding(*args, **kw)) == repr(torch.nn.Embedding(*args, **kw))


def test_from_pretrained(torch):
    w0 = rand(4, 3)
    w = profundo.tensor(w0)
    m = nn.Embedding.from_pretrained(w)
    assert not m.weight.requires_grad and m.weight.shape == (4, 3)
    np.testing.assert_array_equal(m(profundo.tensor([2, 0])).numpy(), w0[[2, 0]])
    t = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, padding_idx=1, max_norm=1.0)
    p = nn.Embedding.from_pretrained(profundo.tensor(w0), freeze=False, padding_idx=1, max_norm=1.0)
    assert p.weight.requires_grad and repr(p) == repr(t)
    x = np.array([1, 2, 3])
    p(profundo.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(p.weight.grad.numpy(), t.weight.grad.numpy())
    np.testing.assert_allclose(p.weight.detach().numpy(), t.weight.detach().numpy())
    w[0, 0] = 100.0  # the weight is shared with the tensor given, as torch's
    assert m.weight[0, 0].item() == 100.0


def test_custom_weight_and_freeze():
    w = profundo.randn(4, 2)
    m = nn.Embedding(4, 2, _weight=w, _freeze=True)
    assert not m.weight.requires_grad
    np.testing.assert_array_equal(m.weight.detach().numpy(), w.numpy())


def test_errors_like_torch(torch):
    from parity import assert_raises_like_torch
    for args, kw in [((4, 3), dict(padding_idx=4)), ((4, 3), dict(padding_idx=-5))]:
        assert_raises_like_torch(lambda: torch.nn.Embedding(*args, **kw), lambda: nn.Embedding(*args, **kw))
    assert_raises_like_torch(lambda: torch.nn.Embedding(4, 3, _weight=torch.zeros(3, 3)),
                             lambda: nn.Embedding(4, 3, _weight=profundo.zeros(3, 3)))
    assert_raises_like_torch(lambda: torch.nn.Embedding.from_pretrained(torch.zeros(3)),
                             lambda: nn.Embedding.from_pretrained(profundo.zeros(3)))
    t, m = torch.nn.Embedding(5, 2), nn.Embedding(5, 2)
    for bad in ([[1, 5]], [[-1]], [[0.0, 1.0]]):
        assert_raises_like_torch(lambda: t(torch.tensor(bad)), lambda: m(profundo.tensor(bad)))
    assert_raises_like_torch(lambda: t([1, 2]), lambda: m([1, 2]))
    with pytest.raises(IndexError, match="index out of range in self"):
        m(profundo.tensor([7]))


def test_gradcheck_float64():
    w = profundo.tensor(rand(6, 3), requires_grad=True)
    idx = profundo.tensor([[0, 5, 5], [2, 0, 1]])
    assert profundo.autograd.gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert profundo.autograd.gradgradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))
    # a padding index that is never looked up: then the gradient is the true derivative
    assert profundo.autograd.gradcheck(lambda w: F.embedding(idx, w, padding_idx=4), (w,))


def test_double_backward_with_padding_matches_torch(torch):
    w0, up = rand(6, 2), rand(2, 3, 2, seed=3)
    idx = np.array([[0, 5, 5], [2, 0, 1]])
    outs = []
    for lib in (profundo, torch):
        w = lib.tensor(w0, requires_grad=True)
        y = lib.nn.functional.embedding(lib.tensor(idx), w, padding_idx=0)
        (g,) = lib.autograd.grad((y ** 3 * lib.tensor(up)).sum(), w, create_graph=True)
        (g ** 2).sum().backward()
        outs.append((g.detach().numpy(), w.grad.numpy()))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_double_backward_of_scale_grad_by_freq_is_the_adjoint():
    """With scale_grad_by_freq the backward is the linear map g -> scatter(g / count); its own
    backward is that map's adjoint, v -> v[idx] / count[idx] (0 on the padding row).  torch 2.13's
    double backward leaves out the 1 / count: a deviation on purpose, the adjoint is the derivative."""
    idx0 = np.array([[0, 5, 5], [2, 0, 1]])
    w = profundo.tensor(rand(6, 2), requires_grad=True)
    g = profundo.tensor(rand(2, 3, 2, seed=1), requires_grad=True)
    v = rand(6, 2, seed=2)
    y = F.embedding(profundo.tensor(idx0), w, padding_idx=0, scale_grad_by_freq=True)
    (G,) = profundo.autograd.grad(y, w, g, create_graph=True)
    (got,) = profundo.autograd.grad((G * profundo.tensor(v)).sum(), g)
    count = np.bincount(idx0.ravel(), minlength=6)
    expected = v[idx0] / count[idx0][..., None] * (idx0 != 0)[..., None]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_max_norm_renormalizes_only_rows_read_and_outside_the_graph():
    w0 = rand(5, 3) * 3
    w = profundo.tensor(w0, requires_grad=True)
    F.embedding(profundo.tensor([1, 1, 3]), w, max_norm=1.0)
    norms = np.linalg.norm(w.detach().numpy(), axis=1)
    assert norms[1] <= 1.0 + 1e-6 and norms[3] <= 1.0 + 1e-6
    np.testing.assert_array_equal(w.detach().numpy()[[0, 2, 4]], w0[[0, 2, 4]])
    assert w.grad_fn is None and w.is_leaf


def test_large_tables_fast_backward_matches_reference(torch):
    """The NumPy backend's scatter-add (one-hot matmul for small tables, sort + reduceat for
    large ones) against torch, on training-sized batches with many repeats."""
    for num, dim, n in [(28, 64, 35 * 32), (943, 8, 4096), (5000, 4, 300)]:
        rng = np.random.default_rng(num)
        idx = rng.integers(0, num, (n,))
        w0, up = rng.standard_normal((num, dim)), rng.standard_normal((n, dim))
        w = profundo.tensor(w0, requires_grad=True)
        tw = torch.tensor(w0, requires_grad=True)
        F.embedding(profundo.tensor(idx), w, padding_idx=3).backward(profundo.tensor(up))
        torch.nn.functional.embedding(torch.tensor(idx), tw, padding_idx=3).backward(torch.tensor(up))
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_nan_in_gradient_stays_in_its_row():
    """A NaN in the incoming gradient reaches only the row it belongs to (a one-hot matmul would
    spread it through its zeros)."""
    w = profundo.tensor(rand(4, 2), requires_grad=True)
    up = np.ones((3, 2))
    up[0, 0] = np.nan
    F.embedding(profundo.tensor([1, 2, 2]), w).backward(profundo.tensor(up))
    g = w.grad.numpy()
    assert np.isnan(g[1, 0]) and np.isfinite(np.delete(g.ravel(), 2)).all()
