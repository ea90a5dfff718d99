"""The NumPy backend's kernels for special functions and the smooth activations.

Plain functions of NumPy arrays (no Tensor; ``NumpyBackend`` calls them, and
``ReferenceBackend.erf`` uses Cody's float64 ``erf_float64``): ``erf`` and the forward and
backward formulas of GELU (exact and tanh forms), softplus, ELU and SiLU.  Each is
vectorized over the whole array (NumPy has no ``erf``; ``math.erf`` element by
element was 50x slower than PyTorch on a 256x784 GELU).

Speed notes, measured on 256x784 float32 (one core): every NumPy pass over the
array costs about as much as the next, so the kernels count passes; ``np.where``
and masked copies over mixed signs are ~10x slower than an arithmetic pass
(NumPy branches per element), so the formulas are branch-free; NumPy's float32
``log1p``, ``expm1`` and ``copysign`` are not SIMD loops here (3-5x slower
than ``log``/``exp``/``multiply``), so they are avoided in float32.
"""
import math

import numpy as np

def _any_shape(kernel):
    """Let ``kernel`` take 0-d arrays too: NumPy turns 0-d results into scalars, which
    the in-place (``out=``) steps cannot write to, so 0-d inputs run as 1-element arrays."""
    def wrapper(x, *args, **kwargs):
        if x.ndim:
            return kernel(x, *args, **kwargs)
        args = [a.reshape(1) if isinstance(a, np.ndarray) else a for a in args]
        out = kernel(x.reshape(1), *args, **kwargs)
        return tuple(o.reshape(()) for o in out) if type(out) is tuple else out.reshape(())
    wrapper.__name__, wrapper.__doc__ = kernel.__name__, kernel.__doc__
    return wrapper


# ---------------------------------------------------------------------- erf, float64
# W. J. Cody, "Rational Chebyshev approximations for the error function",
# Math. Comp. 23 (1969) 631-637 (the coefficients of his SPECFUN routine CALERF):
# erf(x) = x P(x^2) / Q(x^2) for |x| <= 0.46875, and 1 - erfc(x) beyond, with
# erfc(x) = exp(-x^2) R(x) / S(x) for |x| <= 4 and
# erfc(x) = exp(-x^2) / x (1/sqrt(pi) - z P(z) / Q(z)), z = 1 / x^2, for |x| > 4.
_CODY_A = (3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2,
           3.20937758913846947e3, 1.85777706184603153e-1)
_CODY_B = (2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3,
           2.84423683343917062e3)
_CODY_C = (5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1,
           2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3,
           2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8)
_CODY_D = (1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2,
           1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3,
           3.43936767414372164e3, 1.23033935480374942e3)
