"""The per-op speed work of session 5 (issue 13's RNN from scratch, issue 11's overhead) keeps
PyTorch's values, gradients and rules:

- a first-order backward of matmul runs the backend's ``matmul_backward`` on the arrays (no
  transpose or product ops), and it agrees with the recorded (``create_graph``) formula; tanh's
  backward runs its kernel the same way;
- the NumPy backend's 2-D ``matmul`` (``np.dot``), its sums over leading axes (a product with a
  vector of ones) and its ``one_hot`` (a scatter) give the reference backend's values;
- the engine remembers which dims a broadcast gradient sums, and still refuses a bad shape.
"""
import numpy as np
import pytest

import profundo as pf
from profundo._backend import BACKENDS
from profundo.autograd import engine

from test_perf_paths import _count_applies

F = pf.nn.functional
FAST, REF = BACKENDS["numpy"], BACKENDS["reference"]
rng = np.random.default_rng(0)


def _arr(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- matmul
@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
                                    ((1, 3, 4), (2, 4, 5)), ((0, 4), (4, 5))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_numpy_matmul_kernels_equal_the_reference(shapes, dtype):
    a, b = _arr(*shapes[0]).astype(dtype), _arr(*shapes[1]).astype(dtype)
    out = FAST.matmul(a, b)
    np.testing.assert_allclose(out, REF.matmul(a, b), rtol=1e-6, atol=1e-6)
    assert out.dtype == REF.matmul(a, b).dtype
    g = _arr(*out.shape).astype(dtype)
    for need in [(True, True), (True, False), (False, True)]:
        got, want = FAST.matmul_backward(g, a, b, *need), REF.matmul_backward(g, a, b, *need)
        for x, y in zip(got, want):
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6)


def test_matmul_first_order_backward_is_one_kernel(monkeypatch):
    a = pf.randn(3, 4, requires_grad=True)
    w = pf.nn.Parameter(pf.randn(4, 2))
    y = pf.tanh(a @ w)
    calls = _count_applies(monkeypatch)
    y.sum().backward()
    assert "Transpose" not in calls and "Mm" not in calls  # the products ran on the arrays
    assert "TanhGrad" not in calls  # tanh's backward too: its kernel on the arrays
    g = 1 - np.tanh(a.detach().numpy() @ w.detach().numpy()) ** 2
    np.testing.assert_allclose(a.grad.numpy(), g @ w.detach().numpy().T, rtol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), a.detach().numpy().T @ g, rtol=1e-5)
    assert w.grad._data.flags.owndata  # the product became .grad without a copy


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((2, 3, 4), (4, 2)), ((2, 3, 4), (1, 4, 2))])
def test_matmul_backward_kernel_agrees_with_the_recorded_formula(shapes):
    a = pf.tensor(_arr(*shapes[0], dtype=np.float64), requires_grad=True)
    b = pf.tensor(_arr(*shapes[1], dtype=np.float64), requires_grad=True)
    up = pf.tensor(_arr(*np.broadcast_shapes(shapes[0][:-2], shapes[1][:-2]), shapes[0][-2], shapes[1][-1],
                        dtype=np.float64))
    fast = pf.autograd.grad(a @ b, (a, b), up)
    recorded = pf.autograd.grad(a @ b, (a, b), up, create_graph=True)
    assert all(g.grad_fn is not None for g in recorded)
    for x, y in zip(fast, recorded):
        assert x.shape == y.shape
        np.testing.assert_allclose(x.numpy(), y.detach().numpy(), rtol=1e-12)
    # the recorded gradients are differentiable: second derivatives as PyTorch's
    assert pf.autograd.gradgradcheck(lambda x, y: x @ y, (a, b))


def test_matmul_of_a_parameter_like_torch():
    torch = pytest.importorskip("torch")
    x = _arr(5, 3)
    w = _arr(3, 4)
    outs = []
    for T in (pf, torch):
        p = T.nn.Parameter(T.tensor(w))
        y = T.matmul(T.tensor(x), p)
        (y * y).sum().backward()
        outs.append((y.detach().numpy(), p.grad.numpy()))
    for u, v in zip(*outs):
        np.testing.assert_allclose(u, v, rtol=1e-5)


