"""profundo.d2l: the book's chapter 11 (d2l 1.0.3, PyTorch edition): attention and the Transformer encoder.

The book's code on profundo, same names, signatures and behaviour, including ``masked_softmax`` writing the
mask into the scores it is given (the book's ``X[~mask] = value`` works on a view) and ``PositionalEncoding``
keeping ``P`` as a plain attribute.  Shape errors name the op and the shapes (``profundo.models.attention``'s
checks) instead of a bare traceback.
"""
import math

import profundo as torch
from profundo import nn

from .._errors import error, shape_str
from ..models.attention import _check_qkv
from ..models.seq2seq import AttentionDecoder, Encoder
# the book's position-wise FFN and AddNorm (11.7) are profundo.models' own, line for line
from ..models.transformer import AddNorm, PositionWiseFFN
from ..tensor import Tensor
from .base import Module

__all__ = ["masked_softmax", "DotProductAttention", "AdditiveAttention", "AttentionDecoder",
           "MultiHeadAttention", "PositionalEncoding", "PositionWiseFFN", "AddNorm", "TransformerEncoderBlock",
           "TransformerEncoder"]


def _check_valid_lens(X, valid_lens):
    if not isinstance(valid_lens, Tensor):
        raise error(TypeError, "masked_softmax", f"valid_lens must be None or a tensor of lengths, got "
                    f"{type(valid_lens).__name__}", "p. ej. torch.tensor([2, 3])")
    shape = tuple(X.shape)
    if X.dim() != 3 or tuple(valid_lens.shape) not in ((shape[0],), shape[:2]):
        raise error(ValueError, "masked_softmax", f"expected X of shape (batch, queries, keys) and valid_lens of "
                    f"shape (batch,) or (batch, queries), got X {shape_str(shape)} and valid_lens "
                    f"{shape_str(tuple(valid_lens.shape))}", "una longitud válida por ejemplo, o una por ejemplo y "
                    "consulta")


def masked_softmax(X, valid_lens):
    """Perform softmax operation by masking elements on the last axis (book 11.3).

    ``X`` is 3-D (batch, queries, keys); ``valid_lens`` is ``None``, 1-D (batch,) or 2-D (batch, queries).
    Keys from ``valid_len`` on get -1e6 (not -inf: a length of 0 then gives uniform weights, not NaN).
    """
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
        X[~mask] = value  # in place, as the book: X is a view of the scores
        return X

    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    _check_valid_lens(X, valid_lens)
    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    # on the last axis, replace masked elements with a very large negative value, whose exponential is 0
    X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
    return nn.functional.softmax(X.reshape(shape), dim=-1)


