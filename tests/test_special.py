"""The vectorized special-function kernels (profundo._backend.special) and the activations built
on them: erf to float64/float32 round-off against math.erf and torch.erf, GELU and
softplus on extreme values against torch, and no speed cliff (issue 11, item 7)."""
import math

import numpy as np
import pytest

import profundo
import profundo.nn.functional as F
from profundo._backend import special as _special

try:
    import torch
except ImportError:  # the suite also runs without torch: those comparisons are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
_exact_erf = np.vectorize(math.erf, otypes=[np.float64])


def _points(dtype, n=60000, seed=0):
    """Many erf arguments: the bulk, every range boundary, tiny and huge magnitudes."""
    rng = np.random.default_rng(seed)
    tiny = -320 if dtype == np.float64 else -44
    parts = [rng.uniform(-7, 7, n), rng.standard_normal(n), rng.uniform(-1, 1, n),
             10.0 ** rng.uniform(tiny, 1.5, n) * rng.choice([-1, 1], n),
             np.array([0.46875, 4.0, 6.0, 27.0, 26.5, 0.5, 1.0, 2.0, 3.9, 4.1, 1e300 if dtype == np.float64 else 1e38])]
    x = np.concatenate(parts)
    return np.concatenate([x, -x]).astype(dtype)


def _ulps(got, ref, dtype):
    """|got - ref| in units in the last place of ``ref`` rounded to ``dtype``."""
    ulp = np.spacing(np.abs(ref).astype(dtype)).astype(np.float64)
    return np.abs(got.astype(np.float64) - ref) / ulp


@pytest.mark.parametrize("dtype,bound,mean", [(np.float64, 4.0, 0.35), (np.float32, 1.0, 0.3)])
def test_erf_against_math_erf_in_ulps(dtype, bound, mean):
    x = _points(dtype)
    got = _special.erf(x)
    assert got.dtype == dtype and got.shape == x.shape
    ulps = _ulps(got, _exact_erf(x.astype(np.float64)), dtype)
    print(f"erf {np.dtype(dtype).name}: max {ulps.max():.2f} ulp, mean {ulps.mean():.3f} ulp vs math.erf")
    assert ulps.max() <= bound
    assert np.mean(ulps) < mean  # a correctly rounded erf would average 0.25


@needs_torch
@pytest.mark.parametrize("dtype,bound", [(np.float64, 4.0), (np.float32, 1.5)])
def test_erf_against_torch_erf_in_ulps(dtype, bound):
    x = _points(dtype, seed=1)
    ours = _special.erf(x)
    theirs = torch.erf(torch.from_numpy(x)).numpy()
    ulps = _ulps(ours, theirs.astype(np.float64), dtype)
    print(f"erf {np.dtype(dtype).name}: max {ulps.max():.2f} ulp vs torch.erf")
    assert ulps.max() <= bound


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_erf_special_values(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 5e-324, 40.0, -40.0]).astype(dtype)
    y = _special.erf(x)
    assert y.dtype == dtype
    assert y[0] == 0 and not np.signbit(y[0]) and y[1] == 0 and np.signbit(y[1])  # erf(+-0) = +-0
    assert y[2] == 1 and y[3] == -1 and np.isnan(y[4])
    tiny = x[5:8].astype(np.float64)
    # erf(x) = 2/sqrt(pi) x there, correctly rounded (float32 and float16 end in float64)
    atol = 0 if dtype == np.float64 else float(np.finfo(dtype).smallest_subnormal)
    np.testing.assert_allclose(y[5:8].astype(np.float64), (2 / math.sqrt(math.pi) * tiny).astype(dtype), rtol=0,
                               atol=atol)
    assert y[8] == 1 and y[9] == -1


