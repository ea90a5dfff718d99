"""Attention (issue 13): F.scaled_dot_product_attention, F.multi_head_attention_forward,
nn.MultiheadAttention and the Transformer layers.

Without PyTorch: sdpa against the plain NumPy formula (masks, causal, scale, broadcasting, fully
masked rows), gradcheck/gradgradcheck, dropout drawn from profundo's generator, the modules'
parameters, keys, init and errors.  With PyTorch (the ``torch`` fixture skips otherwise): every
layer against torch's with torch's state_dict loaded, float64, outputs, returned weights and the
gradients of the inputs and of every parameter.
"""
import math
import warnings

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


def rand(rng, *shape):
    return rng.standard_normal(shape)


def sdpa_numpy(q, k, v, mask=None, scale=None, causal=False):
    """The definition, in float64 NumPy (bool mask: True = take part; float: added)."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    m = s.max(-1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0))
    total = e.sum(-1, keepdims=True)
    w = np.where(total > 0, e / np.where(total > 0, total, 1), 0)  # an all-masked row: zeros
    return w @ v


def t(a, grad=False):
    return profundo.tensor(a, requires_grad=grad)


# ------------------------------------------------------------------ scaled_dot_product_attention
@pytest.mark.parametrize("case", ["plain", "bool", "float", "causal", "scale", "broadcast", "unbatched", "rect_causal"])
def test_sdpa_matches_formula(case):
    rng = np.random.default_rng(1)
    q, k, v = rand(rng, 2, 3, 4, 5), rand(rng, 2, 3, 6, 5), rand(rng, 2, 3, 6, 7)
    kw, ref = {}, {}
    if case == "bool":
        m = rng.random((4, 6)) < 0.6
        kw["attn_mask"], ref["mask"] = t(m), m
    elif case == "float":
        m = rand(rng, 3, 1, 6)
        kw["attn_mask"], ref["mask"] = t(m), m
    elif case == "causal":
        kw["is_causal"] = ref["causal"] = True
    elif case == "scale":
        kw["scale"] = ref["scale"] = 0.37
    elif case == "broadcast":
        k, v = k[:1, :1], v[:1]
    elif case == "unbatched":
        q, k, v = q[0, 0], k[0, 0], v[0, 0]
    elif case == "rect_causal":  # L > S: top-left aligned, as torch.ones(L, S).tril()
        q = rand(rng, 3, 8, 5)
        k, v = k[0], v[0]
        kw["is_causal"] = ref["causal"] = True
    out = F.scaled_dot_product_attention(t(q), t(k), t(v), **kw)
    np.testing.assert_allclose(out.numpy(), sdpa_numpy(q, k, v, **ref), rtol=1e-12, atol=1e-12)


def test_sdpa_fully_masked_row_is_zero_and_has_zero_gradient():
    rng = np.random.default_rng(2)
    q, k, v = (t(rand(rng, 3, 4), True), t(rand(rng, 5, 4), True), t(rand(rng, 5, 2), True))
    m = np.ones((3, 5), bool)
    m[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=t(m))
    assert np.array_equal(out.detach().numpy()[1], np.zeros(2))
    out.sum().backward()
    assert np.array_equal(q.grad.numpy()[1], np.zeros(4)) and np.isfinite(k.grad.numpy()).all()


def test_sdpa_float32_stays_float32():
    rng = np.random.default_rng(3)
    q = t(rand(rng, 2, 3, 4).astype(np.float32), True)
    out = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    assert out.dtype == profundo.float32
    out.sum().backward()
    assert q.grad.dtype == profundo.float32


@pytest.mark.parametrize("kind", ["none", "float_mask", "bool_mask", "causal"])
def test_sdpa_gradcheck(kind):
    rng = np.random.default_rng(4)
    q, k, v = t(rand(rng, 2, 3, 2), True), t(rand(rng, 2, 4, 2), True), t(rand(rng, 1, 4, 3), True)
    args = [q, k, v]
    if kind == "float_mask":  # a float mask is added to the scores: it has a gradient too
        args.append(t(rand(rng, 3, 4), True))
        f = lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m)  # noqa: E731
    elif kind == "bool_mask":
        m = t(rng.random((3, 4)) < 0.6)
        f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.7)  # noqa: E731
    else:
        f = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=kind == "causal")  # noqa: E731
    assert gradcheck(f, args)
    assert gradgradcheck(f, args)


def test_sdpa_dropout_uses_profundo_generator():
    rng = np.random.default_rng(5)
    q, k, v = rand(rng, 2, 4, 3), rand(rng, 2, 6, 3), rand(rng, 2, 6, 5)
    profundo.manual_seed(7)
    a = F.scaled_dot_product_attention(t(q), t(k), t(v), dropout_p=0.5)
    profundo.manual_seed(7)
    b = F.scaled_dot_product_attention(t(q), t(k), t(v), dropout_p=0.5)
    assert np.array_equal(a.numpy(), b.numpy())
    c = F.scaled_dot_product_attention(t(q), t(k), t(v), dropout_p=0.5)  # the generator moved on
    assert not np.array_equal(a.numpy(), c.numpy())
    # the value: the softmax weights, each dropped or kept (x 2), times v, with the mask drawn
    # from profundo's generator as dropout draws it
    from profundo.random import _rng
    w = sdpa_numpy(q, k, np.eye(6)[None].repeat(2, 0))  # the weights themselves (v = identity)
    profundo.manual_seed(7)
    mask = (_rng(None).random((2, 4, 6)) >= 0.5) * 2.0
    np.testing.assert_allclose(a.numpy(), (w * mask) @ v, rtol=1e-12, atol=1e-12)
    # p = 0 is no dropout; p = 1 drops every weight
    np.testing.assert_allclose(F.scaled_dot_product_attention(t(q), t(k), t(v), dropout_p=0.0).numpy(),
                               sdpa_numpy(q, k, v), rtol=1e-12)
    assert not F.scaled_dot_product_attention(t(q), t(k), t(v), dropout_p=1.0).numpy().any()


def test_sdpa_gqa():
    rng = np.random.default_rng(6)
    q, k, v = rand(rng, 2, 4, 3, 5), rand(rng, 2, 2, 6, 5), rand(rng, 2, 2, 6, 3)
    out = F.scaled_dot_product_attention(t(q), t(k), t(v), enable_gqa=True)
    ref = sdpa_numpy(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(t(q), t(k[:, :1].repeat(3, 1)), t(v[:, :1].repeat(3, 1)), enable_gqa=True)


def _sdpa_error_cases(T, rng):
    q, k, v = (T.tensor(rand(rng, 2, 4, 5)), T.tensor(rand(rng, 2, 6, 5)), T.tensor(rand(rng, 2, 6, 7)))
    return [
        lambda: T.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=T.ones(4, 6, dtype=T.bool),
                                                             is_causal=True),
        lambda: T.nn.functional.scaled_dot_product_attention(q, k.float(), v),
        lambda: T.nn.functional.scaled_dot_product_attention(q, k[..., :4], v),
        lambda: T.nn.functional.scaled_dot_product_attention(q, k, v[:, :5]),
        lambda: T.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=T.ones(5, 6, dtype=T.bool)),
        lambda: T.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=T.ones(4, 6, dtype=T.int64)),
        lambda: T.nn.functional.scaled_dot_product_attention(q.float(), k.float(), v.float(),
                                                             attn_mask=T.ones(4, 6, dtype=T.float64)),
        lambda: T.nn.functional.scaled_dot_product_attention(q[0, 0], k[0], v[0]),
        lambda: T.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=1.5),
        lambda: T.nn.functional.scaled_dot_product_attention(q.long(), k.long(), v.long()),
        lambda: T.nn.functional.scaled_dot_product_attention(q, k[:1].repeat(3, 1, 1), v[:1].repeat(3, 1, 1)),
    ]


def test_sdpa_errors_are_checked():
    for case in _sdpa_error_cases(profundo, np.random.default_rng(7)):
        with pytest.raises(Exception) as e:
            case()
        assert is_checked(e.value) and "Pista" in str(e.value), e.value


def test_sdpa_error_types_match_torch(torch):
    ours = _sdpa_error_cases(profundo, np.random.default_rng(7))
    theirs = _sdpa_error_cases(torch, np.random.default_rng(7))
    for a, b in zip(theirs, ours):
        with pytest.raises(Exception) as expected:
            a()
        with pytest.raises(type(expected.value)):
            b()


@pytest.mark.parametrize("case", ["plain", "bool", "float", "float32_mask", "causal", "scale", "broadcast", "gqa",
                                  "dropout0"])
def test_sdpa_matches_torch(torch, case):
    rng = np.random.default_rng(8)
    arrays = [rand(rng, 2, 4, 3, 5), rand(rng, 2, 4, 6, 5), rand(rng, 2, 4, 6, 7)]
    kw = {}
    if case == "bool":
        kw["attn_mask"] = rng.random((2, 1, 3, 6)) < 0.5
    elif case == "float":
        kw["attn_mask"] = rand(rng, 3, 6)
    elif case == "float32_mask":  # a float32 mask is accepted with float64 inputs (and promoted)
        kw["attn_mask"] = rand(rng, 3, 6).astype(np.float32)
    elif case == "causal":
        kw["is_causal"] = True
    elif case == "scale":
        kw["scale"] = 0.21
    elif case == "broadcast":
        arrays[1], arrays[2] = arrays[1][:1, :1], arrays[2][:1, :1]
    elif case == "gqa":
        arrays[1], arrays[2] = arrays[1][:, :2], arrays[2][:, :2]
        kw["enable_gqa"] = True
    elif case == "dropout0":
        kw["dropout_p"] = 0.0
    outs, grads = [], []
    g = rand(rng, 2, 4, 3, 7)
    for T in (torch, profundo):
        args = [T.tensor(a, requires_grad=True) for a in arrays]
        kwt = {k: T.tensor(v, requires_grad=v.dtype != bool) if isinstance(v, np.ndarray) else v
               for k, v in kw.items()}
        out = T.nn.functional.scaled_dot_product_attention(*args, **kwt)
        out.backward(T.tensor(g))
        outs.append(out.detach().numpy())
        grads.append([a.grad.numpy() for a in args])
        if case in ("float", "float32_mask"):  # a float mask has a gradient too
            grads[-1].append(kwt["attn_mask"].grad.numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-10, atol=1e-12)
    for a, b in zip(grads[0], grads[1]):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ MultiheadAttention
def test_mha_parameters_keys_and_init():
    profundo.manual_seed(0)
    m = nn.MultiheadAttention(8, 2)
    assert list(m.state_dict()) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert tuple(m.in_proj_weight.shape) == (24, 8) and m.in_proj_weight.dtype == profundo.float32
    bound = math.sqrt(6 / (24 + 8))  # xavier_uniform_ on the (3E, E) packed weight
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    m = nn.MultiheadAttention(8, 4, kdim=5, vdim=3, add_bias_kv=True, bias=False, dtype=profundo.float64)
    assert list(m.state_dict()) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v",
                                    "out_proj.weight"]
    assert tuple(m.k_proj_weight.shape) == (8, 5) and tuple(m.v_proj_weight.shape) == (8, 3)
    assert m.in_proj_weight is None and m.head_dim == 2 and m.bias_k.dtype == profundo.float64
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
                       "out_features=8, bias=False)\n)")
    with pytest.raises(AssertionError):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError):
        nn.MultiheadAttention(0, 2)


def _mha_numpy(m, q, k, v, mask=None):
    """One sequence (L, E) through the module's weights, head by head (the definition).
    ``mask``: float (L, S), added."""
    e, h = m.embed_dim, m.num_heads
    w = m.in_proj_weight.detach().numpy()
    b = m.in_proj_bias.detach().numpy()
    qp, kp, vp = q @ w[:e].T + b[:e], k @ w[e:2 * e].T + b[e:2 * e], v @ w[2 * e:].T + b[2 * e:]
    d = e // h
    heads, weights = [], []
    for i in range(h):
        s = qp[:, i * d:(i + 1) * d] @ kp[:, i * d:(i + 1) * d].T / math.sqrt(d)
        if mask is not None:
            s = s + mask
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        weights.append(p)
        heads.append(p @ vp[:, i * d:(i + 1) * d])
    out = np.concatenate(heads, -1) @ m.out_proj.weight.detach().numpy().T + m.out_proj.bias.detach().numpy()
    return out, np.mean(weights, 0)


def test_mha_matches_formula_without_torch():
    rng = np.random.default_rng(9)
    m = nn.MultiheadAttention(6, 3, dtype=profundo.float64, batch_first=True)
    with profundo.no_grad():
        m.in_proj_bias.copy_(t(rand(rng, 18)))
        m.out_proj.bias.copy_(t(rand(rng, 6)))
    q, k = rand(rng, 2, 4, 6), rand(rng, 2, 5, 6)
    kpm = np.array([[False, False, True, False, True], [False] * 5])
    out, w = m(t(q), t(k), t(k), key_padding_mask=t(kpm))
    for n in range(2):
        ref_out, ref_w = _mha_numpy(m, q[n], k[n], k[n], np.where(kpm[n], -np.inf, 0.0))
        np.testing.assert_allclose(out.detach().numpy()[n], ref_out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(w.detach().numpy()[n], ref_w, rtol=1e-12, atol=1e-12)
    # unbatched (L, E) input: the same values, no batch dim
    out1, w1 = m(t(q[0]), t(k[0]), t(k[0]), key_padding_mask=t(kpm[0]))
    np.testing.assert_allclose(out1.detach().numpy(), out.detach().numpy()[0], rtol=1e-12, atol=1e-12)
    assert tuple(w1.shape) == (4, 5)
    # per-head weights, and none at all
    _, wh = m(t(q), t(k), t(k), average_attn_weights=False)
    assert tuple(wh.shape) == (2, 3, 4, 5)
    assert m(t(q), t(k), t(k), need_weights=False)[1] is None


def test_mha_gradcheck():
    rng = np.random.default_rng(10)
    m = nn.MultiheadAttention(4, 2, dtype=profundo.float64, add_bias_kv=True)
    x = t(rand(rng, 3, 2, 4), True)
    am = t(rng.random((3, 3)) < 0.3)
    assert gradcheck(lambda x: m(x, x, x, attn_mask=am)[0], (x,))
    assert gradcheck(lambda x: m(x, x, x, need_weights=True)[1], (x,))  # the weights' own gradient


def test_mha_errors():
    m = nn.MultiheadAttention(4, 2)
    x = profundo.randn(3, 2, 4)
    cases = [
        lambda: m(x, x, x, is_causal=True),                                    # the hint needs attn_mask
        lambda: m(x, x, x, attn_mask=profundo.zeros(2, 3)),                    # wrong 2-D shape
        lambda: m(x, x, x, attn_mask=profundo.zeros(5, 3, 3)),                 # wrong 3-D shape
        lambda: m(x, x, x, attn_mask=profundo.zeros(3, 3, dtype=profundo.int64)),
        lambda: m(x, x, x, key_padding_mask=profundo.zeros(3, 3, dtype=profundo.bool)),
        lambda: m(x, x, x[:2]),
        lambda: m(x.reshape(3, 2, 2, 2), x, x),
        lambda: m(profundo.randn(3, 2, 6), x, x),
    ]
    for case in cases:
        with pytest.raises(Exception) as e:
            case()
        assert is_checked(e.value) and "Pista" in str(e.value), e.value


def test_mha_error_types_match_torch(torch):
    def cases(T):
        m = T.nn.MultiheadAttention(4, 2)
        x = T.randn(3, 2, 4)
        return [lambda: m(x, x, x, is_causal=True), lambda: m(x, x, x, attn_mask=T.zeros(2, 3)),
                lambda: m(x, x, x, attn_mask=T.zeros(5, 3, 3)),
                lambda: m(x, x, x, attn_mask=T.zeros(3, 3, dtype=T.int64)),
                lambda: m(x, x, x, key_padding_mask=T.zeros(3, 3, dtype=T.bool)),
                lambda: m(x, x, x[:2]), lambda: m(x.reshape(3, 2, 2, 2), x, x), lambda: m(T.randn(3, 2, 6), x, x),
                lambda: T.nn.MultiheadAttention(8, 3), lambda: T.nn.MultiheadAttention(0, 2)]
    for a, b in zip(cases(torch), cases(profundo)):
        with pytest.raises(Exception) as expected:
            a()
        with pytest.raises(type(expected.value)):
            b()


def _load(tm, pm):
    """torch's state_dict into the profundo twin (the keys must be the same, in the same order)."""
    sd = tm.state_dict()
    assert list(sd) == list(pm.state_dict())
    pm.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in sd.items()})


