"""Issue 10, nn part: the reproductions (F.pad, F.normalize, softmax with +inf, the losses'
legacy and weight arguments, inplace=, ignored layer arguments), each against PyTorch.

Tests marked ``needs_torch`` compare with PyTorch (the oracle); the others check
profundo's own contract and run without it too.
"""
import warnings

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo._errors import is_checked
from profundo.nn import functional as F

try:
    import torch
except ImportError:  # the suite's second run has no torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="compares with PyTorch")
INF = float("inf")


def both(make):
    """``make(T)`` for profundo and torch."""
    return make(profundo), make(torch)


TOL = {"float32": dict(rtol=1.3e-6, atol=1e-5), "float64": dict(rtol=1e-7, atol=1e-7)}  # as test_ops.py


def assert_same(ours, theirs, **tol):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).split(".")[-1]
    tol = tol or TOL.get(ours.dtype.name, {})
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), equal_nan=True, **tol)


def raises_like_torch(make):
    with pytest.raises(Exception) as theirs:
        make(torch)
    with pytest.raises(type(theirs.value)) as ours:
        make(profundo)
    assert is_checked(ours.value) and "Pista" in str(ours.value), str(ours.value)
    return ours.value


# ------------------------------------------------------------ softmax with +inf
INF_ROWS = [[INF, 0.0, 0.0], [1.0, 2.0, 3.0], [INF, -INF, 0.0], [-INF, 0.0, 1.0], [INF, INF, 1.0]]


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_row_with_posinf_is_all_nan(name):
    x = profundo.tensor(INF_ROWS)
    y = getattr(F, name)(x, dim=1).numpy()
    assert np.isnan(y[[0, 2, 4]]).all()  # inf - inf: the row is undefined (was [nan, 0, 0])
    assert np.isfinite(y[1]).all() and not np.isnan(y[3]).any()


@needs_torch
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dim", [0, 1])
def test_softmax_with_infinities_like_torch(name, dtype, dim):
    a = np.array(INF_ROWS, dtype)
    (x, tx) = both(lambda T: T.tensor(a, requires_grad=True))
    y, ty = getattr(F, name)(x, dim=dim), getattr(torch.nn.functional, name)(tx, dim=dim)
    assert_same(y, ty)
    g = np.arange(a.size, dtype=dtype).reshape(a.shape) % 3 - 1.0
    y.backward(profundo.tensor(g))
    ty.backward(torch.tensor(g))
    assert_same(x.grad, tx.grad)


@needs_torch
@pytest.mark.parametrize("logits,target", [([[INF, 0.0, 0.0]], [0]), ([[INF, 0.0, 0.0]], [1]),
                                           ([[-INF, 0.0, 0.0]], [0]), ([[-INF, 0.0, 0.0]], [2]),
                                           ([[INF, 0.0, 0.0], [1.0, 2.0, 3.0]], [0, 2])])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_infinite_logits_like_torch(logits, target, reduction):
    x, tx = both(lambda T: T.tensor(logits, requires_grad=True))
    loss = F.cross_entropy(x, profundo.tensor(target), reduction=reduction)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor(target), reduction=reduction)
    assert_same(loss, tloss)
    loss.sum().backward()
    tloss.sum().backward()
    assert_same(x.grad, tx.grad)


def test_softmax_stacklevel_is_the_third_positional_argument():
    # torch.nn.functional.softmax(input, dim, _stacklevel, dtype): a third positional is not a dtype
    x = profundo.tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(F.softmax(x, 1, 3).numpy(), F.softmax(x, 1).numpy())
    assert F.log_softmax(x, 1, 3, profundo.float64).dtype == profundo.float64


# ------------------------------------------------------------ legacy size_average / reduce
LEGACY = [(dict(reduce=False), "none"), (dict(size_average=False), "sum"), (dict(reduce=True), "mean"),
          (dict(size_average=False, reduce=False), "none"), (dict(size_average=True, reduction="none"), "mean")]


def _loss_inputs(name):
    rng = np.random.default_rng(0)
    if name in ("nll_loss", "cross_entropy"):
        return rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    if name == "binary_cross_entropy":
        return rng.uniform(0.05, 0.95, (2, 3)), rng.uniform(0, 1, (2, 3))
    return rng.standard_normal((2, 3)), rng.standard_normal((2, 3))


