"""profundo.models' sequence-to-sequence and attention models (issue 13) against torch twins written as d2l's
PyTorch edition writes them (chapters 10-11, with torch's Lazy layers): with the weights copied, the same
outputs, attention weights, losses and gradients in float64.  Plus shapes, masks and errors without torch,
and ``profundo train seq2seq`` on a small pairs file."""
import math

import numpy as np
import pytest

import profundo
from profundo import models
from profundo._errors import is_checked

try:
    import torch
    from torch import nn as tnn
    from torch.nn import functional as TF
except ImportError:  # the suite also runs without torch: the twins skip, the rest still runs
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch (the oracle)")


# ------------------------------------------------------------------------------ the torch twins: d2l's code
if torch is not None:
    def t_masked_softmax(X, valid_lens):
        if valid_lens is None:
            return TF.softmax(X, dim=-1)
        shape = X.shape
        valid_lens = (torch.repeat_interleave(valid_lens, shape[1]) if valid_lens.dim() == 1
                      else valid_lens.reshape(-1))
        X = X.reshape(-1, shape[-1])
        mask = torch.arange(shape[-1], dtype=torch.float32)[None, :] < valid_lens[:, None]
        X = X.clone()
        X[~mask] = -1e6
        return TF.softmax(X.reshape(shape), dim=-1)

    class TDotProductAttention(tnn.Module):
        def __init__(self, dropout):
            super().__init__()
            self.dropout = tnn.Dropout(dropout)

        def forward(self, queries, keys, values, valid_lens=None):
            d = queries.shape[-1]
            scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
            self.attention_weights = t_masked_softmax(scores, valid_lens)
            return torch.bmm(self.dropout(self.attention_weights), values)

    class TAdditiveAttention(tnn.Module):
        def __init__(self, num_hiddens, dropout):
            super().__init__()
            self.W_k = tnn.LazyLinear(num_hiddens, bias=False)
            self.W_q = tnn.LazyLinear(num_hiddens, bias=False)
            self.w_v = tnn.LazyLinear(1, bias=False)
            self.dropout = tnn.Dropout(dropout)

        def forward(self, queries, keys, values, valid_lens):
            queries, keys = self.W_q(queries), self.W_k(keys)
            features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
            scores = self.w_v(features).squeeze(-1)
            self.attention_weights = t_masked_softmax(scores, valid_lens)
            return torch.bmm(self.dropout(self.attention_weights), values)

    class TMultiHeadAttention(tnn.Module):
        def __init__(self, num_hiddens, num_heads, dropout, bias=False):
            super().__init__()
            self.num_heads = num_heads
            self.attention = TDotProductAttention(dropout)
            self.W_q = tnn.LazyLinear(num_hiddens, bias=bias)
            self.W_k = tnn.LazyLinear(num_hiddens, bias=bias)
            self.W_v = tnn.LazyLinear(num_hiddens, bias=bias)
            self.W_o = tnn.LazyLinear(num_hiddens, bias=bias)

        def transpose_qkv(self, X):
            X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1).permute(0, 2, 1, 3)
            return X.reshape(-1, X.shape[2], X.shape[3])

        def transpose_output(self, X):
            X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2]).permute(0, 2, 1, 3)
            return X.reshape(X.shape[0], X.shape[1], -1)

        def forward(self, queries, keys, values, valid_lens):
            queries = self.transpose_qkv(self.W_q(queries))
            keys = self.transpose_qkv(self.W_k(keys))
            values = self.transpose_qkv(self.W_v(values))
            if valid_lens is not None:
                valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
            output = self.attention(queries, keys, values, valid_lens)
            return self.W_o(self.transpose_output(output))

    class TPositionalEncoding(tnn.Module):
        def __init__(self, num_hiddens, dropout, max_len=1000):
            super().__init__()
            self.dropout = tnn.Dropout(dropout)
            self.P = torch.zeros((1, max_len, num_hiddens))
            X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
                10000, torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
            self.P[:, :, 0::2] = torch.sin(X)
            self.P[:, :, 1::2] = torch.cos(X)

        def forward(self, X):
            return self.dropout(X + self.P[:, :X.shape[1], :].to(X.device))

    class TPositionWiseFFN(tnn.Module):
        def __init__(self, ffn_num_hiddens, ffn_num_outputs):
            super().__init__()
            self.dense1 = tnn.LazyLinear(ffn_num_hiddens)
            self.relu = tnn.ReLU()
            self.dense2 = tnn.LazyLinear(ffn_num_outputs)

        def forward(self, X):
            return self.dense2(self.relu(self.dense1(X)))

    class TAddNorm(tnn.Module):
        def __init__(self, norm_shape, dropout):
            super().__init__()
            self.dropout = tnn.Dropout(dropout)
            self.ln = tnn.LayerNorm(norm_shape)

        def forward(self, X, Y):
            return self.ln(self.dropout(Y) + X)

    class TTransformerEncoderBlock(tnn.Module):
        def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
            super().__init__()
            self.attention = TMultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
            self.addnorm1 = TAddNorm(num_hiddens, dropout)
            self.ffn = TPositionWiseFFN(ffn_num_hiddens, num_hiddens)
            self.addnorm2 = TAddNorm(num_hiddens, dropout)

        def forward(self, X, valid_lens):
            Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
            return self.addnorm2(Y, self.ffn(Y))

    class TTransformerEncoder(tnn.Module):
        def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, use_bias=False):
            super().__init__()
            self.num_hiddens = num_hiddens
            self.embedding = tnn.Embedding(vocab_size, num_hiddens)
            self.pos_encoding = TPositionalEncoding(num_hiddens, dropout)
            self.blks = tnn.Sequential()
            for i in range(num_blks):
                self.blks.add_module("block" + str(i), TTransformerEncoderBlock(
                    num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias))

        def forward(self, X, valid_lens):
            X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
            self.attention_weights = [None] * len(self.blks)
            for i, blk in enumerate(self.blks):
                X = blk(X, valid_lens)
                self.attention_weights[i] = blk.attention.attention.attention_weights
            return X

    class TTransformerDecoderBlock(tnn.Module):
        def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, i):
            super().__init__()
            self.i = i
            self.attention1 = TMultiHeadAttention(num_hiddens, num_heads, dropout)
            self.addnorm1 = TAddNorm(num_hiddens, dropout)
            self.attention2 = TMultiHeadAttention(num_hiddens, num_heads, dropout)
            self.addnorm2 = TAddNorm(num_hiddens, dropout)
            self.ffn = TPositionWiseFFN(ffn_num_hiddens, num_hiddens)
            self.addnorm3 = TAddNorm(num_hiddens, dropout)

        def forward(self, X, state):
            enc_outputs, enc_valid_lens = state[0], state[1]
            key_values = X if state[2][self.i] is None else torch.cat((state[2][self.i], X), dim=1)
            state[2][self.i] = key_values
            if self.training:
                batch_size, num_steps, _ = X.shape
                dec_valid_lens = torch.arange(1, num_steps + 1).repeat(batch_size, 1)
            else:
                dec_valid_lens = None
            X2 = self.attention1(X, key_values, key_values, dec_valid_lens)
            Y = self.addnorm1(X, X2)
            Y2 = self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens)
            Z = self.addnorm2(Y, Y2)
            return self.addnorm3(Z, self.ffn(Z)), state

    class TTransformerDecoder(tnn.Module):
        def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout):
            super().__init__()
            self.num_hiddens = num_hiddens
            self.num_blks = num_blks
            self.embedding = tnn.Embedding(vocab_size, num_hiddens)
            self.pos_encoding = TPositionalEncoding(num_hiddens, dropout)
            self.blks = tnn.Sequential()
            for i in range(num_blks):
                self.blks.add_module("block" + str(i), TTransformerDecoderBlock(
                    num_hiddens, ffn_num_hiddens, num_heads, dropout, i))
            self.dense = tnn.LazyLinear(vocab_size)

        def init_state(self, enc_outputs, enc_valid_lens):
            return [enc_outputs, enc_valid_lens, [None] * self.num_blks]

        def forward(self, X, state):
            X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
            self._attention_weights = [[None] * len(self.blks) for _ in range(2)]
            for i, blk in enumerate(self.blks):
                X, state = blk(X, state)
                self._attention_weights[0][i] = blk.attention1.attention.attention_weights
                self._attention_weights[1][i] = blk.attention2.attention.attention_weights
            return self.dense(X), state

    class TSeq2SeqEncoder(tnn.Module):
        def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
            super().__init__()
            self.embedding = tnn.Embedding(vocab_size, embed_size)
            self.rnn = tnn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)

        def forward(self, X, *args):
            embs = self.embedding(X.t().type(torch.int64))
            return self.rnn(embs)

    class TSeq2SeqDecoder(tnn.Module):
        def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
            super().__init__()
            self.embedding = tnn.Embedding(vocab_size, embed_size)
            self.rnn = tnn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
            self.dense = tnn.LazyLinear(vocab_size)

        def init_state(self, enc_all_outputs, *args):
            return enc_all_outputs

        def forward(self, X, state):
            embs = self.embedding(X.t().type(torch.int32))
            enc_output, hidden_state = state
            context = enc_output[-1].repeat(embs.shape[0], 1, 1)
            outputs, hidden_state = self.rnn(torch.cat((embs, context), -1), hidden_state)
            return self.dense(outputs).swapaxes(0, 1), [enc_output, hidden_state]

    class TSeq2SeqAttentionDecoder(tnn.Module):
        def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
            super().__init__()
            self.attention = TAdditiveAttention(num_hiddens, dropout)
            self.embedding = tnn.Embedding(vocab_size, embed_size)
            self.rnn = tnn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
            self.dense = tnn.LazyLinear(vocab_size)

        def init_state(self, enc_outputs, enc_valid_lens):
            outputs, hidden_state = enc_outputs
            return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)

        def forward(self, X, state):
            enc_outputs, hidden_state, enc_valid_lens = state
            X = self.embedding(X).permute(1, 0, 2)
            outputs, self._attention_weights = [], []
            for x in X:
                query = torch.unsqueeze(hidden_state[-1], dim=1)
                context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
                x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
                out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
                outputs.append(out)
                self._attention_weights.append(self.attention.attention_weights)
            outputs = self.dense(torch.cat(outputs, dim=0))
            return outputs.permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]

    class TEncoderDecoder(tnn.Module):
        def __init__(self, encoder, decoder, tgt_pad):
            super().__init__()
            self.encoder, self.decoder, self.tgt_pad = encoder, decoder, tgt_pad

        def forward(self, enc_X, dec_X, *args):
            enc_all_outputs = self.encoder(enc_X, *args)
            dec_state = self.decoder.init_state(enc_all_outputs, *args)
            return self.decoder(dec_X, dec_state)[0]

        def loss(self, Y_hat, Y):
            l = TF.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1), reduction="none")
            mask = (Y.reshape(-1) != self.tgt_pad).type(torch.float32)
            return (l * mask).sum() / mask.sum()