def _compare(torch, tm, pm, arrays, tkw=None, pkw=None, grad_out=True, check_weights=True):
    """Run both modules on ``arrays`` (float64 inputs requiring grad), compare outputs (and
    returned weights), then the gradients of the inputs and of every parameter."""
    tkw, pkw = tkw or {}, pkw or {}
    _load(tm, pm)
    results = []
    for T, m, kw in ((torch, tm, tkw), (profundo, pm, pkw)):
        args = [T.tensor(a, requires_grad=True) for a in arrays]
        # self-attention: the same tensor as query, key and value (it takes torch's packed path)
        if len(arrays) == 1 and isinstance(m, (torch.nn.MultiheadAttention, nn.MultiheadAttention)):
            args = args * 3
        out = m(*args, **kw)
        weights = None
        if isinstance(out, tuple):
            out, weights = out
        g = np.random.default_rng(12).standard_normal(tuple(out.shape))
        loss = (out * T.tensor(g)).sum()
        if weights is not None:
            loss = loss + (weights * T.tensor(np.random.default_rng(13).standard_normal(tuple(weights.shape)))).sum()
        loss.backward()
        results.append((out.detach().numpy(), None if weights is None else weights.detach().numpy(),
                        [a.grad.numpy() for a in args[:len(arrays)]], [p.grad.numpy() for p in m.parameters()]))
    (to, tw, tg, tp), (po, pw, pg, pp) = results
    np.testing.assert_allclose(po, to, rtol=1e-10, atol=1e-12)
    assert (tw is None) == (pw is None)
    if tw is not None and check_weights:
        np.testing.assert_allclose(pw, tw, rtol=1e-10, atol=1e-12)
    for a, b in zip(tg + tp, pg + pp):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)


