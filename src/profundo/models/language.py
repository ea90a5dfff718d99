"""Language models of Unit 3 (issue 13): RNN from scratch, RNN/GRU/LSTM language models, generation.

d2l 1.0's chapter 9 classes, as ``nn.Module``s:

- ``RNNScratch(num_inputs, num_hiddens, sigma=0.01)``: ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)`` with
  matmul and tanh only; ``forward(inputs, state)`` takes (num_steps, batch, num_inputs) and returns the list
  of the hidden states of every step and the last one.
- d2l's chapter 10 from scratch, same interface: ``GRUScratch``, ``LSTMScratch`` (state ``(H, C)``),
  ``StackedRNNScratch`` (``num_layers`` RNNScratch, each feeding the next) and ``BiRNNScratch`` (a forward
  and a backward RNNScratch, outputs concatenated: ``num_hiddens`` doubles).
- ``RNNLMScratch(rnn, vocab_size)``: one-hot inputs, the recurrent network, an output layer
  ``O_t = H_t W_hq + b_q``; ``model(X)`` maps token indices (batch, num_steps) to logits
  (batch, num_steps, vocab_size); ``model.loss`` is the mean cross-entropy over all tokens and
  ``perplexity(loss) = exp(loss)``.
- ``RNNLM(rnn, vocab_size)``: the same with a library recurrent layer (``nn.RNN``, ``nn.GRU``, ``nn.LSTM``,
  or d2l's wrappers of them) and an ``nn.Linear`` output layer.
- ``model.predict(prefix, num_preds, vocab)``: warm the state up on ``prefix``, then generate
  ``num_preds`` tokens, greedily (d2l) or sampled with a ``temperature``.
"""
import math

from .. import nn
from .._errors import error
from ..autograd.grad_mode import no_grad
from ..creation import tensor, zeros
from ..nn import functional as F
from ..ops import FUNCTIONS
from ..random import multinomial, randn
from ..tensor import Tensor
from ..text.corpora import _positive  # the same check (and message) as the text data modules

__all__ = ["RNNScratch", "GRUScratch", "LSTMScratch", "StackedRNNScratch", "BiRNNScratch", "RNNLMScratch", "RNNLM",
           "perplexity", "evaluate_perplexity"]

_matmul, _tanh, _stack, _exp = FUNCTIONS["matmul"], FUNCTIONS["tanh"], FUNCTIONS["stack"], FUNCTIONS["exp"]
_sigmoid, _cat = FUNCTIONS["sigmoid"], FUNCTIONS["cat"]


def perplexity(loss):
    """Perplexity ``exp(loss)`` of a mean cross-entropy per token (a float or a 0-d tensor)."""
    if isinstance(loss, Tensor):
        return _exp(loss)
    return math.exp(loss)


def evaluate_perplexity(model, loader):
    """Perplexity of ``model`` over the (X, Y) minibatches of ``loader``: exp of the mean loss per token."""
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with no_grad():
        for X, Y in loader:
            total += float(model.loss(model(X), Y, averaged=False).sum())
            count += Y.numel()
    model.train(was_training)
    if count == 0:
        raise error(ValueError, "evaluate_perplexity", "the loader gave no tokens",
                    "pasa un DataLoader con al menos un lote")
    return math.exp(total / count)


class _ScratchCell(nn.Module):
    """What the recurrent networks from scratch share: sizes, the input check, the initial state."""

    def __init__(self, num_inputs, num_hiddens, sigma):
        super().__init__()
        _positive(type(self).__name__, num_inputs=num_inputs, num_hiddens=num_hiddens)
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma

    def _param(self, *shape):
        # d2l: N(0, sigma^2) weights; biases (one dimension) start at zero
        return nn.Parameter(randn(*shape) * self.sigma if len(shape) == 2 else zeros(*shape))

    def _triple(self):
        return (self._param(self.num_inputs, self.num_hiddens), self._param(self.num_hiddens, self.num_hiddens),
                self._param(self.num_hiddens))

    def _check(self, inputs):
        if not isinstance(inputs, Tensor) or inputs.dim() != 3 or inputs.shape[-1] != self.num_inputs:
            shape = tuple(inputs.shape) if isinstance(inputs, Tensor) else type(inputs).__name__
            raise error(RuntimeError, type(self).__name__, f"expected inputs of shape (num_steps, batch_size, "
                        f"{self.num_inputs}), got {shape}", "las entradas van con el tiempo primero: "
                        "X.T y luego one_hot, como hace RNNLMScratch")

    def _zeros(self, inputs):
        return zeros((inputs.shape[1], self.num_hiddens), dtype=next(self.parameters()).dtype, device=inputs.device)

    def extra_repr(self):
        return f"num_inputs={self.num_inputs}, num_hiddens={self.num_hiddens}, sigma={self.sigma}"