# ------------------------------------------------------------------------------ helpers
def pt(a, requires_grad=False):
    return profundo.tensor(np.array(a), requires_grad=requires_grad)


def tt(a, requires_grad=False):
    return torch.tensor(np.array(a), requires_grad=requires_grad)


def share_positional_encoding(ours, theirs):
    """ours' P := theirs' (the same float32 values): P's float32 rounding differs by library (see
    test_positional_encoding_like_d2l), and the twins must see the same inputs."""
    for m, t in zip([m for m in ours.modules() if isinstance(m, models.PositionalEncoding)],
                    [m for m in theirs.modules() if isinstance(m, TPositionalEncoding)]):
        m.P = profundo.tensor(t.P.numpy())


def copy_weights(ours, theirs):
    """theirs' state_dict into ours (both already materialized), then both in float64."""
    a = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    b = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert a == b  # the same parameter names and shapes as d2l's
    ours.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    ours.double()
    theirs.double()


def close(ours, theirs, rtol=1e-10, atol=1e-12, what=""):
    a = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    b = theirs.detach().numpy()
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def close_grads(ours, theirs, rtol=1e-8, atol=1e-10):
    grads = dict(theirs.named_parameters())
    for k, p in ours.named_parameters():
        assert (p.grad is None) == (grads[k].grad is None), k
        if p.grad is not None:
            close(p.grad, grads[k].grad, rtol, atol, k)


