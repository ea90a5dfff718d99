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
KWARGS = [dict(), dict(padding_idx=2), dict(padding_idx=-1), dict(padding_idx=0), dict(scale_grad_by_freq=True),
          dict(padding_idx=4, scale_grad_by_freq=True), dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0),
          dict(max_norm=1.5, norm_type=float("inf"), padding_idx=2)]


# (sparse=True with scale_grad_by_freq is refused, as torch: test_sparse_scale_grad_by_freq_refused)
@pytest.mark.parametrize("kw,sparse", [(kw, False) for kw in KWARGS]
                         + [(kw, True) for kw in KWARGS if not kw.get("scale_grad_by_freq")])
def test_functional_matches_torch(torch, kw, sparse):
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


# ---------------------------------------------------------------- sparse=True: the row-sparse gradient
def test_sparse_gradient_type_matches_torch(torch):
    w0 = rand(10, 3)
    x = np.array([[1, 1, 2], [3, 2, 1]])
    m = nn.Embedding.from_pretrained(profundo.tensor(w0), freeze=False, padding_idx=2, sparse=True)
    t = torch.nn.Embedding.from_pretrained(torch.tensor(w0), freeze=False, padding_idx=2, sparse=True)
    m(profundo.tensor(x)).sum().backward()
    t(torch.tensor(x)).sum().backward()
    g, tg = m.weight.grad, t.weight.grad
    assert isinstance(g, RowSparseTensor) and g.is_sparse and not g.is_coalesced()
    assert g.shape == tuple(tg.shape) and g.dtype == profundo.float64 and g._nnz() == tg._nnz() == 4
    np.testing.assert_array_equal(g._indices().numpy(), tg._indices().numpy())  # uncoalesced, torch's order
    np.testing.assert_array_equal(g._values().numpy(), tg._values().numpy())
    c, tc = g.coalesce(), tg.coalesce()
    assert c.is_coalesced()
    np.testing.assert_array_equal(c.indices().numpy(), tc.indices().numpy())
    np.testing.assert_array_equal(c.values().numpy(), tc.values().numpy())
    np.testing.assert_array_equal(g.to_dense().numpy(), tg.to_dense().numpy())
    from parity import assert_raises_like_torch
    assert_raises_like_torch(lambda: tg.indices(), lambda: g.indices())
    assert "nnz=4" in repr(g) and "indices=" in repr(g)


def test_sparse_scale_grad_by_freq_refused(torch):
    from parity import assert_raises_like_torch
    m = nn.Embedding(5, 2, sparse=True, scale_grad_by_freq=True)
    t = torch.nn.Embedding(5, 2, sparse=True, scale_grad_by_freq=True)
    assert_raises_like_torch(lambda: t(torch.tensor([1, 1])).sum().backward(),
                             lambda: m(profundo.tensor([1, 1])).sum().backward())


def test_sparse_gradients_accumulate_like_torch(torch):
    """Sparse + sparse (two lookups in one backward, or two backward passes) stays sparse;
    sparse + dense (the table also used densely) is dense; autograd.grad returns it too."""
    w0 = rand(10, 3)
    res = {}
    for lib in (profundo, torch):
        E = lib.nn.functional.embedding
        w = lib.tensor(w0, requires_grad=True)
        (E(lib.tensor([1, 1]), w, sparse=True).sum() + E(lib.tensor([4]), w, sparse=True).sum()).backward()
        one = w.grad.to_dense()
        E(lib.tensor([[4, 0]]), w, sparse=True).pow(2).sum().backward()
        two = w.grad  # (accumulated in place, in both)
        v = lib.tensor(w0, requires_grad=True)
        (E(lib.tensor([1, 1]), v, sparse=True).sum() + (v * 2).sum()).backward()
        mixed = v.grad
        u = lib.tensor(w0, requires_grad=True)
        (u * 3).sum().backward()
        E(lib.tensor([2, 2, 9]), u, sparse=True).sum().backward()  # a sparse gradient onto a dense .grad
        (got,) = lib.autograd.grad(E(lib.tensor([3, 3]), u, sparse=True).sum(), u)
        res[lib] = [one, two, mixed, u.grad, got]
    for ours, theirs in zip(res[profundo], res[torch]):
        assert ours.is_sparse == theirs.is_sparse
        assert ours.dtype == profundo.float64
        np.testing.assert_allclose(grad_np(ours), theirs.to_dense().numpy(), rtol=1e-12)


