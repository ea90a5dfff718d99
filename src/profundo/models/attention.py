"""Attention, the book's way (d2l 11.3-11.6, PyTorch edition): masked softmax, the two scoring functions,
multi-head attention written from scratch, and sinusoidal positional encoding.

Shapes follow d2l: ``queries`` (batch, no. of queries, d), ``keys`` (batch, no. of key-value pairs, d),
``values`` (batch, no. of key-value pairs, v).  ``valid_lens`` is ``None``, (batch,) (the same length for
every query of an example) or (batch, no. of queries): key positions from ``valid_len`` on are masked out.
Each attention module keeps its last ``attention_weights`` (batch, queries, keys) for heat maps.
"""
import math

from .. import nn
from .._errors import error, shape_str
from ..creation import arange, zeros
from ..nn import functional as F
from ..ops import FUNCTIONS
from ..tensor import Tensor

__all__ = ["masked_softmax", "DotProductAttention", "AdditiveAttention", "MultiHeadAttention",
           "PositionalEncoding"]

_bmm, _repeat_interleave = FUNCTIONS["bmm"], FUNCTIONS["repeat_interleave"]
_sin, _cos, _pow, _tanh = FUNCTIONS["sin"], FUNCTIONS["cos"], FUNCTIONS["pow"], FUNCTIONS["tanh"]

# d2l masks with -1e6 (not -inf): a row with valid_len 0 then gives uniform weights instead of NaN
MASK_VALUE = -1e6


def masked_softmax(X, valid_lens):
    """Softmax over the last axis of ``X`` (batch, queries, keys), keeping only the first ``valid_lens``
    keys of each row: the others get -1e6 before the softmax, hence weight ~0."""
    if valid_lens is None:
        return F.softmax(X, dim=-1)
    if not isinstance(valid_lens, Tensor):
        raise error(TypeError, "masked_softmax", f"valid_lens must be None or a tensor of lengths, got "
                    f"{type(valid_lens).__name__}", "p. ej. torch.tensor([2, 3])")
    if X.dim() != 3:
        raise error(ValueError, "masked_softmax", f"X must be 3-D (batch, queries, keys), got shape "
                    f"{shape_str(tuple(X.shape))}", "las puntuaciones tienen forma (lote, consultas, claves)")
    shape = tuple(X.shape)
    if tuple(valid_lens.shape) not in ((shape[0],), shape[:2]):
        raise error(ValueError, "masked_softmax", f"valid_lens must have shape ({shape[0]},) or "
                    f"{shape_str(shape[:2])} for scores of shape {shape_str(shape)}, got "
                    f"{shape_str(tuple(valid_lens.shape))}",
                    "una longitud válida por ejemplo, o una por ejemplo y consulta")
    if valid_lens.dim() == 1:
        # the same valid length for every query of an example
        valid_lens = _repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = X.reshape(-1, shape[-1])
    mask = arange(shape[-1], device=X.device)[None, :] < valid_lens[:, None]
    return F.softmax(X.masked_fill(~mask, MASK_VALUE).reshape(shape), dim=-1)


def _check_qkv(op, queries, keys, values):
    for name, t in (("queries", queries), ("keys", keys), ("values", values)):
        if t.dim() != 3:
            raise error(ValueError, op, f"{name} must be 3-D (batch, steps, features), got shape "
                        f"{shape_str(tuple(t.shape))}", "añade la dimensión del lote con unsqueeze(0)")
    if keys.shape[1] != values.shape[1] or not (queries.shape[0] == keys.shape[0] == values.shape[0]):
        raise error(ValueError, op, f"queries {shape_str(tuple(queries.shape))}, keys {shape_str(tuple(keys.shape))} "
                    f"and values {shape_str(tuple(values.shape))} must share the batch size, and keys and values "
                    "the number of key-value pairs", "cada clave va con un valor: mismas dimensiones 0 y 1")


