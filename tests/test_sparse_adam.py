"""optim.SparseAdam (issue 14, Unit 4): lazy Adam on the row-sparse gradient of
nn.Embedding(sparse=True).  Against torch.optim.SparseAdam (20 steps, float64, repeated
indices), against a NumPy reference of the lazy update written here (runs without torch),
state_dict round trip, and torch's errors."""
import numpy as np
import pytest

import profundo
from profundo import nn
from profundo.sparse import RowSparseTensor

pytestmark = pytest.mark.usefixtures("backend")

N_USERS, N_ITEMS, DIM, BATCH = 30, 12, 4, 16


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def batches(steps=20, seed=1):
    """(users, items, ratings): 16 pairs per batch drawn from few rows, so rows repeat."""
    rng = np.random.default_rng(seed)
    return [(rng.integers(0, N_USERS, BATCH), rng.integers(0, N_ITEMS, BATCH), rng.standard_normal(BATCH))
            for _ in range(steps)]


def tables(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N_USERS, DIM)) * 0.3, rng.standard_normal((N_ITEMS, DIM)) * 0.3


def mf(lib, w_user, w_item):
    """A matrix factorization: two sparse embeddings, a dot product."""
    u = lib.nn.Embedding.from_pretrained(lib.tensor(w_user.copy()), freeze=False, sparse=True)
    i = lib.nn.Embedding.from_pretrained(lib.tensor(w_item.copy()), freeze=False, sparse=True)
    return u, i


def train(lib, u, i, opt, data):
    for users, items, r in data:
        opt.zero_grad()
        pred = (u(lib.tensor(users)) * i(lib.tensor(items))).sum(1)
        ((pred - lib.tensor(r)) ** 2).mean().backward()
        opt.step()


@pytest.mark.parametrize("kw", [{}, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.02, maximize=True)])
def test_matches_torch_after_20_steps(torch, kw):
    wu, wi = tables()
    data = batches()
    pu, pi = mf(profundo, wu, wi)
    tu, ti = mf(torch, wu, wi)
    popt = profundo.optim.SparseAdam([pu.weight, pi.weight], **kw)
    topt = torch.optim.SparseAdam([tu.weight, ti.weight], **kw)
    train(profundo, pu, pi, popt, data)
    train(torch, tu, ti, topt, data)
    for p, t in ((pu, tu), (pi, ti)):
        np.testing.assert_allclose(p.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-10, atol=1e-12)
    for k in range(2):
        ps, ts = popt.state_dict()["state"][k], topt.state_dict()["state"][k]
        assert ps["step"] == ts["step"] == 20
        for name in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(ps[name].numpy(), ts[name].numpy(), rtol=1e-10, atol=1e-14)
    assert popt.state_dict()["param_groups"][0].keys() == topt.state_dict()["param_groups"][0].keys()


