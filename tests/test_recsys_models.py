"""profundo.models' recommender models (issue 14, Unit 4) against torch twins written from d2l's chapter 21
(MXNet there, rewritten here with torch.nn as the book's code does it): with the weights copied, the same
outputs and gradients of every parameter in float64.  Plus shapes and errors without torch, a short MF
training run on a synthetic low-rank rating matrix, and sparse vs dense MF after a few SGD steps."""
import numpy as np
import pytest

import profundo
from profundo import models
from profundo._errors import is_checked

try:
    import torch
    from torch import nn as tnn
    from torch.nn import functional as TF
except ImportError:  # the suite also runs without torch: the twins skip, the rest still runs
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch (the oracle)")

ATOL = 1e-12


def _np(t):
    return t.detach().numpy()


def _grad(p):
    g = p.grad
    return g.to_dense().numpy() if getattr(g, "is_sparse", False) else g.numpy()


# ------------------------------------------------------------------------------ the torch twins: d2l's code
if torch is not None:
    class TMF(tnn.Module):
        def __init__(self, num_users, num_items, num_factors, global_mean=0.0):
            super().__init__()
            self.P = tnn.Embedding(num_users, num_factors)
            self.Q = tnn.Embedding(num_items, num_factors)
            self.user_bias = tnn.Embedding(num_users, 1)
            self.item_bias = tnn.Embedding(num_items, 1)
            self.register_buffer("global_mean", torch.tensor(global_mean))

        def forward(self, user_id, item_id):
            P_u, Q_i = self.P(user_id), self.Q(item_id)
            b_u, b_i = self.user_bias(user_id), self.item_bias(item_id)
            return (P_u * Q_i).sum(dim=1) + b_u.squeeze(1) + b_i.squeeze(1) + self.global_mean

    class TAutoRec(tnn.Module):
        def __init__(self, num_hidden, num_users, dropout=0.05):
            super().__init__()
            self.encoder = tnn.Linear(num_users, num_hidden)
            self.decoder = tnn.Linear(num_hidden, num_users)
            self.dropout = tnn.Dropout(dropout)

        def forward(self, input):
            hidden = self.dropout(torch.sigmoid(self.encoder(input)))
            pred = self.decoder(hidden)
            return pred * torch.sign(input) if self.training else pred

    class TNeuMF(tnn.Module):
        def __init__(self, num_factors, num_users, num_items, nums_hiddens):
            super().__init__()
            self.P = tnn.Embedding(num_users, num_factors)
            self.Q = tnn.Embedding(num_items, num_factors)
            self.U = tnn.Embedding(num_users, num_factors)
            self.V = tnn.Embedding(num_items, num_factors)
            layers, width = [], 2 * num_factors
            for h in nums_hiddens:
                layers += [tnn.Linear(width, h), tnn.ReLU()]
                width = h
            self.mlp = tnn.Sequential(*layers)
            self.prediction_layer = tnn.Linear(num_factors + width, 1, bias=False)

        def forward(self, user_id, item_id):
            gmf = self.P(user_id) * self.Q(item_id)
            mlp = self.mlp(torch.cat([self.U(user_id), self.V(item_id)], dim=1))
            return torch.sigmoid(self.prediction_layer(torch.cat([gmf, mlp], dim=1))).squeeze(1)

    class TDeepFM(tnn.Module):
        """d2l's FM (``mlp_dims=None``) and DeepFM; x already holds global feature indices (d2l's data)."""

        def __init__(self, field_dims, num_factors, mlp_dims=None):
            super().__init__()
            num_inputs = int(sum(field_dims))
            self.embedding = tnn.Embedding(num_inputs, num_factors)
            self.fc = tnn.Embedding(num_inputs, 1)
            self.linear_layer = tnn.Linear(1, 1)
            self.deep = mlp_dims is not None
            if self.deep:
                layers, width = [], len(field_dims) * num_factors
                for dim in mlp_dims:
                    layers += [tnn.Linear(width, dim), tnn.ReLU(), tnn.Dropout(0.0)]
                    width = dim
                layers.append(tnn.Linear(width, 1))
                self.mlp = tnn.Sequential(*layers)
                self.embed_output_dim = len(field_dims) * num_factors

        def forward(self, x):
            embed_x = self.embedding(x)
            square_of_sum = torch.sum(embed_x, dim=1) ** 2
            sum_of_square = torch.sum(embed_x ** 2, dim=1)
            out = self.linear_layer(self.fc(x).sum(1)) + 0.5 * (square_of_sum - sum_of_square).sum(1, keepdim=True)
            if self.deep:
                out = out + self.mlp(embed_x.reshape(-1, self.embed_output_dim))
            return torch.sigmoid(out).squeeze(1)


