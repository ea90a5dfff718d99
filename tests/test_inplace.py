"""In-place ops: identity, version counter, torch's errors, views (CopySlices)."""
import numpy as np
import pytest

import profundo as pf


def leaf(values, dtype=pf.float64):
    return pf.tensor(values, dtype=dtype, requires_grad=True)


def test_inplace_keeps_identity_and_bumps_version():
    x = pf.zeros(3)
    v = x._version
    assert x.add_(1) is x and x._version == v + 1
    x.mul_(2)
    x += 1
    x[0] = 7
    x.zero_()
    x.fill_(2.5)
    x.copy_(pf.tensor([1.0, 2.0, 3.0]))
    x.clamp_(max=2.0)
    assert x.tolist() == [1.0, 2.0, 2.0]
    assert x._version == v + 8


def test_views_share_the_version_counter():
    x = pf.zeros(2, 3)
    v = x[0]
    t = x.t()
    v.add_(1)
    assert x._version == v._version == t._version == 1
    assert x.sum().item() == 3.0  # the view wrote into x's memory


def test_modified_saved_tensor_raises_torch_error():
    x = leaf([1.0, 2.0])
    y = x.exp()        # saves its output y
    z = y * 2
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*is at version 1; expected version 0"):
        (z + y).sum().backward()
    a = leaf([1.0, 2.0])
    b = a * 1
    c = b * b          # saves b
    b.mul_(3)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        c.sum().backward()


def test_inplace_on_leaf_requiring_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w += 1
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        w[0].mul_(2)
    with pf.no_grad():  # how optimizers update parameters
        w -= 0.5 * pf.ones(2, dtype=pf.float64)
        w[0] = 10.0
    assert w.tolist() == [10.0, 1.5] and w.requires_grad and w.is_leaf


def test_inplace_on_non_leaf_records_the_op():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.mul_(3)
    y.add_(x)
    assert type(y.grad_fn).__name__ == "AddBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [7.0, 7.0]
    x = leaf([1.0, -2.0])
    y = x * 1
    y.relu_()
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0]


def test_setitem_with_autograd():
    x = leaf([1.0, 2.0, 3.0])
    v = leaf([10.0])
    y = x * 2
    y[1] = v * 3
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 2.0]
    assert v.grad.tolist() == [3.0]
    # boolean mask assignment, as in d2l's sequence_mask
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1
    y[y > 2.5] = 0.0
    (y * pf.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=pf.float64)).sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0], [0.0, 0.0]]


def test_inplace_on_a_view_rewrites_the_base_history():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    base = x * 1
    view = base[1:3]
    view.mul_(10)            # CopySlices: base now depends on the multiplication
    assert type(base.grad_fn).__name__ == "CopySlices"
    (base * pf.tensor([1.0, 2.0, 3.0, 4.0], dtype=pf.float64)).sum().backward()
    assert x.grad.tolist() == [1.0, 20.0, 30.0, 4.0]
    assert base.tolist() == [1.0, 20.0, 30.0, 4.0]


def test_d2l_masked_softmax_pattern():
    """d2l's masked_softmax writes through a reshape view of the scores."""
    torch = pytest.importorskip("torch")
    scores = np.random.default_rng(0).standard_normal((2, 2, 4))
    valid = np.array([2, 3])

    def run(T, s):
        X = s * 1.0
        shape = X.shape
        Xf = X.reshape(-1, shape[-1])
        vl = T.repeat_interleave(T.tensor(valid), shape[1])
        mask = T.arange(shape[-1], dtype=T.float32)[None, :] < vl[:, None]
        Xf[~mask] = -1e6
        return T.softmax(Xf.reshape(shape), dim=-1)

    xp_ = pf.tensor(scores, requires_grad=True)
    xt = torch.tensor(scores, requires_grad=True)
    out_p, out_t = run(pf, xp_), run(torch, xt)
    np.testing.assert_allclose(out_p.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    w = np.random.default_rng(1).standard_normal((2, 2, 4))
    (out_p * pf.tensor(w)).sum().backward()
    (out_t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xp_.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_inplace_dtype_and_shape_errors():
    i = pf.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.add_(1.5)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.div_(2)
    x = pf.zeros(3)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        x.add_(pf.ones(2, 3))
    e = pf.zeros(1).expand(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)


def test_random_inplace_inits():
    pf.manual_seed(0)
    w = pf.empty(1000)
    w.normal_(0, 0.01)
    assert abs(w.std().item() - 0.01) < 0.002
    w.uniform_(-1, 1)
    assert -1 <= w.min().item() and w.max().item() < 1
    b = pf.empty(1000).bernoulli_(0.3)
    assert set(np.unique(b.numpy())) <= {0.0, 1.0}
    p = pf.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        p.normal_()
    with pf.no_grad():
        p.normal_()
    pf.manual_seed(3)
    a = pf.randn(4)
    pf.manual_seed(3)
    assert pf.equal(a, pf.randn(4))


def test_adam_style_inplace_ops():
    m = pf.zeros(3)
    g = pf.tensor([1.0, 2.0, 3.0])
    m.mul_(0.9).add_(g, alpha=0.1)
    np.testing.assert_allclose(m.numpy(), [0.1, 0.2, 0.3], rtol=1e-6)
    v = pf.zeros(3)
    v.addcmul_(g, g, value=0.5)
    np.testing.assert_allclose(v.numpy(), [0.5, 2.0, 4.5])
    p = pf.ones(3)
    p.addcdiv_(g, v.sqrt() + 1, value=-1)
    np.testing.assert_allclose(p.numpy(), 1 - g.numpy() / (np.sqrt(v.numpy()) + 1), rtol=1e-6)