MHA_CONFIGS = [dict(), dict(batch_first=True), dict(bias=False), dict(add_bias_kv=True), dict(add_zero_attn=True),
               dict(kdim=5, vdim=3), dict(kdim=5, vdim=3, batch_first=True, add_bias_kv=True, add_zero_attn=True)]


@pytest.mark.parametrize("config", range(len(MHA_CONFIGS)))
@pytest.mark.parametrize("masks", ["none", "bool", "float3d_no_weights", "per_head"])
def test_mha_matches_torch(torch, config, masks):
    kw = MHA_CONFIGS[config]
    e, h, L, S, N = 8, 2, 4, 6, 3
    tm = torch.nn.MultiheadAttention(e, h, dtype=torch.float64, **kw)
    pm = nn.MultiheadAttention(e, h, dtype=profundo.float64, **kw)
    rng = np.random.default_rng(config)
    kd, vd = kw.get("kdim", e), kw.get("vdim", e)
    shapes = [(N, L, e), (N, S, kd), (N, S, vd)] if kw.get("batch_first") else [(L, N, e), (S, N, kd), (S, N, vd)]
    arrays = [rand(rng, *s) for s in shapes]
    tkw, pkw = {}, {}
    if masks == "bool":
        kpm, am = rng.random((N, S)) < 0.3, rng.random((L, S)) < 0.3
        kpm[:, 0] = am[:, 0] = False  # no query with every key masked (NaN weights, in both)
        tkw = dict(key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am))
        pkw = dict(key_padding_mask=profundo.tensor(kpm), attn_mask=profundo.tensor(am))
    elif masks == "float3d_no_weights":
        fm = rand(rng, N * h, L, S)
        tkw = dict(attn_mask=torch.tensor(fm), need_weights=False)
        pkw = dict(attn_mask=profundo.tensor(fm), need_weights=False)
    elif masks == "per_head":
        kpm = rand(rng, N, S)  # a float key padding mask is added too
        tkw = dict(key_padding_mask=torch.tensor(kpm), average_attn_weights=False)
        pkw = dict(key_padding_mask=profundo.tensor(kpm), average_attn_weights=False)
    _compare(torch, tm, pm, arrays, tkw, pkw)