def lazy_adam_reference(w, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """The lazy Adam update written out: per step, the rows present (repeats summed) get
    Adam's update with bias correction by the step count; other rows and moments stay."""
    w = w.copy()
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step, (rows, vals) in enumerate(grads, start=1):
        dense = np.zeros_like(w)
        np.add.at(dense, rows, vals)
        r = np.unique(rows)
        g = dense[r]
        m[r] = betas[0] * m[r] + (1 - betas[0]) * g
        v[r] = betas[1] * v[r] + (1 - betas[1]) * g * g
        mhat = m[r] / (1 - betas[0] ** step)
        vhat = v[r] / (1 - betas[1] ** step)
        # PyTorch adds eps to sqrt(v) before the bias correction: eps / sqrt(1 - beta2^t) here
        w[r] -= lr * mhat / (np.sqrt(vhat) + eps / np.sqrt(1 - betas[1] ** step))
    return w, m, v


def test_matches_lazy_reference_and_leaves_other_rows():
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((10, 3))
    w = profundo.tensor(w0.copy(), requires_grad=True)
    opt = profundo.optim.SparseAdam([w], lr=0.1, betas=(0.5, 0.9))
    grads = [(rng.integers(0, 6, 5), rng.standard_normal((5, 3))) for _ in range(20)]  # rows 6..9 never touched
    for rows, vals in grads:
        w.grad = RowSparseTensor(profundo.tensor(rows)._data, profundo.tensor(vals)._data, (10, 3))
        opt.step()
    ref_w, ref_m, ref_v = lazy_adam_reference(w0, grads, lr=0.1, betas=(0.5, 0.9))
    np.testing.assert_allclose(w.detach().numpy(), ref_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(opt.state[w]["exp_avg"].numpy(), ref_m, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(opt.state[w]["exp_avg_sq"].numpy(), ref_v, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(w.detach().numpy()[6:], w0[6:])  # untouched rows: no decay, no change
    assert (opt.state[w]["exp_avg"].numpy()[6:] == 0).all() and opt.state[w]["step"] == 20


def test_empty_gradient_counts_the_step_but_changes_nothing():
    w = profundo.ones(4, 2, dtype=profundo.float64, requires_grad=True)
    opt = profundo.optim.SparseAdam([w])
    w.grad = RowSparseTensor(profundo.tensor([0], dtype=profundo.int64)._data[:0],
                             profundo.zeros(0, 2, dtype=profundo.float64)._data, (4, 2))
    opt.step()
    assert opt.state[w]["step"] == 1 and (w.detach().numpy() == 1).all()


def test_state_dict_round_trip():
    wu, wi = tables(seed=5)
    data = batches(seed=6)
    u, i = mf(profundo, wu, wi)
    opt = profundo.optim.SparseAdam([u.weight, i.weight], lr=0.03)
    train(profundo, u, i, opt, data)  # 20 uninterrupted steps
    u2, i2 = mf(profundo, wu, wi)
    opt2 = profundo.optim.SparseAdam([u2.weight, i2.weight], lr=0.03)
    train(profundo, u2, i2, opt2, data[:10])
    saved, wsaved = opt2.state_dict(), (u2.weight.detach().clone(), i2.weight.detach().clone())
    u3, i3 = mf(profundo, wsaved[0].numpy(), wsaved[1].numpy())
    opt3 = profundo.optim.SparseAdam([u3.weight, i3.weight], lr=0.5)  # lr comes back from the state dict
    opt3.load_state_dict(saved)
    assert opt3.param_groups[0]["lr"] == 0.03 and opt3.state[u3.weight]["step"] == 10
    train(profundo, u3, i3, opt3, data[10:])
    np.testing.assert_array_equal(u3.weight.detach().numpy(), u.weight.detach().numpy())
    np.testing.assert_array_equal(i3.weight.detach().numpy(), i.weight.detach().numpy())
    # the saved state is a copy: training on did not change it
    assert saved["state"][0]["step"] == 10


def test_dense_gradient_refused_before_any_update(torch):
    a = nn.Embedding(5, 2, sparse=True)
    b = nn.Embedding(5, 2)  # dense gradient
    a0 = a.weight.detach().numpy().copy()
    opt = profundo.optim.SparseAdam(list(a.parameters()) + list(b.parameters()))
    (a(profundo.tensor([1, 2])).sum() + b(profundo.tensor([1])).sum()).backward()
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam "
                                           "instead") as e:
        opt.step()
    assert "Pista:" in str(e.value)
    np.testing.assert_array_equal(a.weight.detach().numpy(), a0)
    t = torch.nn.Embedding(5, 2)
    t(torch.tensor([1])).sum().backward()
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        torch.optim.SparseAdam(t.parameters()).step()


@pytest.mark.parametrize("kw,text", [(dict(lr=0.0), "Invalid learning rate: 0.0"),
                                     (dict(lr=-1.0), "Invalid learning rate: -1.0"),
                                     (dict(eps=0.0), "Invalid epsilon value: 0.0"),
                                     (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
                                     (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1")])
def test_bad_hyperparameters_as_torch(torch, kw, text):
    with pytest.raises(ValueError, match=text):
        profundo.optim.SparseAdam([profundo.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError, match=text):
        torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)], **kw)


def test_sparse_params_refused_as_torch(torch):
    w = profundo.zeros(3, 2, requires_grad=True)
    g = RowSparseTensor(profundo.tensor([1])._data, profundo.ones(1, 2)._data, (3, 2))
    with pytest.raises(ValueError, match=r"Sparse params at indices \[\[1, 1\]\]: SparseAdam requires dense "
                                         r"parameter tensors"):
        profundo.optim.SparseAdam([{"params": [w]}, {"params": [w.detach(), g]}])
    tg = torch.sparse_coo_tensor([[1]], torch.ones(1, 2), (3, 2), check_invariants=True)
    with pytest.raises(ValueError, match=r"Sparse params at indices \[\[1, 1\]\]"):
        torch.optim.SparseAdam([{"params": [torch.zeros(3, 2, requires_grad=True)]},
                                {"params": [torch.zeros(3, 2), tg]}])


def test_params_from_a_generator_and_repr():
    m = nn.Embedding(4, 2, sparse=True)
    opt = profundo.optim.SparseAdam(p for p in m.parameters())
    assert len(opt.param_groups[0]["params"]) == 1
    assert "SparseAdam" in repr(opt) and "maximize: False" in repr(opt)
    m(profundo.tensor([0, 0, 3])).sum().backward()
    opt.step()
    assert opt.state[m.weight]["step"] == 1
