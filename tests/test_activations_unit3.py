"""The activations added with issue 13 (hardtanh, relu6, selu, celu, mish, hardswish, hardsigmoid,
softsign, logsigmoid, softmin, threshold, glu): reprs, integer inputs, corner points, refused
arguments.  Values, gradients, gradcheck and error parity of each: registry_embed.py."""
import warnings

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo.nn import functional as F

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


MODULES = [("Hardtanh", (), {}), ("Hardtanh", (-2, 3.0), dict(inplace=True)), ("ReLU6", (), {}),
           ("ReLU6", (True,), {}), ("SELU", (), {}), ("SELU", (True,), {}), ("CELU", (), {}),
           ("CELU", (0.5, True), {}), ("Mish", (), {}), ("Mish", (True,), {}), ("Hardswish", (), {}),
           ("Hardswish", (True,), {}), ("Hardsigmoid", (True,), {}), ("Softsign", (), {}), ("LogSigmoid", (), {}),
           ("Softmin", (1,), {}), ("Softmin", (), {}), ("Threshold", (0.1, 20), {}),
           ("Threshold", (0.1, 20, True), {}), ("GLU", (), {}), ("GLU", (0,), {})]


@pytest.mark.parametrize("name,args,kw", MODULES)
def test_module_repr_like_torch(torch, name, args, kw):
    assert repr(getattr(nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


@pytest.mark.parametrize("name", ["hardtanh", "relu6", "softsign"])
def test_integer_inputs_like_torch(torch, name):
    x = np.array([-7, -1, 0, 2, 9])
    got, ref = getattr(F, name)(profundo.tensor(x)), getattr(torch.nn.functional, name)(torch.tensor(x))
    assert got.dtype.name == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6)
    got = F.threshold(profundo.tensor(x), 1, 20)
    np.testing.assert_array_equal(got.numpy(), torch.nn.functional.threshold(torch.tensor(x), 1, 20).numpy())


def test_gradients_at_the_corners_like_torch(torch):
    """At a kink the gradient is PyTorch's one-sided choice: relu6 has 0 at 0 and 6, hardtanh 0 at its
    limits, hardsigmoid 0 at +-3, hardswish 0 at -3 and 1 at 3, threshold 0 at the threshold."""
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 0.1])
    for f in [lambda F, a: F.relu6(a), lambda F, a: F.hardtanh(a), lambda F, a: F.hardsigmoid(a),
              lambda F, a: F.hardswish(a), lambda F, a: F.threshold(a, 0.1, 5.0), lambda F, a: F.celu(a, 2.0),
              lambda F, a: F.selu(a), lambda F, a: F.mish(a)]:
        a, t = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        f(F, a).sum().backward()
        f(torch.nn.functional, t).sum().backward()
        # (rtol 1e-7: torch's float64 hardsigmoid backward multiplies by 1/6 rounded to float32)
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-15)


def test_extreme_inputs_stay_finite(torch):
    x = np.array([-1000.0, -50.0, 50.0, 1000.0])
    for name in ["logsigmoid", "mish", "selu", "celu", "softsign"]:
        a, t = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = getattr(F, name)(a), getattr(torch.nn.functional, name)(t)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-300)


def test_hardtanh_module_arguments(torch):
    from parity import assert_raises_like_torch
    assert_raises_like_torch(lambda: torch.nn.Hardtanh(2, 1), lambda: nn.Hardtanh(2, 1))
    with pytest.warns(FutureWarning):
        m = nn.Hardtanh(min_value=-2.0, max_value=2.0)
    assert (m.min_val, m.max_val) == (-2.0, 2.0)


def test_softmin_implicit_dim_warns_like_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        got = F.softmin(profundo.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.functional.softmin(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)


def test_inplace_on_a_leaf_is_refused_like_torch(torch):
    from parity import assert_raises_like_torch
    for name in ["hardtanh", "relu6", "selu", "celu", "mish", "hardswish", "hardsigmoid"]:
        assert_raises_like_torch(
            lambda: getattr(torch.nn.functional, name)(torch.ones(3, requires_grad=True), inplace=True),
            lambda: getattr(F, name)(profundo.ones(3, requires_grad=True), inplace=True))


def test_inplace_writes_into_the_input_and_bumps_its_version():
    for name in ["hardtanh", "relu6", "selu", "celu", "mish", "hardswish", "hardsigmoid"]:
        x = profundo.tensor([-4.0, -0.5, 0.5, 7.0])
        expected = getattr(F, name)(x).numpy()
        v = x._version
        y = getattr(F, name)(x, inplace=True)
        assert y is x and x._version > v
        np.testing.assert_array_equal(x.numpy(), expected)