def test_float32_normal_cdf_for_gelu_is_accurate_to_float32_spacing_at_1():
    x = np.concatenate([np.linspace(-9, 9, 200001), [1e30, -1e30, np.inf, -np.inf, 0.0, -0.0]]).astype(np.float32)
    cdf = _special._normal_cdf(x)
    exact = 0.5 * np.vectorize(math.erfc)(-x.astype(np.float64) / math.sqrt(2))
    err = np.abs(cdf.astype(np.float64) - exact)
    print(f"Phi float32: max absolute error {err.max():.2e}")
    assert cdf.dtype == np.float32 and err.max() < 1.2e-7  # 2 ulp of 1; 1 + erf in float32 has 1
    assert cdf[-6] == 1 and cdf[-4] == 1 and cdf[-5] == 0 and cdf[-3] == 0 and cdf[-2] == 0.5 == cdf[-1]
    assert np.isnan(_special._normal_cdf(np.array([np.nan], np.float32))[0])


def test_erf_keeps_shapes_and_layouts():
    a = np.linspace(-3, 3, 24).reshape(4, 6)
    for x in (a, a.T, a[:, ::2], np.float64(0.5) * np.ones(()), np.zeros((0, 3))):
        y = _special.erf(np.asarray(x))
        assert y.shape == np.shape(x)
        np.testing.assert_allclose(y, _exact_erf(x), rtol=1e-15, atol=0)


def test_erf_op_values_and_gradient():
    x = profundo.tensor([-30.0, -2.5, -0.3, 0.0, 1e-8, 0.7, 3.0, 30.0], dtype=profundo.float64, requires_grad=True)
    y = x.erf()
    np.testing.assert_allclose(y.detach().numpy(), _exact_erf(x.detach().numpy()), rtol=1e-15, atol=0)
    y.sum().backward()
    xs = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 / math.sqrt(math.pi) * np.exp(-xs * xs), rtol=1e-14, atol=0)
    assert profundo.erf(profundo.tensor([1, 2])).dtype == profundo.float32  # integers: the default float


EXTREMES = [float("-inf"), -1000.0, -40.0, -20.5, -1.0, -1e-30, -0.0, 0.0, 1e-30, 0.5, 19.9, 20.0, 20.5, 40.0,
            1000.0, float("inf"), float("nan")]
CASES = [("gelu", {}), ("gelu", {"approximate": "tanh"}), ("softplus", {}),
         ("softplus", {"beta": 2.0, "threshold": 5.0}), ("softplus", {"beta": -1.5, "threshold": 3.0}),
         ("softplus", {"beta": 0.5, "threshold": 30.0}), ("silu", {}), ("elu", {"alpha": 0.7}), ("elu", {}),
         ("elu", {"alpha": 1.8}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.3}),
         ("leaky_relu", {"negative_slope": 1.5}), ("leaky_relu", {"negative_slope": -0.2})]


def _compare_with_torch(name, kw, values, dtype):
    # (elu's gradient at NaN is the incoming one, as torch's: it was NaN before issue 11)
    if name == "elu" and dtype == np.float32:  # float32 elu is alpha (exp(x) - 1) (no SIMD expm1): 0 for tiny
        values = [v for v in values if not -1e-6 < v < 0]  # negative x
    tdt = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    pdt = {np.float32: profundo.float32, np.float64: profundo.float64}[dtype]
    ours = profundo.tensor(values, dtype=pdt, requires_grad=True)
    theirs = torch.tensor(values, dtype=tdt, requires_grad=True)
    y, ty = getattr(F, name)(ours, **kw), getattr(torch.nn.functional, name)(theirs, **kw)
    g = np.linspace(0.5, 2.0, len(values))
    y.backward(profundo.tensor(g, dtype=pdt))
    ty.backward(torch.tensor(g, dtype=tdt))
    rtol = 1e-13 if dtype == np.float64 else 1e-6
    tiny = float(np.finfo(dtype).tiny)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=rtol, atol=tiny)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=tiny)


@needs_torch
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_extreme_values_like_torch_float64(name, kw):
    _compare_with_torch(name, kw, EXTREMES, np.float64)