def _twin(model, tmodel):
    """Copy profundo's float64 parameters (and buffers) into the torch twin, by name."""
    tmodel.double()
    ours = dict(model.named_parameters())
    theirs = dict(tmodel.named_parameters())
    assert sorted(ours) == sorted(theirs)
    with torch.no_grad():
        for name, p in theirs.items():
            p.copy_(torch.from_numpy(_np(ours[name]).copy()))
        if hasattr(model, "global_mean"):
            tmodel.global_mean.fill_(float(model.global_mean))
    return tmodel


def _check_grads(model, tmodel):
    ours = dict(model.named_parameters())
    for name, p in tmodel.named_parameters():
        np.testing.assert_allclose(_grad(ours[name]), p.grad.numpy(), atol=ATOL, rtol=1e-10, err_msg=name)


def _ids(rng, n, size):
    return rng.integers(0, n, size=size)


# ------------------------------------------------------------------------------ forward + gradients vs torch
@needs_torch
@pytest.mark.parametrize("sparse", [False, True])
def test_mf_matches_torch(sparse):
    rng = np.random.default_rng(0)
    model = models.MatrixFactorization(7, 5, 4, sparse=sparse, global_mean=3.5).double()
    with profundo.no_grad():  # larger weights than d2l's 0.01 so the products matter
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    tmodel = _twin(model, TMF(7, 5, 4))
    u, i = _ids(rng, 7, 12), _ids(rng, 5, 12)  # repeated users/items: gradients accumulate
    r = rng.normal(3, 1, 12)
    out = model(profundo.tensor(u), profundo.tensor(i))
    tout = tmodel(torch.tensor(u), torch.tensor(i))
    assert out.shape == (12,) and out.dtype == profundo.float64
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), atol=ATOL)
    ((out - profundo.tensor(r)) ** 2).mean().backward()
    ((tout - torch.tensor(r)) ** 2).mean().backward()
    _check_grads(model, tmodel)
    assert model.global_mean.requires_grad is False and "global_mean" in model.state_dict()


@needs_torch
@pytest.mark.parametrize("training", [True, False])
def test_autorec_matches_torch(training):
    rng = np.random.default_rng(1)
    model = models.AutoRec(6, 9, dropout=0.0).double()
    tmodel = _twin(model, TAutoRec(6, 9, dropout=0.0))
    model.train(training)
    tmodel.train(training)
    x = rng.integers(1, 6, size=(4, 9)) * (rng.random((4, 9)) < 0.4)  # ratings 1..5, mostly unobserved
    out = model(profundo.tensor(x.astype(float)))
    tout = tmodel(torch.tensor(x.astype(float)))
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), atol=ATOL)
    if training:  # unobserved entries are masked out of the reconstruction
        assert np.all(_np(out)[x == 0] == 0)
    loss = models.AutoRec.masked_mse(out, profundo.tensor(x.astype(float)))
    mask = torch.tensor(x != 0)
    tloss = ((tout - torch.tensor(x.astype(float)))[mask] ** 2).mean()
    np.testing.assert_allclose(_np(loss), tloss.detach().numpy(), atol=ATOL)
    loss.backward()
    tloss.backward()
    _check_grads(model, tmodel)


@needs_torch
@pytest.mark.parametrize("reduction", ["sum", "mean", "none"])
def test_pairwise_losses_match_torch(reduction):
    rng = np.random.default_rng(2)
    pos, neg = rng.normal(size=8) * 3, rng.normal(size=8) * 3
    pos[0], neg[0] = 40.0, -40.0  # logsigmoid stays finite where log(sigmoid) would not
    for ours, theirs in ((models.BPRLoss(reduction), lambda d: -TF.logsigmoid(d)),
                         (models.HingeLossRec(0.7, reduction), lambda d: torch.clamp(0.7 - d, min=0))):
        p, n = profundo.tensor(pos, requires_grad=True), profundo.tensor(neg, requires_grad=True)
        tp, tn = torch.tensor(pos, requires_grad=True), torch.tensor(neg, requires_grad=True)
        loss = ours(p, n)
        tl = theirs(tp - tn)
        tl = {"sum": tl.sum(), "mean": tl.mean(), "none": tl}[reduction]
        np.testing.assert_allclose(_np(loss), tl.detach().numpy(), atol=ATOL)
        loss.sum().backward()
        tl.sum().backward()
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=ATOL)
        np.testing.assert_allclose(n.grad.numpy(), tn.grad.numpy(), atol=ATOL)
    assert models.BPRLoss().reduction == "sum"  # d2l sums


