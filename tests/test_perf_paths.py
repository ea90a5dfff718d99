"""The speed work of issue 11 (per-op overhead) and issue 13 (d2l's RNN from scratch) keeps
PyTorch's values, gradients and rules:

- ``unbind`` (``for row in x``, stack's backward) is one op with one view per slice;
- ``F.cross_entropy`` on (N, C) logits and class indices is one fused op;
- the NumPy backend's short-row max/min/sum (softmax, log_softmax, cross-entropy rows);
- a first-order backward sums a broadcast gradient on the array (a bias's ``.grad``);
- grad-mode and module-scope bookkeeping without locks, and no write when nothing changes.
"""
import numpy as np
import pytest

import profundo as pf
from profundo._backend import BACKENDS
from profundo.autograd import function, grad_mode

F = pf.nn.functional


def _count_applies(monkeypatch):
    """Count every op run (``Function.apply``), recorded or not."""
    calls = []
    apply = function.Function.apply.__func__

    def spy(cls, *args, **kwargs):
        calls.append(cls.__name__)
        return apply(cls, *args, **kwargs)

    monkeypatch.setattr(function.Function, "apply", classmethod(spy))
    return calls


# ---------------------------------------------------------------- unbind
def test_iterating_a_tensor_is_one_op(monkeypatch):
    x = pf.arange(24.0).reshape(4, 3, 2)
    calls = _count_applies(monkeypatch)
    rows = list(x)
    assert calls == ["Unbind"]
    assert len(rows) == 4 and all(r.shape == (3, 2) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), x.numpy()[2])
    assert rows[1]._data.base is not None  # views, not copies


def test_unbind_grad_fn_and_gradients():
    x = pf.arange(12.0).reshape(3, 4).requires_grad_()
    a, b, c = x.unbind(1)[:3]
    assert a.grad_fn.name() == "UnbindBackward0"  # PyTorch's name
    (a * 2 + c * 3).sum().backward()  # b and the last slice get no gradient: zeros
    expected = np.zeros((3, 4), np.float32)
    expected[:, 0], expected[:, 2] = 2, 3
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_stack_backward_is_one_op(monkeypatch):
    parts = [pf.ones(2, 3, requires_grad=True) for _ in range(5)]
    y = pf.stack(parts, 1)
    up = pf.arange(30.0).reshape(2, 5, 3)
    calls = _count_applies(monkeypatch)
    y.backward(up)
    assert calls == ["Unbind"]
    for i, p in enumerate(parts):
        np.testing.assert_array_equal(p.grad.numpy(), up.numpy()[:, i])


def test_unbind_views_share_the_version_counter():
    x = pf.ones(3, 2, requires_grad=True)
    y = x * 1
    z = y.exp()  # saves y's output... and y is saved by nothing; exp saves its result z
    w = y * y  # saves y
    rows = y.unbind(0)
    with pf.no_grad():
        rows[1].add_(1.0)  # writes into y: its version goes up
    assert y._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward()
    assert z.grad_fn is not None


def test_inplace_on_an_unbind_view_gives_the_right_gradient():
    x = pf.arange(6.0).reshape(2, 3).requires_grad_()
    y = x * 1
    y.unbind(1)[1].mul_(5)  # column 1 of y, scaled in place
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 5, 1], [1, 5, 1]])


def test_unbind_and_stack_like_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((3, 4, 2)).astype(np.float32)
    up = np.random.default_rng(1).standard_normal((4, 3, 2)).astype(np.float32)
    out = []
    for T in (pf, torch):
        x = T.tensor(a, requires_grad=True)
        y = T.stack([r * (i + 1) for i, r in enumerate(x.unbind(1))], 0)
        y.backward(T.tensor(up))
        out.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-6)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)


