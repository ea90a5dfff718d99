"""profundo.d2l: the book's chapters 9 and 10 (d2l 1.0.3, PyTorch edition): text data, recurrent networks,
machine translation and the encoder-decoder.

The classes are the book's code, written on profundo (``import profundo as torch``), with the book's names,
signatures and behaviour.  The corpora are read offline: *The Time Machine* and the first 2,000 English-French
pairs ship with profundo (``profundo.text``); the book's default ``MTFraEng`` uses 641 of them.  Asking for more
pairs than are bundled downloads d2l's ``fra-eng.zip`` into ``root`` as the book does (``d2l.download``: a clear
error without internet).

Where profundo already has the book's piece it is reused as is: ``Vocab`` and ``bleu`` (``profundo.text``), the
``Encoder``/``Decoder`` interfaces (``profundo.models``), the text preprocessing and padding
(``profundo.text.tokenize`` / ``translation``).
"""
import profundo as torch
from profundo import nn
from profundo.nn import functional as F

from .._errors import error
from ..models.seq2seq import Decoder, Encoder
from ..text import Vocab, bleu
from ..text import corpora as _corpora
from ..text.batches import lm_windows
from ..text.tokenize import preprocess_time_machine
from ..text.translation import build_arrays, preprocess_nmt, tokenize_nmt
from .base import DATA_URL, Classifier, DataModule, Module, download, extract

__all__ = ["TimeMachine", "Vocab", "RNNScratch", "check_len", "check_shape", "RNNLMScratch", "RNN", "RNNLM",
           "GRU", "LSTM", "MTFraEng", "show_list_len_pair_hist", "Encoder", "Decoder", "EncoderDecoder",
           "init_seq2seq", "Seq2SeqEncoder", "Seq2SeqDecoder", "Seq2Seq", "bleu"]

# pairs in profundo/text/data/fra-eng-head.txt (see its README)
_BUNDLED_PAIRS = 2000


class TimeMachine(DataModule):
    """The Time Machine dataset (book 9.2-9.3): character windows for a language model.

    ``X[i]`` holds ``num_steps`` character indices and ``Y[i]`` the same window one character ahead; the first
    ``num_train`` windows train, the next ``num_val`` validate.  The text is profundo's bundled copy (the same
    file d2l downloads, checked by its SHA-1), so nothing is downloaded.
    """

    def _download(self):
        return _corpora.time_machine()

    def _preprocess(self, text):
        return preprocess_time_machine(text)

    def _tokenize(self, text):
        return list(text)

    def build(self, raw_text, vocab=None):
        tokens = self._tokenize(self._preprocess(raw_text))
        if vocab is None:
            vocab = Vocab(tokens)
        corpus = vocab[tokens]  # the book's [vocab[token] for token in tokens], in one lookup call
        return corpus, vocab

    def __init__(self, batch_size, num_steps, num_train=10000, num_val=5000):
        super().__init__()
        self.save_hyperparameters()
        _corpora._positive("TimeMachine", batch_size=batch_size, num_steps=num_steps, num_train=num_train)
        _corpora._positive("TimeMachine", 0, num_val=num_val)
        corpus, self.vocab = self.build(self._download())
        # every window of num_steps + 1 characters (the book's list comprehension, vectorized)
        self.X, self.Y = lm_windows(corpus, num_steps)

    def get_dataloader(self, train):
        idx = slice(0, self.num_train) if train else slice(self.num_train, self.num_train + self.num_val)
        return self.get_tensorloader([self.X, self.Y], train, idx)


