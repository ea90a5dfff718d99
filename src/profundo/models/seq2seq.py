"""Sequence to sequence, the book's way (d2l 10.6-10.7 and 11.4, PyTorch edition).

``Encoder`` / ``Decoder`` / ``EncoderDecoder`` are the interfaces; ``Seq2SeqEncoder`` (embedding + GRU) and
``Seq2SeqDecoder`` (the encoder's last top-layer state as a context fed at every step) are the RNN
encoder-decoder; ``Seq2SeqAttentionDecoder`` replaces the fixed context by Bahdanau attention over all the
encoder's outputs (its ``attention_weights`` are kept for heat maps); ``Seq2Seq`` adds the loss that ignores
``<pad>``.  ``EncoderDecoder.predict_step`` decodes greedily, one token at a time.

Token tensors are (batch, num_steps) of indices; the GRUs run time-major, (num_steps, batch, features), as
d2l's do.
"""
from .. import nn
from .._errors import error, shape_str
from ..autograd.grad_mode import no_grad
from ..nn import functional as F
from ..ops import FUNCTIONS
from .attention import AdditiveAttention

__all__ = ["Encoder", "Decoder", "AttentionDecoder", "EncoderDecoder", "init_seq2seq", "Seq2SeqEncoder",
           "Seq2SeqDecoder", "Seq2SeqAttentionDecoder", "Seq2Seq"]

_cat = FUNCTIONS["cat"]


class Encoder(nn.Module):
    """The encoder interface: a variable-length sequence in, an encoded state out."""

    def forward(self, X, *args):
        raise NotImplementedError


class Decoder(nn.Module):
    """The decoder interface: ``init_state`` turns the encoder's outputs into the decoder's state."""

    def init_state(self, enc_all_outputs, *args):
        raise NotImplementedError

    def forward(self, X, state):
        raise NotImplementedError


class AttentionDecoder(Decoder):
    """A decoder with attention: ``attention_weights`` holds the weights of its last forward."""

    @property
    def attention_weights(self):
        raise NotImplementedError


class EncoderDecoder(nn.Module):
    """An encoder and a decoder: ``forward(enc_X, dec_X, *args)`` gives the decoder's outputs (logits)."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        enc_all_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_all_outputs, *args)
        return self.decoder(dec_X, dec_state)[0]  # the outputs only, not the state

    def loss(self, Y_hat, Y, averaged=True):
        """Cross-entropy of logits (batch, steps, vocab) against targets (batch, steps) (d2l's Classifier)."""
        return F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1),
                               reduction="mean" if averaged else "none")

    def predict_step(self, batch, device=None, num_steps=None, save_attention_weights=False):
        """Greedy decoding of ``batch = (src, tgt, src_valid_len, label)``: the decoder starts from ``tgt[:, 0]``
        (``<bos>``) and feeds back its most likely token, ``num_steps`` times (default ``tgt``'s length).

        Returns (batch, num_steps) token indices and, with ``save_attention_weights``, the decoder's
        attention weights of each step.  Runs in eval mode (no dropout) without recording gradients, as d2l's
        does after training; the model's mode is restored afterwards.
        """
        if not isinstance(batch, (list, tuple)) or len(batch) != 4:
            raise error(ValueError, "EncoderDecoder.predict_step", "batch must be (src, tgt, src_valid_len, label), "
                        f"got {type(batch).__name__}" + (f" of length {len(batch)}" if hasattr(batch, "__len__")
                                                         else ""),
                        "pasa el lote completo del conjunto de traducción (4 tensores)")
        if device is not None:
            batch = [a.to(device) for a in batch]
        src, tgt, src_valid_len, _ = batch
        num_steps = tgt.shape[1] if num_steps is None else num_steps
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                enc_all_outputs = self.encoder(src, src_valid_len)
                dec_state = self.decoder.init_state(enc_all_outputs, src_valid_len)
                outputs, attention_weights = [tgt[:, 0].unsqueeze(1)], []
                for _ in range(num_steps):
                    Y, dec_state = self.decoder(outputs[-1], dec_state)
                    outputs.append(Y.argmax(2))
                    if save_attention_weights:
                        attention_weights.append(self.decoder.attention_weights)
        finally:
            self.train(was_training)
        return _cat(outputs[1:], 1), attention_weights


