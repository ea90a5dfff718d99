"""Review of Unit 3's layers (issue 13): reproductions of what the review found, each against
PyTorch when it is installed (the ``torch`` fixture skips otherwise) and against profundo's own
definitions without it.  Every test runs on both CPU backends."""
import warnings

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo.nn import functional as F
from profundo.nn.utils import rnn as R

pytestmark = pytest.mark.usefixtures("backend")


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _raises_like(torch_call, profundo_call):
    """Both calls raise, with the same exception type; returns profundo's message."""
    with pytest.raises(Exception) as want:
        torch_call()
    with pytest.raises(want.type) as got:
        profundo_call()
    return str(got.value)


# ------------------------------------------------------------------ recurrent layers
def test_lstm_cell_refuses_a_bare_tensor_as_its_state():
    # it was iterated over as its rows, ending in a misleading batch-size error
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(TypeError, match="tuple of Tensors"):
        cell(profundo.randn(2, 3), profundo.zeros(2, 4))
    with pytest.raises(RuntimeError, match="expects two hidden states"):
        cell(profundo.randn(2, 3), (profundo.zeros(2, 4),))
    with pytest.raises(TypeError, match="element 1"):
        cell(profundo.randn(2, 3), (profundo.zeros(2, 4), 0.0))
    h, c = cell(profundo.randn(2, 3), [profundo.zeros(2, 4), profundo.zeros(2, 4)])  # a list is fine
    assert tuple(h.shape) == tuple(c.shape) == (2, 4)


@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell"])
def test_single_state_cells_refuse_a_tuple_state(cls):
    cell = getattr(nn, cls)(3, 4)
    with pytest.raises(TypeError, match="hx must be a Tensor"):  # (was a bare AttributeError)
        cell(profundo.randn(2, 3), (profundo.zeros(2, 4),))


def test_lstm_cell_state_errors_match_torch(torch):
    tcell, pcell = torch.nn.LSTMCell(3, 4), nn.LSTMCell(3, 4)
    _raises_like(lambda: tcell(torch.randn(2, 3), torch.zeros(2, 4)),
                 lambda: pcell(profundo.randn(2, 3), profundo.zeros(2, 4)))
    _raises_like(lambda: tcell(torch.randn(2, 3), (torch.zeros(2, 4),)),
                 lambda: pcell(profundo.randn(2, 3), (profundo.zeros(2, 4),)))


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("shape", [(0, 2, 3), (0, 3)])
def test_empty_sequence_is_refused(cls, shape):
    # it returned empty outputs and the initial state as the "final" one; PyTorch refuses
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        getattr(nn, cls)(3, 4)(profundo.randn(*shape))


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_empty_sequence_error_matches_torch(torch, cls):
    msg = _raises_like(lambda: getattr(torch.nn, cls)(3, 4)(torch.randn(0, 2, 3)),
                       lambda: getattr(nn, cls)(3, 4)(profundo.randn(0, 2, 3)))
    assert "Expected sequence length to be larger than 0 in RNN" in msg


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
def test_empty_batch_runs_forward_and_backward(cls):
    # (as PyTorch; the reference backend's kernels reshaped with -1, which an empty batch cannot infer)
    kw = {"proj_size": 2} if cls == "LSTM" else {}
    layer = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=True, **kw)
    x = profundo.randn(5, 0, 3, requires_grad=True)
    out, _ = layer(x)
    assert tuple(out.shape) == (5, 0, 2 * (2 if cls == "LSTM" else 4))
    out.sum().backward()
    assert tuple(x.grad.shape) == (5, 0, 3)
    assert all(p.grad is not None and not p.grad.abs().sum().item() for p in layer.parameters())


# ------------------------------------------------------------------ embedding bags
IDX = [1, 2, 2, 5, 0, 1]