# ---------------------------------------------------------------- fused cross-entropy
def test_cross_entropy_on_logits_and_indices_is_one_node(monkeypatch):
    x = pf.randn(8, 5, requires_grad=True)
    t = pf.tensor([0, 4, 2, 2, 1, 3, 0, 4])
    loss = F.cross_entropy(x, t)
    assert loss.grad_fn.name() == "CrossEntropyBackward0"
    calls = _count_applies(monkeypatch)
    loss.backward()
    assert calls == ["CrossEntropyGrad"]  # one op: (softmax(x) - onehot) g / N


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(64, 10), (1120, 28), (3, 1)])
def test_fused_cross_entropy_like_torch(reduction, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 3).astype(np.float32)
    t = rng.integers(0, shape[1], shape[0])
    up = rng.standard_normal(shape[0]).astype(np.float32) if reduction == "none" else np.float32(0.7)
    out = []
    for T in (pf, torch):
        x = T.tensor(a, requires_grad=True)
        loss = T.nn.functional.cross_entropy(x, T.tensor(t), reduction=reduction)
        loss.backward(T.tensor(up))
        out.append((loss.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_second_derivatives(reduction):
    x = pf.randn(4, 3, dtype=pf.float64, requires_grad=True)
    t = pf.tensor([2, 0, 1, 2])
    f = (lambda v: F.cross_entropy(v, t, reduction=reduction).sum() ** 2)
    assert pf.autograd.gradcheck(f, (x,))
    assert pf.autograd.gradgradcheck(f, (x,))


def test_cross_entropy_cases_outside_the_fused_op_like_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = rng.standard_normal((6, 4)).astype(np.float32)
    t = np.array([1, 3, 1, 0, 2, 1])
    w = np.array([0.5, 2.0, 1.0, 1.5], np.float32)
    cases = [dict(ignore_index=1), dict(weight=w), dict(label_smoothing=0.1), dict(ignore_index=-100)]
    for kw in cases:
        out = []
        for T in (pf, torch):
            x = T.tensor(a, requires_grad=True)
            k = dict(kw, weight=T.tensor(w)) if "weight" in kw else kw
            loss = T.nn.functional.cross_entropy(x, T.tensor(t), **k)
            loss.backward()
            out.append((loss.item(), x.grad.numpy()))
        assert out[0][0] == pytest.approx(out[1][0], rel=1e-5), kw
        np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-5, atol=1e-6, err_msg=str(kw))
    assert F.cross_entropy(pf.tensor(a), pf.tensor(t), ignore_index=1).grad_fn is None
    with pytest.raises(IndexError, match="out of bounds"):  # a bad target still gets the general path's error
        F.cross_entropy(pf.tensor(a), pf.tensor([0, 1, 2, 3, 4, 0]))


def test_cross_entropy_backward_kernels_agree():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((50, 7))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    t = rng.integers(0, 7, 50)
    for reduction, g in (("mean", np.float64(0.3)), ("sum", np.float64(2.0)), ("none", rng.standard_normal(50))):
        ref = BACKENDS["reference"].cross_entropy_backward(g, p, t, reduction)
        fast = BACKENDS["numpy"].cross_entropy_backward(g, p, t, reduction)
        np.testing.assert_allclose(fast, ref, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- short rows in the NumPy backend
@pytest.mark.parametrize("shape", [(1120, 28), (256, 10), (4096, 3), (8, 16, 48), (32, 32)])
def test_short_row_max_min_sum_are_numpys(shape):
    be = BACKENDS["numpy"]
    a = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    a.reshape(-1, shape[-1])[3, 1] = np.nan  # a NaN row propagates, as in np.max
    a.reshape(-1, shape[-1])[5, :] = -np.inf
    last = a.ndim - 1
    for keep in (False, True):
        np.testing.assert_array_equal(be.reduce_max(a, (last,), keep), np.max(a, axis=-1, keepdims=keep))
        np.testing.assert_array_equal(be.reduce_min(a, last, keep), np.min(a, axis=-1, keepdims=keep))
        got = be.reduce_sum(a, (last,), keep)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, a.astype(np.float64).sum(-1, keepdims=keep), rtol=1e-5, atol=1e-5)


def test_log_softmax_and_softmax_of_short_rows_like_the_reference():
    a = np.random.default_rng(6).standard_normal((1120, 28)).astype(np.float32)
    a[7, 3] = np.inf  # a +inf row comes out NaN in both
    fast, ref = BACKENDS["numpy"], BACKENDS["reference"]
    for got, want in zip(fast.log_softmax(a, 1), ref.log_softmax(a, 1)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fast.softmax(a, 1), ref.softmax(a, 1), rtol=1e-5, atol=1e-7)


def test_relu_kernel_keeps_dtypes_and_nan():
    fast, ref = BACKENDS["numpy"], BACKENDS["reference"]
    for a in (np.array([[-1.0, 2.0], [np.nan, -0.0]], np.float32), np.array([-3, 0, 4]),
              np.array([-1.5, 0.5], np.float16)):
        got, want = fast.relu(a), ref.relu(a)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- the engine's broadcast sums
def test_bias_gradient_is_summed_on_the_array_and_owned(monkeypatch):
    h = pf.randn(5, 3, requires_grad=True)
    b = pf.randn(3, requires_grad=True)
    s = pf.tensor(2.0, requires_grad=True)
    c = pf.randn(5, 1, requires_grad=True)
    y = (h + b) * s + c
    up = pf.randn(5, 3)
    calls = _count_applies(monkeypatch)
    y.backward(up)
    assert "Sum" not in calls and "Reshape" not in calls  # the sums ran on the arrays
    g = up.numpy()
    np.testing.assert_allclose(b.grad.numpy(), (g * 2.0).sum(0), rtol=1e-6)
    np.testing.assert_allclose(c.grad.numpy(), g.sum(1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(s.grad.numpy(), ((h + b).detach().numpy() * g).sum(), rtol=1e-5)
    assert s.grad.shape == () and isinstance(s.grad._data, np.ndarray)
    assert b.grad._data.flags.owndata  # the summed array itself became .grad: no copy


def test_broadcast_sums_stay_differentiable_with_create_graph():
    b = pf.tensor([1.0, 2.0], requires_grad=True)
    x = pf.ones(3, 2)
    (g,) = pf.autograd.grad(((x * b) ** 2).sum(), b, create_graph=True)
    assert g.grad_fn is not None
    g.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [6.0, 6.0])


# ---------------------------------------------------------------- grad mode and scopes
def test_grad_mode_is_written_only_when_it_changes(monkeypatch):
    writes = []
    setter = grad_mode._Enabled.__set__

    def spy(self, state, value):
        writes.append(value)
        setter(self, state, value)

    monkeypatch.setattr(grad_mode._Enabled, "__set__", spy)
    x = pf.ones(2, requires_grad=True)
    loss = (x * 3).sum()
    with pf.no_grad():  # d2l's Trainer: backward and the optimizer step inside no_grad
        loss.backward()
        with pf.no_grad():
            pass
    assert writes == [False, True]  # the block's enter and exit only
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    writes.clear()
    (x * 3).sum().backward()  # outside no_grad: off for the backward, then on again
    assert writes == [False, True] and pf.is_grad_enabled()


def test_module_scopes_close_on_errors():
    class Boom(pf.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    model = pf.nn.Sequential(pf.nn.Linear(2, 2), Boom())
    with pytest.raises(ValueError):
        model(pf.ones(1, 2))
    assert function._SCOPES_OPEN == [] and list(function.SCOPE) == []
    y = model[0](pf.ones(1, 2))
    assert not hasattr(y.grad_fn, "_scope") or y.grad_fn._scope == ("0",)