class RNNScratch(Module):
    """The RNN model implemented from scratch (book 9.5): ``H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)``."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        """``inputs`` (num_steps, batch_size, num_inputs) -> (list of every step's state, last state)."""
        if state is None:
            # initial state of shape (batch_size, num_hiddens)
            state = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
        else:
            state, = state  # the book passes the state as a 1-tuple
        outputs = []
        for X in inputs:  # one time step at a time: each state feeds the next
            state = torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


def check_len(a, n):
    """Check the length of a list (the book's ``assert``)."""
    assert len(a) == n, f'list\'s length {len(a)} != expected length {n}'


def check_shape(a, shape):
    """Check the shape of a tensor (the book's ``assert``)."""
    assert a.shape == shape, f'tensor\'s shape {a.shape} != expected shape {shape}'


class RNNLMScratch(Classifier):
    """The RNN-based language model implemented from scratch (book 9.5): one-hot inputs, ``rnn``, and an
    output layer ``H W_hq + b_q``; training and validation plot the perplexity ``exp(loss)``."""

    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.init_params()

    def init_params(self):
        self.W_hq = nn.Parameter(torch.randn(self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma)
        self.b_q = nn.Parameter(torch.zeros(self.vocab_size))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])  # noqa: E741 - the book's name
        self.plot('ppl', torch.exp(l), train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])  # noqa: E741 - the book's name
        self.plot('ppl', torch.exp(l), train=False)

    def one_hot(self, X):
        # output shape: (num_steps, batch_size, vocab_size)
        return F.one_hot(X.T, self.vocab_size).type(torch.float32)

    def output_layer(self, rnn_outputs):
        outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return torch.stack(outputs, 1)

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)

    def predict(self, prefix, num_preds, vocab, device=None):
        """``prefix`` and ``num_preds`` characters after it, each the most likely one (greedy decoding)."""
        if not isinstance(prefix, str) or not prefix:
            raise error(ValueError, f"{type(self).__name__}.predict", f"prefix must be a non-empty str, got "
                        f"{prefix!r}", "p. ej. model.predict('it has', 20, data.vocab)")
        state, outputs = None, [vocab[prefix[0]]]
        for i in range(len(prefix) + num_preds - 1):
            X = torch.tensor([[outputs[-1]]], device=device)
            embs = self.one_hot(X)
            rnn_outputs, state = self.rnn(embs, state)
            if i < len(prefix) - 1:  # warm-up period: the prefix's characters are fed, not predicted
                outputs.append(vocab[prefix[i + 1]])
            else:  # predict num_preds steps
                Y = self.output_layer(rnn_outputs)
                outputs.append(int(Y.argmax(dim=2).reshape(1)))
        return ''.join([vocab.idx_to_token[i] for i in outputs])


class RNN(Module):
    """The RNN model implemented with high-level APIs (book 9.6): ``nn.RNN`` behind the book's interface."""

    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.save_hyperparameters()
        self.rnn = nn.RNN(num_inputs, num_hiddens)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class RNNLM(RNNLMScratch):
    """The RNN-based language model implemented with high-level APIs (book 9.6): a lazy linear output layer."""

    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)


class GRU(RNN):
    """The multilayer GRU model (book 10.3)."""

    def __init__(self, num_inputs, num_hiddens, num_layers, dropout=0):
        Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers, dropout=dropout)


class LSTM(RNN):
    """The LSTM of the book's section 10.1 (concise implementation): state ``(H, C)``."""

    def __init__(self, num_inputs, num_hiddens):
        Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.LSTM(num_inputs, num_hiddens)

    def forward(self, inputs, H_C=None):
        return self.rnn(inputs, H_C)


class MTFraEng(DataModule):
    """The English-French dataset (book 10.5): padded word indices for machine translation.

    ``arrays`` is ``(src, tgt[:, :-1], src_valid_len, tgt[:, 1:])``: the decoder's input starts with ``<bos>``
    and its label is the same sentence one step ahead.  As in the book, the first ``num_train + num_val + 1``
    pairs are read (its loop stops at line index > num_train + num_val): the first ``num_train`` train, the
    rest validate.
    """

    def _download(self):
        if self.num_train + self.num_val + 1 <= _BUNDLED_PAIRS:
            # the head of d2l's fra.txt that profundo ships: the book's default 641 pairs and up to 2,000
            return _corpora.fra_eng()
        # more pairs than profundo ships: the book's own download into root (a clear error without internet)
        extract(download(DATA_URL + 'fra-eng.zip', self.root, '94646ad1522d915e7b0f9296181140edcf86a4f5'))
        with open(self.root + '/fra-eng/fra.txt', encoding='utf-8') as f:
            return f.read()

    def _preprocess(self, text):
        # no-break spaces become spaces, lower case, a space between words and punctuation marks
        return preprocess_nmt(text)

    def _tokenize(self, text, max_examples=None):
        # the book keeps lines 0..max_examples (one more than max_examples); a falsy max_examples keeps all
        return tokenize_nmt(text, max_examples + 1 if max_examples else None)

    def __init__(self, batch_size, num_steps=9, num_train=512, num_val=128):
        super().__init__()
        self.save_hyperparameters()
        _corpora._positive("MTFraEng", batch_size=batch_size, num_steps=num_steps, num_train=num_train)
        _corpora._positive("MTFraEng", 0, num_val=num_val)
        self.arrays, self.src_vocab, self.tgt_vocab = self._build_arrays(self._download())

    def _build_arrays(self, raw_text, src_vocab=None, tgt_vocab=None):
        src, tgt = self._tokenize(self._preprocess(raw_text), self.num_train + self.num_val)
        (src_array, dec_input, src_valid_len, label), src_vocab, tgt_vocab = build_arrays(
            src, tgt, self.num_steps, src_vocab, tgt_vocab)
        # the book sums an int32 mask with torch, which gives int64 valid lengths
        return (src_array, dec_input, src_valid_len.long(), label), src_vocab, tgt_vocab

    def get_dataloader(self, train):
        idx = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader(self.arrays, train, idx)

    def build(self, src_sentences, tgt_sentences):
        """Arrays of new sentence pairs with this data set's vocabularies (to translate them)."""
        raw_text = '\n'.join([src + '\t' + tgt for src, tgt in zip(src_sentences, tgt_sentences)])
        arrays, _, _ = self._build_arrays(raw_text, self.src_vocab, self.tgt_vocab)
        return arrays