RNG = np.random.default_rng(0)


def randn(*shape):
    return RNG.standard_normal(shape)


# ------------------------------------------------------------------------------ masked softmax and scorers
@needs_torch
@pytest.mark.parametrize("valid_lens", [None, [2, 3], [[1, 3], [2, 4]], [0, 4]])
def test_masked_softmax_like_d2l(valid_lens):
    x = randn(2, 2, 4)
    xo, xt = pt(x, True), tt(x, True)
    vo = None if valid_lens is None else pt(valid_lens)
    vt = None if valid_lens is None else tt(valid_lens)
    yo, yt = models.masked_softmax(xo, vo), t_masked_softmax(xt, vt)
    close(yo, yt)
    w = randn(2, 2, 4)
    (yo * pt(w)).sum().backward()
    (yt * tt(w)).sum().backward()
    close(xo.grad, xt.grad)


def test_masked_softmax_masks_and_refuses_bad_shapes():
    y = models.masked_softmax(profundo.zeros(2, 3, 5), profundo.tensor([2, 5])).numpy()
    np.testing.assert_allclose(y[0], np.tile([0.5, 0.5, 0, 0, 0], (3, 1)), atol=1e-6)
    np.testing.assert_allclose(y[1], np.full((3, 5), 0.2), atol=1e-6)
    y = models.masked_softmax(profundo.zeros(1, 2, 3), profundo.tensor([[1, 3]])).numpy()
    np.testing.assert_allclose(y[0], [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-6)
    for x, v in [(profundo.zeros(2, 3), profundo.tensor([1, 2])),
                 (profundo.zeros(2, 3, 4), profundo.tensor([1, 2, 3])),
                 (profundo.zeros(2, 3, 4), profundo.tensor([[1, 2]]))]:
        with pytest.raises(ValueError) as e:
            models.masked_softmax(x, v)
        assert is_checked(e.value) and "Pista" in str(e.value)


def _attention_case(ours, theirs, q, k, v, valid_lens):
    with torch.no_grad():
        theirs(tt(q).float(), tt(k).float(), tt(v).float(), None)  # materialize the Lazy layers
    ours(pt(q).float(), pt(k).float(), pt(v).float(), None)
    copy_weights(ours, theirs)
    ins_o = [pt(a, True) for a in (q, k, v)]
    ins_t = [tt(a, True) for a in (q, k, v)]
    vo = None if valid_lens is None else pt(valid_lens)
    vt = None if valid_lens is None else tt(valid_lens)
    yo, yt = ours(*ins_o, vo), theirs(*ins_t, vt)
    close(yo, yt)
    w = randn(*yt.shape)
    (yo * pt(w)).sum().backward()
    (yt * tt(w)).sum().backward()
    for a, b in zip(ins_o, ins_t):
        close(a.grad, b.grad, 1e-8, 1e-10)
    close_grads(ours, theirs)
    return yo, yt


@needs_torch
@pytest.mark.parametrize("valid_lens", [None, [2, 6], [[1, 2, 3], [4, 5, 6]]])
def test_dot_product_attention_like_d2l(valid_lens):
    ours, theirs = models.DotProductAttention(0.0), TDotProductAttention(0.0)
    _attention_case(ours, theirs, randn(2, 3, 4), randn(2, 6, 4), randn(2, 6, 5), valid_lens)
    close(ours.attention_weights, theirs.attention_weights)


@needs_torch
@pytest.mark.parametrize("valid_lens", [None, [2, 6], [[1, 2, 3], [4, 5, 6]]])
def test_additive_attention_like_d2l(valid_lens):
    ours, theirs = models.AdditiveAttention(8, 0.0), TAdditiveAttention(8, 0.0)
    # queries and keys of different sizes: the point of additive attention
    _attention_case(ours, theirs, randn(2, 3, 7), randn(2, 6, 4), randn(2, 6, 5), valid_lens)
    close(ours.attention_weights, theirs.attention_weights)


@needs_torch
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("valid_lens", [None, [3, 2], [[1, 2, 3, 4], [6, 5, 4, 3]]])
def test_multi_head_attention_like_d2l(bias, valid_lens):
    ours, theirs = models.MultiHeadAttention(12, 3, 0.0, bias), TMultiHeadAttention(12, 3, 0.0, bias)
    _attention_case(ours, theirs, randn(2, 4, 12), randn(2, 6, 10), randn(2, 6, 9), valid_lens)
    close(ours.attention.attention_weights, theirs.attention.attention_weights)
    # transpose_output undoes transpose_qkv
    x = pt(randn(2, 5, 12))
    np.testing.assert_array_equal(ours.transpose_output(ours.transpose_qkv(x)).numpy(), x.numpy())


def test_attention_shapes_dropout_and_errors():
    q, k, v = profundo.randn(2, 1, 20), profundo.ones(2, 10, 2), profundo.randn(2, 10, 4)
    att = models.AdditiveAttention(8, 0.1)
    att.eval()
    assert tuple(att(q, k, v, profundo.tensor([2, 6])).shape) == (2, 1, 4)
    w = att.attention_weights.detach().numpy()
    assert w.shape == (2, 1, 10)
    np.testing.assert_allclose(w.sum(-1), 1, rtol=1e-6)
    assert (w[0, 0, 2:] < 1e-6).all() and (w[1, 0, 6:] < 1e-6).all()
    # dropout on the attention weights only in training mode
    dot = models.DotProductAttention(0.5)
    q, k = profundo.randn(2, 3, 4), profundo.randn(2, 5, 4)
    dot.eval()
    a, b = dot(q, k, v[:, :5]), dot(q, k, v[:, :5])
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    dot.train()
    assert not np.allclose(dot(q, k, v[:, :5]).numpy(), a.numpy())
    mha = models.MultiHeadAttention(100, 5, 0.5)
    mha.eval()
    X, Y = profundo.ones(2, 4, 100), profundo.ones(2, 6, 100)
    assert tuple(mha(X, Y, Y, profundo.tensor([3, 2])).shape) == (2, 4, 100)
    assert tuple(mha.attention.attention_weights.shape) == (10, 4, 6)
    with pytest.raises(ValueError) as e:
        models.MultiHeadAttention(10, 3, 0.0)
    assert is_checked(e.value)
    for call in [lambda: dot(profundo.randn(2, 3, 4), profundo.randn(2, 5, 3), profundo.randn(2, 5, 2)),
                 lambda: dot(profundo.randn(3, 4), profundo.randn(5, 4), profundo.randn(5, 2)),
                 lambda: dot(profundo.randn(2, 3, 4), profundo.randn(2, 5, 4), profundo.randn(2, 4, 2))]:
        with pytest.raises(ValueError) as e:
            call()
        assert is_checked(e.value) and "Pista" in str(e.value)


# ------------------------------------------------------------------------------ Transformer pieces
@needs_torch
def test_positional_encoding_like_d2l():
    ours, theirs = models.PositionalEncoding(32, 0.0), TPositionalEncoding(32, 0.0)
    # both compute P in float32, as d2l does: sin/cos of arguments up to max_len = 1000, whose float32
    # rounding (and NumPy's vs torch's pow, sin, cos) moves the result by up to ~1000 * eps32
    assert ours.P.dtype == profundo.float32
    close(ours.P, theirs.P, 0, 1000 * np.finfo(np.float32).eps)
    assert list(ours.state_dict()) == []  # d2l's P is not a parameter, nor saved
    share_positional_encoding(ours, theirs)
    x = randn(2, 60, 32)
    close(ours(pt(x)), theirs(tt(x)), 1e-12, 1e-12)
    # an offset reads the encoding from that position on (decoding one token at a time)
    close(ours(pt(x[:, :3]), offset=7), tt(x[:, :3]) + theirs.P[:, 7:10].double(), 1e-12, 1e-12)


def test_positional_encoding_odd_size_and_errors():
    pe = models.PositionalEncoding(5, 0.0, max_len=10)
    P = pe.P.numpy()[0]
    i = np.arange(10)[:, None]
    np.testing.assert_allclose(P[:, 0::2], np.sin(i / 10000 ** (np.arange(0, 5, 2) / 5)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(P[:, 1::2], np.cos(i / 10000 ** (np.arange(0, 4, 2) / 5)), rtol=1e-5, atol=1e-6)
    for x, off in [(profundo.zeros(1, 11, 5), 0), (profundo.zeros(1, 3, 4), 0), (profundo.zeros(1, 3, 5), 8)]:
        with pytest.raises(ValueError) as e:
            pe(x, offset=off)
        assert is_checked(e.value) and "Pista" in str(e.value)


def _materialize(ours, theirs, *args_o_t):
    """Run both once (float32) so that their Lazy layers get their shapes."""
    a_o, a_t = args_o_t
    with torch.no_grad():
        theirs(*a_t)
    with profundo.no_grad():
        ours(*a_o)


@needs_torch
def test_ffn_and_addnorm_like_d2l():
    ours, theirs = models.PositionWiseFFN(16, 8), TPositionWiseFFN(16, 8)
    x = randn(2, 3, 4)
    _materialize(ours, theirs, (pt(x).float(),), (tt(x).float(),))
    copy_weights(ours, theirs)
    xo, xt = pt(x, True), tt(x, True)
    yo, yt = ours(xo), theirs(xt)
    assert tuple(yo.shape) == (2, 3, 8)
    close(yo, yt)
    yo.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    close(xo.grad, xt.grad, 1e-8, 1e-10)
    close_grads(ours, theirs)
    ours, theirs = models.AddNorm([3, 4], 0.0), TAddNorm([3, 4], 0.0)
    copy_weights(ours, theirs)
    y = randn(2, 3, 4)
    close(ours(pt(x), pt(y)), theirs(tt(x), tt(y)))


@needs_torch
@pytest.mark.parametrize("use_bias", [False, True])
def test_transformer_encoder_block_like_d2l(use_bias):
    ours = models.TransformerEncoderBlock(24, 48, 8, 0.0, use_bias)
    theirs = TTransformerEncoderBlock(24, 48, 8, 0.0, use_bias)
    x, vl = randn(2, 100 // 20, 24), [3, 2]
    _materialize(ours, theirs, (pt(x).float(), pt(vl)), (tt(x).float(), tt(vl)))
    copy_weights(ours, theirs)
    xo, xt = pt(x, True), tt(x, True)
    yo, yt = ours(xo, pt(vl)), theirs(xt, tt(vl))
    close(yo, yt)
    w = randn(*yt.shape)
    (yo * pt(w)).sum().backward()
    (yt * tt(w)).sum().backward()
    close(xo.grad, xt.grad, 1e-8, 1e-10)
    close_grads(ours, theirs)


@needs_torch
def test_transformer_decoder_block_like_d2l_in_training():
    ours, theirs = models.TransformerDecoderBlock(24, 48, 4, 0.0, 0), TTransformerDecoderBlock(24, 48, 4, 0.0, 0)
    x, enc, vl = randn(2, 5, 24), randn(2, 6, 24), [3, 6]
    _materialize(ours, theirs, (pt(x).float(), [pt(enc).float(), pt(vl), [None]]),
                 (tt(x).float(), [tt(enc).float(), tt(vl), [None]]))
    copy_weights(ours, theirs)
    xo, xt, eo, et = pt(x, True), tt(x, True), pt(enc, True), tt(enc, True)
    (yo, so), (yt, st) = ours(xo, [eo, pt(vl), [None]]), theirs(xt, [et, tt(vl), [None]])
    close(yo, yt)
    close(so[2][0], st[2][0])  # the block keeps its input as the keys and values decoded so far
    w = randn(*yt.shape)
    (yo * pt(w)).sum().backward()
    (yt * tt(w)).sum().backward()
    close(xo.grad, xt.grad, 1e-8, 1e-10)
    close(eo.grad, et.grad, 1e-8, 1e-10)
    close_grads(ours, theirs)
    # causal: changing the last target position changes no earlier output
    x2 = x.copy()
    x2[:, -1] += 1.0
    with profundo.no_grad():
        y2, _ = ours(pt(x2), [pt(enc), pt(vl), [None]])
    np.testing.assert_allclose(y2.numpy()[:, :-1], yo.detach().numpy()[:, :-1], rtol=1e-12, atol=1e-12)


def test_double_after_a_graph_over_float32_parameters_gives_float64_gradients():
    """A graph built over a float32 parameter (a Lazy layer's first forward, say) kept its AccumulateGrad,
    which cast later gradients to float32 after ``module.double()`` / ``param.data = ...double()``.  PyTorch
    renews the accumulator when the dtype changes (set_data)."""
    w = profundo.nn.Parameter(profundo.tensor([1.0, 2.0]))
    graph = (w * 2).sum()  # noqa: F841 - alive: holds w's accumulator
    m = profundo.nn.Module()
    m.w = w
    m.double()
    x = profundo.tensor([1 / 3, 1e-9], dtype=profundo.float64)
    (m.w * x).sum().backward()
    assert m.w.grad.dtype == profundo.float64
    np.testing.assert_array_equal(m.w.grad.numpy(), [1 / 3, 1e-9])
    v = profundo.tensor([1.0, 2.0], requires_grad=True)
    graph = (v * 2).sum()  # noqa: F841
    v.data = v.data.double()
    (v * x).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [1 / 3, 1e-9])


# ------------------------------------------------------------------------------ Transformer encoder-decoder
def _tokens(batch, steps, vocab, seed=3):
    return np.random.default_rng(seed).integers(0, vocab, (batch, steps))


@needs_torch
def test_transformer_encoder_like_d2l():
    ours = models.TransformerEncoder(50, 24, 48, 4, 2, 0.0)
    theirs = TTransformerEncoder(50, 24, 48, 4, 2, 0.0)
    X, vl = _tokens(2, 7, 50), [3, 7]
    _materialize(ours, theirs, (pt(X), pt(vl)), (tt(X), tt(vl)))
    copy_weights(ours, theirs)
    share_positional_encoding(ours, theirs)
    yo, yt = ours(pt(X), pt(vl)), theirs(tt(X), tt(vl))
    close(yo, yt)
    for a, b in zip(ours.attention_weights, theirs.attention_weights):
        close(a, b)
    w = randn(*yt.shape)
    (yo * pt(w)).sum().backward()
    (yt * tt(w)).sum().backward()
    close_grads(ours, theirs)


def _seq2seq_twins(kind, vocab=(30, 40), sizes=(12, 16, 2)):
    if kind == "transformer":
        enc_o, dec_o = models.TransformerEncoder(vocab[0], 16, 32, 4, 2, 0.0), \
            models.TransformerDecoder(vocab[1], 16, 32, 4, 2, 0.0)
        enc_t, dec_t = TTransformerEncoder(vocab[0], 16, 32, 4, 2, 0.0), \
            TTransformerDecoder(vocab[1], 16, 32, 4, 2, 0.0)
    else:
        dec_o_cls, dec_t_cls = ((models.Seq2SeqDecoder, TSeq2SeqDecoder) if kind == "gru" else
                                (models.Seq2SeqAttentionDecoder, TSeq2SeqAttentionDecoder))
        enc_o, dec_o = models.Seq2SeqEncoder(vocab[0], *sizes), dec_o_cls(vocab[1], *sizes)
        enc_t, dec_t = TSeq2SeqEncoder(vocab[0], *sizes), dec_t_cls(vocab[1], *sizes)
    return models.Seq2Seq(enc_o, dec_o, tgt_pad=1, lr=0.01), TEncoderDecoder(enc_t, dec_t, tgt_pad=1)


@needs_torch
@pytest.mark.parametrize("kind", ["gru", "bahdanau", "transformer"])
def test_seq2seq_forward_loss_and_gradients_like_d2l(kind):
    """Teacher forcing in training mode (dropout 0): the same logits, masked loss, gradients, and for
    Bahdanau the same attention weights at every step."""
    ours, theirs = _seq2seq_twins(kind)
    src, tgt, vl = _tokens(3, 6, 30), _tokens(3, 5, 40, seed=4), [6, 2, 4]
    label = _tokens(3, 5, 40, seed=5)
    label[:, 3:] = 1  # <pad>: ignored by the loss
    _materialize(ours, theirs, (pt(src), pt(tgt), pt(vl)), (tt(src), tt(tgt), tt(vl)))
    copy_weights(ours, theirs)
    share_positional_encoding(ours, theirs)
    ours.train()
    theirs.train()
    yo, yt = ours(pt(src), pt(tgt), pt(vl)), theirs(tt(src), tt(tgt), tt(vl))
    assert tuple(yo.shape) == (3, 5, 40)
    close(yo, yt)
    lo, lt = ours.loss(yo, pt(label)), theirs.loss(yt, tt(label))
    close(lo, lt)
    lo.backward()
    lt.backward()
    close_grads(ours, theirs)
    if kind == "bahdanau":
        assert len(ours.decoder.attention_weights) == 5
        for a, b in zip(ours.decoder.attention_weights, theirs.decoder._attention_weights):
            close(a, b)
            assert float(a.detach()[1, 0, 2:].abs().max()) < 1e-6  # the second source has 2 valid tokens


@needs_torch
def test_encoder_outputs_and_decoder_state_like_d2l():
    """d2l 10.7's shape checks, with values: the encoder's outputs and final state, the decoder's state."""
    ours, theirs = _seq2seq_twins("gru")
    X = _tokens(4, 9, 30)
    _materialize(ours, theirs, (pt(X), pt(X[:, :5] % 40), None), (tt(X), tt(X[:, :5] % 40), None))
    copy_weights(ours, theirs)
    (out_o, st_o), (out_t, st_t) = ours.encoder(pt(X)), theirs.encoder(tt(X))
    assert tuple(out_o.shape) == (9, 4, 16) and tuple(st_o.shape) == (2, 4, 16)
    close(out_o, out_t)
    close(st_o, st_t)
    (Y_o, s_o), (Y_t, s_t) = (ours.decoder(pt(X[:, :5] % 40), ours.decoder.init_state((out_o, st_o))),
                              theirs.decoder(tt(X[:, :5] % 40), theirs.decoder.init_state((out_t, st_t))))
    assert tuple(Y_o.shape) == (4, 5, 40)
    close(Y_o, Y_t)
    close(s_o[1], s_t[1])


def _predict_twin(theirs, batch, num_steps):
    """d2l's predict_step, run on the twin."""
    src, tgt, src_valid_len, _ = batch
    enc_all_outputs = theirs.encoder(src, src_valid_len)
    dec_state = theirs.decoder.init_state(enc_all_outputs, src_valid_len)
    outputs = [tgt[:, 0].unsqueeze(1)]
    for _ in range(num_steps):
        Y, dec_state = theirs.decoder(outputs[-1], dec_state)
        outputs.append(Y.argmax(2))
    return torch.cat(outputs[1:], 1)


@needs_torch
@pytest.mark.parametrize("kind", ["gru", "bahdanau"])
def test_predict_step_decodes_greedily_like_d2l(kind):
    ours, theirs = _seq2seq_twins(kind)
    src, vl = _tokens(3, 6, 30), [6, 2, 4]
    tgt = np.zeros((3, 6), dtype=np.int64)
    tgt[:, 0] = 2  # <bos>
    _materialize(ours, theirs, (pt(src), pt(tgt), pt(vl)), (tt(src), tt(tgt), tt(vl)))
    copy_weights(ours, theirs)
    theirs.eval()
    ours.train()
    batch_o = [pt(src), pt(tgt), pt(vl), pt(tgt)]
    preds, attention = ours.predict_step(batch_o, "cpu", 7, save_attention_weights=kind == "bahdanau")
    with torch.no_grad():
        expected = _predict_twin(theirs, [tt(src), tt(tgt), tt(vl), tt(tgt)], 7)
    np.testing.assert_array_equal(preds.numpy(), expected.numpy())
    assert ours.training  # predict_step restores the mode
    if kind == "bahdanau":
        assert len(attention) == 7 and tuple(attention[0][0].shape) == (3, 1, 6)
    else:
        assert attention == []


def test_transformer_decodes_one_token_at_a_time_like_teacher_forcing():
    """In eval mode, decoding a target one token at a time (the cache of each block, the positions after
    it) gives the logits of feeding the whole target at once: the self-attention is causal either way.
    (d2l's decoder gives every token decoded alone position 0, and its eval mode drops the causal mask.)"""
    profundo.manual_seed(1)
    model = models.Seq2Seq(models.TransformerEncoder(30, 16, 32, 4, 2, 0.1),
                           models.TransformerDecoder(40, 16, 32, 4, 2, 0.1), tgt_pad=1)
    src, vl, tgt = pt(_tokens(2, 6, 30)), pt([6, 3]), pt(_tokens(2, 5, 40, seed=7))
    model.eval()
    with profundo.no_grad():
        whole = model(src, tgt, vl).numpy()
        state = model.decoder.init_state(model.encoder(src, vl), vl)
        steps = []
        for t in range(5):
            Y, state = model.decoder(tgt[:, t:t + 1], state)
            steps.append(Y.numpy())
    np.testing.assert_allclose(np.concatenate(steps, 1), whole, rtol=1e-5, atol=1e-5)
    # and the step-by-step attention over the source is the whole-target one, row by row
    assert tuple(model.decoder.attention_weights[1][0].shape) == (2 * 4, 1, 6)


@needs_torch
def test_transformer_predict_step_matches_d2l_on_the_first_token():
    """The first greedy token is the same as d2l's (at position 0 both agree); the rest is the same as
    our own teacher-forced decoding of the tokens chosen (previous test)."""
    ours, theirs = _seq2seq_twins("transformer")
    src, vl = _tokens(3, 6, 30), [6, 2, 4]
    tgt = np.full((3, 4), 2)
    _materialize(ours, theirs, (pt(src), pt(tgt), pt(vl)), (tt(src), tt(tgt), tt(vl)))
    copy_weights(ours, theirs)
    share_positional_encoding(ours, theirs)
    theirs.eval()
    preds, attention = ours.predict_step([pt(src), pt(tgt), pt(vl), pt(tgt)], None, 4, True)
    with torch.no_grad():
        expected = _predict_twin(theirs, [tt(src), tt(tgt), tt(vl), tt(tgt)], 1)
    np.testing.assert_array_equal(preds.numpy()[:, :1], expected.numpy())
    with profundo.no_grad():
        forced = ours(pt(src), profundo.cat([pt(tgt[:, :1]), preds[:, :-1]], 1), pt(vl)).argmax(2)
    np.testing.assert_array_equal(preds.numpy(), forced.numpy())
    assert len(attention) == 4 and len(attention[0]) == 2 and len(attention[0][1]) == 2


@needs_torch
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_transformer_classifier_like_its_twin(pooling):
    ours = models.TransformerClassifier(50, 3, 16, 32, 4, 2, dropout=0.0, pooling=pooling)
    enc = TTransformerEncoder(50, 16, 32, 4, 2, 0.0)
    head = tnn.Linear(16, 3)
    X, vl = _tokens(4, 6, 50), [6, 2, 4, 1]
    with torch.no_grad():
        enc(tt(X), tt(vl))
    ours(pt(X), pt(vl))
    ours.encoder.load_state_dict({k: profundo.tensor(v.numpy()) for k, v in enc.state_dict().items()})
    ours.head.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in head.state_dict().items()})
    ours.double()
    enc.double()
    head.double()
    share_positional_encoding(ours, enc)
    H = enc(tt(X), tt(vl))
    if pooling == "cls":
        pooled = H[:, 0]
    else:
        mask = (torch.arange(6)[None, :] < tt(vl)[:, None]).double()
        pooled = (H * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    yo, yt = ours(pt(X), pt(vl)), head(pooled)
    assert tuple(yo.shape) == (4, 3)
    close(yo, yt)
    y = [0, 2, 1, 1]
    profundo.nn.functional.cross_entropy(yo, pt(y)).backward()
    TF.cross_entropy(yt, tt(y)).backward()
    close(ours.head.weight.grad, head.weight.grad, 1e-8, 1e-10)
    close(ours.encoder.embedding.weight.grad, enc.embedding.weight.grad, 1e-8, 1e-10)


def test_transformer_classifier_mean_pooling_ignores_padding_and_refuses_bad_pooling():
    model = models.TransformerClassifier(20, 2, 8, 16, 2, 1, dropout=0.0, pooling="mean")
    model.eval()
    X = profundo.tensor([[3, 4, 5, 0, 0]])
    X2 = profundo.tensor([[3, 4, 5, 7, 9]])
    vl = profundo.tensor([3])
    with profundo.no_grad():
        np.testing.assert_allclose(model(X, vl).numpy(), model(X2, vl).numpy(), rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError) as e:
        models.TransformerClassifier(20, 2, pooling="max")
    assert is_checked(e.value) and "Pista" in str(e.value)


def test_seq2seq_shapes_loss_mask_and_errors_without_torch():
    enc = models.Seq2SeqEncoder(10, 8, 16, 2)
    dec = models.Seq2SeqAttentionDecoder(10, 8, 16, 2)
    model = models.Seq2Seq(enc, dec, tgt_pad=0, lr=0.01)
    X = profundo.zeros((4, 7), dtype=profundo.int64)
    out, state = enc(X)
    assert tuple(out.shape) == (7, 4, 16) and tuple(state.shape) == (2, 4, 16)
    Y, s = dec(X, dec.init_state((out, state), None))
    assert tuple(Y.shape) == (4, 7, 10) and len(s) == 3 and tuple(s[0].shape) == (4, 7, 16)
    assert len(dec.attention_weights) == 7
    # the loss ignores the <pad> positions: changing their logits changes nothing
    Y_hat = profundo.randn(2, 3, 10)
    label = profundo.tensor([[4, 0, 0], [5, 6, 0]])
    Y2 = Y_hat.clone()
    Y2[0, 1:] += 5.0
    Y2[1, 2] -= 3.0
    assert float(model.loss(Y_hat, label)) == pytest.approx(float(model.loss(Y2, label)), rel=1e-6)
    assert isinstance(model.configure_optimizers(), profundo.optim.Adam)
    for bad in [lambda: enc(profundo.zeros((4,), dtype=profundo.int64)),
                lambda: model.predict_step((X, X), None, 3)]:
        with pytest.raises(ValueError) as e:
            bad()
        assert is_checked(e.value) and "Pista" in str(e.value)


# ------------------------------------------------------------------------------ profundo train seq2seq
PAIRS = [("go .", "va !"), ("i lost .", "j'ai perdu ."), ("he's calm .", "il est calme ."),
         ("i'm home .", "je suis chez moi ."), ("i see .", "je vois ."), ("he ran .", "il a couru ."),
         ("i'm calm .", "je suis calme ."), ("he's home .", "il est chez lui .")]


def pairs_file(tmp_path, repeats=4):
    """d2l's fra.txt format (English<TAB>French, capitalized, with a narrow no-break space before '!')."""
    lines = [f"{en.capitalize()}\t{fr.capitalize().replace(' !', chr(0x202f) + '!')}"
             for _ in range(repeats) for en, fr in PAIRS]
    path = tmp_path / "pairs.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SMALL = {"gru": ["--embed-size", "16", "--num-hiddens", "32", "--num-layers", "1", "--dropout", "0"],
         "bahdanau": ["--embed-size", "16", "--num-hiddens", "32", "--num-layers", "1", "--dropout", "0"],
         "transformer": ["--num-hiddens", "32", "--num-blks", "1", "--num-heads", "2", "--ffn-num-hiddens", "32",
                         "--dropout", "0"]}


@pytest.mark.parametrize("model", ["gru", "bahdanau", "transformer"])
def test_train_seq2seq_writes_the_run_and_reports(tmp_path, capsys, model):
    from profundo.cli import main as cli
    data, out = pairs_file(tmp_path), tmp_path / "run"
    code = cli(["train", "seq2seq", "--model", model, "--data", str(data), "--pairs", "24", "--val-pairs", "8",
                "--epochs", "2", "--batch-size", "8", "--num-steps", "6", *SMALL[model], "--out", str(out),
                "--quiet"])
    text = capsys.readouterr()
    assert code == 0, text.err
    assert f"{model}: train loss" in text.out and "BLEU" in text.out and "on 8 held-out pairs" in text.out
    for en in ("go .", "i lost .", "he's calm .", "i'm home ."):
        assert f"{en} => [" in text.out
    for name in ("model.safetensors", "checkpoint.safetensors", "config.json"):
        assert (out / name).is_file()
    import json
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == model and config["pairs"] == 24 and config["epochs"] == 2
    # the weights are the model's: a model built from config.json loads them
    from profundo.train.seq2seq import build_model
    rebuilt = build_model(config, config["src_vocab_size"], config["tgt_vocab_size"], 0)
    X = profundo.zeros((1, 6), dtype=profundo.int64)
    with profundo.no_grad():
        rebuilt(X, X, profundo.tensor([6]))  # materialize the Lazy layers
    rebuilt.load_state_dict(profundo.load(out / "model.safetensors"))
    try:
        import matplotlib  # noqa: F401
        has_mpl = True
    except ImportError:
        has_mpl = False
    if model == "gru":
        assert "no heat map" in text.out and not (out / "attention.png").exists()
    elif has_mpl:
        assert (out / "attention.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # the Transformer also draws its encoder's self-attention
        assert (out / "attention-encoder.png").is_file() == (model == "transformer")
    else:
        assert "not written: matplotlib is not installed" in text.err


def test_train_seq2seq_learns_the_pairs(tmp_path, capsys):
    """The held-out pairs repeat the training ones: a GRU encoder-decoder learns them (BLEU 1 on all)."""
    from profundo.train.seq2seq import parser, plan, run
    args = parser().parse_args(["--data", str(pairs_file(tmp_path, 5)), "--pairs", "32", "--val-pairs", "8",
                                "--epochs", "25", "--batch-size", "8", "--num-steps", "6", "--lr", "0.01",
                                *SMALL["gru"]])
    result = run(plan(args), tmp_path / "run", quiet=True)
    assert result["history"]["train_loss"][-1] < 0.1
    assert result["bleu"] == pytest.approx(1.0)
    assert [b for _, _, b in result["examples"]] == [1.0, 1.0, 1.0, 1.0]


def test_train_seq2seq_without_matplotlib_says_so(tmp_path, capsys, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # import fails
    from profundo.cli import main as cli
    out = tmp_path / "run"
    assert cli(["train", "seq2seq", "--model", "bahdanau", "--data", str(pairs_file(tmp_path)), "--pairs", "16",
                "--val-pairs", "4", "--epochs", "1", "--batch-size", "16", *SMALL["bahdanau"], "--out", str(out),
                "--quiet"]) == 0
    assert "attention.png not written: matplotlib is not installed" in capsys.readouterr().err
    assert not (out / "attention.png").exists() and (out / "model.safetensors").is_file()


@pytest.mark.parametrize("argv, code, text", [
    (["--model", "gru", "--num-heads", "2"], 2, "--num-heads does not apply to --model gru"),
    (["--model", "transformer", "--embed-size", "8", "--num-layers", "1"], 2,
     "--embed-size, --num-layers does not apply to --model transformer"),
    (["--pairs", "5", "--val-pairs", "5", "--data", "MISSING"], 2, "MISSING"),
])
def test_train_seq2seq_refuses_options_with_one_line(tmp_path, capsys, argv, code, text):
    from profundo.cli import main as cli
    if "MISSING" in argv:
        argv = [str(tmp_path / "missing.txt") if a == "MISSING" else a for a in argv]
        text = "missing.txt"
    assert cli(["train", "seq2seq", *argv, "--out", str(tmp_path / "run")]) == code
    err = capsys.readouterr().err
    assert err.startswith("error: ") and text in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--epochs", "0"], ["--lr", "-1"], ["--dropout", "1"], ["--model", "lstm"],
                                  ["--batch-size", "x"]])
def test_train_seq2seq_bad_values_are_argparse_errors(capsys, argv):
    from profundo.cli import main as cli
    with pytest.raises(SystemExit) as e:
        cli(["train", "seq2seq", *argv])
    assert e.value.code == 2
    assert "profundo train seq2seq: error:" in capsys.readouterr().err


def test_train_seq2seq_with_too_few_pairs_is_one_line(tmp_path, capsys):
    from profundo.cli import main as cli
    if not hasattr(profundo.nn, "GRU"):
        pytest.skip("needs nn.GRU")
    code = cli(["train", "seq2seq", "--data", str(pairs_file(tmp_path, 1)), "--pairs", "8", "--val-pairs", "8",
                "--out", str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: MTFraEng:") and "Pista" in err