@pytest.mark.parametrize("train", [True, False])
def test_mha_self_attention_causal_and_unbatched_match_torch(torch, train):
    e, h = 8, 4
    tm = torch.nn.MultiheadAttention(e, h, dtype=torch.float64, batch_first=True, dropout=0.0)
    pm = nn.MultiheadAttention(e, h, dtype=profundo.float64, batch_first=True, dropout=0.0)
    tm.train(train)
    pm.train(train)
    rng = np.random.default_rng(14)
    x = rand(rng, 3, 5, e)
    cm = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    for need in (True, False):
        _compare(torch, tm, pm, [x], dict(attn_mask=cm, is_causal=True, need_weights=need),
                 dict(attn_mask=nn.Transformer.generate_square_subsequent_mask(5, dtype=profundo.float64),
                      is_causal=True, need_weights=need))
    # unbatched (L, E), with a key padding mask (S,) and a 3-D (num_heads, L, S) mask
    q, k = rand(rng, 5, e), rand(rng, 4, e)
    kpm = np.array([True, False, False, True])
    am = rand(rng, h, 5, 4)
    _compare(torch, tm, pm, [q, k, k], dict(key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(am)),
             dict(key_padding_mask=profundo.tensor(kpm), attn_mask=profundo.tensor(am)))


