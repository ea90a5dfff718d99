"""The Transformer, the book's way (d2l 11.7, PyTorch edition), built from ``MultiHeadAttention``; plus a
Transformer encoder classifier over token sequences.

Post-norm blocks: ``AddNorm`` is LayerNorm(X + dropout(sublayer(X))).  The encoder and decoder embed the
tokens, scale them by sqrt(num_hiddens) (the positional encoding lies in [-1, 1]) and add the positional
encoding.  The decoder keeps, per block, the representations of the tokens decoded so far
(``state[2][i]``), so that greedy decoding feeds it one token at a time.
"""
import math

from .. import nn
from .._errors import error
from ..creation import arange
from ..ops import FUNCTIONS
from .attention import MultiHeadAttention, PositionalEncoding
from .seq2seq import AttentionDecoder, Encoder

__all__ = ["PositionWiseFFN", "AddNorm", "TransformerEncoderBlock", "TransformerEncoder",
           "TransformerDecoderBlock", "TransformerDecoder", "TransformerClassifier"]

_cat = FUNCTIONS["cat"]


class PositionWiseFFN(nn.Module):
    """The same two-layer MLP applied at every position: dense2(relu(dense1(X)))."""

    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.LazyLinear(ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))


class AddNorm(nn.Module):
    """Residual connection followed by layer normalization: LayerNorm(X + dropout(Y))."""

    def __init__(self, norm_shape, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)


class TransformerEncoderBlock(nn.Module):
    """Self-attention (masked by ``valid_lens``) then the position-wise FFN, each with AddNorm."""

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
    """Embedding * sqrt(num_hiddens) + positional encoding, then ``num_blks`` encoder blocks.
    ``attention_weights[i]``: block i's self-attention weights, (batch * num_heads, steps, steps)."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, use_bias=False):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module("block" + str(i), TransformerEncoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias))

    def forward(self, X, valid_lens=None):
        # the embeddings are scaled up so that the positional encoding (values in [-1, 1]) does not swamp them
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens)
            self.attention_weights[i] = blk.attention.attention.attention_weights
        return X


class TransformerDecoderBlock(nn.Module):
    """The i-th decoder block: causal self-attention, encoder-decoder attention, FFN, each with AddNorm."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, i):
        super().__init__()
        self.i = i
        self.attention1 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.attention2 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm2 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm3 = AddNorm(num_hiddens, dropout)

    def forward(self, X, state):
        enc_outputs, enc_valid_lens = state[0], state[1]
        # state[2][i]: this block's inputs for the tokens decoded before (None in training, where the whole
        # target is given at once); they are the keys and values of the self-attention
        past = state[2][self.i]
        key_values = X if past is None else _cat((past, X), 1)
        state[2][self.i] = key_values
        batch_size, num_steps, _ = X.shape
        # causal mask: the query at position t (after `offset` decoded tokens) sees keys 0..offset+t.  In
        # training (offset 0) this is d2l's [1, 2, ..., num_steps]; decoding one token at a time it lets the
        # query see all the keys, as d2l's None does; and unlike d2l's None it stays causal when a whole target
        # is fed in eval mode (validation loss)
        offset = key_values.shape[1] - num_steps
        dec_valid_lens = arange(offset + 1, offset + num_steps + 1, device=X.device).repeat(batch_size, 1)
        X2 = self.attention1(X, key_values, key_values, dec_valid_lens)
        Y = self.addnorm1(X, X2)
        Y2 = self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens)
        Z = self.addnorm2(Y, Y2)
        return self.addnorm3(Z, self.ffn(Z)), state


class TransformerDecoder(AttentionDecoder):
    """Embedding * sqrt(num_hiddens) + positional encoding, ``num_blks`` decoder blocks, a dense layer to
    the vocabulary.  ``attention_weights``: [self-attention weights per block, encoder-decoder per block]."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.num_blks = num_blks
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module("block" + str(i), TransformerDecoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, i))
        self.dense = nn.LazyLinear(vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens, *args):
        return [enc_outputs, enc_valid_lens, [None] * self.num_blks]

    def forward(self, X, state):
        # X's positions follow the tokens decoded before (state[2][0] holds them).  d2l adds position 0's
        # encoding to every token decoded one at a time, unlike in training; here each gets its own position
        offset = 0 if state[2][0] is None else state[2][0].shape[1]
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens), offset)
        self._attention_weights = [[None] * len(self.blks) for _ in range(2)]
        for i, blk in enumerate(self.blks):
            X, state = blk(X, state)
            self._attention_weights[0][i] = blk.attention1.attention.attention_weights
            self._attention_weights[1][i] = blk.attention2.attention.attention_weights
        return self.dense(X), state

    @property
    def attention_weights(self):
        return self._attention_weights


class TransformerClassifier(nn.Module):
    """A Transformer encoder over token sequences and a linear head on one vector per sequence:
    ``pooling="cls"`` takes the first position (put a ``<cls>`` token there, as BERT does), ``"mean"`` averages
    the valid positions.  ``forward(X, valid_lens=None)`` -> logits (batch, num_classes)."""

    POOLINGS = ("cls", "mean")

    def __init__(self, vocab_size, num_classes, num_hiddens=64, ffn_num_hiddens=128, num_heads=4, num_blks=2,
                 dropout=0.1, pooling="cls", use_bias=False):
        super().__init__()
        if pooling not in self.POOLINGS:
            raise error(ValueError, "TransformerClassifier", f"pooling must be one of {list(self.POOLINGS)}, "
                        f"got {pooling!r}", "'cls' usa la primera posición; 'mean', el promedio de las válidas")
        self.pooling = pooling
        self.encoder = TransformerEncoder(vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout,
                                          use_bias)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(num_hiddens, num_classes)

    def forward(self, X, valid_lens=None):
        H = self.encoder(X, valid_lens)  # (batch, steps, num_hiddens)
        if self.pooling == "cls":
            pooled = H[:, 0]
        elif valid_lens is None:
            pooled = H.mean(1)
        else:
            # average over the first valid_len positions only: padding must not dilute the mean
            mask = (arange(H.shape[1], device=H.device)[None, :] < valid_lens[:, None]).to(H.dtype)
            pooled = (H * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        return self.head(self.dropout(pooled))