# ---------------------------------------------------------------- sums over leading axes
@pytest.mark.parametrize("shape,axis", [((32, 32), 0), ((32, 28), (0,)), ((5, 3, 4), (0, 1)), ((5, 3, 4), 0),
                                        ((2, 3), 0), ((1, 7), 0), ((7, 1), 0), ((4, 3, 2, 2), (0, 1, 2))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("keepdims", [False, True])
def test_leading_sums_equal_the_reference(shape, axis, dtype, keepdims):
    a = _arr(*shape).astype(dtype)
    got, want = FAST.reduce_sum(a, axis, keepdims), REF.reduce_sum(a, axis, keepdims)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-3 if dtype == np.float16 else 1e-5, atol=1e-5)


def test_leading_sums_keep_nan_inf_and_signed_zeros_like_the_reference():
    a = np.array([[np.inf, 1.0, -0.0, np.nan], [-np.inf, 2.0, -0.0, 1.0], [1.0, np.inf, -0.0, 0.0]], np.float32)
    with np.errstate(invalid="ignore"):
        got, want = FAST.reduce_sum(a, 0), REF.reduce_sum(a, 0)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("make", [lambda a: a.T, lambda a: a[:, ::2], lambda a: a[::2]])
def test_leading_sums_of_strided_arrays_equal_the_reference(make):
    a = make(_arr(6, 8))
    np.testing.assert_allclose(FAST.reduce_sum(a, 0), REF.reduce_sum(a, 0), rtol=1e-5, atol=1e-6)


def test_a_leading_sum_is_an_array_of_its_own_and_the_ones_are_never_written():
    a = _arr(4, 3)
    out = FAST.reduce_sum(a, 0)
    assert out.flags.owndata and out.flags.c_contiguous
    out[:] = 100.0  # writing the result must not change the next sum (the ones vector is private)
    np.testing.assert_allclose(FAST.reduce_sum(a, 0), a.sum(0), rtol=1e-6)


def test_sum_over_the_first_dim_like_torch():
    torch = pytest.importorskip("torch")
    x = _arr(6, 4, 3)
    for dim, keepdim in [(0, False), ((0, 1), True), (0, True)]:
        np.testing.assert_allclose(pf.tensor(x).sum(dim, keepdim=keepdim).numpy(),
                                   torch.tensor(x).sum(dim, keepdim=keepdim).numpy(), rtol=1e-5)


# ---------------------------------------------------------------- one_hot
@pytest.mark.parametrize("shape,n", [((35, 32), 28), ((5,), 5), ((2, 3, 4), 7), ((0,), 3), ((0, 2), 0), ((3,), 1)])
def test_one_hot_kernels_agree(shape, n):
    idx = rng.integers(0, max(n, 1), shape)
    got, want = FAST.one_hot(idx, n), REF.one_hot(idx, n)
    assert got.shape == want.shape == shape + (n,) and got.dtype == want.dtype == np.int64
    np.testing.assert_array_equal(got, want)


def test_one_hot_like_torch():
    torch = pytest.importorskip("torch")
    idx = rng.integers(0, 6, (4, 3))
    for n in (-1, 6, 9):
        got = F.one_hot(pf.tensor(idx), n)
        want = torch.nn.functional.one_hot(torch.tensor(idx), n)
        assert got.dtype == pf.int64
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(F.one_hot(pf.tensor(idx).T, 6).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(idx).T, 6).numpy())


def test_one_hot_of_an_empty_tensor_needs_num_classes():
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor"):
        F.one_hot(pf.tensor([], dtype=pf.int64))
    assert F.one_hot(pf.tensor([], dtype=pf.int64), 4).shape == (0, 4)
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(pf.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(pf.tensor([0, -1]), 3)


# ---------------------------------------------------------------- the engine's remembered broadcast dims
def test_broadcast_gradients_sum_the_right_dims_when_shapes_recur():
    for _ in range(3):  # the second and third passes use the remembered dims
        for shape in [(3,), (1, 3), (4, 1), (2, 1, 3), ()]:
            b = pf.randn(*shape, requires_grad=True)
            x = pf.randn(2, 4, 3)
            (x * b).sum().backward()
            want = np.broadcast_to(np.ones(()), (2, 4, 3)) * x.numpy()
            lead = 3 - len(shape)
            dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1)
            np.testing.assert_allclose(b.grad.numpy(), want.sum(dims).reshape(shape), rtol=1e-5)


def test_a_bad_gradient_shape_is_refused_even_after_good_ones():
    class Wrong(pf.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return pf.ones(4, 2)  # the input is (2, 4)

    x = pf.randn(2, 4, requires_grad=True)
    (x + pf.zeros(3, 2, 4)).sum().backward()  # a good (3, 2, 4) -> (2, 4) sum, remembered
    assert engine._expandable((2, 4), (3, 2, 4))
    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        Wrong.apply(x).sum().backward()


def test_tanh_first_order_and_recorded_backward_agree():
    x = pf.tensor(_arr(4, 3, dtype=np.float64), requires_grad=True)
    up = pf.tensor(_arr(4, 3, dtype=np.float64))
    (fast,) = pf.autograd.grad(pf.tanh(x), x, up)
    (recorded,) = pf.autograd.grad(pf.tanh(x), x, up, create_graph=True)
    assert fast.grad_fn is None and recorded.grad_fn is not None
    np.testing.assert_allclose(fast.numpy(), recorded.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(fast.numpy(), up.numpy() * (1 - np.tanh(x.detach().numpy()) ** 2), rtol=1e-12)