def test_mha_fully_masked_query_matches_torch(torch):
    """A query with every key masked: NaN weights with need_weights (a plain softmax, as torch's),
    zeros without (the fused attention's safe softmax)."""
    tm = torch.nn.MultiheadAttention(4, 2, dtype=torch.float64)
    pm = nn.MultiheadAttention(4, 2, dtype=profundo.float64)
    _load(tm, pm)
    x = rand(np.random.default_rng(15), 3, 2, 4)
    am = np.zeros((3, 3), bool)
    am[1] = True
    for need in (True, False):
        with torch.no_grad():
            to, tw = tm(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(am), need_weights=need)
        po, pw = pm(*[profundo.tensor(x)] * 3, attn_mask=profundo.tensor(am), need_weights=need)
        np.testing.assert_allclose(po.detach().numpy(), to.numpy(), rtol=1e-10, atol=1e-12, equal_nan=True)
        if need:
            np.testing.assert_allclose(pw.detach().numpy(), tw.numpy(), rtol=1e-10, atol=1e-12, equal_nan=True)


def test_functional_mha_matches_torch(torch):
    rng = np.random.default_rng(16)
    e, h = 6, 2
    arrays = [rand(rng, 4, 2, e), rand(rng, 5, 2, e), rand(rng, 5, 2, e), rand(rng, 3 * e, e), rand(rng, 3 * e),
              rand(rng, e, e), rand(rng, e)]
    outs = []
    for T in (torch, profundo):
        q, k, v, w, b, ow, ob = [T.tensor(a, requires_grad=True) for a in arrays]
        out, weights = T.nn.functional.multi_head_attention_forward(q, k, v, e, h, w, b, None, None, False, 0.0, ow, ob,
                                                                    training=False)
        (out.sum() + weights.sum()).backward()
        outs.append([out.detach().numpy(), weights.detach().numpy(), q.grad.numpy(), w.grad.numpy()])
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ the Transformer
def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == profundo.float32
    expected = np.array([[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    assert np.array_equal(m.numpy(), expected)
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=profundo.float64).dtype == profundo.float64


def test_transformer_layers_structure():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 2, nn.LayerNorm(8))
    # deep copies: each layer owns its parameters
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    assert enc.layers[0].linear1.weight is not layer.linear1.weight
    assert len(list(enc.parameters())) == 2 * len(list(layer.parameters())) + 2
    assert layer.activation is F.relu and layer.activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation is F.gelu
    custom = nn.TransformerDecoderLayer(8, 2, 16, activation=profundo.tanh)
    assert custom.activation is profundo.tanh
    with pytest.raises(RuntimeError) as e:
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    assert is_checked(e.value)
    model = nn.Transformer(8, 2, 1, 1, 16)
    for name, p in model.named_parameters():  # the matrices re-initialized by xavier_uniform_
        if p.dim() > 1:
            fan_out, fan_in = p.shape
            assert np.abs(p.detach().numpy()).max() <= math.sqrt(6 / (fan_in + fan_out)) + 1e-7, name
    x, y = profundo.randn(5, 2, 8), profundo.randn(4, 3, 8)
    with pytest.raises(RuntimeError):
        model(x, y)                      # batch sizes differ
    with pytest.raises(RuntimeError):
        model(x, profundo.randn(4, 2, 6))  # not d_model features


def test_transformer_encoder_runs_without_torch():
    """An encoder classifier's forward and backward, in float32, with a padding mask: finite
    gradients for every parameter; padded keys change nothing."""
    profundo.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2)
    x = profundo.randn(3, 5, 8)
    pad = profundo.tensor([[False] * 5, [False, False, False, True, True], [False] * 4 + [True]])
    y = enc(x, src_key_padding_mask=pad)
    y.sum().backward()
    assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in enc.parameters())
    x2 = x.clone()
    x2[1, 3:] = 100.0  # change only padded positions of example 1
    y2 = enc(x2, src_key_padding_mask=pad)
    np.testing.assert_allclose(y2[1, :3].detach().numpy(), y[1, :3].detach().numpy(), rtol=1e-5, atol=1e-5)


