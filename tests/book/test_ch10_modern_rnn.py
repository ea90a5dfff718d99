"""d2l chapter 10, Modern Recurrent Neural Networks (PyTorch edition), run as the book writes it with ``import
torch`` -> ``import profundo as torch`` and ``from d2l import torch as d2l`` -> ``from profundo import d2l`` (see
_book.py).  The Time Machine is the book's file (bundled with profundo); the English-French pairs are profundo's
bundled head of the book's file (``d2l.MTFraEng`` reads it offline).  Sizes and epochs reduced where noted."""
import math

import pytest

from _book import needs, run
from test_ch09_rnn import perplexities

HEADER = """
import torch
from torch import nn
from torch.nn import functional as F
from d2l import torch as d2l
"""

# --- 10.1 Long Short-Term Memory (lstm.md): concise implementation -------------------------------------------
LSTM = HEADER + """
# the book: batch_size=1024, num_steps=32 and the default num_train=10000, num_val=5000
data = d2l.TimeMachine(batch_size=256, num_steps=16, num_train=2560, num_val=512)

class LSTM(d2l.RNN):
    def __init__(self, num_inputs, num_hiddens):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.LSTM(num_inputs, num_hiddens)

    def forward(self, inputs, H_C=None):
        return self.rnn(inputs, H_C)

lstm = LSTM(num_inputs=len(data.vocab), num_hiddens=32)
model = d2l.RNNLM(lstm, vocab_size=len(data.vocab), lr=4)
trainer = d2l.Trainer(max_epochs=2, gradient_clip_val=1, num_gpus=1)  # the book: max_epochs=50
trainer.fit(model, data)

prediction = model.predict('it has', 20, data.vocab, d2l.try_gpu())
"""


