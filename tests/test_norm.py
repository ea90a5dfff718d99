"""Normalization layers (issue 12): BatchNorm1d/2d, LazyBatchNorm, LayerNorm, GroupNorm and channel
dropout against torch.nn with copied weights (float64): outputs, gradients, running statistics after
several steps, eval mode, state_dict keys and dtypes, repr, lazy layers and errors.  The op-level
checks (values, gradients, gradcheck, gradgradcheck) are in registry_pool.py."""
import warnings

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo.autograd import gradcheck, gradgradcheck
from profundo.nn import functional as F

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("backend")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * 2 + 0.5


def copy_params(ours, theirs):
    """torch's parameters and buffers into ours (float64)."""
    ours.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def assert_close(a, b, tol=1e-10):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def run_steps(ours, theirs, shape, steps=4, train=True):
    """A few forward/backward steps through both layers, on the same inputs and upstream gradients."""
    ours.train(train), theirs.train(train)
    for step in range(steps):
        x = rand(*shape, seed=step)
        up = rand(*shape, seed=100 + step)
        xo = profundo.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        assert_close(yo, yt)
        yo.backward(profundo.tensor(up))
        yt.backward(torch.tensor(up))
        assert_close(xo.grad, xt.grad)
        for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert_close(p.grad, q.grad)
            p.grad, q.grad = None, None
        for (name, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):
            assert_close(b, c)


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                       ("BatchNorm2d", (4, 3, 5, 6))])
@pytest.mark.parametrize("kw", [{}, dict(momentum=None), dict(momentum=0.3), dict(affine=False),
                                dict(bias=False), dict(track_running_stats=False), dict(eps=1e-3)])
def test_batch_norm_like_torch_over_steps_then_eval(cls, shape, kw):
    theirs = getattr(torch.nn, cls)(3, **kw).double()
    ours = getattr(nn, cls)(3, **kw).double()
    with torch.no_grad():
        if theirs.weight is not None:
            theirs.weight.uniform_(0.5, 1.5)
        if theirs.bias is not None:
            theirs.bias.uniform_(-0.5, 0.5)
    copy_params(ours, theirs)
    run_steps(ours, theirs, shape, steps=4)  # running statistics move at every step
    run_steps(ours, theirs, shape, steps=2, train=False)  # eval: the running ones (or the batch's)
    if theirs.track_running_stats:
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 4


def test_batch_norm_state_dict_keys_dtypes_and_repr():
    for kw in [{}, dict(affine=False), dict(track_running_stats=False), dict(bias=False), dict(momentum=None)]:
        ours, theirs = nn.BatchNorm2d(5, **kw), torch.nn.BatchNorm2d(5, **kw)
        so, st = ours.state_dict(), theirs.state_dict()
        assert list(so) == list(st)
        for k in so:
            assert so[k].dtype.name == str(st[k].dtype).split(".")[-1], k
            assert tuple(so[k].shape) == tuple(st[k].shape)
        assert repr(ours) == repr(theirs)
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    bn = nn.BatchNorm1d(4, track_running_stats=False)
    assert bn.running_mean is None and bn.running_var is None and bn.num_batches_tracked is None


def test_batch_norm_state_dict_round_trip_keeps_running_stats():
    a = nn.BatchNorm2d(3)
    for s in range(3):
        a(profundo.tensor(rand(4, 3, 2, 2, seed=s), dtype=profundo.float32))
    b = nn.BatchNorm2d(3)
    b.load_state_dict(a.state_dict())
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k].numpy(), v.numpy())
    assert int(b.num_batches_tracked) == 3 and b.num_batches_tracked.dtype == profundo.int64