def show_list_len_pair_hist(legend, xlabel, ylabel, xlist, ylist):
    """Plot the histogram for list length pairs (book 10.5)."""
    from .plotting import plt, set_figsize
    set_figsize()
    _, _, patches = plt.hist([[len(l) for l in xlist], [len(l) for l in ylist]])  # noqa: E741
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)
    for patch in patches[1].patches:
        patch.set_hatch('/')
    plt.legend(legend)


class EncoderDecoder(Classifier):
    """The base class for the encoder-decoder architecture (book 10.6)."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        enc_all_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_all_outputs, *args)
        # return the decoder's output only
        return self.decoder(dec_X, dec_state)[0]

    def predict_step(self, batch, device, num_steps, save_attention_weights=False):
        """Greedy decoding (book 10.7): from ``<bos>`` (``tgt[:, 0]``), feed back the most likely token
        ``num_steps`` times.  As in the book, the model's mode is left as it is (after ``Trainer.fit`` it is
        in eval mode)."""
        batch = [a.to(device) for a in batch]
        src, tgt, src_valid_len, _ = batch
        enc_all_outputs = self.encoder(src, src_valid_len)
        dec_state = self.decoder.init_state(enc_all_outputs, src_valid_len)
        outputs, attention_weights = [tgt[:, 0].unsqueeze(1), ], []
        for _ in range(num_steps):
            Y, dec_state = self.decoder(outputs[-1], dec_state)
            outputs.append(Y.argmax(2))
            # save attention weights (book 11.4)
            if save_attention_weights:
                attention_weights.append(self.decoder.attention_weights)
        return torch.cat(outputs[1:], 1), attention_weights


def init_seq2seq(module):
    """Initialize weights for sequence-to-sequence learning: Xavier-uniform ``Linear`` and ``GRU`` weights."""
    if type(module) is nn.Linear:
        nn.init.xavier_uniform_(module.weight)
    if type(module) is nn.GRU:
        for param in module._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(module._parameters[param])


class Seq2SeqEncoder(Encoder):
    """The RNN encoder for sequence-to-sequence learning (book 10.7): embedding + multilayer GRU."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size, num_hiddens, num_layers, dropout)
        self.apply(init_seq2seq)

    def forward(self, X, *args):
        # X shape: (batch_size, num_steps)
        embs = self.embedding(X.t().type(torch.int64))
        # embs shape: (num_steps, batch_size, embed_size)
        outputs, state = self.rnn(embs)
        # outputs shape: (num_steps, batch_size, num_hiddens)
        # state shape: (num_layers, batch_size, num_hiddens)
        return outputs, state


class Seq2SeqDecoder(Decoder):
    """The RNN decoder for sequence-to-sequence learning (book 10.7; the book defines it in its notebook):
    the encoder's last top-layer output is a context fed at every step."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_all_outputs, *args):
        return enc_all_outputs

    def forward(self, X, state):
        # X shape: (batch_size, num_steps); embs shape: (num_steps, batch_size, embed_size)
        embs = self.embedding(X.t().type(torch.int32))
        enc_output, hidden_state = state
        # context shape: (batch_size, num_hiddens)
        context = enc_output[-1]
        # broadcast context to (num_steps, batch_size, num_hiddens)
        context = context.repeat(embs.shape[0], 1, 1)
        # concat at the feature dimension
        embs_and_context = torch.cat((embs, context), -1)
        outputs, hidden_state = self.rnn(embs_and_context, hidden_state)
        outputs = self.dense(outputs).swapaxes(0, 1)
        # outputs shape: (batch_size, num_steps, vocab_size)
        # hidden_state shape: (num_layers, batch_size, num_hiddens)
        return outputs, [enc_output, hidden_state]


class Seq2Seq(EncoderDecoder):
    """The RNN encoder-decoder for sequence-to-sequence learning (book 10.7): the loss ignores ``<pad>``."""

    def __init__(self, encoder, decoder, tgt_pad, lr):
        super().__init__(encoder, decoder)
        self.save_hyperparameters()

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot('loss', self.loss(Y_hat, batch[-1]), train=False)

    def configure_optimizers(self):
        # Adam optimizer is used here
        return torch.optim.Adam(self.parameters(), lr=self.lr)

    def loss(self, Y_hat, Y):
        l = super(Seq2Seq, self).loss(Y_hat, Y, averaged=False)  # noqa: E741 - the book's name
        mask = (Y.reshape(-1) != self.tgt_pad).type(torch.float32)
        return (l * mask).sum() / mask.sum()
