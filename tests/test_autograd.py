"""Autograd semantics (no PyTorch needed): accumulation, grad modes, graph
freeing, errors, higher order, custom Functions, anomaly mode."""
import gc
import sys
import weakref

import numpy as np
import pytest

import profundo as pf
from profundo.autograd import Function


def leaf(values, dtype=pf.float64):
    return pf.tensor(values, dtype=dtype, requires_grad=True)


def test_grad_accumulates_and_resets():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    g = x.grad
    x.grad.zero_()
    (x * 2).sum().backward()
    assert x.grad is g  # accumulated in place: the same tensor object
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_shared_gradient_arrays_are_not_aliased():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()  # AddBackward sends the same gradient to both
    a.grad.add_(10)
    assert b.grad.item() == 1.0


def test_a_gradient_a_hook_kept_is_not_modified_later():
    x = leaf([1.0, 2.0])
    kept = []
    x.register_hook(lambda g: kept.append(g))
    (x * 3).sum().backward()
    (x * 3).sum().backward()  # accumulates into x.grad in place
    assert x.grad.tolist() == [6.0, 6.0]
    assert kept[0].tolist() == [3.0, 3.0]


def test_reused_nodes_and_diamonds():
    x = leaf([1.5, -2.0])
    y = x * x          # used twice below
    z = (y + y * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy() + 3 * x.detach().numpy() ** 2)
    w = leaf([3.0])
    (w + w).sum().backward()
    assert w.grad.item() == 2.0


def test_grad_fn_names_and_leaves():
    x = leaf([1.0, 2.0])
    y = x * 2
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert y.grad_fn.name() == "MulBackward0"
    assert repr(y).endswith("grad_fn=<MulBackward0>)")
    assert x.is_leaf and not y.is_leaf and x.grad_fn is None
    nxt = y.grad_fn.next_functions[0][0]
    assert type(nxt).__name__ == "AccumulateGrad" and nxt.variable is x
    assert type(x.sum().grad_fn).__name__ == "SumBackward0"
    assert type(x.exp().grad_fn).__name__ == "ExpBackward0"
    assert type((x @ x).grad_fn).__name__ == "DotBackward0"


def test_no_grad_only_stops_recording():
    x = leaf([1.0, 2.0])
    loss = (x ** 2).sum()
    with pf.no_grad():
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None
        loss.backward()  # d2l's Trainer does this: still works
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_grad_mode_managers_and_decorators():
    x = leaf([1.0])

    @pf.no_grad()
    def f1(t):
        return t * 2

    @pf.no_grad
    def f2(t):
        return t * 2

    @pf.enable_grad()
    def f3(t):
        return t * 2

    assert not f1(x).requires_grad and not f2(x).requires_grad
    with pf.no_grad():
        assert f3(x).requires_grad
        with pf.enable_grad():
            assert (x * 2).requires_grad
    pf.set_grad_enabled(False)
    assert not pf.is_grad_enabled()
    pf.set_grad_enabled(True)
    with pf.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert pf.is_grad_enabled()

    @pf.set_grad_enabled(False)
    def f4(t):
        return t * 2
    assert pf.is_grad_enabled()  # decorating does not change the mode
    assert not f4(x).requires_grad
    with pf.inference_mode():
        assert not (x * 2).requires_grad
    with pf.inference_mode(False):
        assert (x * 2).requires_grad


def test_backward_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        pf.tensor([1.0]).sum().backward()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        pf.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(pf.ones(3, dtype=pf.float64))
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf([1.0, 2.0])
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]))


def test_non_scalar_backward_with_gradient():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(gradient=pf.tensor([1.0, 0.1, 0.01], dtype=pf.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.4, 0.06])


def test_saved_arrays_are_freed_after_backward():
    x = leaf(np.random.default_rng(0).random(1000))
    y = x.exp()
    z = y.sin()            # SinBackward0 saves y
    arr = weakref.ref(y._data)
    del y
    gc.collect()
    assert arr() is not None  # the graph keeps it for backward
    z.sum().backward()
    gc.collect()
    assert arr() is None      # ... and lets it go afterwards