def _train(sparse, opt, steps=20, **kw):
    profundo.manual_seed(0)
    emb = nn.Embedding(50, 4, padding_idx=7, sparse=sparse, dtype=profundo.float64)
    lin = nn.Linear(4, 1, dtype=profundo.float64)
    params = list(emb.parameters()) + list(lin.parameters())
    o = opt(params, **kw)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        x = profundo.tensor(rng.integers(0, 20, (8, 3)))  # rows 20..49 never looked up
        y = profundo.tensor(rng.standard_normal((8, 1)))
        o.zero_grad()
        loss = ((lin(emb(x).mean(1)) - y) ** 2).mean()
        loss.backward()
        assert emb.weight.grad.is_sparse == sparse
        o.step()
    return [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize("opt,kw", [(profundo.optim.SGD, dict(lr=0.5)),
                                    (profundo.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                                    (profundo.optim.SGD, dict(lr=0.1, maximize=True)),
                                    (profundo.optim.Adagrad, dict(lr=0.3, lr_decay=0.01)),
                                    (profundo.optim.Adagrad, dict(lr=0.3, initial_accumulator_value=0.1,
                                                                  maximize=True))])
def test_sparse_training_equals_dense_training(opt, kw):
    dense, sparse = _train(False, opt, **kw), _train(True, opt, **kw)
    for d, s in zip(dense, sparse):
        np.testing.assert_allclose(s, d, rtol=1e-12, atol=1e-14)
    assert not np.array_equal(dense[0], _train(False, opt, steps=0, **kw)[0])  # it did train


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.5)), ("SGD", dict(lr=0.1, momentum=0.9)),
                                     ("Adagrad", dict(lr=0.3))])
def test_sparse_training_matches_torch(torch, name, kw):
    w0 = rand(30, 3)
    rng = np.random.default_rng(2)
    batches = [(rng.integers(0, 30, (6, 2)), rng.standard_normal((6, 2, 3))) for _ in range(20)]
    out = []
    for lib in (profundo, torch):
        m = lib.nn.Embedding.from_pretrained(lib.tensor(w0), freeze=False, sparse=True)
        o = getattr(lib.optim, name)(m.parameters(), **kw)
        for x, t in batches:
            o.zero_grad()
            ((m(lib.tensor(x)) - lib.tensor(t)) ** 2).sum().backward()
            o.step()
        out.append(m.weight.detach().numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-10, atol=1e-12)


def test_sparse_sgd_touches_only_the_rows_looked_up():
    m = nn.Embedding(1000, 4, sparse=True)
    before = m.weight.detach().numpy().copy()
    o = profundo.optim.SGD(m.parameters(), lr=0.1)
    m(profundo.tensor([3, 999, 3])).sum().backward()
    v = m.weight._version
    o.step()
    after = m.weight.detach().numpy()
    changed = np.flatnonzero((after != before).any(1))
    assert list(changed) == [3, 999] and m.weight._version > v
    np.testing.assert_allclose(after[3], before[3] - 0.2)


@pytest.mark.parametrize("name,match", [("Adam", "Adam does not support sparse gradients, please consider "
                                                 "SparseAdam instead"),
                                        ("AdamW", "Adam does not support sparse gradients"),
                                        ("RMSprop", "RMSprop does not support sparse gradients")])
def test_optimizers_without_sparse_support_refuse_like_torch(torch, name, match):
    from parity import assert_raises_like_torch

    def step(lib):
        m = lib.nn.Embedding(5, 2, sparse=True)
        o = getattr(lib.optim, name)(m.parameters())
        m(lib.tensor([1, 2])).sum().backward()
        o.step()
    assert_raises_like_torch(lambda: step(torch), lambda: step(profundo))
    with pytest.raises(RuntimeError, match=match):
        step(profundo)