_CODY_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_CODY_Q = (2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1


def _ratio(t, num_lead, num, den):
    """``(num_lead t^n + num[0] t^(n-1) + ... + num[-1]) / (t^n + den[0] t^(n-1) + ... + den[-1])``
    by Horner's rule, in place (Cody's layout: the leading numerator coefficient is given apart)."""
    n = num_lead * t
    d = t.copy()
    for a, b in zip(num[:-1], den[:-1]):
        n += a
        n *= t
        d += b
        d *= t
    n += num[-1]
    d += den[-1]
    n /= d
    return n


def _exp_minus_square(y):
    """``exp(-y^2)`` without the error of rounding ``y^2`` (Cody): ``y = h + (y - h)``
    with ``h`` a multiple of 1/16, so ``h^2`` is exact and the rest is small."""
    h = np.trunc(y * 16.0)
    h /= 16.0
    rest = (y - h) * (y + h)
    np.negative(rest, out=rest)
    np.exp(rest, out=rest)
    np.square(h, out=h)
    np.negative(h, out=h)
    np.exp(h, out=h)
    h *= rest
    return h


def erf_float64(x):
    """erf of a float64 array, to float64 round-off (Cody's three ranges, each
    computed on the elements in its range only)."""
    flat = x.ravel()
    y = np.abs(flat)
    out = np.empty_like(flat)
    small = y <= 0.46875
    big = y > 4.0
    middle = ~(small | big)  # NaN lands here and stays NaN
    if small.any():
        s = flat[small]
        out[small] = s * _ratio(s * s, _CODY_A[4], _CODY_A[:4], _CODY_B)
    if middle.any():
        m = y[middle]
        erfc = _ratio(m, _CODY_C[8], _CODY_C[:8], _CODY_D)
        erfc *= _exp_minus_square(m)
        out[middle] = np.copysign(1.0 - erfc, flat[middle])
    if big.any():
        b = np.minimum(y[big], 27.0)  # erfc(27) underflows to 0: erf is +-1 from here (inf included)
        z = 1.0 / (b * b)
        erfc = _ratio(z, _CODY_P[5], _CODY_P[:5], _CODY_Q)
        erfc *= z
        np.subtract(_ONE_OVER_SQRT_PI, erfc, out=erfc)
        erfc /= b
        erfc *= _exp_minus_square(b)
        out[big] = np.copysign(1.0 - erfc, flat[big])
    return out.reshape(x.shape)


# ---------------------------------------------------------------------- erf, float32
# erf(x) = tanh(x g(x^2)) with g(z) = atanh(erf(sqrt z)) / sqrt z, a smooth function that
# a degree-9 polynomial fits on [0, 4.5^2].  Past |x| = 4.5 (x^2 clamped, so x g grows with
# x) tanh gives 1, erf's float32 value there; +-inf give +-1 and NaN stays NaN, with no
# test of their own.  One formula for every x, so no branch and no mask.  The coefficients
# are a least-squares fit (reweighted towards minimax, Lawson's method) of erf's relative
# error against math.erf on 60001 points of [0, 4.5], c0 held at 2/sqrt(pi): 0.17 ulp.  The small high-order part
# z (c1 + c2 z + ...) runs in float32 (its rounding barely shows); the last step, x (c0 + ...),
# and tanh run in float64, because in float32 the rounding of c0 and np.tanh's own 1.4 ulp
# gave 3 ulp: this way the result is within 0.7 ulp of erf (tests/test_special.py measures
# it against math.erf and torch.erf), for about twice the time of the all-float32 version.
_TANH_FORM = np.array([
    1.1283791670955126, 0.10277232511643944, -0.0002072315485503571, -0.0005944460185118208,
    6.867863948746367e-05, 1.588144502019311e-06, -1.3492392228641681e-06, 1.6391485031192571e-07,
    -8.984593749998671e-09, 1.92419138512236e-10])  # c0 = 2/sqrt(pi) exactly: erf(x) = c0 x near 0
_TANH_FORM32 = _TANH_FORM.astype(np.float32)


def _erf_float32(x):
    """erf of a float32 array (within 0.7 ulp, see above)."""
    c = _TANH_FORM32
    z = np.square(x)
    np.minimum(z, np.float32(4.5 * 4.5), out=z)  # NaN stays NaN
    u = z * c[-1]
    for k in range(len(c) - 2, 0, -1):
        u += c[k]
        u *= z
    u64 = u.astype(np.float64)
    u64 += _TANH_FORM[0]
    u64 *= x
    np.tanh(u64, out=u64)
    return u64.astype(np.float32)


def _tanh_form(x, c, z_max):
    """``tanh(x P(min(x^2, z_max)))``, P the polynomial of coefficients ``c`` (lowest first)."""
    z = np.square(x)
    np.minimum(z, z_max, out=z)  # NaN stays NaN
    u = z * c[-1]
    for k in range(len(c) - 2, 0, -1):
        u += c[k]
        u *= z
    u += c[0]
    u *= x
    return np.tanh(u, out=u)


@_any_shape
def erf(x):
    """The error function of a floating-point array, elementwise, in its dtype.

    float64: Cody's rational approximations (float64 round-off, a few ulp at most);
    float32: one branch-free formula, float32 then float64 (within 0.7 ulp); other
    float dtypes go through float64.  erf(+-0) = +-0, erf(+-inf) = +-1, erf(nan) = nan.
    """
    if x.dtype == np.float32:
        return _erf_float32(x)
    if x.dtype == np.float64:
        return erf_float64(x)
    return erf_float64(x.astype(np.float64)).astype(x.dtype)


# ---------------------------------------------------------------------- GELU
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# The normal CDF for GELU in float32: Phi(x) = (1 + erf(x / sqrt 2)) / 2 = (1 + tanh(x h(x^2))) / 2.
# GELU needs Phi to an absolute error near float32's spacing at 1 (PyTorch's 1 + erf has no
# more), not erf's relative accuracy near 0: a degree-6 polynomial h does it (fit as above on
# [0, 6]: 2.9e-8, ~1e-7 once evaluated in float32 only), about half the time of erf's kernel.
_PHI_TANH_FORM = np.array([
    0.7978849415226528, 0.03633308424063861, -3.2594532252058975e-05, -5.5306417382819444e-05,
    3.964793692426898e-06, -1.3226807963394082e-07, 1.756332164216977e-09], dtype=np.float32)


def _normal_cdf(x):
    """Phi(x), the standard normal CDF, in x's dtype (float32: the short form above)."""
    t = x.dtype.type
    if x.dtype == np.float32:
        cdf = _tanh_form(x, _PHI_TANH_FORM, np.float32(36.0))
    else:
        cdf = erf(x * t(_SQRT1_2))
    cdf *= t(0.5)
    cdf += t(0.5)
    return cdf


@_any_shape
def gelu(x):
    """Exact GELU, ``x * Phi(x)`` with ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``.

    Returns ``(y, cdf)``: ``cdf`` (Phi(x)) is what the backward needs again.
    """
    cdf = _normal_cdf(x)
    return x * cdf, cdf


@_any_shape
def gelu_backward(g, x, cdf):
    """``g * (Phi(x) + x phi(x))``, phi the normal density; ``cdf`` is Phi(x) from ``gelu``."""
    t = x.dtype.type
    d = np.square(x)
    d *= t(-0.5)
    np.exp(d, out=d)
    d *= t(_INV_SQRT_2PI)
    d *= x
    d += cdf
    d *= g
    return d


# GELU's tanh form, with PyTorch's constants: 0.5 x (1 + tanh(b (x + k x^3)))
_GELU_B = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_GELU_K = 0.044715


@_any_shape
def gelu_tanh(x):
    """GELU's tanh approximation.  Returns ``(y, th)``, ``th`` = tanh(inner) for the backward."""
    t = x.dtype.type
    inner = np.square(x)
    inner *= t(_GELU_K)
    inner += t(1.0)
    inner *= x
    inner *= t(_GELU_B)
    th = np.tanh(inner, out=inner)
    y = th + t(1.0)
    y *= x
    y *= t(0.5)
    return y, th


@_any_shape
def gelu_tanh_backward(g, x, th):
    """d/dx of ``0.5 x (1 + th)``: ``0.5 (1 + th) + 0.5 x (1 - th^2) b (1 + 3 k x^2)``, times g."""
    t = x.dtype.type
    d = np.square(x)
    d *= t(3.0 * _GELU_K * _GELU_B)
    d += t(_GELU_B)            # b (1 + 3 k x^2)
    d *= x
    sech2 = np.square(th)
    np.subtract(t(1.0), sech2, out=sech2)
    d *= sech2                 # x (1 - th^2) b (1 + 3 k x^2)
    d += th
    d += t(1.0)
    d *= t(0.5)
    d *= g
    return d


# ---------------------------------------------------------------------- softplus
def _log1p_small(e):
    """``log1p(e)`` for ``0 <= e <= 1`` with ``log`` (SIMD) instead of NumPy's float32
    ``log1p`` (a scalar loop): ``log(u) + (e - (u - 1)) / u`` with ``u = 1 + e`` rounded;
    ``e - (u - 1)`` is that rounding error exactly, and the term corrects for it
    (exact to first order, so also right where ``u`` rounds to 1)."""
    u = e + e.dtype.type(1.0)
    r = u - e.dtype.type(1.0)
    np.subtract(e, r, out=r)
    r /= u
    np.log(u, out=u)
    u += r
    return u


@_any_shape
def softplus(x, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold`` (PyTorch's rule).

    Written ``max(z, 0) + log1p(exp(-|z|))`` (z = beta x), which never overflows: no where().
    """
    t = x.dtype.type
    z = x * t(beta) if beta != 1 else x
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    y = _log1p_small(e) if x.dtype == np.float32 else np.log1p(e, out=e)
    y += np.maximum(z, t(0.0))
    if beta != 1:
        y /= t(beta)
    above = z > threshold  # rare in practice: the masked copy is cheap when it seldom copies
    if above.any():
        np.copyto(y, x, where=above)
    return y


@_any_shape
def softplus_backward(g, x, beta=1.0, threshold=20.0):
    """``g * sigmoid(beta x)``, and ``g`` where ``beta x > threshold``."""
    t = x.dtype.type
    s = x * t(-beta)
    np.exp(s, out=s)
    s += t(1.0)
    np.divide(g, s, out=s)  # exp(-z) = inf for very negative z gives g / inf = 0: no NaN
    above = x * t(beta) > threshold if beta != 1 else x > threshold
    if above.any():
        np.copyto(s, g, where=above)
    return s


# ---------------------------------------------------------------------- ELU, SiLU
@_any_shape
def elu(x, alpha=1.0):
    """``x`` where x > 0, else ``alpha (exp(x) - 1)``.  Returns ``(y, e)``, ``e = exp(min(x, 0))``
    for the backward (1 where x is NaN: ``fmin``).  Branch-free: ``max(x, 0) + alpha (exp(min(x, 0)) - 1)``;
    the clamped exp never overflows, and float32 ``expm1`` is not a SIMD loop in NumPy (5x slower)."""
    t = x.dtype.type
    zeros = np.zeros((), x.dtype)
    e = np.fmin(x, zeros)  # (fmin: 0 where x is NaN, so e = 1 there and the gradient is g, as PyTorch's)
    if x.dtype == np.float32:
        np.exp(e, out=e)
        y = e - t(1.0)  # exp(x) - 1: off by up to half an ulp of 1 where x is tiny (x rather than 0 near -0)
    else:  # float64's expm1 is fast enough: exact where x is tiny
        y = np.expm1(e)
        np.exp(e, out=e)  # not y + 1, which rounds exp(x) below 1e-16 to 0
    if alpha != 1:
        y *= t(alpha)
    y += np.maximum(x, zeros)  # NaN stays NaN
    return y, e


@_any_shape
def elu_backward(g, x, e, alpha=1.0):
    """``g alpha exp(x)`` where x <= 0, else ``g`` (NaN included, as PyTorch's);
    ``e = exp(min(x, 0))`` from ``elu``, exactly 1 where x > 0 or NaN."""
    t = x.dtype.type
    if alpha == 1:  # then e is the derivative itself: one pass
        return e * g
    u = np.empty_like(e)
    np.less_equal(x, 0, out=u, casting="unsafe")  # 0/1 weights, written as floats (no bool array)
    d = u * e  # a multiply, not NumPy's branchy where()
    d *= t(alpha)
    np.subtract(t(1.0), u, out=u)
    d += u
    d *= g
    return d


@_any_shape
def silu(x):
    """``x sigmoid(x)``.  Returns ``(y, s)``, ``s = sigmoid(x)`` for the backward."""
    t = x.dtype.type
    s = np.negative(x)
    np.exp(s, out=s)  # exp(-x) = inf for x < -88 (float32) gives s = 0: no NaN
    s += t(1.0)
    np.reciprocal(s, out=s)
    return x * s, s


@_any_shape
def silu_backward(g, x, s):
    """``g s (1 + x (1 - s))``, the derivative of ``x sigmoid(x)``."""
    t = x.dtype.type
    d = t(1.0) - s
    d *= x
    d += t(1.0)
    d *= s
    d *= g
    return d


# ---------------------------------------------------------------------- log-gamma, digamma, trigamma (float64)
# Every one of them in three steps, on the whole array at once (masks, no Python loop over elements):
#  1. reflection: a negative x (x < 1/2) is sent to 1 - x >= 1/2 by Euler's reflection formula;
#  2. recurrence: Gamma(x + 1) = x Gamma(x) moves x up to where
#  3. the asymptotic (Stirling) series converges to float64 round-off in a few terms.
# ``xp`` is the array module (NumPy; a CuPy backend passes its own).
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Stirling: lgamma(z) = (z - 1/2) log z - z + log sqrt(2 pi) + sum B_2k / (2k (2k - 1) z^(2k - 1)),
# B_2k the Bernoulli numbers; from z >= 8 the first eight terms leave < 1e-16.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)
# Near its zeros x = 1 and x = 2, lgamma is a difference of nearly equal numbers in Stirling's form; its
# Taylor series around 2 keeps the relative accuracy there: lgamma(2 + z) = (1 - euler_gamma) z +
# sum_k (-1)^k (zeta(k) - 1) / k z^k (zeta Riemann's; coefficients k = 2..20, to 1e-19 for |z| <= 1/4),
# and lgamma(1 + z) = lgamma(2 + z) - log1p(z).
_ONE_MINUS_EULER = 0.42278433509846713939
_LGAMMA_AT_2 = (
    0.3224670334241132, -0.0673523010531981, 0.020580808427784546, -0.007385551028673986,
    0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425, -0.00022315475845357939,
    9.945751278180853e-05, -4.492623673813314e-05, 2.050721277567069e-05, -9.439488275268397e-06,
    4.374866789907488e-06, -2.039215753801366e-06, 9.55141213040742e-07, -4.492469198764566e-07,
    2.1207184805554665e-07, -1.0043224823968099e-07, 4.7698101693639804e-08)
# digamma(z) = log z - 1/(2z) - sum B_2k / (2k z^2k); trigamma(z) = 1/z + 1/(2 z^2) + sum B_2k / z^(2k+1)
_DIGAMMA = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
_TRIGAMMA = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _series(w, coefs, xp):
    """``coefs[0] + coefs[1] w + coefs[2] w^2 + ...`` by Horner's rule."""
    out = xp.full_like(w, coefs[-1])
    for c in coefs[-2::-1]:
        out *= w
        out += c
    return out


def _sin_pi(x, xp):
    """``sin(pi x)``, exact at the integers: the reduction ``r = x - round(x)`` loses nothing, so a
    huge or integer x gives ``sin(pi r)`` with r exact (``sin(pi * x)`` itself rounds ``pi x`` first)."""
    r = x - xp.round(x)
    s = xp.sin(math.pi * r)
    return xp.where(xp.round(x) % 2 == 0, s, -s)  # sin(pi (n + r)) = (-1)^n sin(pi r)


def _shift_up(x, to, xp):
    """``(z, steps)``: ``z = x + n`` with the least n >= 0 that makes ``z >= to`` (x >= 1/2, so n <= to), and
    the list of the ``x + k`` (k < n, where the shift happened; 0 elsewhere) the recurrence divides by."""
    z = x.copy()
    steps = []
    for _ in range(int(to)):
        below = z < to
        if not below.any():
            break
        steps.append(xp.where(below, z, 0.0))
        z += below
    return z, steps


def _lgamma_positive(x, xp):
    """lgamma(x) for x >= 1/2 (inf and NaN pass through)."""
    z, steps = _shift_up(x, 8.0, xp)
    w = 1.0 / z
    out = (z - 0.5) * (xp.log(z) - 1.0) - 0.5 + _LOG_SQRT_2PI + w * _series(w * w, _STIRLING, xp)
    for s in steps:  # lgamma(x) = lgamma(x + n) - log(x (x + 1) ... (x + n - 1))
        out -= xp.log(xp.where(s == 0, 1.0, s))
    # near 1 and 2: the Taylor series around 2 (see above)
    z1, z2 = x - 1.0, x - 2.0
    near1, near2 = xp.abs(z1) <= 0.25, xp.abs(z2) <= 0.25
    if near1.any() or near2.any():
        t = xp.where(near1, z1, xp.where(near2, z2, 0.0))
        at2 = t * (_ONE_MINUS_EULER + t * _series(t, _LGAMMA_AT_2, xp))
        out = xp.where(near2, at2, xp.where(near1, at2 - xp.log1p(t), out))
    return out


def lgamma_float64(x, xp=np):
    """``log |Gamma(x)|`` of a float64 array, to ~1e-15 relative (relative also near the zeros at 1
    and 2; next to the zeros at x < 0, -2.457, -2.747, ..., an absolute error of a few 1e-15).  Negative x: reflection, ``lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)``; +inf at
    0 and the negative integers (and at -inf), as PyTorch's."""
    neg = x < 0.5
    y = xp.where(neg, 1.0 - x, x)
    out = _lgamma_positive(y, xp)
    if neg.any():
        s = xp.abs(_sin_pi(xp.where(neg & xp.isfinite(x), x, 0.5), xp))  # (0 at the integers: log(pi / 0) = inf)
        out = xp.where(neg, xp.log(math.pi / s) - out, out)
        out = xp.where(x == -xp.inf, xp.inf, out)
    return out


def digamma_float64(x, xp=np):
    """``digamma(x) = d/dx lgamma(x)`` of a float64 array.  Negative x: reflection, ``digamma(x) =
    digamma(1 - x) - pi / tan(pi x)``; as PyTorch: -inf at +0 (+inf at -0), NaN at the negative
    integers and at -inf."""
    neg = x < 0.5
    y = xp.where(neg, 1.0 - x, x)
    z, steps = _shift_up(y, 10.0, xp)
    w = 1.0 / z
    out = xp.log(z) - 0.5 * w - (w * w) * _series(w * w, _DIGAMMA, xp)
    for s in steps:  # digamma(x) = digamma(x + n) - 1/x - 1/(x + 1) - ... - 1/(x + n - 1)
        out -= xp.where(s == 0, 0.0, 1.0 / xp.where(s == 0, 1.0, s))
    if neg.any():
        r = x - xp.round(x)  # tan has period pi: tan(pi x) = tan(pi r), with r exact
        with_reflection = out - math.pi / xp.tan(math.pi * r)
        out = xp.where(neg, with_reflection, out)
        out = xp.where((r == 0) & neg, xp.nan, out)  # the poles at 0, -1, -2, ... (and -inf)
        out = xp.where(x == 0, xp.copysign(xp.inf, -xp.copysign(1.0, x)), out)  # -inf at +0, +inf at -0
    return out


def trigamma_float64(x, xp=np):
    """``trigamma(x) = d/dx digamma(x)`` (PyTorch's ``polygamma(1, x)``) of a float64 array, for the
    gradient of digamma.  Negative x: ``trigamma(x) = pi^2 / sin^2(pi x) - trigamma(1 - x)``; +inf at
    0 and the negative integers."""
    neg = x < 0.5
    y = xp.where(neg, 1.0 - x, x)
    z, steps = _shift_up(y, 10.0, xp)
    w = 1.0 / z
    out = w + 0.5 * (w * w) + (w * w * w) * _series(w * w, _TRIGAMMA, xp)
    for s in steps:  # trigamma(x) = trigamma(x + n) + 1/x^2 + ... + 1/(x + n - 1)^2
        out += xp.where(s == 0, 0.0, 1.0 / xp.where(s == 0, 1.0, s) ** 2)
    if neg.any():
        s = _sin_pi(xp.where(neg & xp.isfinite(x), x, 0.5), xp)
        out = xp.where(neg, math.pi ** 2 / (s * s) - out, out)  # (s = 0 at the poles: inf)
        out = xp.where(x == -xp.inf, xp.nan, out)
    return out