def test_batch_norm_errors_like_torch():
    from parity import assert_raises_like_torch
    for cls, shape in [("BatchNorm1d", (1, 3)), ("BatchNorm2d", (1, 3, 1, 1)), ("BatchNorm1d", (4, 3, 2, 2)),
                       ("BatchNorm2d", (3, 2, 2)), ("BatchNorm1d", (4,)), ("BatchNorm2d", (2, 4, 2, 2))]:
        x = rand(*shape)
        assert_raises_like_torch(lambda: getattr(torch.nn, cls)(3).double()(torch.tensor(x)),
                                 lambda: getattr(nn, cls)(3).double()(profundo.tensor(x)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(profundo.ones(1, 3))
    nn.BatchNorm1d(3).eval()(profundo.ones(1, 3))  # eval mode: a single example is fine
    assert_raises_like_torch(lambda: torch.nn.functional.batch_norm(torch.ones(4, 3), None, None),
                             lambda: F.batch_norm(profundo.ones(4, 3), None, None))
    assert_raises_like_torch(
        lambda: torch.nn.functional.batch_norm(torch.ones(4, 3), torch.zeros(3), torch.ones(3), momentum=None),
        lambda: F.batch_norm(profundo.ones(4, 3), profundo.zeros(3), profundo.ones(3), momentum=None))
    assert_raises_like_torch(lambda: torch.nn.functional.batch_norm(torch.ones(4, 3).long(), None, None, training=True),
                             lambda: F.batch_norm(profundo.ones(4, 3).long(), None, None, training=True))


def test_functional_batch_norm_updates_running_stats_in_place():
    x = rand(6, 3, 4)
    rm_o, rv_o = profundo.zeros(3, dtype=profundo.float64), profundo.ones(3, dtype=profundo.float64)
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    before = rm_o._version
    for m in (0.1, 0.5, 1.0):
        F.batch_norm(profundo.tensor(x), rm_o, rv_o, training=True, momentum=m)
        torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, training=True, momentum=m)
        assert_close(rm_o, rm_t)
        assert_close(rv_o, rv_t)  # unbiased, as torch
    assert rm_o._version > before


def test_lazy_batch_norm():
    for lazy, cls, shape in [(nn.LazyBatchNorm1d, nn.BatchNorm1d, (4, 5)), (nn.LazyBatchNorm2d, nn.BatchNorm2d,
                                                                               (2, 5, 3, 3))]:
        theirs_lazy = getattr(torch.nn, lazy.__name__)()
        m = lazy()
        assert repr(m) == repr(theirs_lazy)
        assert list(m.state_dict()) == list(theirs_lazy.state_dict())
        y = m(profundo.tensor(rand(*shape), dtype=profundo.float32))
        assert type(m) is cls and m.num_features == 5 and tuple(y.shape) == shape
        assert int(m.num_batches_tracked) == 1
        assert repr(m) == repr(torch.nn.BatchNorm2d(5)).replace("BatchNorm2d", cls.__name__)
        # a lazy layer loads a checkpoint (even without affine parameters)
        for kw in [{}, dict(affine=False)]:
            src = cls(5, **kw)
            src(profundo.tensor(rand(*shape), dtype=profundo.float32))
            dst = lazy(**kw)
            dst.load_state_dict(src.state_dict())
            assert type(dst) is cls
            np.testing.assert_array_equal(dst.running_var.numpy(), src.running_var.numpy())
    # with an optimizer: the parameters exist after the first forward, as torch's
    m = nn.LazyBatchNorm2d()
    m(profundo.ones(2, 3, 2, 2))
    assert [tuple(p.shape) for p in m.parameters()] == [(3,), (3,)]


@pytest.mark.parametrize("shape,norm", [((4, 6), (6,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)),
                                        ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("kw", [{}, dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-2)])
def test_layer_norm_module_like_torch(shape, norm, kw):
    theirs = torch.nn.LayerNorm(norm, **kw).double()
    ours = nn.LayerNorm(norm, **kw).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    copy_params(ours, theirs)
    run_steps(ours, theirs, shape, steps=2)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_layer_norm_int_shape_and_errors():
    assert repr(nn.LayerNorm(4)) == repr(torch.nn.LayerNorm(4))
    from parity import assert_raises_like_torch
    assert_raises_like_torch(lambda: torch.nn.LayerNorm(4)(torch.ones(2, 3)), lambda: nn.LayerNorm(4)(profundo.ones(2, 3)))
    assert_raises_like_torch(lambda: torch.nn.functional.layer_norm(torch.ones(2, 3), 3),
                             lambda: F.layer_norm(profundo.ones(2, 3), 3))


@pytest.mark.parametrize("groups,shape", [(2, (3, 4, 5)), (1, (2, 6, 3, 3)), (3, (2, 6, 3, 3)), (6, (2, 6, 4))])
@pytest.mark.parametrize("kw", [{}, dict(affine=False), dict(bias=False)])
def test_group_norm_module_like_torch(groups, shape, kw):
    theirs = torch.nn.GroupNorm(groups, shape[1], **kw).double()
    ours = nn.GroupNorm(groups, shape[1], **kw).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    copy_params(ours, theirs)
    run_steps(ours, theirs, shape, steps=2)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_group_norm_errors():
    from parity import assert_raises_like_torch
    assert_raises_like_torch(lambda: torch.nn.GroupNorm(3, 4), lambda: nn.GroupNorm(3, 4))
    assert_raises_like_torch(lambda: torch.nn.functional.group_norm(torch.ones(2, 4, 3), 3),
                             lambda: F.group_norm(profundo.ones(2, 4, 3), 3))
    assert_raises_like_torch(lambda: torch.nn.functional.group_norm(torch.ones(4), 2),
                             lambda: F.group_norm(profundo.ones(4), 2))


@pytest.mark.parametrize("name,shape,kw", [
    ("batch_norm", (3, 2, 2, 2), dict(training=True)),
    ("batch_norm", (3, 2, 2, 2), dict(training=False)),
    ("layer_norm", (2, 3, 4), dict(normalized_shape=(3, 4))),
    ("group_norm", (2, 4, 3), dict(num_groups=2))])
def test_normalization_gradgradcheck_with_affine(name, shape, kw):
    """The closed-form backward is differentiable again (create_graph=True), weights included."""
    c = shape[1] if name != "layer_norm" else None
    x = profundo.tensor(rand(*shape), requires_grad=True)
    wshape = kw.get("normalized_shape", (c,))
    w = profundo.tensor(rand(*wshape, seed=1), requires_grad=True)
    b = profundo.tensor(rand(*wshape, seed=2), requires_grad=True)

    def f(x, w, b):
        if name == "batch_norm":
            rm, rv = profundo.zeros(c, dtype=x.dtype), profundo.ones(c, dtype=x.dtype) * 1.5
            return F.batch_norm(x, rm, rv, w, b, **kw)
        if name == "layer_norm":
            return F.layer_norm(x, kw["normalized_shape"], w, b)
        return F.group_norm(x, kw["num_groups"], w, b)
    assert gradcheck(f, (x, w, b))
    assert gradgradcheck(f, (x, w, b))


def test_batch_norm_grad_fn_is_one_node():
    x = profundo.randn(4, 3, 2, 2, requires_grad=True)
    y = nn.BatchNorm2d(3)(x)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    assert nn.LayerNorm(2)(x).grad_fn.name() == "NativeLayerNormBackward0"
    assert nn.GroupNorm(3, 3)(x).grad_fn.name() == "NativeGroupNormBackward0"


@pytest.mark.parametrize("kw", [{}, dict(affine=False)])
@pytest.mark.parametrize("train", [True, False])
def test_batch_norm_float32_matches_torch_on_a_resnet_sized_batch(kw, train):
    """Large examples (C * H * W >= 4096) take the NumPy backend's per-example blocked path."""
    x = rand(16, 32, 14, 14).astype(np.float32)
    up = rand(16, 32, 14, 14, seed=3).astype(np.float32)
    ours, theirs = nn.BatchNorm2d(32, **kw), torch.nn.BatchNorm2d(32, **kw)
    if kw == {}:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-0.5, 0.5)
            theirs.running_mean.uniform_(-0.5, 0.5)
            theirs.running_var.uniform_(0.5, 1.5)
        ours.load_state_dict({k: profundo.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    ours.train(train), theirs.train(train)
    xo, xt = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    yo.backward(profundo.tensor(up))
    yt.backward(torch.tensor(up))
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ channel dropout
@pytest.mark.parametrize("cls,shape", [("Dropout2d", (8, 16, 5, 5)), ("Dropout1d", (8, 16, 7)),
                                       ("Dropout1d", (16, 7))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    m = getattr(nn, cls)(0.5)
    assert repr(m) == repr(getattr(torch.nn, cls)(0.5))
    x = profundo.ones(*shape, dtype=profundo.float64, requires_grad=True)
    y = m(x)
    planes = y.detach().numpy().reshape(shape[:len(shape) - 1 if cls == "Dropout1d" else 2] + (-1,))
    assert set(np.unique(planes)) <= {0.0, 2.0}  # kept values scaled by 1 / (1 - p)
    assert (planes.min(-1) == planes.max(-1)).all()  # every channel all kept or all zeroed
    assert 0 < (planes[..., 0] == 0).mean() < 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # the gradient is the mask
    m.eval()
    assert m(x) is x


def test_dropout2d_inplace_and_warnings():
    x = profundo.ones(4, 6, 3, 3)
    y = F.dropout2d(x, 0.5, inplace=True)
    assert y is x and (x.numpy() == 0).any()
    x = profundo.ones(4, 6, 3, 3, requires_grad=True)
    h = x * 1
    out = nn.Dropout2d(0.5, inplace=True)(h)
    assert out is h
    out.sum().backward()
    assert set(np.unique(x.grad.numpy())) <= {0.0, 2.0}
    for shape, text in [((2, 3, 4), "Received a 3D input to dropout2d"), ((2, 3), "Received a 2-D input")]:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            F.dropout2d(profundo.ones(*shape))
        assert any(text in str(w.message) for w in got)
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(profundo.ones(2, 3, 4, 5))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
    assert (F.dropout2d(profundo.ones(2, 3, 2, 2), 1.0).numpy() == 0).all()
