"""Recurrent layers (issue 13): nn.RNN/GRU/LSTM, their cells, nn.utils.rnn (padding and packing).

Without PyTorch: the fused layer op against the step-by-step tensor version (``composed_layer``),
float64 finite-difference gradcheck (and gradgradcheck, through the composed double backward),
packing round trips, init bounds, errors.  With PyTorch (the ``torch`` fixture skips otherwise):
every layer and cell against torch's with copied weights in float64: outputs, final states and the
gradients of the input, the initial states and every parameter (multi-layer, bidirectional,
batch_first, unbatched, bias=False, proj_size, dropout, packed sequences), repr, state_dict keys,
error types and messages.  Every test runs on both CPU backends.
"""
import math

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo.autograd import gradcheck, gradgradcheck
from profundo.nn.utils import rnn as R
from profundo.ops.rnn import composed_layer, recurrent_layer

pytestmark = pytest.mark.usefixtures("backend")  # every test on both CPU backends

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
BLOCKS = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def t64(a, requires_grad=False):
    return profundo.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def layer_args(mode, rng, steps=4, batch=3, inp=2, hid=3, proj=0, bias=True):
    """Random float64 arguments of one layer op: x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr."""
    g = BLOCKS[mode] * hid
    p = proj or hid
    lstm = mode == "LSTM"
    arrays = [rng.standard_normal((steps, batch, inp)), rng.standard_normal((batch, p)),
              rng.standard_normal((batch, hid)) if lstm else None, rng.standard_normal((g, inp)) * 0.5,
              rng.standard_normal((g, p)) * 0.5, rng.standard_normal(g) * 0.5 if bias else None,
              rng.standard_normal(g) * 0.5 if bias else None, rng.standard_normal((p, hid)) * 0.5 if proj else None]
    return [None if a is None else t64(a, requires_grad=True) for a in arrays]


def random_mask(rng, steps, batch):
    lengths = np.sort(rng.integers(1, steps + 1, batch))[::-1]
    lengths[0] = steps
    return (np.arange(steps)[:, None] < lengths[None, :])[:, :, None]


# ------------------------------------------------------------------ without torch
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_layer_op_matches_the_step_by_step_version(mode, reverse, masked):
    rng = np.random.default_rng(1)
    args = layer_args(mode, rng, proj=2 if mode == "LSTM" else 0)
    mask = random_mask(rng, 4, 3) if masked else None
    fused = recurrent_layer(mode, *args, reverse=reverse, mask=mask)
    slow = composed_layer(mode, *args, reverse, mask)
    for a, b in zip(fused, slow):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = [t64(rng.standard_normal(tuple(o.shape))) for o in fused]
    live = [a for a in args if a is not None]
    g1 = profundo.autograd.grad(sum((o * w).sum() for o, w in zip(fused, weights)), live)
    g2 = profundo.autograd.grad(sum((o * w).sum() for o, w in zip(slow, weights)), live)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse,masked,bias", [(False, False, True), (True, True, False)])
def test_layer_op_gradcheck(mode, reverse, masked, bias):
    rng = np.random.default_rng(2)
    args = layer_args(mode, rng, steps=3, batch=2, inp=2, hid=2, bias=bias)
    mask = random_mask(rng, 3, 2) if masked else None
    n = len(args)

    def f(*a):
        return recurrent_layer(mode, *a[:n], reverse=reverse, mask=mask)
    assert gradcheck(f, tuple(args))


def test_lstm_projection_gradcheck():
    rng = np.random.default_rng(3)
    args = layer_args("LSTM", rng, steps=3, batch=2, inp=2, hid=3, proj=2)
    assert gradcheck(lambda *a: recurrent_layer("LSTM", *a), tuple(args))


@pytest.mark.parametrize("mode", ["RNN_TANH", "LSTM", "GRU"])
def test_layer_op_double_backward(mode):
    rng = np.random.default_rng(4)
    args = layer_args(mode, rng, steps=2, batch=2, inp=2, hid=2)
    assert gradgradcheck(lambda *a: recurrent_layer(mode, *a), tuple(args))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_module_gradcheck_two_layers_bidirectional(cls):
    profundo.manual_seed(0)
    m = cls(2, 2, num_layers=2, bidirectional=True, batch_first=True).double()
    x = t64(np.random.default_rng(5).standard_normal((2, 3, 2)), requires_grad=True)

    def f(x, *params):
        out, h = m(x)
        return (out, *h) if isinstance(h, tuple) else (out, h)
    assert gradcheck(f, (x,) + tuple(m.parameters()))