def test_sparse_refuses_weight_decay_like_torch(torch):
    from parity import assert_raises_like_torch
    for name in ("SGD", "Adagrad"):
        def step(lib):
            m = lib.nn.Embedding(5, 2, sparse=True)
            o = getattr(lib.optim, name)(m.parameters(), lr=0.1, weight_decay=0.1)
            m(lib.tensor([1, 2])).sum().backward()
            o.step()
        assert_raises_like_torch(lambda: step(torch), lambda: step(profundo))


def test_zero_grad_keeps_an_empty_sparse_gradient(torch):
    m = nn.Embedding(5, 2, sparse=True)
    o = profundo.optim.SGD(m.parameters(), lr=0.1)
    m(profundo.tensor([1, 1])).sum().backward()
    o.zero_grad(set_to_none=False)
    g = m.weight.grad
    assert g.is_sparse and g._nnz() == 0 and not g.to_dense().numpy().any()
    m(profundo.tensor([4])).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.to_dense().numpy()[4], [1, 1])
    m.zero_grad()
    assert m.weight.grad is None


def test_clip_grad_norm_of_sparse_gradients():
    """The norm of a row-sparse gradient is that of the dense tensor it stands for (repeated rows
    summed first); clipping scales its values (torch 2.13 raises NotImplementedError here)."""
    w0 = rand(6, 3)
    out = []
    for sparse in (False, True):
        m = nn.Embedding.from_pretrained(profundo.tensor(w0), freeze=False, sparse=sparse)
        lin = nn.Linear(3, 1, dtype=profundo.float64)
        lin.weight.data = profundo.tensor([[1.0, -2.0, 0.5]], dtype=profundo.float64)
        lin(m(profundo.tensor([1, 1, 4, 0]))).sum().backward()
        params = list(m.parameters()) + [lin.weight]
        total = nn.utils.clip_grad_norm_(params, 0.5)
        out.append((total.item(), grad_np(m.weight.grad).copy(), lin.weight.grad.numpy().copy()))
        nn.utils.clip_grad_value_(params, 0.01)
        assert np.abs(grad_np(m.weight.grad)).max() <= 0.01
    assert out[0][0] == pytest.approx(out[1][0], rel=1e-12) and out[0][0] > 0.5
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-12)
    np.testing.assert_allclose(out[0][2], out[1][2], rtol=1e-12)


def test_row_sparse_tensor_arithmetic():
    a = RowSparseTensor(np.array([2, 0, 2]), np.arange(6.0).reshape(3, 2), (4, 2))
    b = RowSparseTensor(np.array([3]), np.ones((1, 2)), (4, 2))
    dense = a.to_dense().numpy()
    np.testing.assert_array_equal(dense, [[2, 3], [0, 0], [4, 6], [0, 0]])
    np.testing.assert_array_equal((a + b).to_dense().numpy(), dense + b.to_dense().numpy())
    np.testing.assert_array_equal((a + profundo.ones(4, 2, dtype=profundo.float64)).numpy(), dense + 1)
    np.testing.assert_array_equal((2.0 * a).to_dense().numpy(), 2 * dense)
    np.testing.assert_array_equal((-a / 2).to_dense().numpy(), -dense / 2)
    assert a.norm().item() == pytest.approx(np.linalg.norm(dense))
    c = a.coalesce()
    assert c.indices().tolist() == [[0, 2]] and c.values().tolist() == [[2, 3], [4, 6]]
    assert a.add_(b) is a and a._nnz() == 4
    w = profundo.zeros(4, 2, dtype=profundo.float64, requires_grad=True)
    w.grad = c
    assert w.grad is c
    with pytest.raises(RuntimeError):
        w.grad = RowSparseTensor(np.array([0]), np.ones((1, 3)), (4, 3))
    with pytest.raises(TypeError):
        a * profundo.ones(2)