class RNNScratch(_ScratchCell):
    """d2l's RNN from scratch: one tanh layer, its weights as plain parameters."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__(num_inputs, num_hiddens, sigma)
        self.W_xh, self.W_hh, self.b_h = self._triple()

    def forward(self, inputs, state=None):
        """``inputs`` (num_steps, batch, num_inputs) -> (list of the num_steps states (batch, H), last state)."""
        self._check(inputs)
        if state is None:
            state = self._zeros(inputs)
        elif isinstance(state, (tuple, list)):  # d2l passes the state as a 1-tuple
            if len(state) != 1:
                raise error(ValueError, "RNNScratch", f"expected one state tensor, got {len(state)}",
                            "un RNN simple tiene un solo estado oculto H")
            (state,) = state
        outputs = []
        for X in inputs:  # one step at a time: the state of a step feeds the next
            state = _tanh(_matmul(X, self.W_xh) + _matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


class GRUScratch(_ScratchCell):
    """d2l's GRU from scratch: update gate Z, reset gate R, candidate ``tanh(X W_xh + (R * H) W_hh + b_h)``.

    (PyTorch's ``nn.GRU`` resets after the matmul, ``R * (H W_hh + b_hn)``: not the same function.)
    """

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__(num_inputs, num_hiddens, sigma)
        self.W_xz, self.W_hz, self.b_z = self._triple()  # update gate
        self.W_xr, self.W_hr, self.b_r = self._triple()  # reset gate
        self.W_xh, self.W_hh, self.b_h = self._triple()  # candidate hidden state

    def forward(self, inputs, H=None):
        self._check(inputs)
        if H is None:
            H = self._zeros(inputs)
        outputs = []
        for X in inputs:
            Z = _sigmoid(_matmul(X, self.W_xz) + _matmul(H, self.W_hz) + self.b_z)
            R = _sigmoid(_matmul(X, self.W_xr) + _matmul(H, self.W_hr) + self.b_r)
            H_tilde = _tanh(_matmul(X, self.W_xh) + _matmul(R * H, self.W_hh) + self.b_h)
            H = Z * H + (1 - Z) * H_tilde
            outputs.append(H)
        return outputs, H


class LSTMScratch(_ScratchCell):
    """d2l's LSTM from scratch: input, forget and output gates, input node, memory cell C; state ``(H, C)``."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__(num_inputs, num_hiddens, sigma)
        self.W_xi, self.W_hi, self.b_i = self._triple()  # input gate
        self.W_xf, self.W_hf, self.b_f = self._triple()  # forget gate
        self.W_xo, self.W_ho, self.b_o = self._triple()  # output gate
        self.W_xc, self.W_hc, self.b_c = self._triple()  # input node

    def forward(self, inputs, H_C=None):
        self._check(inputs)
        if H_C is None:
            H, C = self._zeros(inputs), self._zeros(inputs)
        else:
            H, C = H_C
        outputs = []
        for X in inputs:
            I = _sigmoid(_matmul(X, self.W_xi) + _matmul(H, self.W_hi) + self.b_i)  # noqa: E741 - the book's name
            F_ = _sigmoid(_matmul(X, self.W_xf) + _matmul(H, self.W_hf) + self.b_f)
            O = _sigmoid(_matmul(X, self.W_xo) + _matmul(H, self.W_ho) + self.b_o)  # noqa: E741 - the book's name
            C_tilde = _tanh(_matmul(X, self.W_xc) + _matmul(H, self.W_hc) + self.b_c)
            C = F_ * C + I * C_tilde
            H = O * _tanh(C)
            outputs.append(H)
        return outputs, (H, C)


class StackedRNNScratch(nn.Module):
    """d2l's deep RNN from scratch: ``num_layers`` RNNScratch, the outputs of each the inputs of the next."""

    def __init__(self, num_inputs, num_hiddens, num_layers, sigma=0.01):
        super().__init__()
        _positive("StackedRNNScratch", num_layers=num_layers)
        self.num_inputs, self.num_hiddens, self.num_layers, self.sigma = num_inputs, num_hiddens, num_layers, sigma
        self.rnns = nn.Sequential(*[RNNScratch(num_inputs if i == 0 else num_hiddens, num_hiddens, sigma)
                                    for i in range(num_layers)])

    def forward(self, inputs, Hs=None):
        outputs = inputs
        Hs = [None] * self.num_layers if Hs is None else list(Hs)
        if len(Hs) != self.num_layers:
            raise error(ValueError, "StackedRNNScratch", f"expected {self.num_layers} states, one per layer, got "
                        f"{len(Hs)}", "pasa una lista con el estado de cada capa (o None)")
        for i in range(self.num_layers):
            outputs, Hs[i] = self.rnns[i](outputs, Hs[i])
            outputs = _stack(outputs, 0)
        return outputs, Hs


class BiRNNScratch(nn.Module):
    """d2l's bidirectional RNN from scratch: one RNNScratch reads forward, one backward; outputs concatenated."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.sigma = num_inputs, sigma
        self.f_rnn = RNNScratch(num_inputs, num_hiddens, sigma)
        self.b_rnn = RNNScratch(num_inputs, num_hiddens, sigma)
        self.num_hiddens = 2 * num_hiddens  # the output dimension doubles

    def forward(self, inputs, Hs=None):
        f_H, b_H = Hs if Hs is not None else (None, None)
        f_outputs, f_H = self.f_rnn(inputs, f_H)
        b_outputs, b_H = self.b_rnn(inputs.flip(0), b_H)  # the backward RNN reads the steps last to first
        outputs = [_cat((f, b), -1) for f, b in zip(f_outputs, reversed(b_outputs))]
        return outputs, (f_H, b_H)


class RNNLMScratch(nn.Module):
    """d2l's RNN language model from scratch: one-hot inputs, ``rnn``, and an output layer ``H W_hq + b_q``.

    ``lr`` is d2l's learning rate: ``configure_optimizers()`` returns SGD with it.
    """

    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        _positive(type(self).__name__, vocab_size=vocab_size)
        self.rnn, self.vocab_size, self.lr = rnn, vocab_size, lr
        self.init_params()

    def init_params(self):
        self.W_hq = nn.Parameter(randn(self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma)
        self.b_q = nn.Parameter(zeros(self.vocab_size))

    def configure_optimizers(self):
        from ..optim import SGD
        return SGD(self.parameters(), self.lr)

    def loss(self, Y_hat, Y, averaged=True):
        """Cross-entropy of logits (batch, num_steps, vocab) against indices (batch, num_steps), per token."""
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        return F.cross_entropy(Y_hat, Y.reshape((-1,)), reduction="mean" if averaged else "none")

    def _dtype(self):
        return next(self.parameters()).dtype

    def one_hot(self, X):
        """Indices (batch, num_steps) -> one-hot vectors (num_steps, batch, vocab_size), time first."""
        if not isinstance(X, Tensor) or X.dim() != 2 or X.dtype.is_floating_point:
            what = f"{X.dtype} tensor of shape {tuple(X.shape)}" if isinstance(X, Tensor) else type(X).__name__
            raise error(RuntimeError, type(self).__name__, "expected token indices of shape (batch_size, "
                        f"num_steps) (an integer tensor), got a {what}",
                        "pasa los índices del vocabulario, p. ej. X de un lote (X, Y) de TimeMachine")
        if X.numel() and (int(X.max()) >= self.vocab_size or int(X.min()) < 0):
            raise error(IndexError, type(self).__name__, f"token index {int(X.max())} is out of range for a "
                        f"vocabulary of {self.vocab_size}", "vocab_size debe ser len(vocab)")
        return F.one_hot(X.T, self.vocab_size).to(self._dtype())

    def output_layer(self, rnn_outputs):
        outputs = [_matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return _stack(outputs, 1)

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)

    def predict(self, prefix, num_preds, vocab, device=None, temperature=0.0, generator=None):
        """``prefix`` followed by ``num_preds`` generated tokens, joined into a string.

        The state is warmed up on the prefix (its tokens are fed, not predicted); then each step feeds the
        last token.  ``temperature=0`` takes the most likely token (d2l's greedy decoding); a positive
        temperature samples from ``softmax(logits / temperature)`` (``generator`` for reproducible draws).
        """
        op = f"{type(self).__name__}.predict"
        if not isinstance(prefix, str) or not prefix:
            raise error(ValueError, op, f"prefix must be a non-empty str, got {prefix!r}",
                        "p. ej. predict('it has', 20, vocab)")
        if not isinstance(num_preds, int) or isinstance(num_preds, bool) or num_preds < 0:
            raise error(ValueError, op, f"num_preds must be an int >= 0, got {num_preds!r}", "p. ej. 20")
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not temperature >= 0:
            raise error(ValueError, op, f"temperature must be a number >= 0, got {temperature!r}",
                        "0 elige el token más probable; 1 muestrea de la distribución del modelo")
        if len(vocab) != self.vocab_size:
            raise error(ValueError, op, f"the vocabulary has {len(vocab)} tokens, the model {self.vocab_size}",
                        "usa el mismo vocabulario con el que se entrenó el modelo")
        tokens = list(prefix)
        state, outputs = None, [vocab[tokens[0]]]
        was_training = self.training
        self.eval()
        with no_grad():
            for i in range(len(tokens) + num_preds - 1):
                X = tensor([[outputs[-1]]], device=device)
                rnn_outputs, state = self.rnn(self.one_hot(X), state)
                if i < len(tokens) - 1:  # warm-up period
                    outputs.append(vocab[tokens[i + 1]])
                    continue
                logits = self.output_layer(rnn_outputs).reshape((-1,))
                if temperature == 0:
                    outputs.append(int(logits.argmax()))
                else:
                    probs = F.softmax(logits / temperature, dim=0)
                    outputs.append(int(multinomial(probs, 1, generator=generator)))
        self.train(was_training)
        return "".join(vocab.idx_to_token[i] for i in outputs)


def _features(rnn):
    """Features of each output step of a library recurrent layer (or of a d2l wrapper of one)."""
    inner = getattr(rnn, "rnn", rnn)  # d2l's RNN/GRU/LSTM wrappers keep the layer as .rnn
    if hasattr(inner, "hidden_size"):
        size = getattr(inner, "proj_size", 0) or inner.hidden_size
        return size * (2 if getattr(inner, "bidirectional", False) else 1)
    return getattr(rnn, "num_hiddens", None)


class RNNLM(RNNLMScratch):
    """d2l's concise RNN language model: one-hot inputs, a library recurrent layer, an ``nn.Linear`` output.

    ``rnn`` is ``nn.RNN``, ``nn.GRU`` or ``nn.LSTM`` (time first, the default), or a d2l wrapper of one;
    it returns ``(outputs (num_steps, batch, H), state)``.
    """

    def init_params(self):
        if getattr(getattr(self.rnn, "rnn", self.rnn), "batch_first", False):
            raise error(ValueError, "RNNLM", "the recurrent layer has batch_first=True; the language model feeds "
                        "it time first (num_steps, batch, vocab_size), as d2l", "crea la capa sin batch_first")
        features = _features(self.rnn)
        # d2l uses nn.LazyLinear; the size is known here, so the parameters exist before the optimizer is built
        self.linear = nn.Linear(features, self.vocab_size) if features else nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)