@needs("TimeMachine", "RNN", "RNNLM", "Trainer")
def test_lstm(time_machine_file):
    with pytest.warns(UserWarning, match="no GPU"):
        ns = run(LSTM)
    ppl = perplexities(ns["model"], "train_ppl")
    assert ppl[-1] < ppl[0] and ppl[-1] < 0.8 * 28
    assert len(ns["prediction"]) == 26 and ns["prediction"].startswith("it has")
    assert [n for n, _ in ns["lstm"].named_parameters()] == ["rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                                             "rnn.bias_ih_l0", "rnn.bias_hh_l0"]


# --- 10.2 Gated Recurrent Units (gru.md) and 10.3 Deep Recurrent Neural Networks (deep-rnn.md) ---------------------
GRU = HEADER + """
# the book: batch_size=1024, num_steps=32 and the default num_train=10000, num_val=5000
data = d2l.TimeMachine(batch_size=256, num_steps=16, num_train=2560, num_val=512)

class GRU(d2l.RNN):
    def __init__(self, num_inputs, num_hiddens):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.GRU(num_inputs, num_hiddens)

gru = GRU(num_inputs=len(data.vocab), num_hiddens=32)
model = d2l.RNNLM(gru, vocab_size=len(data.vocab), lr=4)
trainer = d2l.Trainer(max_epochs=2, gradient_clip_val=1, num_gpus=1)  # the book: max_epochs=50
trainer.fit(model, data)
single_layer = model

class GRU(d2l.RNN):  #@save
    \"\"\"The multilayer GRU model.\"\"\"
    def __init__(self, num_inputs, num_hiddens, num_layers, dropout=0):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers,
                          dropout=dropout)

gru = GRU(num_inputs=len(data.vocab), num_hiddens=32, num_layers=2)
model = d2l.RNNLM(gru, vocab_size=len(data.vocab), lr=2)
trainer = d2l.Trainer(max_epochs=2, gradient_clip_val=1, num_gpus=1)  # the book: max_epochs=100
trainer.fit(model, data)

prediction = model.predict('it has', 20, data.vocab, d2l.try_gpu())
"""


@needs("TimeMachine", "RNN", "RNNLM", "Trainer")
def test_gru_and_deep_gru(time_machine_file):
    with pytest.warns(UserWarning, match="no GPU"):
        ns = run(GRU)
    for model in [ns["single_layer"], ns["model"]]:
        ppl = perplexities(model, "train_ppl")
        assert ppl[-1] < ppl[0]
    assert ns["gru"].rnn.num_layers == 2 and len(ns["prediction"]) == 26


# --- 10.4 Bidirectional Recurrent Neural Networks (bi-rnn.md) ------------------------------------------------------
BIRNN = HEADER + """
class BiGRU(d2l.RNN):
    def __init__(self, num_inputs, num_hiddens):
        d2l.Module.__init__(self)
        self.save_hyperparameters()
        self.rnn = nn.GRU(num_inputs, num_hiddens, bidirectional=True)
        self.num_hiddens *= 2

bigru = BiGRU(num_inputs=8, num_hiddens=16)
outputs, H = bigru(torch.randn(5, 3, 8))
"""


@needs("RNN", "Module")
def test_bidirectional_gru():
    ns = run(BIRNN)
    assert ns["bigru"].num_hiddens == 32
    assert ns["outputs"].shape == (5, 3, 32) and ns["H"].shape == (2, 3, 16)


# --- 10.5 Machine Translation and the Dataset (machine-translation-and-dataset.md), with the library's MTFraEng ----
MT_DATA = HEADER + """
data = d2l.MTFraEng(batch_size=3)
src, tgt, src_valid_len, label = next(iter(data.train_dataloader()))
print('source:', src.type(torch.int32))
print('decoder input:', tgt.type(torch.int32))
print('source len excluding pad:', src_valid_len.type(torch.int32))
print('label:', label.type(torch.int32))

@d2l.add_to_class(d2l.MTFraEng)  #@save
def build(self, src_sentences, tgt_sentences):
    raw_text = '\\n'.join([src + '\\t' + tgt for src, tgt in zip(
        src_sentences, tgt_sentences)])
    arrays, _, _ = self._build_arrays(
        raw_text, self.src_vocab, self.tgt_vocab)
    return arrays

built = data.build(['go .'], ['va !'])
"""


@needs("MTFraEng")
def test_machine_translation_data():
    ns = run(MT_DATA)
    src, tgt, src_valid_len, label = ns["src"], ns["tgt"], ns["src_valid_len"], ns["label"]
    assert src.shape == tgt.shape == label.shape == (3, 9) and src_valid_len.shape == (3,)
    assert (tgt[:, 1:] == label[:, :-1]).all()  # the decoder input is the label shifted right by <bos>
    vocab = ns["data"].tgt_vocab
    assert (tgt[:, 0] == vocab['<bos>']).all()
    s, t, v, l = ns["built"]
    assert vocab.to_tokens(l[0][:3]) == ['va', '!', '<eos>'] and int(v[0]) == 3  # 'go', '.', '<eos>'


# --- 10.7 Sequence-to-Sequence Learning for Machine Translation (seq2seq.md) ----------------------------------------
SEQ2SEQ = """
import collections
import math
import torch
from torch import nn
from torch.nn import functional as F
from d2l import torch as d2l

def init_seq2seq(module):  #@save
    \"\"\"Initialize weights for sequence-to-sequence learning.\"\"\"
    if type(module) == nn.Linear:
         nn.init.xavier_uniform_(module.weight)
    if type(module) == nn.GRU:
        for param in module._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(module._parameters[param])

class Seq2SeqEncoder(d2l.Encoder):  #@save
    \"\"\"The RNN encoder for sequence-to-sequence learning.\"\"\"
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers,
                 dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = d2l.GRU(embed_size, num_hiddens, num_layers, dropout)
        self.apply(init_seq2seq)

    def forward(self, X, *args):
        # X shape: (batch_size, num_steps)
        embs = self.embedding(X.t().type(torch.int64))
        # embs shape: (num_steps, batch_size, embed_size)
        outputs, state = self.rnn(embs)
        # outputs shape: (num_steps, batch_size, num_hiddens)
        # state shape: (num_layers, batch_size, num_hiddens)
        return outputs, state

vocab_size, embed_size, num_hiddens, num_layers = 10, 8, 16, 2
batch_size, num_steps = 4, 9
encoder = Seq2SeqEncoder(vocab_size, embed_size, num_hiddens, num_layers)
X = torch.zeros((batch_size, num_steps))
enc_outputs, enc_state = encoder(X)
d2l.check_shape(enc_outputs, (num_steps, batch_size, num_hiddens))
d2l.check_shape(enc_state, (num_layers, batch_size, num_hiddens))

class Seq2SeqDecoder(d2l.Decoder):
    \"\"\"The RNN decoder for sequence to sequence learning.\"\"\"
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers,
                 dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = d2l.GRU(embed_size+num_hiddens, num_hiddens,
                           num_layers, dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_all_outputs, *args):
        return enc_all_outputs

    def forward(self, X, state):
        # X shape: (batch_size, num_steps)
        # embs shape: (num_steps, batch_size, embed_size)
        embs = self.embedding(X.t().type(torch.int32))
        enc_output, hidden_state = state
        # context shape: (batch_size, num_hiddens)
        context = enc_output[-1]
        # Broadcast context to (num_steps, batch_size, num_hiddens)
        context = context.repeat(embs.shape[0], 1, 1)
        # Concat at the feature dimension
        embs_and_context = torch.cat((embs, context), -1)
        outputs, hidden_state = self.rnn(embs_and_context, hidden_state)
        outputs = self.dense(outputs).swapaxes(0, 1)
        # outputs shape: (batch_size, num_steps, vocab_size)
        # hidden_state shape: (num_layers, batch_size, num_hiddens)
        return outputs, [enc_output, hidden_state]

decoder = Seq2SeqDecoder(vocab_size, embed_size, num_hiddens, num_layers)
state = decoder.init_state(encoder(X))
dec_outputs, state = decoder(X, state)
d2l.check_shape(dec_outputs, (batch_size, num_steps, vocab_size))
d2l.check_shape(state[1], (num_layers, batch_size, num_hiddens))

class Seq2Seq(d2l.EncoderDecoder):  #@save
    \"\"\"The RNN encoder--decoder for sequence to sequence learning.\"\"\"
    def __init__(self, encoder, decoder, tgt_pad, lr):
        super().__init__(encoder, decoder)
        self.save_hyperparameters()

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot('loss', self.loss(Y_hat, batch[-1]), train=False)

    def configure_optimizers(self):
        # Adam optimizer is used here
        return torch.optim.Adam(self.parameters(), lr=self.lr)

@d2l.add_to_class(Seq2Seq)
def loss(self, Y_hat, Y):
    l = super(Seq2Seq, self).loss(Y_hat, Y, averaged=False)
    mask = (Y.reshape(-1) != self.tgt_pad).type(torch.float32)
    return (l * mask).sum() / mask.sum()

data = d2l.MTFraEng(batch_size=128)
embed_size, num_hiddens, num_layers, dropout = 32, 32, 2, 0.2  # the book: 256, 256, 2, 0.2
encoder = Seq2SeqEncoder(
    len(data.src_vocab), embed_size, num_hiddens, num_layers, dropout)
decoder = Seq2SeqDecoder(
    len(data.tgt_vocab), embed_size, num_hiddens, num_layers, dropout)
model = Seq2Seq(encoder, decoder, tgt_pad=data.tgt_vocab['<pad>'],
                lr=0.005)
trainer = d2l.Trainer(max_epochs=5, gradient_clip_val=1, num_gpus=1)  # the book: max_epochs=30
trainer.fit(model, data)

@d2l.add_to_class(d2l.EncoderDecoder)  #@save
def predict_step(self, batch, device, num_steps,
                 save_attention_weights=False):
    batch = [a.to(device) for a in batch]
    src, tgt, src_valid_len, _ = batch
    enc_all_outputs = self.encoder(src, src_valid_len)
    dec_state = self.decoder.init_state(enc_all_outputs, src_valid_len)
    outputs, attention_weights = [tgt[:, (0)].unsqueeze(1), ], []
    for _ in range(num_steps):
        Y, dec_state = self.decoder(outputs[-1], dec_state)
        outputs.append(Y.argmax(2))
        # Save attention weights (to be covered later)
        if save_attention_weights:
            attention_weights.append(self.decoder.attention_weights)
    return torch.cat(outputs[1:], 1), attention_weights

def bleu(pred_seq, label_seq, k):  #@save
    \"\"\"Compute the BLEU.\"\"\"
    pred_tokens, label_tokens = pred_seq.split(' '), label_seq.split(' ')
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[' '.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[' '.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[' '.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score

engs = ['go .', 'i lost .', 'he\\'s calm .', 'i\\'m home .']
fras = ['va !', 'j\\'ai perdu .', 'il est calme .', 'je suis chez moi .']
preds, _ = model.predict_step(
    data.build(engs, fras), d2l.try_gpu(), data.num_steps)
for en, fr, p in zip(engs, fras, preds):
    translation = []
    for token in data.tgt_vocab.to_tokens(p):
        if token == '<eos>':
            break
        translation.append(token)
    print(f'{en} => {translation}, bleu,'
          f'{bleu(" ".join(translation), fr, k=2):.3f}')
"""


@needs("MTFraEng", "Encoder", "Decoder", "EncoderDecoder", "GRU", "check_shape")
def test_seq2seq(capsys):
    with pytest.warns(UserWarning, match="no GPU"):
        ns = run(SEQ2SEQ)
    losses = [p.y for p in ns["model"].board.data["train_loss"]]
    assert losses[-1] < 0.8 * losses[0]
    assert ns["preds"].shape == (4, ns["data"].num_steps)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("go . => [") and ", bleu," in lines[0]
    bleu = ns["bleu"]
    assert bleu("il est calme .", "il est calme .", k=2) == 1.0
    # brevity penalty exp(1 - 4/3); unigrams 3/3 match, bigrams 1/2 ('il est', not 'est .')
    assert bleu("il est .", "il est calme .", k=2) == pytest.approx(math.exp(1 - 4 / 3) * 0.5 ** 0.25)
    assert bleu("va !", "je suis chez moi .", k=2) == 0.0
