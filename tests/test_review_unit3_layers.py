"""Review of Unit 3's layers (issue 13): reproductions of what the review found, each against
PyTorch when it is installed (the ``torch`` fixture skips otherwise) and against profundo's own
definitions without it.  Every test runs on both CPU backends."""
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
