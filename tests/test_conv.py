"""Convolution layers (issue 12): nn.Conv1d/Conv2d/LazyConv2d/ConvTranspose2d/Unfold/Fold.

Without PyTorch: values against a plain loop over output positions, gradcheck/gradgradcheck of the
layers, lazy initialization, init bounds, errors.  With PyTorch (the ``torch`` fixture skips
otherwise): every layer against torch's with copied weights in float64 (values and gradients),
repr, state_dict keys, padding modes, error types.
"""
import itertools
import math

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo._errors import is_checked
from profundo.autograd import gradcheck, gradgradcheck
from profundo.nn import functional as F

pytestmark = pytest.mark.usefixtures("backend")  # every test on both CPU backends


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def loop_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """The definition, one output value at a time (the oracle that needs no PyTorch)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for i, f, r, s in itertools.product(range(n), range(o), range(oh), range(ow)):
        g = f // og
        patch = xp[i, g * cg:(g + 1) * cg, r * stride[0]:r * stride[0] + dilation[0] * (kh - 1) + 1:dilation[0],
                   s * stride[1]:s * stride[1] + dilation[1] * (kw - 1) + 1:dilation[1]]
        out[i, f, r, s] = (patch * w[f]).sum() + (0 if b is None else b[f])
    return out


def t64(a, requires_grad=False):
    return profundo.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------ values without torch
@pytest.mark.parametrize("kw", [dict(), dict(stride=(2, 1), padding=(1, 2)), dict(dilation=(2, 1), groups=2),
                                dict(stride=(3, 2), padding=(2, 0), dilation=(1, 2), groups=4)])
def test_conv2d_matches_the_loop_definition(kw):
    rng = np.random.default_rng(0)
    groups = kw.get("groups", 1)
    x, w, b = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((8, 4 // groups, 3, 2)), rng.standard_normal(8)
    full = dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1)
    full.update(kw)
    got = F.conv2d(t64(x), t64(w), t64(b), **kw).numpy()
    np.testing.assert_allclose(got, loop_conv2d(x, w, b, **full), rtol=1e-12, atol=1e-12)


def test_unfold_then_matmul_is_conv2d_and_fold_is_its_adjoint():
    rng = np.random.default_rng(1)
    x, w = t64(rng.standard_normal((2, 3, 6, 5))), t64(rng.standard_normal((4, 3, 3, 2)))
    cols = F.unfold(x, (3, 2), padding=1, stride=(2, 1))                    # (N, C * K, L)
    y = F.conv2d(x, w, padding=1, stride=(2, 1))
    np.testing.assert_allclose((w.reshape(4, -1) @ cols).reshape(y.shape).numpy(), y.numpy(), atol=1e-12)
    # <unfold(x), c> = <x, fold(c)> for any c: fold is unfold's adjoint
    c = t64(rng.standard_normal(tuple(cols.shape)))
    lhs = (cols * c).sum().item()
    rhs = (x * F.fold(c, (6, 5), (3, 2), padding=1, stride=(2, 1))).sum().item()
    assert math.isclose(lhs, rhs, rel_tol=1e-12)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(2)
    x, w = t64(rng.standard_normal((2, 4, 7, 6))), t64(rng.standard_normal((6, 2, 3, 3)))
    y = F.conv2d(x, w, stride=2, padding=1, groups=2)
    g = t64(rng.standard_normal(tuple(y.shape)))
    back = F.conv_transpose2d(g, w, stride=2, padding=1, groups=2, output_padding=(0, 1))
    assert back.shape == x.shape
    assert math.isclose((y * g).sum().item(), (x * back).sum().item(), rel_tol=1e-12)


def test_unbatched_input_is_one_example_of_a_batch():
    rng = np.random.default_rng(3)
    conv = nn.Conv2d(3, 5, 3, padding=1).double()
    x = t64(rng.standard_normal((3, 6, 6)))
    y = conv(x)
    assert y.shape == (5, 6, 6)
    np.testing.assert_allclose(y.detach().numpy(), conv(x.unsqueeze(0))[0].detach().numpy(), atol=1e-12)
    c1 = nn.Conv1d(2, 4, 3, padding="same").double()
    z = t64(rng.standard_normal((2, 7)))
    assert c1(z).shape == (4, 7)


@pytest.mark.parametrize("kw", [dict(padding=1), dict(padding=(2, 0), dilation=(1, 2)), dict(padding="same"),
                                dict(padding=(0, 3), groups=2)])
def test_examples_stay_apart_and_backends_agree(kw):
    # the NumPy backend's stride-1 kernels lay every (N, C) plane in one flat row and read past a
    # plane's end into the next one; what they read there lands only in discarded columns
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4, 6, 7))
    x[1] = np.inf
    w = rng.standard_normal((4, 4 // kw.get("groups", 1), 3, 2))
    px = t64(x, requires_grad=True)
    y = F.conv2d(px, t64(w), **kw)
    out = y.detach().numpy()
    assert np.isfinite(out[[0, 2]]).all()
    g = rng.standard_normal(out.shape)
    g[1] = np.inf
    y.backward(t64(g))
    assert np.isfinite(px.grad.numpy()[[0, 2]]).all()
    before = profundo.get_backend()
    profundo.set_backend("reference" if before == "numpy" else "numpy")
    try:
        other = t64(x, requires_grad=True)
        z = F.conv2d(other, t64(w), **kw)
        z.backward(t64(g))
    finally:
        profundo.set_backend(before)
    np.testing.assert_allclose(out[[0, 2]], z.detach().numpy()[[0, 2]], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(px.grad.numpy()[[0, 2]], other.grad.numpy()[[0, 2]], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ gradients without torch
@pytest.mark.parametrize("make", [
    lambda: nn.Conv2d(2, 2, 2, padding=1, stride=2),
    lambda: nn.Conv2d(2, 2, 2, groups=2, padding="same", padding_mode="reflect"),
    lambda: nn.Conv2d(1, 2, (2, 1), padding=1, padding_mode="circular", bias=False),
    lambda: nn.Conv2d(1, 1, 2, padding=1, padding_mode="replicate", dilation=2),
    lambda: nn.Conv1d(2, 2, 2, padding=1, padding_mode="reflect"),
    lambda: nn.ConvTranspose2d(2, 1, 2, stride=2, output_padding=1),
])
def test_layers_pass_gradcheck_and_gradgradcheck(make):
    layer = make().double()
    shape = (1, 2, 3) if isinstance(layer, nn.Conv1d) else (1, layer.in_channels, 3, 3)
    x = t64(np.random.default_rng(4).standard_normal(shape), requires_grad=True)
    params = [p for p in layer.parameters()]
    names = [n for n, _ in layer.named_parameters()]

    def f(x, *ps):
        return _call_with(layer, names, ps, x)
    assert gradcheck(f, (x, *params))
    assert gradgradcheck(f, (x, *params))


def _call_with(layer, names, ps, x):
    saved = {n: getattr(layer, n) for n in names}
    try:
        for n, p in zip(names, ps):
            layer._parameters[n] = p
        return layer(x)
    finally:
        for n, p in saved.items():
            layer._parameters[n] = p


def test_double_backward_of_conv2d_gives_the_hessian_vector_product():
    # d/dx <grad_x <conv(x, w), g>, v> = 0 (linear in x) but d/dw of it is not: conv_transpose's weight grad
    rng = np.random.default_rng(5)
    x = t64(rng.standard_normal((2, 2, 5, 5)), requires_grad=True)
    w = t64(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    g, v = t64(rng.standard_normal((2, 3, 3, 3))), t64(rng.standard_normal((2, 2, 5, 5)))
    (gx,) = profundo.autograd.grad(F.conv2d(x, w), x, g, create_graph=True)
    (gw,) = profundo.autograd.grad((gx * v).sum(), w)
    # <conv^T(g, w), v> = <g, conv(v, w)>, so its gradient in w is the weight gradient of conv(v, w) for g
    (expected,) = profundo.autograd.grad(F.conv2d(v, w), w, g)
    np.testing.assert_allclose(gw.numpy(), expected.numpy(), atol=1e-12)


def test_kept_columns_are_used_once_and_a_second_backward_recomputes_them():
    # the forward keeps its im2col columns for the weight gradient; the backward drops them, so a
    # retained graph's second backward recomputes them and gets the same gradient
    rng = np.random.default_rng(10)
    x, w = t64(rng.standard_normal((2, 3, 6, 6))), t64(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.grad_fn.cols is not None
    g = t64(rng.standard_normal(tuple(y.shape)))
    y.backward(g, retain_graph=True)
    assert y.grad_fn.cols is None
    first = w.grad.numpy().copy()
    y.backward(g)
    np.testing.assert_allclose(w.grad.numpy(), 2 * first, rtol=1e-12)
    with profundo.no_grad():
        assert getattr(F.conv2d(x, w).grad_fn, "cols", None) is None  # nothing kept without a graph


# ------------------------------------------------------------------ layers without torch
def test_init_is_kaiming_uniform_with_a_sqrt5_bounds():
    conv = nn.Conv2d(6, 16, 5, groups=2)
    fan_in = 3 * 25
    bound = 1 / math.sqrt(fan_in)
    w, b = conv.weight.detach().numpy(), conv.bias.detach().numpy()
    assert w.shape == (16, 3, 5, 5) and b.shape == (16,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / math.sqrt(27)


def test_lazy_conv2d_reads_in_channels_and_becomes_conv2d():
    lazy = nn.LazyConv2d(6, 5, padding=2)
    assert repr(lazy) == "LazyConv2d(0, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    assert isinstance(lazy.weight, nn.parameter.UninitializedParameter)
    y = lazy(profundo.randn(4, 3, 28, 28))
    assert type(lazy) is nn.Conv2d and lazy.in_channels == 3 and lazy.weight.shape == (6, 3, 5, 5)
    assert y.shape == (4, 6, 28, 28)
    un = nn.LazyConv2d(4, 3, groups=2)
    assert un(profundo.randn(2, 5, 5)).shape == (4, 3, 3) and un.weight.shape == (4, 1, 3, 3)  # unbatched
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(profundo.randn(1, 3, 5, 5))


def test_lazy_conv2d_loads_a_state_dict():
    src = nn.Conv2d(3, 8, 3)
    lazy = nn.LazyConv2d(8, 3)
    lazy.load_state_dict(src.state_dict())
    assert type(lazy) is nn.Conv2d and lazy.in_channels == 3
    x = profundo.randn(2, 3, 6, 6)
    np.testing.assert_array_equal(lazy(x).detach().numpy(), src(x).detach().numpy())


def test_lazy_conv_in_a_sequential_like_d2l():
    net = nn.Sequential(nn.LazyConv2d(6, 5, padding=2), nn.ReLU(), nn.LazyConv2d(16, 5), nn.Flatten(),
                        nn.LazyLinear(10))
    assert net(profundo.randn(2, 1, 28, 28)).shape == (2, 10)
    assert [tuple(p.shape) for p in net.parameters()] == [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (10, 9216), (10,)]


def test_conv_transpose2d_output_size_picks_the_output_padding():
    up = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    x = profundo.randn(1, 3, 4, 4)
    assert up(x).shape == (1, 2, 7, 7)
    assert up(x, output_size=(8, 8)).shape == (1, 2, 8, 8)
    assert up(x, output_size=[1, 2, 8, 7]).shape == (1, 2, 8, 7)
    with pytest.raises(ValueError, match="valid sizes range from"):
        up(x, output_size=(9, 9))


def test_state_dict_keys_and_bias_false():
    assert list(nn.Conv2d(3, 6, 5).state_dict()) == ["weight", "bias"]
    assert list(nn.Conv2d(3, 6, 5, bias=False).state_dict()) == ["weight"]
    assert list(nn.ConvTranspose2d(3, 6, 5).state_dict()) == ["weight", "bias"]
    assert list(nn.Unfold(2).state_dict()) == []


def _message(fn):
    with pytest.raises(Exception) as info:
        fn()
    assert is_checked(info.value) and "Pista:" in str(info.value), str(info.value)
    return type(info.value), str(info.value)


def test_errors_name_the_layer_the_shapes_and_the_fix():
    conv = nn.Conv2d(3, 6, 5)
    kind, text = _message(lambda: conv(profundo.randn(2, 4, 32, 32)))
    assert issubclass(kind, RuntimeError)
    assert "Conv2d(3, 6, kernel_size=(5, 5)" in text
    assert "expected input[2, 4, 32, 32] to have 3 channels, but got 4 channels instead" in text
    kind, text = _message(lambda: conv(profundo.randn(2, 3, 4, 4)))
    assert "Kernel size: (5 x 5)" in text and "(4 x 4)" in text
    kind, text = _message(lambda: conv(profundo.randn(3, 32)))
    assert "Expected 3D (unbatched) or 4D (batched) input to conv2d" in text
    kind, _ = _message(lambda: nn.Conv2d(3, 6, 3, groups=2))
    assert issubclass(kind, ValueError)
    kind, text = _message(lambda: nn.Conv2d(4, 6, 3, padding="same", stride=2))
    assert issubclass(kind, ValueError) and "strided" in text
    kind, text = _message(lambda: nn.Conv2d(4, 6, 3, padding="full"))
    assert issubclass(kind, ValueError) and "Invalid padding string" in text
    kind, _ = _message(lambda: nn.Conv2d(4, 6, 3, padding_mode="mirror"))
    assert issubclass(kind, ValueError)
    kind, _ = _message(lambda: nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"))
    assert issubclass(kind, ValueError)
    kind, text = _message(lambda: F.conv2d(profundo.randn(1, 3, 8, 8),
                                           profundo.randn(6, 3, 3, 3, dtype=profundo.float64)))
    assert issubclass(kind, RuntimeError) and "float32" in text
    kind, _ = _message(lambda: F.conv2d(profundo.ones(1, 3, 8, 8, dtype=profundo.bool),
                                        profundo.ones(6, 3, 3, 3, dtype=profundo.bool)))
    assert issubclass(kind, NotImplementedError)


def test_integer_convolution_like_torch():
    x = profundo.ones(1, 1, 3, 3, dtype=profundo.int64)
    y = F.conv2d(x, profundo.ones(1, 1, 2, 2, dtype=profundo.int64))
    assert y.dtype == profundo.int64 and y.tolist() == [[[[4, 4], [4, 4]]]]


# ------------------------------------------------------------------ against torch
def _copy_layer(T, ours, theirs):
    ours.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


LAYERS = [
    ("Conv2d", (3, 6, 5), dict()),
    ("Conv2d", (3, 6, 3), dict(stride=2, padding=1, bias=False)),
    ("Conv2d", (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
    ("Conv2d", (4, 4, 3), dict(groups=4, padding="same")),                                   # depthwise
    ("Conv2d", (3, 4, 4), dict(padding="same", dilation=1)),                                 # even kernel
    ("Conv2d", (3, 4, 3), dict(padding="valid")),
    ("Conv2d", (3, 4, 3), dict(padding=1, padding_mode="reflect")),
    ("Conv2d", (3, 4, (3, 2)), dict(padding=(2, 1), padding_mode="replicate", stride=2)),
    ("Conv2d", (3, 4, 3), dict(padding=2, padding_mode="circular", dilation=2)),
    ("Conv2d", (2, 4, 4), dict(padding="same", padding_mode="reflect")),
    ("Conv1d", (3, 4, 3), dict()),
    ("Conv1d", (4, 6, 4), dict(stride=2, padding=3, dilation=2, groups=2)),
    ("Conv1d", (3, 4, 3), dict(padding="same", padding_mode="circular")),
    ("ConvTranspose2d", (3, 4, 3), dict()),
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2)),
    ("ConvTranspose2d", (3, 2, 3), dict(stride=2, dilation=2, bias=False)),
    ("ConvTranspose1d", (4, 2, 3), dict(stride=2, padding=1, output_padding=1)),
]


@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LAYERS)])
def test_layer_matches_torch_with_copied_weights(torch, name, args, kwargs):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(v.shape) for v in ours.state_dict().values()] == [tuple(v.shape) for v in
                                                                   theirs.state_dict().values()]
    _copy_layer(torch, ours, theirs)
    rng = np.random.default_rng(6)
    k = 1 if name.endswith("1d") else 2
    for shape in [(2, args[0]) + (9, 8)[:k], (args[0],) + (7, 6)[:k]]:  # batched and unbatched
        x = rng.standard_normal(shape)
        px, tx = t64(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, u = ours(px), theirs(tx)
        assert tuple(y.shape) == tuple(u.shape)
        np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(tuple(u.shape))
        y.backward(profundo.tensor(g))
        u.backward(torch.tensor(g))
        np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-11, err_msg=n)
            p.grad, q.grad = None, None


def test_float32_layer_matches_torch(torch):
    theirs = torch.nn.Conv2d(3, 8, 3, padding=1)
    ours = nn.Conv2d(3, 8, 3, padding=1)
    _copy_layer(torch, ours, theirs)
    x = np.random.default_rng(7).standard_normal((4, 3, 10, 10)).astype(np.float32)
    y, u = ours(profundo.tensor(x)), theirs(torch.tensor(x))
    assert y.dtype == profundo.float32
    np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,args,kwargs", [
    ("Conv2d", (3, 6, 5), {}), ("Conv2d", (3, 6, (5, 3)), dict(stride=2, padding=1, dilation=2, groups=3,
                                                                  bias=False, padding_mode="circular")),
    ("Conv2d", (3, 6, 3), dict(padding="same")), ("Conv2d", (3, 6, 3), dict(padding="valid")),
    ("Conv1d", (3, 6, 3), {}), ("ConvTranspose2d", (3, 6, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose2d", (4, 6, 3), dict(groups=2, dilation=2, bias=False)),
    ("LazyConv2d", (6, 5), {}), ("LazyConv2d", (6, 3), dict(stride=2, padding="valid")),
    ("Unfold", (3,), {}), ("Unfold", ((2, 3),), dict(dilation=2, padding=1, stride=2)),
    ("Fold", ((4, 4), 2), {}),
])
def test_repr_like_torch(torch, name, args, kwargs):
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


def test_lazy_conv2d_after_its_first_input_like_torch(torch):
    ours, theirs = nn.LazyConv2d(6, 5, groups=2), torch.nn.LazyConv2d(6, 5, groups=2)
    ours(profundo.randn(1, 4, 8, 8))
    theirs(torch.randn(1, 4, 8, 8))
    assert repr(ours) == repr(theirs) and type(ours).__name__ == type(theirs).__name__ == "Conv2d"
    assert ours.weight.shape == tuple(theirs.weight.shape)


@pytest.mark.parametrize("fn,kw", [("unfold", dict(kernel_size=(2, 3), padding=1, stride=(1, 2), dilation=(2, 1))),
                                   ("fold", dict(output_size=(5, 6), kernel_size=2, stride=2, padding=1))])
def test_unfold_fold_modules_match_torch(torch, fn, kw):
    rng = np.random.default_rng(8)
    shape = (2, 3, 6, 7) if fn == "unfold" else (2, 12, 12)
    x = rng.standard_normal(shape)
    cls = "Unfold" if fn == "unfold" else "Fold"
    y, u = getattr(nn, cls)(**kw)(t64(x)), getattr(torch.nn, cls)(**kw)(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), u.numpy(), atol=1e-12)


def _parity(torch, theirs, ours):
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    assert is_checked(got.value) and "Pista:" in str(got.value)


@pytest.mark.parametrize("case", [
    lambda T: T.nn.Conv2d(3, 6, 3, groups=2), lambda T: T.nn.Conv2d(4, 6, 3, groups=4),
    lambda T: T.nn.Conv2d(4, 6, 3, groups=0), lambda T: T.nn.Conv2d(4, 6, 3, padding="same", stride=2),
    lambda T: T.nn.Conv2d(4, 6, 3, padding="full"), lambda T: T.nn.Conv2d(4, 6, 3, padding_mode="mirror"),
    lambda T: T.nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
    lambda T: T.nn.Conv2d(4, 6, 3)(T.randn(2, 3, 8, 8)),
    lambda T: T.nn.Conv2d(4, 6, 3, padding_mode="reflect", padding=8)(T.randn(2, 4, 8, 8)),
    lambda T: T.nn.Conv2d(4, 6, 5)(T.randn(2, 4, 3, 3)),
    lambda T: T.nn.Conv2d(4, 6, 3)(T.randn(4, 8)),
    lambda T: T.nn.LazyConv2d(6, 5, groups=2)(T.randn(1, 3, 8, 8)),
    lambda T: T.nn.ConvTranspose2d(3, 2, 3, stride=2)(T.randn(1, 3, 4, 4), output_size=(12, 12)),
    lambda T: T.nn.functional.conv2d(T.randn(1, 3, 8, 8), T.randn(6, 3, 3, 3, dtype=T.float64)),
    lambda T: T.nn.functional.conv2d(T.randn(1, 3, 8, 8), T.randn(6, 3, 3, 3), T.randn(6, dtype=T.float64)),
    lambda T: T.nn.functional.conv2d(T.ones(1, 3, 8, 8, dtype=T.bool), T.ones(6, 3, 3, 3, dtype=T.bool)),
    lambda T: T.nn.functional.unfold(T.ones(1, 3, 8, 8, dtype=T.int64), 2),
])
def test_error_types_like_torch(torch, case):
    _parity(torch, lambda: case(torch), lambda: case(profundo))


@pytest.mark.parametrize("shape", [(4, 8, 3, 3, 32), (4, 32, 2, 2, 8), (3, 6, 7, 7, 4)])
def test_deep_and_early_layer_products_agree_across_backends(shape):
    """The NumPy backend's one-product forms for deep layers (more output channels than output
    positions: ResNet-18's last stages) and its per-example forms for early ones give the
    reference's values and weight gradients."""
    from profundo._backend import BACKENDS
    n, c, h, w, o = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((o, c, 3, 3))
    kw = dict(stride=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1), groups=1)
    ref, fast = BACKENDS["reference"], BACKENDS["numpy"]
    y = ref.conv_forward(x, weight, None, **kw)
    np.testing.assert_allclose(fast.conv_forward(x, weight, None, **kw), y, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(y.shape)
    np.testing.assert_allclose(fast.conv_weight_grad(x, g, weight.shape, **kw),
                               ref.conv_weight_grad(x, g, weight.shape, **kw), rtol=1e-12, atol=1e-11)
    # and both of the reference's forms equal the per-example sum
    cols = ref.im2col(x, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)).reshape(n, 1, c * 9, h * w)
    gm = g.reshape(n, 1, o, h * w)
    np.testing.assert_allclose(ref.weight_grad_product(gm, cols),
                               sum(gm[i, 0] @ cols[i, 0].T for i in range(n))[None], rtol=1e-12, atol=1e-11)