class DotProductAttention(nn.Module):
    """Scaled dot-product attention: softmax(Q K^T / sqrt(d)) V, with dropout on the weights."""

    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        _check_qkv("DotProductAttention", queries, keys, values)
        if queries.shape[-1] != keys.shape[-1]:
            raise error(ValueError, "DotProductAttention", f"queries and keys must have the same feature size, got "
                        f"{queries.shape[-1]} and {keys.shape[-1]}",
                        "el producto escalar necesita vectores del mismo tamaño (si no, usa AdditiveAttention)")
        d = queries.shape[-1]
        # dividing by sqrt(d) keeps the scores' variance ~1 whatever d is
        scores = _bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return _bmm(self.dropout(self.attention_weights), values)


class AdditiveAttention(nn.Module):
    """Additive (Bahdanau) attention: w_v^T tanh(W_q q + W_k k); queries and keys may differ in size."""

    def __init__(self, num_hiddens, dropout):
        super().__init__()
        self.W_k = nn.LazyLinear(num_hiddens, bias=False)
        self.W_q = nn.LazyLinear(num_hiddens, bias=False)
        self.w_v = nn.LazyLinear(1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        _check_qkv("AdditiveAttention", queries, keys, values)
        queries, keys = self.W_q(queries), self.W_k(keys)
        # broadcast to (batch, queries, keys, num_hiddens): every query against every key
        features = _tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return _bmm(self.dropout(self.attention_weights), values)


class MultiHeadAttention(nn.Module):
    """d2l's multi-head attention: ``num_heads`` scaled dot-product attentions over learned projections of
    size num_hiddens / num_heads, computed in parallel (the heads are folded into the batch axis)."""

    def __init__(self, num_hiddens, num_heads, dropout, bias=False):
        super().__init__()
        if num_hiddens % num_heads:
            raise error(ValueError, "MultiHeadAttention", f"num_hiddens ({num_hiddens}) must be divisible by "
                        f"num_heads ({num_heads})", "cada cabeza usa num_hiddens / num_heads dimensiones")
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_o = nn.LazyLinear(num_hiddens, bias=bias)

    def transpose_qkv(self, X):
        """(batch, steps, num_hiddens) -> (batch * num_heads, steps, num_hiddens / num_heads)."""
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
        X = X.permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        """The inverse of ``transpose_qkv``: the heads side by side again."""
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)

    def forward(self, queries, keys, values, valid_lens=None):
        _check_qkv("MultiHeadAttention", queries, keys, values)
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))
        if valid_lens is not None:
            # example b becomes rows b * num_heads ... b * num_heads + num_heads - 1: repeat each length that often
            valid_lens = _repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        output = self.attention(queries, keys, values, valid_lens)
        return self.W_o(self.transpose_output(output))


class PositionalEncoding(nn.Module):
    """Adds P[i, 2j] = sin(i / 10000^(2j/d)), P[i, 2j+1] = cos(i / 10000^(2j/d)) to the input, then dropout."""

    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.max_len = max_len
        P = zeros((1, max_len, num_hiddens))
        X = arange(max_len).float().reshape(-1, 1) / _pow(10000, arange(0, num_hiddens, 2).float() / num_hiddens)
        P[:, :, 0::2] = _sin(X)
        P[:, :, 1::2] = _cos(X[:, :num_hiddens // 2])  # an odd num_hiddens has one cosine column fewer
        # a buffer so that .to()/.double() move it; not persistent: d2l's state_dict has no P
        self.register_buffer("P", P, persistent=False)

    def forward(self, X, offset=0):
        """``offset``: the position of X's first step (decoding one token at a time, the tokens before)."""
        if X.dim() != 3 or offset + X.shape[1] > self.max_len or X.shape[2] != self.P.shape[2]:
            raise error(ValueError, "PositionalEncoding", f"expected input (batch, steps, {self.P.shape[2]}) with "
                        f"offset + steps <= {self.max_len}, got {shape_str(tuple(X.shape))} at offset {offset}",
                        "num_hiddens debe coincidir con la última dimensión; para secuencias más largas sube max_len")
        return self.dropout(X + self.P[:, offset:offset + X.shape[1], :])