def test_retain_grad_and_hooks():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    seen = []
    h = y.register_hook(lambda g: seen.append(g.clone()))
    x.register_hook(lambda g: g * 10)  # replaces the gradient of x
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(seen[0].numpy(), [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [180.0, 360.0])
    h.remove()
    with pytest.warns(UserWarning, match="not a leaf"):
        assert (x * 2).grad is None


def test_detach_and_requires_grad_flags():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5.0  # shares memory with x
    assert x[0].item() == 5.0
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad
    t = pf.tensor([1.0])
    assert t.requires_grad_() is t and t.requires_grad


def test_autograd_grad_api():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (x * w).sum()
    gx, gw = pf.autograd.grad(y, [x, w], retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None  # grad() does not accumulate
    unused = leaf([0.0])
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        pf.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = pf.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gu is None
    (gm,) = pf.autograd.grad(y, [unused], allow_unused=True, materialize_grads=True)
    assert gm.tolist() == [0.0]


def test_grad_of_intermediate():
    x = leaf([1.0, 2.0])
    h = x * 2
    y = (h ** 2).sum()
    (gh,) = pf.autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())


def test_backward_inputs_argument():
    x, w = leaf([1.0]), leaf([2.0])
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.item() == 1.0


def test_second_derivatives_and_hvp():
    x = leaf([1.0, 2.0])
    y = (x ** 3).sum()
    (g,) = pf.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    assert g.requires_grad
    (h,) = pf.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [6.0, 12.0])
    # Hessian-vector product of f(x) = sum(sin(x) * x)
    x = leaf([0.5, -1.0, 2.0])
    v = pf.tensor([1.0, 0.5, -2.0], dtype=pf.float64)
    (g,) = pf.autograd.grad((x.sin() * x).sum(), x, create_graph=True)
    (hv,) = pf.autograd.grad(g, x, grad_outputs=v)
    xn = x.detach().numpy()
    hess_diag = 2 * np.cos(xn) - xn * np.sin(xn)
    np.testing.assert_allclose(hv.numpy(), hess_diag * v.numpy(), rtol=1e-12)
    # backward(create_graph=True) leaves a differentiable .grad
    x = leaf([2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (h,) = pf.autograd.grad(x.grad.sum(), x)
    assert h.item() == pytest.approx(12.0)


def test_first_order_backward_records_no_graph():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    seen = []
    x.register_hook(lambda g: seen.append(g))
    y.backward()
    assert not seen[0].requires_grad and seen[0].grad_fn is None
    assert not x.grad.requires_grad


def test_deep_graph_has_no_recursion_limit():
    x = leaf([1.0])
    y = x
    n = 100_000
    for _ in range(n):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0
    assert n > sys.getrecursionlimit()
    del y  # freeing a 100,000-deep chain must not crash either


class MyExp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


class ScaleBy(Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        assert ctx.needs_input_grad == (True, False)
        return g * ctx.k, None


def test_custom_function_like_torch():
    x = leaf([0.5, 1.0])
    y = MyExp.apply(x)
    assert type(y.grad_fn).__name__ == "MyExpBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]))
    assert pf.autograd.gradcheck(MyExp.apply, (leaf([0.3, -0.2]),))
    assert pf.autograd.gradgradcheck(MyExp.apply, (leaf([0.3, -0.2]),))
    x = leaf([1.0, 2.0])
    ScaleBy.apply(x, 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3


def test_gradcheck_catches_a_wrong_backward():
    x = leaf([1.0, 2.0])
    with pytest.raises(pf.autograd.GradcheckError, match="Jacobian mismatch"):
        pf.autograd.gradcheck(WrongGrad.apply, (x,))
    assert pf.autograd.gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_backward_with_wrong_gradient_count_or_shape():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, g

    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return pf.ones(5, dtype=pf.float64)

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TooMany.apply(leaf([1.0])).sum().backward()
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        BadShape.apply(leaf([1.0, 2.0])).sum().backward()


def test_anomaly_mode_names_the_op_and_line():
    x = leaf([0.0, 1.0])
    with pf.autograd.detect_anomaly():
        y = x.sqrt() * 0  # d/dx sqrt(x) at 0 is inf; inf * 0 = nan
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
    msg = str(e.value)
    assert "returned nan values" in msg and "test_autograd.py" in msg and "x.sqrt() * 0" in msg
    assert "Pista:" in msg
    pf.autograd.set_detect_anomaly(True)
    assert pf.autograd.is_anomaly_enabled()
    pf.autograd.set_detect_anomaly(False)
    # without anomaly mode the same graph silently gives nan, like PyTorch
    x.grad = None
    (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])


def test_gradient_dtype_follows_the_input():
    x = leaf([1.0, 2.0], dtype=pf.float32)
    y = (x.double() * pf.tensor([1.0, 2.0], dtype=pf.float64)).sum()
    y.backward()
    assert x.grad.dtype == pf.float32
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0])


def test_integer_outputs_do_not_require_grad():
    x = leaf([1.0, 3.0, 2.0])
    values, indices = x.max(dim=0)
    assert values.requires_grad and not indices.requires_grad
    assert not x.argmax().requires_grad and not (x > 1).requires_grad
    assert not x.long().requires_grad


class SortWithIndex(Function):
    """Two outputs: values (differentiable) and indices (marked non-differentiable)."""

    @staticmethod
    def forward(ctx, x):
        order = np.argsort(x.detach().numpy(), kind="stable")
        idx = pf.tensor(order.astype(np.float64))  # a float output, explicitly non-differentiable
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(pf.tensor(order))
        return x[pf.tensor(order)], idx

    @staticmethod
    def backward(ctx, g_values, g_idx):
        (order,) = ctx.saved_tensors
        assert g_idx is None or float(g_idx.abs().sum()) == 0.0
        g = pf.zeros_like(g_values)
        g[order] = g_values
        return g


class SplitHalves(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        n = x.shape[0] // 2
        return x[:n].clone(), x[n:].clone()

    @staticmethod
    def backward(ctx, g1, g2):
        ctx.seen = (g1 is None, g2 is None)
        parts = [g if g is not None else pf.zeros(2, dtype=pf.float64) for g in (g1, g2)]
        return pf.cat(parts)


def test_custom_function_with_several_outputs():
    x = leaf([3.0, 1.0, 2.0])
    values, idx = SortWithIndex.apply(x)
    assert values.requires_grad and not idx.requires_grad and idx.dtype == pf.float64
    (values * pf.tensor([1.0, 10.0, 100.0], dtype=pf.float64)).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]
    x = leaf([1.0, 2.0, 3.0, 4.0])
    a, b = SplitHalves.apply(x)
    (a * 2).sum().backward()  # b gets no gradient: backward sees None, not zeros
    assert a.grad_fn.seen == (False, True)
    assert x.grad.tolist() == [2.0, 2.0, 0.0, 0.0]


def test_custom_backward_returning_a_kept_tensor_is_copied_into_grad():
    # a leaf's .grad may take a built-in op's fresh gradient without a copy, but
    # not an array a custom backward also keeps: accumulating into it would change it
    class Scale(pf.autograd.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(w)
            return x * w

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return w, None

    class RawArray(pf.autograd.Function):
        kept = np.array([1.0, 2.0, 3.0])

        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return RawArray.kept

    x = leaf([1.0, 1.0, 1.0])
    w = pf.tensor([1.0, 2.0, 3.0], dtype=pf.float64)
    for _ in range(2):
        Scale.apply(x, w).sum().backward()
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    y = leaf([1.0, 1.0, 1.0])
    for _ in range(2):
        RawArray.apply(y).sum().backward()
    np.testing.assert_array_equal(RawArray.kept, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 4.0, 6.0])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_a_0d_tensor_like_torch(name):
    torch = pytest.importorskip("torch")
    for dim in (0, -1):
        x = leaf(1.5)
        t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
        y, u = getattr(pf, name)(x, dim), getattr(torch, name)(t, dim)
        (y * 3.0).backward()
        (u * 3.0).backward()
        assert y.shape == () and float(y) == pytest.approx(float(u))
        assert float(x.grad) == pytest.approx(float(t.grad), abs=1e-12)