@needs_torch
def test_neumf_matches_torch():
    rng = np.random.default_rng(3)
    model = models.NeuMF(4, 6, 8, [10, 5]).double()
    with profundo.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    tmodel = _twin(model, TNeuMF(4, 6, 8, [10, 5]))
    u, i = _ids(rng, 6, 10), _ids(rng, 8, 10)
    out = model(profundo.tensor(u), profundo.tensor(i))
    tout = tmodel(torch.tensor(u), torch.tensor(i))
    assert out.shape == (10,)
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), atol=ATOL)
    neg = profundo.tensor(_ids(rng, 8, 10))
    loss = models.BPRLoss()(out, model(profundo.tensor(u), neg))
    tl = -TF.logsigmoid(tout - tmodel(torch.tensor(u), torch.tensor(neg.numpy()))).sum()
    loss.backward()
    tl.backward()
    _check_grads(model, tmodel)


@needs_torch
@pytest.mark.parametrize("deep", [False, True])
def test_fm_and_deepfm_match_torch(deep):
    rng = np.random.default_rng(4)
    dims = [3, 5, 2, 4]
    model = (models.DeepFM(dims, 3, [7, 4], drop_rate=0.0) if deep else models.FactorizationMachine(dims, 3))
    model = model.double()
    with profundo.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    tmodel = _twin(model, TDeepFM(dims, 3, [7, 4] if deep else None))
    x = np.stack([rng.integers(0, d, size=9) for d in dims], axis=1)
    offsets = np.concatenate([[0], np.cumsum(dims)[:-1]])
    y = rng.integers(0, 2, size=9).astype(float)
    out = model(profundo.tensor(x))
    tout = tmodel(torch.tensor(x + offsets))  # d2l's data holds global feature indices
    assert out.shape == (9,)
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), atol=ATOL)
    profundo.nn.functional.binary_cross_entropy(out, profundo.tensor(y)).backward()
    TF.binary_cross_entropy(tout, torch.tensor(y)).backward()
    _check_grads(model, tmodel)


def test_fm_pairwise_identity():
    """The O(kn) form equals the explicit sum over pairs i<j of <v_i, v_j> (no torch needed)."""
    rng = np.random.default_rng(5)
    dims = [4, 3, 5]
    model = models.FactorizationMachine(dims, 6).double()
    with profundo.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    x = np.stack([rng.integers(0, d, size=7) for d in dims], axis=1)
    feats = x + np.array([0, 4, 7])
    V = _np(model.embedding.weight)[feats]                        # (batch, fields, k)
    pairs = sum((V[:, a] * V[:, b]).sum(-1) for a in range(3) for b in range(a + 1, 3))
    w = _np(model.fc.weight)[feats, 0].sum(1)
    lin = _np(model.linear_layer.weight)[0, 0] * w + _np(model.linear_layer.bias)[0]
    expected = 1 / (1 + np.exp(-(lin + pairs)))
    np.testing.assert_allclose(_np(model(profundo.tensor(x))), expected, atol=1e-12)


# ------------------------------------------------------------------------------ shapes, init and errors
def test_shapes_and_init():
    mf = models.MatrixFactorization(10, 8, 5)
    assert 0.005 < float(mf.P.weight.std()) < 0.02  # d2l's N(0, 0.01^2)
    out = mf(profundo.tensor([[0, 1], [2, 9]]), profundo.tensor([[7, 0], [1, 2]]))
    assert out.shape == (2, 2) and out.dtype == profundo.float32
    mf.global_mean.fill_(3.0)
    P, Q, bu, bi = (_np(m.weight) for m in (mf.P, mf.Q, mf.user_bias, mf.item_bias))
    expected = 3.0 + P[2] @ Q[1] + bu[2, 0] + bi[1, 0]
    np.testing.assert_allclose(float(mf(profundo.tensor([2]), profundo.tensor([1]))[0]), expected, rtol=1e-6)
    assert models.AutoRec(4, 10)(profundo.rand(3, 10)).shape == (3, 10)
    assert models.NeuMF(3, 10, 8, [6])(profundo.tensor([1, 2]), profundo.tensor([3, 4])).shape == (2,)
    assert models.DeepFM([2, 3], 4, [5])(profundo.tensor([[1, 2]])).shape == (1,)
    assert models.MatrixFactorization(3, 3, 2, sparse=True).P.sparse


