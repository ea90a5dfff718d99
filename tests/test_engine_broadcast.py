"""The engine keeps a gradient in its op's broadcast shape until the node it
goes to runs, adds same-shaped gradients meanwhile and sums down once: every
way a gradient is seen (hooks, retain_grad, autograd.grad, create_graph, a
row-sparse gradient joining it, errors) must still see the input's shape."""
import numpy as np
import pytest

import profundo

torch = pytest.importorskip("torch")


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((5, 4, 3)), rng.standard_normal(3), rng.standard_normal((4, 3)),
            rng.standard_normal((2, 3)))


def _bias_graph(T, xs, b, w, extra):
    """b broadcast into many products (as an RNN's bias over time steps), once used at its own shape,
    and once broadcast into a gradient of another shape."""
    total = 0
    for x in xs:  # 5 gradients of shape (4, 3)
        total = total + (T.tanh(x * w + b) ** 2).sum()
    total = total + (b * b).sum()  # one of b's own shape
    return total + ((extra + b) ** 3).sum()  # one of shape (2, 3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_bias_broadcast_many_times_gets_torch_gradient(backend, dtype):
    x, b, w, e = _data()
    grads, seen = [], []
    for T in (profundo, torch):
        dt = getattr(T, dtype)
        xs = list(T.tensor(x, dtype=dt).unbind(0))
        bt = T.tensor(b, dtype=dt, requires_grad=True)
        hooks = []
        bt.register_hook(lambda g, hooks=hooks: hooks.append(tuple(g.shape)))
        _bias_graph(T, xs, bt, T.tensor(w, dtype=dt), T.tensor(e, dtype=dt)).backward()
        grads.append(bt.grad.numpy())
        seen.append(hooks)
    assert seen[0] == seen[1] == [(3,)]  # the hook runs once, on the summed gradient of b's shape
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads[0], grads[1], **tol)


def test_retain_grad_and_autograd_grad_see_the_input_shape(backend):
    x, b, w, e = _data(1)
    out = []
    for T in (profundo, torch):
        bt = T.tensor(b, requires_grad=True)
        h = bt * 2  # a non-leaf broadcast into every product
        h.retain_grad()
        loss = _bias_graph(T, list(T.tensor(x).unbind(0)), h, T.tensor(w), T.tensor(e))
        (gb,) = T.autograd.grad(loss, bt, retain_graph=True)
        (gh,) = T.autograd.grad(loss, h, retain_graph=True)
        loss.backward()
        assert tuple(h.grad.shape) == (3,) and tuple(gh.shape) == (3,) and tuple(gb.shape) == (3,)
        out.append([gb.numpy(), gh.numpy(), h.grad.numpy(), bt.grad.numpy()])
    for a, c in zip(*out):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_create_graph_through_broadcast_gradients_matches_torch(backend):
    x, b, w, e = _data(2)
    out = []
    for T in (profundo, torch):
        bt = T.tensor(b, requires_grad=True)
        wt = T.tensor(w, requires_grad=True)
        loss = _bias_graph(T, list(T.tensor(x).unbind(0)), bt, wt, T.tensor(e))
        (gb,) = T.autograd.grad(loss, bt, create_graph=True)
        (gb * gb).sum().backward()
        out.append([gb.detach().numpy(), bt.grad.numpy(), wt.grad.numpy()])
    for a, c in zip(*out):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12)


def test_a_row_sparse_gradient_joins_broadcast_ones(backend):
    # an embedding table (sparse gradient) also broadcast-added to activations (dense, other shape)
    rng = np.random.default_rng(3)
    weight = rng.standard_normal((6, 3))
    idx = np.array([[0, 2], [2, 5]])
    acts = rng.standard_normal((4, 6, 3))
    emb = profundo.nn.Embedding(6, 3, sparse=True)
    emb.weight.data = profundo.tensor(weight)
    loss = (emb(profundo.tensor(idx)) ** 2).sum() + ((profundo.tensor(acts) + emb.weight) ** 2).sum() \
        + (profundo.tensor(acts[:1]) * emb.weight).sum()
    loss.backward()
    tw = torch.tensor(weight, requires_grad=True)
    tl = (torch.nn.functional.embedding(torch.tensor(idx), tw) ** 2).sum() + ((torch.tensor(acts) + tw) ** 2).sum() \
        + (torch.tensor(acts[:1]) * tw).sum()
    tl.backward()
    g = emb.weight.grad
    dense = g.to_dense() if g.is_sparse else g
    np.testing.assert_allclose(dense.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_a_gradient_that_does_not_broadcast_is_still_named_at_its_op(backend):
    class Bad(profundo.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return profundo.ones(7, 7)

    x = profundo.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Function BadBackward returned an invalid gradient at index 0"):
        (Bad.apply(x) + x).sum().backward()
