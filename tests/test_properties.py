"""Property tests (hypothesis): random shapes and broadcasting, and random
DAGs with reused nodes checked against finite differences."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import profundo as pf

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def broadcastable_shapes(draw):
    ndim = draw(st.integers(0, 4))
    base = draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
    a = [s if draw(st.booleans()) else 1 for s in base]
    b = [s if draw(st.booleans()) else 1 for s in base]
    a = a[draw(st.integers(0, len(a))):]  # drop some leading dims
    b = b[draw(st.integers(0, len(b))):]
    return tuple(a), tuple(b)


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1), "maximum": lambda a, b: pf.maximum(a, b) if isinstance(a, pf.Tensor)
    else np.maximum(a, b),
}


@SETTINGS
@given(broadcastable_shapes(), st.sampled_from(sorted(BINARY)), st.integers(0, 2**31))
def test_binary_broadcasting_matches_numpy_and_unbroadcasts_grads(shapes, name, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    f = BINARY[name]
    ta, tb = pf.tensor(a, requires_grad=True), pf.tensor(b, requires_grad=True)
    out = f(ta, tb)
    expected = f(a, b)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    out.sum().backward()
    assert ta.grad.shape == ta.shape and tb.grad.shape == tb.shape  # the one unbroadcast rule


@SETTINGS
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(0, 2**31), st.data())
def test_reductions_over_random_dims(shape, seed, data):
    x = np.random.default_rng(seed).standard_normal(shape)
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape)))
    keep = data.draw(st.booleans())
    t = pf.tensor(x, requires_grad=True)
    d = tuple(dims) if dims else None
    for ours, ref in [(t.sum(d, keep), np.sum(x, axis=d, keepdims=keep)),
                      (t.mean(d, keep), np.mean(x, axis=d, keepdims=keep)),
                      (t.amax(d if d else (), keep), np.max(x, axis=d, keepdims=keep))]:
        np.testing.assert_allclose(ours.detach().numpy(), ref, rtol=1e-12)
        ours.sum().backward()
        assert t.grad.shape == t.shape
        t.grad = None


UNARY = [lambda x: x.exp(), lambda x: x.tanh(), lambda x: x.sigmoid(), lambda x: x.sin(), lambda x: x * x,
         lambda x: (x * x + 1).log(), lambda x: (x * x + 1).sqrt()]
BIN = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a / (b * b + 1)]


@st.composite
def random_dags(draw):
    """A list of steps; each step combines earlier nodes (reuse allowed)."""
    n = draw(st.integers(1, 12))
    steps = []
    for i in range(n):
        k = 2 + i  # two inputs + earlier nodes
        if draw(st.booleans()):
            steps.append(("u", draw(st.integers(0, len(UNARY) - 1)), draw(st.integers(0, k - 1))))
        else:
            steps.append(("b", draw(st.integers(0, len(BIN) - 1)), draw(st.integers(0, k - 1)),
                          draw(st.integers(0, k - 1))))
    return steps


def _evaluate(steps, a, b):
    nodes = [a, b]
    for s in steps:
        if s[0] == "u":
            nodes.append(UNARY[s[1]](nodes[s[2]]))
        else:
            nodes.append(BIN[s[1]](nodes[s[2]], nodes[s[3]]))
    # every node contributes, so reused and dead-end nodes are all exercised
    total = nodes[0]
    for v in nodes[1:]:
        total = total + v * 0.5
    return total.sum()


@SETTINGS
@given(random_dags(), st.integers(0, 2**31))
def test_random_dags_match_finite_differences(steps, seed):
    rng = np.random.default_rng(seed)
    a0, b0 = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    a, b = pf.tensor(a0, requires_grad=True), pf.tensor(b0, requires_grad=True)
    out = _evaluate(steps, a, b)
    # finite differences lose all precision once values get huge (rounding of f / eps)
    assume(np.isfinite(out.item()) and abs(out.item()) < 1e3)
    out.backward()
    eps = 1e-6
    for leaf, base, other, first in [(a, a0, b0, True), (b, b0, a0, False)]:
        num = np.zeros(3)
        for i in range(3):
            p, m = base.copy(), base.copy()
            p[i] += eps
            m[i] -= eps
            fp = _evaluate(steps, *(pf.tensor(p), pf.tensor(other))[:: 1 if first else -1]).item()
            fm = _evaluate(steps, *(pf.tensor(m), pf.tensor(other))[:: 1 if first else -1]).item()
            num[i] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(leaf.grad.numpy(), num, rtol=1e-4, atol=1e-5)


@SETTINGS
@given(st.lists(st.integers(1, 3), min_size=2, max_size=4), st.integers(0, 2**31), st.data())
def test_permute_reshape_roundtrip_grads(shape, seed, data):
    x = np.random.default_rng(seed).standard_normal(shape)
    perm = data.draw(st.permutations(range(len(shape))))
    t = pf.tensor(x, requires_grad=True)
    y = t.permute(*perm).reshape(-1)
    np.testing.assert_array_equal(y.detach().numpy(), np.transpose(x, perm).reshape(-1))
    w = np.arange(y.numel(), dtype=np.float64)
    (y * pf.tensor(w)).sum().backward()
    expected = np.transpose(w.reshape(np.transpose(x, perm).shape), np.argsort(perm))
    np.testing.assert_array_equal(t.grad.numpy(), expected)


@pytest.mark.parametrize("n", [1, 5])
def test_matmul_batched_broadcast_grads(n):
    rng = np.random.default_rng(n)
    a = pf.tensor(rng.standard_normal((n, 1, 2, 3)), requires_grad=True)
    b = pf.tensor(rng.standard_normal((4, 3, 2)), requires_grad=True)
    assert pf.autograd.gradcheck(lambda x, y: x @ y, (a, b))


@SETTINGS
@given(random_dags(), st.integers(0, 2**31))
def test_random_dags_match_torch(steps, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    a0, b0 = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    ours = [pf.tensor(a0, requires_grad=True), pf.tensor(b0, requires_grad=True)]
    ref = [torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    out, out_ref = _evaluate(steps, *ours), _evaluate(steps, *ref)
    assume(np.isfinite(out_ref.item()))
    np.testing.assert_allclose(out.item(), out_ref.item(), rtol=1e-10)
    out.backward()
    out_ref.backward()
    for p, t in zip(ours, ref):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)