LAYER_CONFIGS = [dict(), dict(batch_first=True, norm_first=True), dict(activation="gelu", layer_norm_eps=1e-3),
                 dict(bias=False, norm_first=True)]


def _seq(rng, kw, length, n, e):
    return rand(rng, n, length, e) if kw.get("batch_first") else rand(rng, length, n, e)


@pytest.mark.parametrize("config", range(len(LAYER_CONFIGS)))
@pytest.mark.parametrize("train", [True, False])
def test_encoder_layer_matches_torch(torch, config, train):
    kw = LAYER_CONFIGS[config]
    tm = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64, **kw).train(train)
    pm = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, dtype=profundo.float64, **kw).train(train)
    rng = np.random.default_rng(20 + config)
    x = _seq(rng, kw, 5, 3, 8)
    _compare(torch, tm, pm, [x])
    kpm = rng.random((3, 5)) < 0.3
    kpm[:, 0] = False
    cm = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    _compare(torch, tm, pm, [x], dict(src_mask=cm, src_key_padding_mask=torch.tensor(kpm)),
             dict(src_mask=profundo.tensor(cm.numpy()), src_key_padding_mask=profundo.tensor(kpm)))
    _compare(torch, tm, pm, [x], dict(src_mask=cm, is_causal=True),
             dict(src_mask=profundo.tensor(cm.numpy()), is_causal=True))