@needs_torch
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_extreme_values_like_torch_float32(name, kw):
    values = EXTREMES
    if name == "gelu" and not kw:
        # torch's float32 kernel gives gelu(+inf) = nan (its float64 one, and profundo, give inf)
        values = [v for v in EXTREMES if v != float("inf")]
    if name == "softplus" and kw.get("threshold", 20.0) > 88 / abs(kw.get("beta", 1.0)):
        # torch's float32 softplus computes log1p(exp(beta x)) below the threshold and overflows to inf
        # past beta x = 88; profundo's stable form gives x there
        values = [v for v in values if not 88 < abs(v * kw.get("beta", 1.0)) < math.inf]
    _compare_with_torch(name, kw, values, np.float32)


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_gradcheck_float64(name, kw):
    x = profundo.tensor(np.random.default_rng(2).uniform(-4, 4, (3, 5)) + 0.013, dtype=profundo.float64,
                        requires_grad=True)
    fn = lambda t: getattr(F, name)(t, **kw)  # noqa: E731
    assert profundo.autograd.gradcheck(fn, (x,))
    assert profundo.autograd.gradgradcheck(fn, (x,))


def test_softplus_threshold_returns_the_input_exactly():
    x = np.array([20.000001, 21.3, 1e5, 6.1], dtype=np.float64)
    y = F.softplus(profundo.tensor(x), beta=3.0, threshold=20.0).numpy()
    assert np.array_equal(y[:3], x[:3])  # beta x > threshold: x itself, not (beta x) / beta
    np.testing.assert_allclose(y[3], math.log1p(math.exp(3 * 6.1)) / 3, rtol=1e-15)


def test_float32_log1p_replacement_is_accurate():
    e = np.concatenate([10.0 ** np.random.default_rng(3).uniform(-45, 0, 100000), [0.0, 1.0]]).astype(np.float32)
    got = _special._log1p_small(e)
    ref = np.log1p(e.astype(np.float64))
    assert _ulps(got, ref, np.float32).max() <= 3.0  # np.log's float32 error near 1; np.log1p's is 1.6


def test_activations_refuse_integer_tensors():
    for fn in (F.gelu, lambda t: F.gelu(t, approximate="tanh"), F.softplus):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            fn(profundo.tensor([1, 2]))


# ---------------------------------------------------------------- lgamma, digamma (issue 11)
def _gamma_grid():
    """Small, large and negative non-integer arguments, and points near lgamma's zeros at 1 and 2."""
    rng = np.random.default_rng(3)
    x = np.concatenate([np.linspace(-30.05, 30.05, 6011), rng.uniform(0.5, 3.0, 2000), 10 ** rng.uniform(-300, 300, 2000),
                        -(10 ** rng.uniform(-8, 14, 2000)), rng.uniform(-200, 200, 2000), 1 + rng.uniform(-1e-4, 1e-4, 200),
                        2 + rng.uniform(-1e-4, 1e-4, 200), [1e-300, 0.5, 1.5, 171.6, 1e300, 2.5e305]])
    return x[x != np.round(x)]


def test_lgamma_against_math_lgamma_on_a_grid():
    x = _gamma_grid()
    ours = _special.lgamma_float64(x)
    ref = np.array([math.lgamma(v) for v in x])
    # relative 1e-13; the absolute term covers math.lgamma's own error next to its zeros at 1 and 2
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=1e-13)


@needs_torch
def test_lgamma_and_digamma_against_torch_on_a_grid():
    x = _gamma_grid()
    # (atol: next to lgamma's zeros at x < 0, -2.457, -2.747, ..., the reflection formula subtracts
    # nearly equal numbers and leaves an absolute error of a few 1e-15)
    np.testing.assert_allclose(_special.lgamma_float64(x), torch.lgamma(torch.from_numpy(x)).numpy(),
                               rtol=1e-13, atol=1e-14)
    small = x[np.abs(x) < 1e12]
    np.testing.assert_allclose(_special.digamma_float64(small), torch.digamma(torch.from_numpy(small)).numpy(),
                               rtol=1e-12, atol=1e-13)
    positive = x[(x > 1e-3) & (x < 1e12)]
    # (torch's polygamma(1, x) itself is off by up to 5e-10 relative (against mpmath); profundo's by 6e-16)
    np.testing.assert_allclose(_special.trigamma_float64(positive),
                               torch.polygamma(1, torch.from_numpy(positive)).numpy(), rtol=1e-9)