FUNCTIONAL_LOSSES = ["mse_loss", "l1_loss", "smooth_l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
                     "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize("name", FUNCTIONAL_LOSSES)
@pytest.mark.parametrize("kw,expected", LEGACY)
def test_functional_losses_honour_size_average_and_reduce(name, kw, expected):
    a, b = _loss_inputs(name)
    x, t = profundo.tensor(a), profundo.tensor(b)
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        legacy = getattr(F, name)(x, t, **kw)
    modern = getattr(F, name)(x, t, reduction=expected)
    np.testing.assert_array_equal(legacy.numpy(), modern.numpy())  # mse_loss(reduce=False) was a scalar


@needs_torch
@pytest.mark.parametrize("name", FUNCTIONAL_LOSSES)
@pytest.mark.parametrize("kw,expected", LEGACY)
def test_functional_losses_legacy_arguments_like_torch(name, kw, expected):
    a, b = _loss_inputs(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, tx = both(lambda T: T.tensor(a, requires_grad=True))
        y = getattr(F, name)(x, profundo.tensor(b), **kw)
        ty = getattr(torch.nn.functional, name)(tx, torch.tensor(b), **kw)
    assert_same(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_same(x.grad, tx.grad)


MODULES = [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}), ("NLLLoss", {}), ("CrossEntropyLoss", {}),
           ("BCELoss", {}), ("BCEWithLogitsLoss", {})]


@pytest.mark.parametrize("name", [m for m, _ in MODULES])
@pytest.mark.parametrize("kw,expected", LEGACY[:4])
def test_loss_modules_honour_size_average_and_reduce(name, kw, expected):
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        m = getattr(nn, name)(**kw)
    assert m.reduction == expected
    if torch is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert getattr(torch.nn, name)(**kw).reduction == expected


@needs_torch
def test_mse_loss_reduce_false_reproduction():
    a, b = _loss_inputs("mse_loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.MSELoss(reduce=False)(profundo.tensor(a), profundo.tensor(b))
        theirs = torch.nn.MSELoss(reduce=False)(torch.tensor(a), torch.tensor(b))
    assert_same(ours, theirs)


# ------------------------------------------------------------ loss weights
@needs_torch
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weight", [[1.0, 2.0, 3.0], [1.0] * 5, [[1.0, 1.0, 1.0, 1.0]], [[1.0], [2.0], [3.0], [4.0]]])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_class_weight_of_the_wrong_shape_raises_like_torch(name, weight, reduction):
    a, t = np.random.default_rng(1).standard_normal((3, 4)), [0, 1, 3]
    err = raises_like_torch(lambda T: getattr(T.nn.functional, name)(T.tensor(a), T.tensor(t),
                                                                         weight=T.tensor(weight, dtype=T.float64),
                                                                         reduction=reduction))
    assert "weight tensor should be defined either for all 4 classes" in str(err)


@needs_torch
@pytest.mark.parametrize("module", ["CrossEntropyLoss", "NLLLoss"])
def test_loss_modules_refuse_a_class_weight_of_the_wrong_length(module):
    raises_like_torch(lambda T: getattr(T.nn, module)(weight=T.ones(3))(T.randn(2, 4), T.tensor([0, 3])))


@needs_torch
@pytest.mark.parametrize("make", [
    lambda T: T.nn.functional.cross_entropy(T.randn(3, 4), T.tensor([0, 1, 2]), weight=T.ones(4, dtype=T.float64)),
    lambda T: T.nn.functional.nll_loss(T.randn(3, 4), T.tensor([0, 1, 2]), weight=T.ones(4, dtype=T.long)),
    lambda T: T.nn.functional.cross_entropy(T.randn(3, 4), T.tensor([0, 1, 2]), weight=T.ones(4, requires_grad=True)),
    lambda T: T.nn.functional.binary_cross_entropy(T.rand(3), T.rand(3), weight=T.ones(3, requires_grad=True)),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.randn(3), T.rand(3),
                                                               pos_weight=T.ones(3, requires_grad=True)),
    lambda T: T.nn.functional.cross_entropy(T.randn(3, 4), T.rand(3, 4), ignore_index=2),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.randn(3, 4), T.rand(3, 4), pos_weight=T.ones(3)),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.randn(3, 4), T.rand(3, 4),
                                                               pos_weight=T.ones(2, 3, 4)),
    lambda T: T.nn.functional.binary_cross_entropy(T.rand(3, 4), T.rand(3, 4), weight=T.ones(2, 3, 4)),
    lambda T: T.nn.functional.mse_loss(T.randn(3, 4), T.randn(3, 4), weight=T.ones(4)),
    lambda T: T.nn.functional.l1_loss(T.randn(3, 4), T.randn(3, 4), weight=T.ones(2, 3, 4)),
    lambda T: T.nn.functional.huber_loss(T.randn(3), T.randn(3), delta=-1.0),
    lambda T: T.nn.functional.smooth_l1_loss(T.randn(3), T.randn(3), beta=-1.0),
], ids=["ce-weight-f64", "nll-weight-long", "ce-weight-requires-grad", "bce-weight-requires-grad",
        "bcewl-pos-weight-requires-grad", "ce-probs-ignore-index", "bcewl-pos-weight-3", "bcewl-pos-weight-grows",
        "bce-weight-grows", "mse-weight-shape", "l1-weight-shape", "huber-delta", "smooth-l1-beta"])