def test_parameters_names_shapes_and_init():
    profundo.manual_seed(0)
    m = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=5)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes == {"weight_ih_l0": (32, 3), "weight_hh_l0": (32, 5), "bias_ih_l0": (32,), "bias_hh_l0": (32,),
                      "weight_hr_l0": (5, 8), "weight_ih_l0_reverse": (32, 3), "weight_hh_l0_reverse": (32, 5),
                      "bias_ih_l0_reverse": (32,), "bias_hh_l0_reverse": (32,), "weight_hr_l0_reverse": (5, 8),
                      "weight_ih_l1": (32, 10), "weight_hh_l1": (32, 5), "bias_ih_l1": (32,), "bias_hh_l1": (32,),
                      "weight_hr_l1": (5, 8), "weight_ih_l1_reverse": (32, 10), "weight_hh_l1_reverse": (32, 5),
                      "bias_ih_l1_reverse": (32,), "bias_hh_l1_reverse": (32,), "weight_hr_l1_reverse": (5, 8)}
    bound = 1 / math.sqrt(8)
    for p in m.parameters():
        assert p.abs().max().item() <= bound and p.std().item() > bound / 4
    assert [len(w) for w in m.all_weights] == [5] * 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse
    assert m.flatten_parameters() is None
    g = nn.GRU(3, 4, bias=False)
    assert list(g.state_dict()) == ["weight_ih_l0", "weight_hh_l0"] and g.all_weights[0][1] is g.weight_hh_l0


def test_output_shapes_and_states():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, proj_size=2)
    out, (h, c) = m(profundo.randn(5, 7, 3))
    assert out.shape == (5, 7, 4) and h.shape == (4, 5, 2) and c.shape == (4, 5, 4)
    out, (h, c) = m(profundo.randn(7, 3))  # unbatched
    assert out.shape == (7, 4) and h.shape == (4, 2) and c.shape == (4, 4)
    out, h = nn.GRU(3, 4)(profundo.randn(7, 5, 3))
    assert out.shape == (7, 5, 4) and h.shape == (1, 5, 4)
    # the last step of the forward direction is its final state
    np.testing.assert_allclose(out[-1].detach().numpy(), h[0].detach().numpy())


def test_dropout_between_layers_uses_profundo_rng():
    m = nn.GRU(3, 4, num_layers=3, dropout=0.5).double()
    x = t64(np.random.default_rng(0).standard_normal((5, 2, 3)))
    profundo.manual_seed(7)
    a, _ = m(x)
    profundo.manual_seed(7)
    b, _ = m(x)
    c, _ = m(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    m.eval()
    d, _ = m(x)
    e, _ = m(x)
    np.testing.assert_array_equal(d.detach().numpy(), e.detach().numpy())


def test_dropout_with_one_layer_warns():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)


def test_output_modified_in_place_is_caught():
    m = nn.RNN(2, 3).double()
    out, _ = m(t64(np.ones((3, 1, 2)), requires_grad=True))
    loss = out.sum()
    out.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_values_and_gradient(padding_side, batch_first):
    rng = np.random.default_rng(0)
    seqs = [t64(rng.standard_normal((n, 2)), requires_grad=True) for n in (3, 1, 2)]
    out = R.pad_sequence(seqs, batch_first=batch_first, padding_value=-1.0, padding_side=padding_side)
    arr = out.detach().numpy() if batch_first else out.detach().numpy().swapaxes(0, 1)
    assert arr.shape == (3, 3, 2)
    for b, s in enumerate(seqs):
        n = s.shape[0]
        got = arr[b, :n] if padding_side == "right" else arr[b, 3 - n:]
        pad = arr[b, n:] if padding_side == "right" else arr[b, :3 - n]
        np.testing.assert_array_equal(got, s.detach().numpy())
        assert (pad == -1).all()
    (out * 2).sum().backward()
    for s in seqs:
        np.testing.assert_array_equal(s.grad.numpy(), 2 * np.ones(tuple(s.shape)))


