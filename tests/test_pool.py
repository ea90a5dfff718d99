"""Pooling, unpooling and interpolation layers (issue 12) against torch.nn: repr, ties, indices,
training-sized batches (the fast paths), unbatched inputs and refused arguments.  The op-level checks
(values, gradients, gradcheck, gradgradcheck, error parity) are in registry_pool.py."""
import numpy as np
import pytest

import profundo
from profundo import nn
from profundo.nn import functional as F
from parity import assert_raises_like_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("backend")


def rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


MODULES = [
    ("MaxPool2d", (2,), {}), ("MaxPool2d", (3, 2, 1), dict(ceil_mode=True)), ("MaxPool2d", ((2, 3), (1, 1)), {}),
    ("MaxPool1d", (3,), {}), ("AvgPool2d", (3, 2, 1, True, False, 2), {}), ("AvgPool2d", (2,), {}),
    ("AvgPool1d", (2,), dict(ceil_mode=True)), ("AdaptiveAvgPool2d", ((1, 1),), {}), ("AdaptiveAvgPool1d", (3,), {}),
    ("AdaptiveMaxPool2d", ((2, None), True), {}), ("AdaptiveMaxPool1d", (2,), {}), ("MaxUnpool2d", (2,), {}),
    ("MaxUnpool1d", (3, 2), {}), ("Upsample", (), dict(scale_factor=2)),
    ("Upsample", (), dict(size=(3, 4), mode="bilinear", align_corners=True)),
    ("Upsample", (), dict(scale_factor=(2, 3))), ("UpsamplingNearest2d", (), dict(scale_factor=2)),
    ("UpsamplingBilinear2d", (), dict(size=4))]


