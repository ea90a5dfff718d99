"""Language models of Unit 3 (issue 13): RNN from scratch, RNN/GRU/LSTM language models, generation.

d2l 1.0's chapter 9 classes, as ``nn.Module``s:

- ``RNNScratch(num_inputs, num_hiddens, sigma=0.01)``: ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)`` with
  matmul and tanh only; ``forward(inputs, state)`` takes (num_steps, batch, num_inputs) and returns the list
  of the hidden states of every step and the last one.
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

__all__ = ["RNNScratch", "RNNLMScratch", "RNNLM", "perplexity", "evaluate_perplexity"]

_matmul, _tanh, _stack, _exp = FUNCTIONS["matmul"], FUNCTIONS["tanh"], FUNCTIONS["stack"], FUNCTIONS["exp"]


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


def _positive_int(op, **values):
    for name, v in values.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise error(ValueError, op, f"{name} must be a positive int, got {v!r}", f"p. ej. {name}=32")


class RNNScratch(nn.Module):
    """d2l's RNN from scratch: one tanh layer, its weights as plain parameters."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        _positive_int("RNNScratch", num_inputs=num_inputs, num_hiddens=num_hiddens)
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        self.W_xh = nn.Parameter(randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(zeros(num_hiddens))

    def forward(self, inputs, state=None):
        """``inputs`` (num_steps, batch, num_inputs) -> (list of the num_steps states (batch, H), last state)."""
        if not isinstance(inputs, Tensor) or inputs.dim() != 3 or inputs.shape[-1] != self.num_inputs:
            shape = tuple(inputs.shape) if isinstance(inputs, Tensor) else type(inputs).__name__
            raise error(RuntimeError, "RNNScratch", f"expected inputs of shape (num_steps, batch_size, "
                        f"{self.num_inputs}), got {shape}", "las entradas van con el tiempo primero: "
                        "X.T y luego one_hot, como hace RNNLMScratch")
        if state is None:
            state = zeros((inputs.shape[1], self.num_hiddens), dtype=self.W_xh.dtype, device=inputs.device)
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

    def extra_repr(self):
        return f"num_inputs={self.num_inputs}, num_hiddens={self.num_hiddens}, sigma={self.sigma}"


class RNNLMScratch(nn.Module):
    """d2l's RNN language model from scratch: one-hot inputs, ``rnn``, and an output layer ``H W_hq + b_q``.

    ``lr`` is d2l's learning rate: ``configure_optimizers()`` returns SGD with it.
    """

    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        _positive_int(type(self).__name__, vocab_size=vocab_size)
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