def test_loss_arguments_refused_like_torch(make):
    raises_like_torch(make)


@needs_torch
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_regression_losses_like_torch(name, reduction):
    # torch divides the weighted sum by weight.sum() for mse/l1 (was: the mean of loss * weight)
    rng = np.random.default_rng(2)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) * 2, rng.uniform(0.1, 3, (3, 4))
    (x, tx), (wt, twt) = both(lambda T: T.tensor(a, requires_grad=True)), both(lambda T: T.tensor(w,
                                                                                              requires_grad=True))
    y = getattr(F, name)(x, profundo.tensor(b), weight=wt, reduction=reduction)
    ty = getattr(torch.nn.functional, name)(tx, torch.tensor(b), weight=twt, reduction=reduction)
    assert_same(y, ty)
    y.sum().backward()
    ty.sum().backward()
    assert_same(x.grad, tx.grad)
    assert_same(wt.grad, twt.grad)


# ------------------------------------------------------------ inplace=
INPLACE = [("leaky_relu", dict(negative_slope=0.2)), ("elu", dict(alpha=0.7)), ("silu", {}), ("relu", {}),
           ("dropout", dict(p=0.0)), ("dropout", dict(p=1.0))]


@pytest.mark.parametrize("name,kw", INPLACE)
def test_inplace_modifies_and_returns_the_input(name, kw):
    a = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]], np.float32)
    x = profundo.tensor(a)
    version = x._version
    y = getattr(F, name)(x, inplace=True, **kw)
    if name == "dropout" and kw["p"] == 0.0:
        assert y is x  # torch too: p=0 is the identity
        return
    assert y is x and x._version > version  # was: a new tensor, the input untouched
    np.testing.assert_allclose(x.numpy(), getattr(F, name)(profundo.tensor(a), **kw).numpy(), rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("name,kw", INPLACE)
def test_inplace_gradients_like_torch(name, kw):
    a = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0], [1.5, -1.0, 2.0, -3.0, 0.25]])
    (x, tx) = both(lambda T: T.tensor(a, requires_grad=True))
    h, th = x * 2, tx * 2
    y = getattr(F, name)(h, inplace=True, **kw)
    ty = getattr(torch.nn.functional, name)(th, inplace=True, **kw)
    assert (y is h) == (ty is th)
    assert_same(y, ty)
    (y * profundo.tensor(a)).sum().backward()
    (ty * torch.tensor(a)).sum().backward()
    assert_same(x.grad, tx.grad)


@needs_torch
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "silu", "relu", "dropout"])
def test_inplace_on_a_leaf_that_requires_grad_raises_like_torch(name):
    raises_like_torch(lambda T: getattr(T.nn.functional, name)(T.ones(3, requires_grad=True), inplace=True))


@needs_torch
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "silu"])
def test_inplace_overwriting_a_saved_output_raises_at_backward_like_torch(name):
    def run(T):
        x = T.ones(3, requires_grad=True)
        y = x.sigmoid()  # sigmoid's backward needs its output y
        getattr(T.nn.functional, name)(y, inplace=True)
        y.sum().backward()
    with pytest.raises(RuntimeError):
        run(torch)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(profundo)


