"""profundo.distributions against torch.distributions: values, gradients, samples and errors."""
import numpy as np
import pytest

import profundo
from profundo import distributions as D
from parity import assert_raises_like_torch


def t64(x, grad=True):
    return profundo.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


CASES = {  # name: (constructor kwargs as arrays, values for log_prob)
    "Normal": ({"loc": [0.0, 1.5, -2.0], "scale": [1.0, 0.5, 3.0]}, [0.3, 1.0, -7.0]),
    "Uniform": ({"low": [0.0, -1.0, 2.0], "high": [1.0, 3.0, 2.5]}, [0.5, 2.9, 2.0]),
    "Exponential": ({"rate": [0.5, 1.0, 4.0]}, [0.0, 2.0, 0.1]),
    "Bernoulli": ({"probs": [0.1, 0.5, 0.9]}, [1.0, 0.0, 1.0]),
    "Bernoulli logits": ({"logits": [-30.0, 0.3, 40.0]}, [1.0, 0.0, 1.0]),
    "Categorical": ({"probs": [[0.1, 0.6, 0.3], [0.5, 0.5, 0.0]]}, [2, 0]),
    "Categorical logits": ({"logits": [[1.0, -2.0, 0.5], [3.0, 3.0, -50.0]]}, [1, 2]),
    "Multinomial": ({"total_count": 5, "probs": [[0.2, 0.3, 0.5], [0.6, 0.4, 0.0]]}, [[1, 1, 3], [2, 3, 0]]),
}


def _make(lib, name, kw, grad):
    cls = getattr(lib.distributions, name.split()[0])
    args = {}
    for k, v in kw.items():
        if k == "total_count":
            args[k] = v
        elif lib is profundo:
            args[k] = t64(v, grad)
        else:
            args[k] = lib.tensor(np.asarray(v, dtype=np.float64), requires_grad=grad)
    return cls(**args), args


@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_like_torch(name):
    torch = pytest.importorskip("torch")
    kw, value = CASES[name]
    ours, pa = _make(profundo, name, kw, True)
    theirs, ta = _make(torch, name, kw, True)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    dtype = np.int64 if name.startswith("Categorical") else np.float64
    lp = ours.log_prob(profundo.tensor(np.asarray(value, dtype=dtype)))
    tlp = theirs.log_prob(torch.tensor(np.asarray(value, dtype=dtype)))
    np.testing.assert_allclose(lp.detach().numpy(), tlp.detach().numpy(), rtol=1e-10, atol=1e-10)
    stats = ["mean", "variance"] + ([] if name.startswith("Categorical") else ["stddev"])
    for attr in stats:
        np.testing.assert_allclose(getattr(ours, attr).detach().numpy(), getattr(theirs, attr).detach().numpy(),
                                   rtol=1e-10)
    if name != "Multinomial":
        np.testing.assert_allclose(ours.entropy().detach().numpy(), theirs.entropy().detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    # gradients of log_prob (and entropy) with respect to the parameters
    total = lp.sum() + (ours.entropy().sum() if name != "Multinomial" else 0)
    ttotal = tlp.sum() + (theirs.entropy().sum() if name != "Multinomial" else 0)
    total.backward()
    ttotal.backward()
    for k in pa:
        if k != "total_count":
            np.testing.assert_allclose(pa[k].grad.numpy(), ta[k].grad.numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name,kw", [("Normal", {"loc": 1.5, "scale": 2.0}), ("Uniform", {"low": -1.0, "high": 3.0}),
                                     ("Exponential", {"rate": 2.0}), ("Bernoulli", {"probs": 0.3})])
def test_samples_have_the_right_shape_and_moments(name, kw):
    d = getattr(D, name)(**{k: profundo.tensor(v) for k, v in kw.items()})
    s = d.sample((20000,))
    assert tuple(s.shape) == (20000,) and s.dtype == profundo.float32 and not s.requires_grad
    assert abs(float(s.mean()) - float(d.mean)) < 0.05 * max(1.0, abs(float(d.mean)))
    assert abs(float(s.var()) - float(d.variance)) < 0.05 * float(d.variance) + 1e-3
    profundo.manual_seed(1)
    a = d.sample((3,))
    profundo.manual_seed(1)
    np.testing.assert_array_equal(a.numpy(), d.sample((3,)).numpy())