def _table(rng):
    return rng.standard_normal((6, 3)) * 3


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("last", [4, 5])
def test_include_last_offset_short_of_the_input_is_refused(mode, last):
    # the indices after a final offset below len(input) were silently dropped; PyTorch (CPU) gives
    # them three meanings, one per mode (pytorch#191965; pytorch#52851 asks for an error): refused
    w = profundo.tensor(_table(np.random.default_rng(0)))
    with pytest.raises(RuntimeError, match="last offset must be the input's length 6"):
        F.embedding_bag(profundo.tensor(IDX), w, profundo.tensor([0, 2, last]), mode=mode, include_last_offset=True)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_include_last_offset_at_the_input_length_matches_torch(torch, mode):
    table = _table(np.random.default_rng(0))
    tw = torch.tensor(table, requires_grad=True)
    pw = profundo.tensor(table, requires_grad=True)
    tout = torch.nn.functional.embedding_bag(torch.tensor(IDX), tw, torch.tensor([0, 2, 2, 6]), mode=mode,
                                             include_last_offset=True)
    pout = F.embedding_bag(profundo.tensor(IDX), pw, profundo.tensor([0, 2, 2, 6]), mode=mode,
                           include_last_offset=True)
    np.testing.assert_allclose(pout.detach().numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    (tout * torch.tensor(g)).sum().backward()
    (pout * profundo.tensor(g)).sum().backward()
    np.testing.assert_allclose(pw.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_per_sample_weights_of_another_dtype_are_refused():
    # they were accepted and silently cast; PyTorch refuses
    w = profundo.tensor(_table(np.random.default_rng(0)))
    idx = profundo.tensor([IDX[:3], IDX[3:]])
    with pytest.raises(RuntimeError, match="per_sample_weights"):
        F.embedding_bag(idx, w, mode="sum", per_sample_weights=profundo.ones(2, 3, dtype=profundo.float32))
    with pytest.raises(TypeError, match="per_sample_weights must be a Tensor"):
        F.embedding_bag(idx, w, mode="sum", per_sample_weights=[[1.0] * 3] * 2)


def test_per_sample_weights_dtype_error_matches_torch(torch):
    table = _table(np.random.default_rng(0))
    _raises_like(lambda: torch.nn.functional.embedding_bag(torch.tensor([IDX[:3], IDX[3:]]), torch.tensor(table),
                                                           mode="sum", per_sample_weights=torch.ones(2, 3)),
                 lambda: F.embedding_bag(profundo.tensor([IDX[:3], IDX[3:]]), profundo.tensor(table), mode="sum",
                                         per_sample_weights=profundo.ones(2, 3, dtype=profundo.float32)))


def _tied_table(lib):
    table = np.zeros((4, 2))
    table[3] = [1.0, -1.0]  # rows 0, 1, 2 tie everywhere
    return lib.tensor(table, requires_grad=True)


def test_embedding_bag_max_gives_a_tie_to_the_first_row():
    # amax split the gradient among tied rows (1/3 each); PyTorch gives it all to the first one
    w = _tied_table(profundo)
    F.embedding_bag(profundo.tensor([[0, 1, 2], [2, 1, 3]]), w, mode="max").sum().backward()
    g = w.grad.numpy()
    assert set(np.unique(g)) <= {0.0, 1.0}  # whole gradients, not shares
    np.testing.assert_array_equal(g.sum(0), [2.0, 2.0])  # one winner per bag and column
    np.testing.assert_array_equal(g[0], [1.0, 1.0])  # the first bag's first row wins both columns


def test_embedding_bag_max_ties_match_torch(torch):
    tw, pw = _tied_table(torch), _tied_table(profundo)
    idx = [[0, 1, 2], [2, 1, 3]]
    torch.nn.functional.embedding_bag(torch.tensor(idx), tw, mode="max").sum().backward()
    F.embedding_bag(profundo.tensor(idx), pw, mode="max").sum().backward()
    np.testing.assert_array_equal(pw.grad.numpy(), tw.grad.numpy())
    tw.grad = None
    pw.grad = None
    flat, offsets = [0, 1, 2, 2, 1, 3, 1], [0, 3, 6]
    torch.nn.functional.embedding_bag(torch.tensor(flat), tw, torch.tensor(offsets), mode="max",
                                      padding_idx=0).sum().backward()
    F.embedding_bag(profundo.tensor(flat), pw, profundo.tensor(offsets), mode="max", padding_idx=0).sum().backward()
    np.testing.assert_array_equal(pw.grad.numpy(), tw.grad.numpy())


# ------------------------------------------------------------------ TransformerEncoder's padded outputs
def _encoders(lib, heads=2, batch_first=True, norm_first=False, final_norm=True, **kw):
    lib.manual_seed(0)
    dt = lib.float64
    layer = lib.nn.TransformerEncoderLayer(8, heads, 16, dropout=0.0, batch_first=batch_first, norm_first=norm_first,
                                           dtype=dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (torch's note that the nested-tensor path is off)
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(8, dtype=dt) if final_norm else None,
                                         **kw)


def _padding(middle=False):
    kpm = np.zeros((3, 5), bool)
    kpm[0, 3:] = True
    kpm[1, 4:] = True
    if middle:
        kpm[2, 1] = True  # a real position after a padded one: not "left aligned"
    return kpm


def _run(enc, lib, x, kpm, grad):
    if grad:
        return enc(lib.tensor(x), src_key_padding_mask=lib.tensor(kpm)).detach().numpy()
    with lib.no_grad():
        return enc(lib.tensor(x), src_key_padding_mask=lib.tensor(kpm)).numpy()


def test_encoder_inference_zeroes_padded_positions():
    # PyTorch's inference path (nested tensors) leaves 0 at the padded positions (before the final
    # norm); the docstring claimed the same values as the padded path, but those positions differed
    enc = _encoders(profundo, final_norm=False).eval()
    x, kpm = np.random.default_rng(0).standard_normal((3, 5, 8)), _padding()
    out = _run(enc, profundo, x, kpm, grad=False)
    assert (out[kpm] == 0).all()
    padded_path = _run(enc, profundo, x, kpm, grad=True)  # grad wanted: the ordinary path
    assert not (padded_path[kpm] == 0).all()
    np.testing.assert_allclose(out[~kpm], padded_path[~kpm], rtol=0, atol=0)
    normed = _encoders(profundo).eval()
    out = _run(normed, profundo, x, kpm, grad=False)
    bias = normed.norm.bias.detach().numpy()  # LayerNorm of a zero row: its bias
    np.testing.assert_allclose(out[kpm], np.broadcast_to(bias, out[kpm].shape), rtol=0, atol=0)


@pytest.mark.parametrize("case", ["eval", "train", "grad", "middle", "seq_first", "odd_heads", "norm_first",
                                  "no_nested", "float_mask"])
def test_encoder_padded_outputs_match_torch(torch, case):
    kw = {"heads": 1 if case == "odd_heads" else 2, "batch_first": case != "seq_first",
          "norm_first": case == "norm_first"}
    if case == "no_nested":
        kw["enable_nested_tensor"] = False
    tenc, penc = _encoders(torch, **kw), _encoders(profundo, **kw)
    penc.load_state_dict({k: profundo.tensor(v.numpy()) for k, v in tenc.state_dict().items()})
    tenc.train(case == "train")
    penc.train(case == "train")
    x, kpm = np.random.default_rng(0).standard_normal((3, 5, 8)), _padding(middle=case == "middle")
    mask = np.where(kpm, -np.inf, 0.0) if case == "float_mask" else kpm
    if not kw["batch_first"]:
        x = x.transpose(1, 0, 2).copy()
    grad = case == "grad"
    np.testing.assert_allclose(_run(penc, profundo, x, mask, grad), _run(tenc, torch, x, mask, grad),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", ["GRU", "LSTM"])
@pytest.mark.parametrize("batch", [2, 5])
def test_packed_input_checks_the_initial_state_shape(cls, batch):
    # a state of another batch size was reordered first: an index_select error (fewer rows) or,
    # with more rows, some of them silently taken; now the usual "Expected hidden size" error
    packed = R.pack_padded_sequence(profundo.zeros(4, 3, 2), [4, 2, 3], enforce_sorted=False)
    h = profundo.zeros(1, batch, 5)
    with pytest.raises(RuntimeError, match=r"Expected hidden(\[0\])? size \(1, 3, 5\)"):
        getattr(nn, cls)(2, 5)(packed, (h, h) if cls == "LSTM" else h)


def test_packed_input_with_a_state_matches_torch(torch):
    rng = np.random.default_rng(0)
    tm = torch.nn.LSTM(2, 5, dtype=torch.float64)
    pm = nn.LSTM(2, 5, dtype=profundo.float64)
    pm.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x, h, c = rng.standard_normal((4, 3, 2)), rng.standard_normal((1, 3, 5)), rng.standard_normal((1, 3, 5))
    tout, (th, tc) = tm(torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), [4, 2, 3], enforce_sorted=False),
                        (torch.tensor(h), torch.tensor(c)))
    pout, (ph, pc) = pm(R.pack_padded_sequence(profundo.tensor(x), [4, 2, 3], enforce_sorted=False),
                        (profundo.tensor(h), profundo.tensor(c)))
    for a, b in ((pout.data, tout.data), (ph, th), (pc, tc)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