@needs_torch
@pytest.mark.parametrize("make", [
    lambda T: T.nn.functional.leaky_relu(T.tensor([1, -2]), inplace=True),
    lambda T: T.nn.functional.elu(T.tensor([1, -2])),
    lambda T: T.nn.functional.silu(T.tensor([1, -2])),
    lambda T: T.nn.functional.leaky_relu(T.tensor([1, -2])),
    lambda T: T.nn.functional.dropout(T.tensor([1, -2])),
    lambda T: T.nn.functional.dropout(T.tensor([1, -2]), inplace=True),
], ids=["leaky-int-inplace", "elu-int", "silu-int", "leaky-int", "dropout-int", "dropout-int-inplace"])
def test_activations_refuse_integer_tensors_like_torch(make):
    raises_like_torch(make)


def test_dropout_inplace_gradient_is_the_mask():
    profundo.manual_seed(0)
    x = profundo.ones(50, 40, dtype=profundo.float64, requires_grad=True)
    h = x * 1
    y = F.dropout(h, p=0.25, inplace=True)
    assert y is h
    y.sum().backward()
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75)
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75)  # the gradient goes through the same mask
    assert 0.7 < kept.mean() < 0.8


@pytest.mark.parametrize("module,name", [(nn.ReLU(inplace=True), "relu"), (nn.LeakyReLU(0.1, inplace=True), "lrelu"),
                                         (nn.ELU(inplace=True), "elu"), (nn.SiLU(inplace=True), "silu"),
                                         (nn.Dropout(0.5, inplace=True), "dropout")])
def test_inplace_modules_modify_their_input(module, name):
    x = profundo.tensor([[-1.0, 2.0, -3.0, 4.0]])
    before = x.numpy().copy()
    assert module(x) is x
    assert not np.array_equal(x.numpy(), before)


@needs_torch
def test_inplace_module_reprs_like_torch():
    for T_make in [lambda T: T.nn.ELU(inplace=True), lambda T: T.nn.ELU(), lambda T: T.nn.LeakyReLU(inplace=True),
                   lambda T: T.nn.LeakyReLU(0.2), lambda T: T.nn.SiLU(inplace=True), lambda T: T.nn.SiLU(),
                   lambda T: T.nn.Dropout(0.2, inplace=True), lambda T: T.nn.ReLU(True)]:
        ours, theirs = both(T_make)
        assert repr(ours) == repr(theirs)


# ------------------------------------------------------------ F.pad
@needs_torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((1, 5), (2, 1)), ((2, 3, 5), (-1, 3)), ((2, 3, 5), (3, -2)),
                                       ((1, 3, 4), (1, 2, 2, 1)), ((2, 1, 3, 4), (-1, 2, 2, -1)),
                                       ((1, 2, 3, 3, 4), (1, 2, 2, 0, 1, 1)), ((3, 4), (3, 3)),
                                       ((0, 3, 4), (1, 1))])
def test_pad_values_and_gradients_like_torch(mode, shape, pad):
    a = np.random.default_rng(3).standard_normal(shape)

    def run(T):
        x = T.tensor(a, requires_grad=True)
        try:
            y = T.nn.functional.pad(x, pad, mode=mode)
        except Exception as e:
            return type(e), None, None
        g = np.cos(np.arange(y.numel())).reshape(tuple(y.shape))
        y.backward(T.tensor(g))
        return None, y, x.grad
    (err, y, g), (terr, ty, tg) = run(profundo), run(torch)
    assert err is terr or (err is not None and issubclass(err, terr))
    if y is not None:
        assert_same(y, ty)
        assert_same(g, tg)  # reflect/replicate/circular: mirrored and edge positions accumulate


@needs_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_gradient_accumulates_on_the_copied_positions(mode):
    (x, tx) = both(lambda T: T.arange(4.0, requires_grad=True))
    for T, t in ((profundo, x), (torch, tx)):
        T.nn.functional.pad(t.reshape(1, 4), (3, 3), mode=mode).sum().backward()
    assert_same(x.grad, tx.grad)


def test_circular_pad_refuses_to_wrap_around_what_a_crop_kept_more_than_once():
    # (4, -2) on 5 elements keeps 3 and pads 4 of them: PyTorch reads uninitialised memory
    # (3-d input) or raises (2-d input); profundo always raises
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(profundo.ones(2, 3, 5), (4, -2), mode="circular")


@needs_torch
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32"])
@pytest.mark.parametrize("mode,value", [("constant", None), ("constant", 2.7), ("constant", -1), ("constant", 300),
                                        ("reflect", None), ("replicate", None), ("circular", None)])