@pytest.mark.parametrize("name,args,kw", MODULES, ids=[m[0] + str(i) for i, m in enumerate(MODULES)])
def test_module_repr_and_no_state_like_torch(name, args, kw):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pool_ties_pick_the_first_max_like_torch(stride):
    a = np.array([[[[1, 3, 3, 0], [3, 2, 3, 3], [0, 3, 3, 1], [3, 3, 0, 3]]]], np.float64)
    xo, xt = profundo.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (yo, io), (yt, it) = F.max_pool2d(xo, 2, stride, return_indices=True), \
        torch.nn.functional.max_pool2d(xt, 2, stride, return_indices=True)
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    up = rand(*yt.shape, dtype=np.float64)
    yo.backward(profundo.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_array_equal(xo.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("shape,args,kw", [
    ((256, 6, 28, 28), (2, 2), {}),                       # LeNet's pooling: the non-overlapping fast path
    ((64, 32, 14, 14), (3, 2, 1), {}),                    # ResNet's stem: overlapping windows
    ((8, 4, 13, 11), (3, 2), dict(ceil_mode=True)),
    ((8, 4, 12, 12), (2, 2, 1), dict(dilation=2))])
def test_max_pool_on_training_sized_batches_like_torch(shape, args, kw):
    x = rand(*shape)
    up = None
    xo, xt = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (yo, io), (yt, it) = (F.max_pool2d(xo, *args, return_indices=True, **kw),
                          torch.nn.functional.max_pool2d(xt, *args, return_indices=True, **kw))
    np.testing.assert_array_equal(yo.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(io.numpy(), it.numpy())
    up = rand(*yt.shape, seed=1)
    yo.backward(profundo.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,args,kw", [((256, 6, 28, 28), (2, 2), {}), ((64, 32, 14, 14), (3, 2, 1), {}),
                                           ((8, 4, 13, 11), (3, 2, 1), dict(ceil_mode=True,
                                                                            count_include_pad=False))])
def test_avg_pool_on_training_sized_batches_like_torch(shape, args, kw):
    x = rand(*shape)
    xo, xt = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = F.avg_pool2d(xo, *args, **kw), torch.nn.functional.avg_pool2d(xt, *args, **kw)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    up = rand(*yt.shape, seed=1)
    yo.backward(profundo.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_max_pool_propagates_nan_like_torch():
    a = rand(1, 1, 4, 4)
    a[0, 0, 1, 1] = np.nan
    np.testing.assert_array_equal(F.max_pool2d(profundo.tensor(a), 2).numpy(),
                                  torch.nn.functional.max_pool2d(torch.tensor(a), 2).numpy())


def test_global_average_pool_and_flatten_give_the_channel_means():
    x = rand(4, 8, 7, 7)
    y = nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())(profundo.tensor(x))
    np.testing.assert_allclose(y.numpy(), x.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)


def test_max_unpool_inverts_max_pool_like_torch():
    x = rand(2, 3, 6, 6)
    ours, theirs = nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    yo, io = ours(profundo.tensor(x))
    yt, it = theirs(torch.tensor(x))
    uo, ut = nn.MaxUnpool2d(2)(yo, io), torch.nn.MaxUnpool2d(2)(yt, it)
    np.testing.assert_array_equal(uo.numpy(), ut.numpy())
    uo = nn.MaxUnpool2d(2)(yo, io, output_size=(7, 7))
    np.testing.assert_array_equal(uo.numpy(), torch.nn.MaxUnpool2d(2)(yt, it, output_size=(7, 7)).numpy())
    assert_raises_like_torch(lambda: torch.nn.functional.max_unpool2d(yt, it, 2, output_size=(9, 9)),
                             lambda: F.max_unpool2d(yo, io, 2, output_size=(9, 9)))


def test_unbatched_inputs_like_torch():
    x = rand(3, 7, 6)
    for name, args in [("max_pool2d", (2,)), ("avg_pool2d", (3, 2, 1)), ("adaptive_avg_pool2d", ((2, 3),)),
                       ("adaptive_max_pool2d", (3,)), ("max_pool1d", (2,)), ("avg_pool1d", (3,)),
                       ("adaptive_avg_pool1d", (4,))]:
        yo = getattr(F, name)(profundo.tensor(x), *args)
        yt = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
        np.testing.assert_allclose(yo.numpy(), yt.numpy(), rtol=1e-6, atol=1e-6)


def test_interpolate_refuses_what_it_does_not_implement():
    x = profundo.ones(1, 1, 4, 4)
    for kw in [dict(mode="bicubic"), dict(mode="area"), dict(mode="bilinear", antialias=True),
               dict(mode="trilinear")]:
        with pytest.raises((NotImplementedError, ValueError)) as e:
            F.interpolate(x, size=3, **kw)
        assert "Pista" in str(e.value)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.interpolate(x.long(), size=3)


def test_interpolate_upsamples_a_digit_like_torch():
    """The course's path: digits (8x8) up-sampled to 28x28 for LeNet, float32."""
    x = rand(16, 1, 8, 8)
    for kw in [dict(mode="nearest"), dict(mode="bilinear"), dict(mode="bilinear", align_corners=True)]:
        xo, xt = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yo, yt = F.interpolate(xo, size=(28, 28), **kw), torch.nn.functional.interpolate(xt, size=(28, 28), **kw)
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
        yo.sum().backward()
        yt.sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_pool_grad_fn_and_integer_max_pool():
    x = profundo.randn(1, 1, 4, 4, requires_grad=True)
    assert F.max_pool2d(x, 2).grad_fn is not None
    y, i = F.max_pool2d(profundo.arange(16).reshape(1, 1, 4, 4), 2, return_indices=True)
    assert y.dtype == profundo.int64 and i.dtype == profundo.int64
    np.testing.assert_array_equal(y.numpy(), [[[[5, 7], [13, 15]]]])
    with pytest.raises(NotImplementedError, match="Pista"):
        F.avg_pool2d(profundo.arange(16).reshape(1, 1, 4, 4), 2)


@pytest.mark.parametrize("fn", [lambda F, x: F.interpolate(x, size=(7, 9)),
                                lambda F, x: F.interpolate(x, size=(7, 9), mode="bilinear"),
                                lambda F, x: F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=True),
                                lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)),
                                lambda F, x: F.adaptive_avg_pool2d(x, (1, 1))])
def test_non_finite_values_stay_local_like_torch(fn):
    """inf and NaN reach only the outputs that read them (a dense matmul would spread them: 0 * inf)."""
    x = rand(2, 2, 5, 6)
    x[0, 0, 1, 2], x[1, 1, 4, 0], x[1, 0, 0, 5] = np.inf, np.nan, -np.inf
    ours, theirs = fn(F, profundo.tensor(x)).numpy(), fn(torch.nn.functional, torch.tensor(x)).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)  # inf positions compared exactly