def _raises(exc, fn, *words):
    with pytest.raises(exc) as info:
        fn()
    assert is_checked(info.value) and "Pista:" in str(info.value)
    for w in words:
        assert w in str(info.value)


def test_errors():
    mf = models.MatrixFactorization(5, 4, 3)
    t = profundo.tensor
    _raises(IndexError, lambda: mf(t([0, 5]), t([0, 1])), "user index 5", "5 users")
    _raises(IndexError, lambda: mf(t([0, 1]), t([-1, 1])), "item index -1")
    _raises(RuntimeError, lambda: mf(t([0.0]), t([1])), "integers")
    _raises(RuntimeError, lambda: mf(t([0, 1]), t([1])), "same shape")
    _raises(TypeError, lambda: mf([0], t([1])), "Tensor")
    _raises(ValueError, lambda: models.MatrixFactorization(0, 4, 3), "num_users")
    _raises(IndexError, lambda: models.NeuMF(3, 5, 4, [4])(t([0]), t([4])), "item index 4")
    _raises(RuntimeError, lambda: models.AutoRec(3, 6)(profundo.rand(2, 5)), "num_users=6")
    fm = models.FactorizationMachine([3, 4], 2)
    _raises(IndexError, lambda: fm(t([[0, 4]])), "field 1 has 4 values")
    _raises(IndexError, lambda: fm(t([[-1, 0]])), "feature index -1")
    _raises(RuntimeError, lambda: fm(t([0, 1])), "num_fields=2")
    _raises(ValueError, lambda: models.FactorizationMachine([3, 0], 2), "field_dims")
    _raises(ValueError, lambda: models.BPRLoss("avg"), "reduction")
    _raises(RuntimeError, lambda: models.BPRLoss()(profundo.rand(3), profundo.rand(2)), "same shape")
    _raises(RuntimeError, lambda: models.AutoRec.masked_mse(profundo.rand(2, 3), profundo.rand(3, 2)), "same shape")


# ------------------------------------------------------------------------------ training
def _low_rank_ratings(seed=0, users=40, items=30, rank=3, n=600):
    rng = np.random.default_rng(seed)
    U, V = rng.normal(size=(users, rank)), rng.normal(size=(items, rank))
    u, i = rng.integers(0, users, n), rng.integers(0, items, n)
    return u, i, 3.0 + (U[u] * V[i]).sum(1) * 0.5


def test_mf_training_decreases_loss():
    profundo.manual_seed(0)
    u, i, r = _low_rank_ratings()
    model = models.MatrixFactorization(40, 30, 5, global_mean=float(r.mean()))
    with profundo.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.1)
    opt = profundo.optim.Adam(model.parameters(), lr=0.05)
    U, I, R = profundo.tensor(u), profundo.tensor(i), profundo.tensor(r, dtype=profundo.float32)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = ((model(U, I) - R) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.1 * losses[0], (losses[0], losses[-1])


def test_mf_sparse_equals_dense_sgd():
    u, i, r = _low_rank_ratings(seed=1, n=200)
    profundo.manual_seed(3)
    dense = models.MatrixFactorization(40, 30, 4, global_mean=3.0).double()
    sparse = models.MatrixFactorization(40, 30, 4, sparse=True, global_mean=3.0).double()
    sparse.load_state_dict(dense.state_dict())
    start = _np(dense.P.weight).copy()
    opts = [profundo.optim.SGD(m.parameters(), lr=0.5) for m in (dense, sparse)]
    for step in range(5):
        batch = slice(40 * step, 40 * step + 40)
        U, I, R = profundo.tensor(u[batch]), profundo.tensor(i[batch]), profundo.tensor(r[batch])
        for m, opt in zip((dense, sparse), opts):
            opt.zero_grad()
            ((m(U, I) - R) ** 2).mean().backward()
            opt.step()
        assert getattr(sparse.P.weight.grad, "is_sparse", False)
    for (name, a), b in zip(dense.named_parameters(), sparse.parameters()):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-13, err_msg=name)
    assert not np.allclose(_np(sparse.P.weight), start)  # the steps did move the factors