def test_pad_dtypes_and_values_like_torch(dtype, mode, value):
    a = np.arange(6).reshape(2, 3).astype(dtype)

    def run(T):
        return T.nn.functional.pad(T.tensor(a), (1, 2), mode=mode, value=value)
    try:
        theirs = run(torch)
    except Exception as e:
        with pytest.raises(type(e)):
            run(profundo)
        return
    assert_same(run(profundo), theirs)


@needs_torch
@pytest.mark.parametrize("make", [
    lambda T: T.nn.functional.pad(T.ones(2, 3), (1,)),
    lambda T: T.nn.functional.pad(T.ones(3), (1, 1, 1, 1)),
    lambda T: T.nn.functional.pad(T.ones(1, 3), (3, 0), mode="reflect"),
    lambda T: T.nn.functional.pad(T.ones(1, 3, 4), (1, 1, 3, 0), mode="reflect"),
    lambda T: T.nn.functional.pad(T.ones(1, 3), (4, 0), mode="circular"),
    lambda T: T.nn.functional.pad(T.ones(4), (1, 1), mode="reflect"),
    lambda T: T.nn.functional.pad(T.ones(4), (1, 1), mode="replicate"),
    lambda T: T.nn.functional.pad(T.ones(1, 1, 1, 4), (1, 1), mode="circular"),
    lambda T: T.nn.functional.pad(T.ones(2, 4), (1, 1, 1, 1), mode="reflect"),
    lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), mode="nearest"),
    lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), mode="reflect", value=1.0),
    lambda T: T.nn.functional.pad(T.ones(2, 3), (-2, -2)),
    lambda T: T.nn.functional.pad(T.ones(2, 3), (-2, -2), mode="replicate"),
    lambda T: T.nn.functional.pad(T.ones(2, 0, 3), (1, 1), mode="reflect"),
    lambda T: T.nn.functional.pad(T.ones(1, 2, dtype=T.bool), (1, 1), mode="reflect"),
    lambda T: T.nn.functional.pad(T.ones(2, 3), (1.0, 1)),
    lambda T: T.nn.functional.pad(T.ones(2, 3), 1),
    lambda T: T.nn.functional.pad(T.ones(2, 3, dtype=T.uint8), (1, 1), value=-1),
    lambda T: T.nn.functional.pad(T.ones(2, 3), (1, 1), value="a"),
], ids=["odd", "too-long", "reflect-too-big", "reflect-too-big-H", "circular-wraps", "reflect-1d", "replicate-1d",
        "circular-4d-1pair", "reflect-2d-2pairs", "bad-mode", "reflect-value", "constant-overcrop",
        "replicate-overcrop", "reflect-empty-channel", "reflect-bool", "float-pad", "int-pad", "value-overflow",
        "value-str"])
def test_pad_errors_like_torch(make):
    raises_like_torch(make)


@needs_torch
@pytest.mark.parametrize("make", [
    lambda T: T.nn.ZeroPad2d(2), lambda T: T.nn.ZeroPad2d((1, 2, 3, 4)), lambda T: T.nn.ConstantPad1d(2, 3.5),
    lambda T: T.nn.ConstantPad2d((1, 2, 3, 4), 1.0), lambda T: T.nn.ConstantPad3d(1, 0.0),
    lambda T: T.nn.ReflectionPad1d(2), lambda T: T.nn.ReflectionPad2d((1, 0, 2, 1)),
    lambda T: T.nn.ReplicationPad1d((1, 2)), lambda T: T.nn.ReplicationPad2d(1), lambda T: T.nn.CircularPad2d(1),
    lambda T: T.nn.ZeroPad1d(1), lambda T: T.nn.CircularPad1d((2, 0))])
def test_padding_modules_like_torch(make):
    ours, theirs = both(make)
    assert repr(ours) == repr(theirs)
    assert ours.padding == theirs.padding
    a = np.random.default_rng(4).standard_normal((1, 2, 3, 4) if "3d" not in repr(ours).lower() else (1, 2, 3, 4, 4))
    if "1d" in type(ours).__name__:
        a = a[0]
    assert_same(ours(profundo.tensor(a)), theirs(torch.tensor(a)))


@needs_torch
def test_circular_pad_module_checks_the_input_dims_like_torch():
    raises_like_torch(lambda T: T.nn.CircularPad2d(1)(T.ones(3, 3)))


def test_zero_pad_is_a_constant_pad():
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d) and nn.ZeroPad2d(1).value == 0.0