def init_seq2seq(module):
    """d2l's initialization for seq2seq: Xavier-uniform weights for the ``Linear`` and ``GRU`` layers."""
    if type(module) is nn.Linear:
        nn.init.xavier_uniform_(module.weight)
    if type(module) is nn.GRU:
        for name, param in module.named_parameters(recurse=False):
            if "weight" in name:
                nn.init.xavier_uniform_(param)


def _check_tokens(op, X):
    if X.dim() != 2:
        raise error(ValueError, op, f"expected token indices of shape (batch, num_steps), got "
                    f"{shape_str(tuple(X.shape))}", "un lote de secuencias de índices: forma (lote, pasos)")


class Seq2SeqEncoder(Encoder):
    """Embedding + multi-layer GRU.  Returns (outputs (num_steps, batch, num_hiddens),
    state (num_layers, batch, num_hiddens))."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)
        self.apply(init_seq2seq)

    def forward(self, X, *args):
        _check_tokens("Seq2SeqEncoder", X)
        embs = self.embedding(X.t().long())  # time-major: (num_steps, batch, embed_size)
        outputs, state = self.rnn(embs)
        return outputs, state


class Seq2SeqDecoder(Decoder):
    """GRU decoder whose input at every step is the token's embedding next to the context: the encoder's
    top-layer output at its last step.  Its initial state is the encoder's final state."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_all_outputs, *args):
        return enc_all_outputs

    def forward(self, X, state):
        _check_tokens("Seq2SeqDecoder", X)
        embs = self.embedding(X.t().long())
        enc_output, hidden_state = state
        context = enc_output[-1]  # (batch, num_hiddens)
        context = context.repeat(embs.shape[0], 1, 1)  # the same context at every step
        outputs, hidden_state = self.rnn(_cat((embs, context), -1), hidden_state)
        outputs = self.dense(outputs).swapaxes(0, 1)  # (batch, num_steps, vocab_size)
        return outputs, [enc_output, hidden_state]


class Seq2SeqAttentionDecoder(AttentionDecoder):
    """Bahdanau's decoder: at each step the query (the decoder's top-layer state) attends over all the
    encoder's outputs (additive attention, masked by the source's valid length); the context it gets is fed
    with the token's embedding to the GRU."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.attention = AdditiveAttention(num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_outputs, enc_valid_lens, *args):
        outputs, hidden_state = enc_outputs
        return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)  # outputs batch-major for attention

    def forward(self, X, state):
        _check_tokens("Seq2SeqAttentionDecoder", X)
        enc_outputs, hidden_state, enc_valid_lens = state
        X = self.embedding(X.long()).permute(1, 0, 2)  # (num_steps, batch, embed_size)
        outputs, self._attention_weights = [], []
        # step by step: each step's query is the state the previous step left
        for x in X:
            query = hidden_state[-1].unsqueeze(1)  # (batch, 1, num_hiddens)
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
            x = _cat((context, x.unsqueeze(1)), -1)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)
            self._attention_weights.append(self.attention.attention_weights)
        outputs = self.dense(_cat(outputs, 0))
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]

    @property
    def attention_weights(self):
        return self._attention_weights


class Seq2Seq(EncoderDecoder):
    """The encoder-decoder for translation: its ``loss`` averages only over the target's real tokens."""

    def __init__(self, encoder, decoder, tgt_pad, lr=None):
        super().__init__(encoder, decoder)
        self.tgt_pad = tgt_pad
        self.lr = lr  # d2l keeps its learning rate on the model (configure_optimizers)

    def loss(self, Y_hat, Y):
        l = super().loss(Y_hat, Y, averaged=False)
        mask = (Y.reshape(-1) != self.tgt_pad).float()  # <pad> positions weigh 0
        return (l * mask).sum() / mask.sum()

    def configure_optimizers(self):
        from ..optim import Adam
        if self.lr is None:
            raise error(ValueError, "Seq2Seq.configure_optimizers", "no learning rate: the model was built with "
                        "lr=None", "p. ej. Seq2Seq(encoder, decoder, tgt_pad, lr=0.005)")
        return Adam(self.parameters(), lr=self.lr)