# ---------------------------------------------------------------- EmbeddingBag
def test_embedding_bag_module_matches_torch(torch):
    w0 = rand(12, 4)
    x, off = np.array([3, 1, 1, 7, 0, 11, 5]), np.array([0, 2, 2, 6])
    psw = rand(7, seed=4)
    for kw in [dict(mode="mean"), dict(mode="sum", padding_idx=1), dict(mode="max", padding_idx=-1),
               dict(mode="sum", sparse=True), dict(mode="mean", max_norm=1.0)]:
        m = nn.EmbeddingBag.from_pretrained(profundo.tensor(w0), freeze=False, **kw)
        t = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(w0), freeze=False, **kw)
        assert repr(m) == repr(t)
        extra = dict(per_sample_weights=(profundo.tensor(psw), torch.tensor(psw))) if kw["mode"] == "sum" else {}
        y = m(profundo.tensor(x), profundo.tensor(off), *(v[0] for v in extra.values()))
        ty = t(torch.tensor(x), torch.tensor(off), *(v[1] for v in extra.values()))
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-14)
        (y ** 2).sum().backward()
        (ty ** 2).sum().backward()
        assert m.weight.grad.is_sparse == t.weight.grad.is_sparse
        np.testing.assert_allclose(grad_np(m.weight.grad), t.weight.grad.to_dense().numpy(), rtol=1e-12,
                                   atol=1e-14)
    assert repr(nn.EmbeddingBag(10, 3)) == repr(torch.nn.EmbeddingBag(10, 3))
    e = nn.EmbeddingBag(10, 3, padding_idx=2)
    assert not e.weight.detach().numpy()[2].any() and e.weight.requires_grad


def test_embedding_bag_sparse_training_equals_dense():
    out = []
    for sparse in (False, True):
        profundo.manual_seed(0)
        m = nn.EmbeddingBag(40, 3, mode="sum", sparse=sparse, dtype=profundo.float64)
        o = profundo.optim.SGD(m.parameters(), lr=0.2)
        rng = np.random.default_rng(3)
        for _ in range(20):
            x = profundo.tensor(rng.integers(0, 40, (12,)))
            o.zero_grad()
            (m(x, profundo.tensor([0, 5, 5, 9])) ** 2).mean().backward()
            o.step()
        out.append(m.weight.detach().numpy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12, atol=1e-14)


def test_embedding_bag_scale_grad_by_freq_divides_by_the_index_count():
    """Each row's gradient is divided by how often its index occurs in the input (the documented
    rule, as F.embedding's).  torch 2.13's embedding_bag divides by the counts of other indices
    (row 3, seen once, gets 1/3 for this input): a deviation on purpose."""
    x = np.array([[1, 2, 4], [5, 4, 2], [2, 9, 3]])
    w = profundo.tensor(rand(10, 3), requires_grad=True)
    F.embedding_bag(profundo.tensor(x), w, mode="sum", scale_grad_by_freq=True).sum().backward()
    expected = np.zeros(10)
    expected[np.unique(x)] = 1.0  # n occurrences of a row, each scaled by 1/n
    np.testing.assert_allclose(w.grad.numpy()[:, 0], expected)


def test_sparse_lookup_of_a_computed_table_gives_its_leaf_a_dense_gradient(torch):
    """Only a leaf table's .grad is row-sparse; through ops before the lookup (``w * 2``) the
    gradient flows on dense (same values as torch, whose w.grad here is sparse)."""
    w0 = rand(5, 2)
    w, tw = profundo.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    F.embedding(profundo.tensor([1, 1, 3]), w * 2, sparse=True).pow(2).sum().backward()
    torch.nn.functional.embedding(torch.tensor([1, 1, 3]), tw * 2, sparse=True).pow(2).sum().backward()
    assert not w.grad.is_sparse
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.to_dense().numpy(), rtol=1e-12)


def test_hooks_see_the_sparse_gradient():
    m = nn.Embedding(5, 2, sparse=True)
    seen = []
    m.weight.register_hook(seen.append)
    m(profundo.tensor([1, 1, 4])).sum().backward()
    assert len(seen) == 1 and seen[0].is_sparse and seen[0]._nnz() == 3
    assert m.weight.grad.is_sparse


def test_indices_changed_in_place_before_backward_are_caught(torch):
    from parity import assert_raises_like_torch

    def run(lib):
        w = lib.ones(5, 2, requires_grad=True)
        i = lib.tensor([1, 2])
        y = lib.nn.functional.embedding(i, w)
        i.add_(1)
        y.sum().backward()
    assert_raises_like_torch(lambda: run(torch), lambda: run(profundo))