# ------------------------------------------------------------ F.normalize
@needs_torch
@pytest.mark.parametrize("kw", [{}, dict(dim=0), dict(dim=-1, p=1), dict(p=float("inf")), dict(p=3.0),
                                dict(p=0.5), dict(p=1.5),  # zero entries: norm's gradient there is 0, not NaN
                                dict(eps=0.5), dict(dim=(0, 1))])
@pytest.mark.parametrize("rows", [[[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]], [[1.0, -2.0, 0.5], [1e-13, 0.0, 0.0]]])
def test_normalize_like_torch(kw, rows):
    (x, tx) = both(lambda T: T.tensor(rows, dtype=T.float64, requires_grad=True))
    y, ty = F.normalize(x, **kw), torch.nn.functional.normalize(tx, **kw)
    assert_same(y, ty)
    g = [[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]]
    y.backward(profundo.tensor(g, dtype=profundo.float64))
    ty.backward(torch.tensor(g, dtype=torch.float64))
    assert_same(x.grad, tx.grad)


@needs_torch
@pytest.mark.parametrize("make", [
    lambda T: T.nn.functional.normalize(T.tensor([1, 2])),
    lambda T: T.nn.functional.normalize(T.ones(3)),
    lambda T: T.nn.functional.normalize(T.ones(2, 3), dim=2),
    lambda T: T.nn.functional.normalize(T.ones(0, 3), p=float("inf"), dim=0),
    lambda T: T.nn.functional.normalize(T.ones(2, 3, requires_grad=True), out=T.empty(2, 3)),
    lambda T: T.nn.functional.normalize(T.ones(2, 3), out=T.empty(2, 3, dtype=T.long)),
], ids=["int", "1d-default-dim", "bad-dim", "inf-norm-of-empty", "out-with-grad", "out-int"])
def test_normalize_errors_like_torch(make):
    raises_like_torch(make)


def test_normalize_out_is_written_and_returned():
    x = profundo.tensor([[3.0, 4.0], [1.0, 0.0]])
    out = profundo.empty(2, 2)
    assert F.normalize(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [1.0, 0.0]], rtol=1e-6)  # 3-4-5 rows: exact ratios


# ------------------------------------------------------------ layer arguments that were ignored
@needs_torch
@pytest.mark.parametrize("make", [lambda T: T.nn.Linear(2, 3, device="cuda"),
                                  lambda T: T.nn.LazyLinear(3, device="cuda")])
def test_layers_refuse_a_device_they_cannot_use(make):
    with pytest.raises(RuntimeError):
        make(profundo)  # was: silently on the CPU (torch raises too without CUDA)


def test_layers_accept_the_cpu_and_honour_dtype():
    assert nn.Linear(2, 3, device="cpu", dtype=profundo.float64).weight.dtype == profundo.float64
    assert nn.Linear(2, 3, bias=0).bias is None and "bias" not in nn.Linear(2, 3, bias=0).state_dict()


@pytest.mark.parametrize("call", [lambda m: m.to("cuda"), lambda m: m.to(device="cuda:0"), lambda m: m.to(1),
                                  lambda m: m.to(foo=1), lambda m: m.to([1])])
def test_module_to_refuses_what_it_cannot_do(call):
    with pytest.raises((RuntimeError, TypeError)) as e:
        call(nn.Linear(2, 3))  # was: returned the module unchanged
    assert is_checked(e.value)


def test_module_to_honours_dtype_from_a_tensor_and_positional_arguments():
    m = nn.Linear(2, 3)
    assert m.to(profundo.zeros(1, dtype=profundo.float64)).weight.dtype == profundo.float64
    assert m.to("cpu", profundo.float32, False).weight.dtype == profundo.float32


def test_load_state_dict_assign_uses_the_checkpoint_tensors():
    m = nn.Linear(2, 3)
    sd = {"weight": profundo.ones(3, 2, dtype=profundo.float64), "bias": profundo.zeros(3, dtype=profundo.float64)}
    m.load_state_dict(sd, assign=True)  # was: copied into the float32 parameters
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert m.weight.dtype == profundo.float64
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((3, 2)))
    if torch is not None:
        tm = torch.nn.Linear(2, 3)
        tm.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in sd.items()}, assign=True)
        assert str(tm.weight.dtype).split(".")[-1] == m.weight.dtype.name and tm.weight.requires_grad