def test_pack_and_unpack_round_trip():
    rng = np.random.default_rng(0)
    seqs = [t64(rng.standard_normal((n, 2))) for n in (2, 4, 1, 4)]
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [4, 3, 2, 2]
    assert packed.sorted_indices.tolist() == [1, 3, 0, 2] and packed.unsorted_indices.tolist() == [2, 0, 3, 1]
    padded, lengths = R.pad_packed_sequence(packed, batch_first=True, total_length=5)
    assert lengths.tolist() == [2, 4, 1, 4] and padded.shape == (4, 5, 2)
    for a, b in zip(R.unpack_sequence(packed), seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(R.unpad_sequence(padded, lengths, batch_first=True), seqs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_packed_final_states_are_at_each_last_step(cls):
    """Without torch: a packed batch gives each sequence the states it gets when run alone."""
    profundo.manual_seed(0)
    m = cls(2, 3, num_layers=2, bidirectional=True).double()
    rng = np.random.default_rng(1)
    seqs = [t64(rng.standard_normal((n, 2))) for n in (2, 4, 3)]
    out, hidden = m(R.pack_sequence(seqs, enforce_sorted=False))
    padded, lengths = R.pad_packed_sequence(out)
    for b, s in enumerate(seqs):
        alone_out, alone_hidden = m(s)  # unbatched
        n = s.shape[0]
        np.testing.assert_allclose(padded[:n, b].detach().numpy(), alone_out.detach().numpy(), atol=1e-12)
        assert (padded[n:, b].detach().numpy() == 0).all()
        hs = hidden if isinstance(hidden, tuple) else (hidden,)
        ahs = alone_hidden if isinstance(alone_hidden, tuple) else (alone_hidden,)
        for h, ah in zip(hs, ahs):
            np.testing.assert_allclose(h[:, b].detach().numpy(), ah.detach().numpy(), atol=1e-12)


def test_errors_without_torch():
    m = nn.LSTM(4, 5)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 4, got 3"):
        m(profundo.randn(2, 3, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 5\), got \[1, 2, 5\]"):
        m(profundo.randn(2, 3, 4), (profundo.randn(1, 2, 5), profundo.randn(1, 3, 5)))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        m(profundo.randn(2, 3, 4, 1))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        m(profundo.randn(2, 3, 4, dtype=profundo.float64))
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_padded_sequence(profundo.randn(3, 2, 1), [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        R.pack_padded_sequence(profundo.randn(3, 2, 1), [3, 0])


# ------------------------------------------------------------------ against torch
def pair(torch, name, *args, **kwargs):
    """The same layer in torch and profundo, float64, profundo's weights copied from torch's."""
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(*args, **kwargs).double()
    pm = getattr(nn, name)(*args, **kwargs).double()
    pm.load_state_dict({k: t64(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict()) == list(tm.state_dict())
    return tm, pm


def both(torch, a):
    """A float64 array as a torch and a profundo tensor, both requiring grad."""
    return torch.tensor(a, requires_grad=True), t64(a, requires_grad=True)


def flat(h):
    return list(h) if isinstance(h, tuple) else [h]


def compare_run(torch, tm, pm, x, hx=None, packed=None, tol=1e-10):
    """Forward both, compare outputs and final states, backward a random weighted sum of them,
    compare the gradients of the input, the initial states and every parameter."""
    xt, xp = both(torch, x)
    hts = hps = None
    if hx is not None:
        pairs = [both(torch, h) for h in hx]
        hts, hps = [p[0] for p in pairs], [p[1] for p in pairs]
    ti = xt if packed is None else torch.nn.utils.rnn.pack_padded_sequence(xt, packed, enforce_sorted=False)
    pi = xp if packed is None else R.pack_padded_sequence(xp, packed, enforce_sorted=False)
    h_arg = lambda hs: None if hs is None else (tuple(hs) if len(hs) == 2 else hs[0])  # noqa: E731
    to, th = tm(ti, h_arg(hts))
    po, ph = pm(pi, h_arg(hps))
    if packed is not None:
        assert po.batch_sizes.tolist() == to.batch_sizes.tolist()
        to, po = to.data, po.data
    outs_t, outs_p = [to] + flat(th), [po] + flat(ph)
    rng = np.random.default_rng(9)
    loss_t = loss_p = 0
    for a, b in zip(outs_t, outs_p):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=tol, atol=tol)
        w = rng.standard_normal(tuple(a.shape))
        loss_t = loss_t + (a * torch.tensor(w)).sum()
        loss_p = loss_p + (b * t64(w)).sum()
    loss_t.backward()
    loss_p.backward()
    np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=tol, atol=tol)
    for a, b in zip(hts or [], hps or []):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=tol, atol=tol)
    tparams, pparams = dict(tm.named_parameters()), dict(pm.named_parameters())
    assert list(tparams) == list(pparams)
    for k in tparams:
        np.testing.assert_allclose(pparams[k].grad.numpy(), tparams[k].grad.numpy(), rtol=tol, atol=tol, err_msg=k)


CONFIGS = [dict(), dict(num_layers=2), dict(bidirectional=True), dict(batch_first=True),
           dict(num_layers=3, bidirectional=True, batch_first=True), dict(bias=False, num_layers=2)]


@pytest.mark.parametrize("name,extra", [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("with_hx", [False, True])
def test_layers_match_torch(torch, name, extra, config, with_hx):
    kw = dict(config, **extra)
    tm, pm = pair(torch, name, 3, 4, **kw)
    rng = np.random.default_rng(0)
    steps, batch = 5, 2
    x = rng.standard_normal((batch, steps, 3) if kw.get("batch_first") else (steps, batch, 3))
    hx = None
    if with_hx:
        n = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        hx = [rng.standard_normal((n, batch, 4)) for _ in range(2 if name == "LSTM" else 1)]
    compare_run(torch, tm, pm, x, hx)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_hx", [False, True])
def test_unbatched_matches_torch(torch, name, with_hx):
    tm, pm = pair(torch, name, 3, 4, num_layers=2, bidirectional=True, batch_first=True)
    rng = np.random.default_rng(1)
    hx = [rng.standard_normal((4, 4)) for _ in range(2 if name == "LSTM" else 1)] if with_hx else None
    compare_run(torch, tm, pm, rng.standard_normal((5, 3)), hx)


@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_lstm_proj_size_matches_torch(torch, config, with_hx):
    tm, pm = pair(torch, "LSTM", 3, 5, proj_size=2, **config)
    rng = np.random.default_rng(2)
    n = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    x = rng.standard_normal((2, 4, 3) if config.get("batch_first") else (4, 2, 3))
    hx = [rng.standard_normal((n, 2, 2)), rng.standard_normal((n, 2, 5))] if with_hx else None
    compare_run(torch, tm, pm, x, hx)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("training", [True, False])
def test_dropout_zero_and_eval_match_torch(torch, name, training):
    tm, pm = pair(torch, name, 3, 4, num_layers=2, dropout=0.0 if training else 0.7)
    tm.train(training)
    pm.train(training)
    compare_run(torch, tm, pm, np.random.default_rng(3).standard_normal((4, 2, 3)))


@pytest.mark.parametrize("name,kw", [("RNN", dict(num_layers=2, bidirectional=True)), ("GRU", dict(bidirectional=True)),
                                     ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
                                     ("LSTM", dict(proj_size=2, bidirectional=True))])
@pytest.mark.parametrize("with_hx", [False, True])
def test_packed_sequences_match_torch(torch, name, kw, with_hx):
    tm, pm = pair(torch, name, 3, 4, **kw)
    rng = np.random.default_rng(4)
    lengths = [3, 5, 1, 5]
    x = rng.standard_normal((4, 5, 3) if kw.get("batch_first") else (5, 4, 3))
    hx = None
    if with_hx:
        n = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
        hx = [rng.standard_normal((n, 4, kw.get("proj_size") or 4))]
        if name == "LSTM":
            hx.append(rng.standard_normal((n, 4, 4)))
    compare_run(torch, tm, pm, x, hx, packed=lengths) if not kw.get("batch_first") else None
    if kw.get("batch_first"):
        # pack_padded_sequence's batch_first, done by hand so compare_run stays simple
        xt, xp = both(torch, x)
        to, (th, tc) = tm(torch.nn.utils.rnn.pack_padded_sequence(xt, lengths, batch_first=True, enforce_sorted=False))
        po, (ph, pc) = pm(R.pack_padded_sequence(xp, lengths, batch_first=True, enforce_sorted=False))
        tpad, tl = torch.nn.utils.rnn.pad_packed_sequence(to, batch_first=True, padding_value=-2.0)
        ppad, pl = R.pad_packed_sequence(po, batch_first=True, padding_value=-2.0)
        assert pl.tolist() == tl.tolist()
        for a, b in [(tpad, ppad), (th, ph), (tc, pc)]:
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-10)
        (tpad.sin().sum() + th.sum() + tc.sum()).backward()
        (ppad.sin().sum() + ph.sum() + pc.sum()).backward()
        np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_utils_match_torch(torch):
    TR = torch.nn.utils.rnn
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    for kw in [dict(), dict(batch_first=True, padding_value=3.0), dict(padding_side="left")]:
        a = TR.pad_sequence([torch.tensor(s) for s in arrays], **kw)
        b = R.pad_sequence([t64(s) for s in arrays], **kw)
        np.testing.assert_array_equal(b.numpy(), a.numpy())
    for enforce in (False, True):
        seqs = arrays if not enforce else sorted(arrays, key=len, reverse=True)
        a = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=enforce)
        b = R.pack_sequence([t64(s) for s in seqs], enforce_sorted=enforce)
        np.testing.assert_array_equal(b.data.numpy(), a.data.numpy())
        assert b.batch_sizes.tolist() == a.batch_sizes.tolist()
        for x, y in [(a.sorted_indices, b.sorted_indices), (a.unsorted_indices, b.unsorted_indices)]:
            assert (x is None and y is None) or x.tolist() == y.tolist()
        pa, la = TR.pad_packed_sequence(a, total_length=6)
        pb, lb = R.pad_packed_sequence(b, total_length=6)
        np.testing.assert_array_equal(pb.numpy(), pa.numpy())
        assert lb.tolist() == la.tolist() and str(lb.dtype) == "profundo.int64"


@pytest.mark.parametrize("name,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("RNNCell", {"bias": False}),
                                     ("LSTMCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {})])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [False, True])
def test_cells_match_torch(torch, name, kw, batched, with_hx):
    tm, pm = pair(torch, name, 3, 4, **kw)
    rng = np.random.default_rng(6)
    shape = (2,) if batched else ()
    xt, xp = both(torch, rng.standard_normal(shape + (3,)))
    hts = hps = None
    if with_hx:
        pairs = [both(torch, rng.standard_normal(shape + (4,))) for _ in range(2 if name == "LSTMCell" else 1)]
        hts, hps = [p[0] for p in pairs], [p[1] for p in pairs]
    arg = lambda hs: None if hs is None else (tuple(hs) if len(hs) == 2 else hs[0])  # noqa: E731
    # two steps, so the state's own path is exercised too
    ot = tm(xt, arg(hts))
    ot = tm(xt * 2, ot)
    op = pm(xp, arg(hps))
    op = pm(xp * 2, op)
    loss_t = loss_p = 0
    for a, b in zip(flat(ot), flat(op)):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-12, atol=1e-12)
        loss_t, loss_p = loss_t + a.sin().sum(), loss_p + b.sin().sum()
    loss_t.backward()
    loss_p.backward()
    np.testing.assert_allclose(xp.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(hts or [], hps or []):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (k, a), (_, b) in zip(tm.named_parameters(), pm.named_parameters()):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)


def test_float32_default_matches_torch(torch):
    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 8, num_layers=2)
    pm = nn.LSTM(3, 8, num_layers=2)
    pm.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 4, 3)).astype(np.float32)
    to, _ = tm(torch.tensor(x))
    po, _ = pm(profundo.tensor(x))
    assert po.dtype == profundo.float32
    np.testing.assert_allclose(po.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)


REPRS = [("RNN", (10, 20), {}), ("RNN", (10, 20, 2), dict(nonlinearity="relu", bias=False)),
         ("LSTM", (10, 20, 2), dict(batch_first=True, dropout=0.5, bidirectional=True, proj_size=5)),
         ("GRU", (3, 4), dict(batch_first=True)), ("RNNCell", (3, 4), dict(nonlinearity="relu")),
         ("LSTMCell", (3, 4), dict(bias=False)), ("GRUCell", (3, 4), {})]


@pytest.mark.parametrize("name,args,kw", REPRS)
def test_repr_and_keys_match_torch(torch, name, args, kw):
    tm = getattr(torch.nn, name)(*args, **kw)
    pm = getattr(nn, name)(*args, **kw)
    assert repr(pm) == repr(tm)
    assert {k: tuple(v.shape) for k, v in pm.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in tm.state_dict().items()}


ERRORS = [
    ("LSTM", (4, 5), {}, lambda T: (T.randn(2, 3, 3),)),                                   # input size
    ("GRU", (4, 5), {}, lambda T: (T.randn(2, 3, 4), T.randn(1, 2, 5))),                  # hidden size
    ("RNN", (4, 5), {}, lambda T: (T.randn(2, 3, 4), T.randn(3, 5))),                     # hx 2-D for 3-D input
    ("RNN", (4, 5), {}, lambda T: (T.randn(3, 4), T.randn(1, 1, 5))),                     # hx 3-D for 2-D input
    ("LSTM", (4, 5), {}, lambda T: (T.randn(2, 3, 4), (T.randn(1, 3, 5), T.randn(1, 3, 4)))),  # cell size
    ("LSTM", (4, 5), {}, lambda T: (T.randn(2, 3, 4), (T.randn(3, 5), T.randn(3, 5)))),   # 2-D states
    ("RNN", (4, 5), {}, lambda T: (T.randn(2, 3, 4, 1),)),                                # 4-D input
    ("LSTM", (4, 5), {}, lambda T: (T.randn(2, 3, 4, 1),)),
    ("GRU", (4, 5), {}, lambda T: (T.randn(2, 3, 4, dtype=T.float64),)),                  # dtype
    ("LSTMCell", (3, 4), {}, lambda T: (T.randn(2, 5),)),
    ("GRUCell", (3, 4), {}, lambda T: (T.randn(2, 3), T.randn(3, 4))),
    ("LSTMCell", (3, 4), {}, lambda T: (T.randn(2, 3), (T.randn(2, 5), T.randn(2, 4)))),
    ("RNNCell", (3, 4), {}, lambda T: (T.randn(2, 3, 1),)),
]


@pytest.mark.parametrize("name,args,kw,inputs", ERRORS)
def test_errors_match_torch(torch, name, args, kw, inputs):
    tm, pm = getattr(torch.nn, name)(*args, **kw), getattr(nn, name)(*args, **kw)
    with pytest.raises(Exception) as te:
        tm(*inputs(torch))
    with pytest.raises(type(te.value)) as pe:
        pm(*inputs(profundo))
    assert str(te.value).splitlines()[0].replace("torch.", "profundo.") in str(pe.value)
    assert "Pista:" in str(pe.value)


@pytest.mark.parametrize("name,args,kw", [("LSTM", (3, 4), dict(proj_size=4)), ("LSTM", (3, 4), dict(dropout=1.5)),
                                          ("GRU", (3, 4), dict(proj_size=1)), ("RNN", (3, 4), dict(nonlinearity="x")),
                                          ("LSTM", (3, 0), {}), ("GRU", (3.0, 4), {}), ("RNN", (3, 4), dict(bias=1)),
                                          ("LSTM", (3, 4, 0), {})])
def test_constructor_errors_match_torch(torch, name, args, kw):
    with pytest.raises(Exception) as te:
        getattr(torch.nn, name)(*args, **kw)
    with pytest.raises(type(te.value)) as pe:
        getattr(nn, name)(*args, **kw)
    assert str(te.value) in str(pe.value)