def test_batch_shapes_and_discrete_samples():
    c = D.Categorical(probs=profundo.tensor([[0.0, 1.0, 0.0], [0.25, 0.25, 0.5]]))
    s = c.sample((1000,))
    assert tuple(s.shape) == (1000, 2) and s.dtype == profundo.int64
    assert (s[:, 0] == 1).all() and abs(float((s[:, 1] == 2).float().mean()) - 0.5) < 0.06
    m = D.Multinomial(10, probs=profundo.ones(6) / 6)  # d2l's ten rolls of a fair die
    counts = m.sample((500,))
    assert tuple(counts.shape) == (500, 6) and (counts.sum(-1) == 10).all()
    assert abs(float(counts.mean()) - 10 / 6) < 0.1
    n = D.Normal(profundo.zeros(2, 1), profundo.ones(3))  # parameters broadcast
    assert tuple(n.batch_shape) == (2, 3) and tuple(n.sample((4,)).shape) == (4, 2, 3)
    assert tuple(c.enumerate_support().shape) == (3, 2)


def test_rsample_lets_gradients_flow():
    loc, scale = t64([1.0, -2.0]), t64([0.5, 2.0])
    x = D.Normal(loc, scale).rsample()
    eps = ((x - loc) / scale).detach()
    x.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.numpy())
    rate = t64(2.0)
    e = D.Exponential(rate).rsample((5,))
    e.sum().backward()
    np.testing.assert_allclose(rate.grad.numpy(), -(e.detach().sum() / 2.0).numpy())
    low, high = t64(0.0), t64(2.0)
    u = D.Uniform(low, high).rsample((4,))
    u.sum().backward()
    np.testing.assert_allclose(high.grad.numpy() + low.grad.numpy(), 4.0)
    with pytest.raises(NotImplementedError):
        D.Bernoulli(probs=0.5).rsample()
    assert not D.Normal(loc, scale).sample().requires_grad


BAD = [
    lambda T: T.distributions.Normal(T.tensor(0.0), T.tensor(-1.0)),
    lambda T: T.distributions.Normal(T.tensor(float("nan")), T.tensor(1.0)),
    lambda T: T.distributions.Uniform(T.tensor(2.0), T.tensor(1.0)),
    lambda T: T.distributions.Exponential(T.tensor(0.0)),
    lambda T: T.distributions.Bernoulli(probs=T.tensor(1.5)),
    lambda T: T.distributions.Bernoulli(),
    lambda T: T.distributions.Bernoulli(probs=T.tensor(0.5), logits=T.tensor(0.0)),
    lambda T: T.distributions.Categorical(probs=T.tensor([0.5, -0.1, 0.6])),
    lambda T: T.distributions.Categorical(probs=T.tensor(0.5)),
    lambda T: T.distributions.Bernoulli(probs=T.tensor(0.5)).log_prob(T.tensor(0.5)),
    lambda T: T.distributions.Categorical(probs=T.tensor([0.5, 0.5])).log_prob(T.tensor(2)),
    lambda T: T.distributions.Exponential(T.tensor(1.0)).log_prob(T.tensor(-1.0)),
    lambda T: T.distributions.Uniform(T.tensor(0.0), T.tensor(1.0)).log_prob(T.tensor(1.5)),
    lambda T: T.distributions.Multinomial(3, probs=T.tensor([0.5, 0.5])).log_prob(T.tensor([2.0, 2.0])),
]


@pytest.mark.parametrize("make", BAD)
def test_invalid_arguments_raise_like_torch(make):
    torch = pytest.importorskip("torch")
    assert_raises_like_torch(lambda: make(torch), lambda: make(profundo))


def test_d2l_probability_section_runs():
    """d2l 2.6: estimate a die's probabilities from samples, as the book does with torch.distributions."""
    from profundo.distributions.multinomial import Multinomial
    fair_probs = profundo.ones(6) / 6
    counts = Multinomial(1000, fair_probs).sample()
    estimates = counts / 1000
    assert tuple(estimates.shape) == (6,) and float((estimates - 1 / 6).abs().max()) < 0.06
    counts = Multinomial(10, fair_probs).sample((500,))
    cum_counts = counts.cumsum(dim=0)
    estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
    assert float((estimates[-1] - 1 / 6).abs().max()) < 0.05