@pytest.mark.parametrize("config", range(len(LAYER_CONFIGS)))
def test_decoder_layer_matches_torch(torch, config):
    kw = LAYER_CONFIGS[config]
    tm = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=torch.float64, **kw)
    pm = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, dtype=profundo.float64, **kw)
    rng = np.random.default_rng(30 + config)
    tgt, mem = _seq(rng, kw, 4, 3, 8), _seq(rng, kw, 6, 3, 8)
    cm = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mkpm = rng.random((3, 6)) < 0.3
    mkpm[:, 0] = False
    _compare(torch, tm, pm, [tgt, mem], dict(tgt_mask=cm, tgt_is_causal=True, memory_key_padding_mask=torch.tensor(mkpm)),
             dict(tgt_mask=profundo.tensor(cm.numpy()), tgt_is_causal=True,
                  memory_key_padding_mask=profundo.tensor(mkpm)))


@pytest.mark.parametrize("config", range(len(LAYER_CONFIGS)))
def test_transformer_matches_torch(torch, config):
    kw = LAYER_CONFIGS[config]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on its nested-tensor fast path
        tm = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, dtype=torch.float64, **kw)
    pm = nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, dtype=profundo.float64, **kw)
    rng = np.random.default_rng(40 + config)
    src, tgt = _seq(rng, kw, 5, 3, 8), _seq(rng, kw, 4, 3, 8)
    cm = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    spm = rng.random((3, 5)) < 0.3
    spm[:, 0] = False
    tpm = np.zeros((3, 4), bool)
    tpm[0, 3] = True
    _compare(torch, tm, pm, [src, tgt],
             dict(tgt_mask=cm, src_key_padding_mask=torch.tensor(spm), tgt_key_padding_mask=torch.tensor(tpm),
                  memory_key_padding_mask=torch.tensor(spm)),
             dict(tgt_mask=profundo.tensor(cm.numpy()), src_key_padding_mask=profundo.tensor(spm),
                  tgt_key_padding_mask=profundo.tensor(tpm), memory_key_padding_mask=profundo.tensor(spm)))


def test_transformer_unbatched_and_custom_stack_match_torch(torch):
    rng = np.random.default_rng(50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 4, 16, dropout=0.0, dtype=torch.float64),
                                         3, torch.nn.LayerNorm(8, dtype=torch.float64))
    pm = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 4, 16, dropout=0.0, dtype=profundo.float64), 3,
                               nn.LayerNorm(8, dtype=profundo.float64))
    _compare(torch, tm, pm, [rand(rng, 6, 8)])   # unbatched (S, E)
    cm = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=torch.float64)
    # the causal mask detected (is_causal=None): the same values as with the mask itself
    _compare(torch, tm, pm, [rand(rng, 6, 2, 8)], dict(mask=cm), dict(mask=profundo.tensor(cm.numpy())))