class DotProductAttention(nn.Module):
    """Scaled dot product attention (book 11.3): ``softmax(Q K^T / sqrt(d)) V``, dropout on the weights."""

    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    # queries (batch_size, no. of queries, d), keys (batch_size, no. of key-value pairs, d),
    # values (batch_size, no. of key-value pairs, value dimension), valid_lens (batch_size,) or
    # (batch_size, no. of queries)
    def forward(self, queries, keys, values, valid_lens=None):
        _check_qkv("DotProductAttention", queries, keys, values)
        d = queries.shape[-1]
        # swap the last two dimensions of keys with keys.transpose(1, 2)
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class AdditiveAttention(nn.Module):
    """Additive attention (book 11.3): ``w_v^T tanh(W_q q + W_k k)``; queries and keys may differ in size."""

    def __init__(self, num_hiddens, dropout, **kwargs):
        super(AdditiveAttention, self).__init__(**kwargs)
        self.W_k = nn.LazyLinear(num_hiddens, bias=False)
        self.W_q = nn.LazyLinear(num_hiddens, bias=False)
        self.w_v = nn.LazyLinear(1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        _check_qkv("AdditiveAttention", queries, keys, values)
        queries, keys = self.W_q(queries), self.W_k(keys)
        # after dimension expansion, queries (batch_size, no. of queries, 1, num_hiddens) and keys
        # (batch_size, 1, no. of key-value pairs, num_hiddens) broadcast when summed
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        # self.w_v has one output, so the last dimension goes: scores (batch_size, no. of queries, no. of pairs)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class MultiHeadAttention(Module):
    """Multi-head attention (book 11.5): ``num_heads`` scaled dot-product attentions over learned projections of
    size num_hiddens / num_heads, computed in parallel (the heads are folded into the batch axis)."""

    def __init__(self, num_hiddens, num_heads, dropout, bias=False, **kwargs):
        super().__init__()
        if not isinstance(num_heads, int) or num_heads < 1 or num_hiddens % num_heads:
            raise error(ValueError, "MultiHeadAttention", f"num_hiddens ({num_hiddens}) must be divisible by "
                        f"num_heads ({num_heads})", "cada cabeza usa num_hiddens / num_heads dimensiones")
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_o = nn.LazyLinear(num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens):
        # queries, keys, values: (batch_size, no. of queries or key-value pairs, num_hiddens); after
        # transpose_qkv: (batch_size * num_heads, no. of queries or key-value pairs, num_hiddens / num_heads)
        _check_qkv("MultiHeadAttention", queries, keys, values)
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))
        if valid_lens is not None:
            # on axis 0, copy the first item (scalar or vector) num_heads times, then the next, and so on
            valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        # output shape: (batch_size * num_heads, no. of queries, num_hiddens / num_heads)
        output = self.attention(queries, keys, values, valid_lens)
        # output_concat shape: (batch_size, no. of queries, num_hiddens)
        output_concat = self.transpose_output(output)
        return self.W_o(output_concat)

    def transpose_qkv(self, X):
        """Transposition for parallel computation of multiple attention heads."""
        # (batch_size, no. of queries or key-value pairs, num_heads, num_hiddens / num_heads)
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)
        # (batch_size, num_heads, no. of queries or key-value pairs, num_hiddens / num_heads)
        X = X.permute(0, 2, 1, 3)
        # (batch_size * num_heads, no. of queries or key-value pairs, num_hiddens / num_heads)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        """Reverse the operation of transpose_qkv."""
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)


class PositionalEncoding(nn.Module):
    """Positional encoding (book 11.6): adds ``P[i, 2j] = sin(i / 10000^(2j/d))``, ``P[i, 2j+1] = cos(...)``
    to the input, then dropout.  ``P`` is a plain attribute, as in the book (not in the state dict)."""

    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        if not isinstance(num_hiddens, int) or num_hiddens < 2 or num_hiddens % 2:
            # the book's P[:, :, 1::2] = cos(X) needs as many cosine columns as sine columns
            raise error(RuntimeError, "PositionalEncoding", f"num_hiddens must be an even int >= 2, got "
                        f"{num_hiddens!r}", "el libro alterna seno y coseno: usa un num_hiddens par")
        self.dropout = nn.Dropout(dropout)
        # create a long enough P
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        if X.dim() != 3 or X.shape[1] > self.P.shape[1] or X.shape[2] != self.P.shape[2]:
            raise error(RuntimeError, "PositionalEncoding", f"expected input (batch, steps <= {self.P.shape[1]}, "
                        f"{self.P.shape[2]}), got {shape_str(tuple(X.shape))}",
                        "num_hiddens debe coincidir con la última dimensión; para secuencias más largas sube max_len")
        X = X + self.P[:, :X.shape[1], :].to(X.device)
        return self.dropout(X)


class TransformerEncoderBlock(nn.Module):
    """The Transformer encoder block (book 11.7): self-attention, then the FFN, each with AddNorm."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoder(Encoder):
    """The Transformer encoder (book 11.7): embedding * sqrt(num_hiddens) + positional encoding, then
    ``num_blks`` encoder blocks; ``attention_weights[i]`` holds block i's self-attention weights."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, use_bias=False):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module("block" + str(i), TransformerEncoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias))

    def forward(self, X, valid_lens):
        # the embedding values are multiplied by the square root of the embedding dimension to rescale them
        # before they are summed up with the positional encoding (values in [-1, 1])
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens)
            self.attention_weights[i] = blk.attention.attention.attention_weights
        return X