def test_lgamma_near_its_zeros_is_relatively_accurate():
    """lgamma(1 + z) ~ -0.5772 z and lgamma(2 + z) ~ 0.4228 z for tiny z: relative, not absolute, accuracy."""
    z = np.array([1e-12, -1e-12, 1e-8, -3e-9, 1e-5])
    euler = 0.57721566490153286
    z1, z2 = (1 + z) - 1, (2 + z) - 2  # the offsets of the float64 arguments, exactly
    np.testing.assert_allclose(_special.lgamma_float64(1 + z), -euler * z1 + 0.8224670334241132 * z1 * z1,
                               rtol=1e-10)
    np.testing.assert_allclose(_special.lgamma_float64(2 + z), (1 - euler) * z2 + 0.3224670334241132 * z2 * z2,
                               rtol=1e-10)
    assert _special.lgamma_float64(np.array([1.0, 2.0])).tolist() == [0.0, 0.0]


GAMMA_SPECIAL = [0.0, -0.0, -1.0, -2.0, -1e17, -2.5, -0.5, 1e-300, 1.0, 2.0, 3.0, 0.5, 1e10, 1e306, 2.5e305,
                 float("inf"), float("-inf"), float("nan")]


@needs_torch
@pytest.mark.parametrize("name", ["lgamma", "digamma"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gamma_functions_at_poles_and_infinities_like_torch(name, dtype):
    ours = getattr(profundo, name)(profundo.tensor(GAMMA_SPECIAL, dtype=getattr(profundo, dtype))).numpy()
    theirs = getattr(torch, name)(torch.tensor(GAMMA_SPECIAL, dtype=getattr(torch, dtype))).numpy()
    # (float32: torch computes in float32, up to 2e-6 off (digamma(-0.5)); profundo rounds its float64 result)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-13, equal_nan=True)
    assert ours.dtype == theirs.dtype


def test_lgamma_gives_log_factorials_and_digamma_its_gradient():
    n = profundo.arange(1, 30)
    assert profundo.lgamma(n).dtype == profundo.float32  # integers: the default float, as torch
    expected = np.array([math.log(math.factorial(k - 1)) for k in range(1, 30)])
    np.testing.assert_allclose(profundo.lgamma(n.double()).numpy(), expected, rtol=1e-14, atol=1e-15)
    x = profundo.tensor([-2.5, 0.3, 4.0], dtype=profundo.float64, requires_grad=True)
    x.lgamma().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x.detach().digamma().numpy(), rtol=1e-15)
    assert profundo.autograd.gradcheck(profundo.digamma, (x,))
    with pytest.raises(NotImplementedError, match="digamma"):  # polygamma(2, x): refused, not wrong
        g, = profundo.autograd.grad(x.digamma().sum(), x, create_graph=True)
        profundo.autograd.grad(g.sum(), x, create_graph=True)[0].sum().backward()


def test_multinomial_log_prob_uses_the_vectorized_lgamma():
    """log(n! / prod k_i!) came from math.lgamma element by element (np.frompyfunc, which a GPU backend lacks)."""
    import profundo.distributions.multinomial as multinomial
    assert not hasattr(multinomial, "_lgamma") and "frompyfunc" not in open(multinomial.__file__).read()
    d = profundo.distributions.Multinomial(10, probs=profundo.tensor([0.2, 0.3, 0.5], dtype=profundo.float64))
    counts = profundo.tensor([[2.0, 3.0, 5.0], [0.0, 10.0, 0.0]], dtype=profundo.float64)
    expected = [math.log(math.factorial(10) / (2 * 6 * 120)) + 2 * math.log(0.2) + 3 * math.log(0.3) + 5 * math.log(0.5),
                10 * math.log(0.3)]
    np.testing.assert_allclose(d.log_prob(counts).numpy(), expected, rtol=1e-13)
    if torch is not None:
        t = torch.distributions.Multinomial(10, probs=torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64))
        np.testing.assert_allclose(d.log_prob(counts).numpy(), t.log_prob(torch.from_numpy(counts.numpy())).numpy(),
                                   rtol=1e-13)
