"""d2l chapter 9, Recurrent Neural Networks (PyTorch edition), run as the book writes it with ``import torch``
-> ``import profundo as torch`` and ``from d2l import torch as d2l`` -> ``from profundo import d2l`` (see
_book.py).  The Time Machine is the book's file (bundled with profundo, see ``time_machine_file``)."""
import numpy as np
import pytest

from _book import needs, run

# --- 9.2 Converting Raw Text into Sequence Data (text-sequence.md) ------------------------------------------
TEXT_SEQUENCE = """
import collections
import random
import re
import torch
from d2l import torch as d2l

class TimeMachine(d2l.DataModule): #@save
    \"\"\"The Time Machine dataset.\"\"\"
    def _download(self):
        fname = d2l.download(d2l.DATA_URL + 'timemachine.txt', self.root,
                             '090b5e7e70c295757f55df93cb0a180b9691891a')
        with open(fname) as f:
            return f.read()

data = TimeMachine()
raw_text = data._download()
head = raw_text[:60]

@d2l.add_to_class(TimeMachine)  #@save
def _preprocess(self, text):
    return re.sub('[^A-Za-z]+', ' ', text).lower()

text = data._preprocess(raw_text)
text_head = text[:60]

@d2l.add_to_class(TimeMachine)  #@save
def _tokenize(self, text):
    return list(text)

tokens = data._tokenize(text)
joined = ','.join(tokens[:30])

class Vocab:  #@save
    \"\"\"Vocabulary for text.\"\"\"
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        # Flatten a 2D list if needed
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        # Count token frequencies
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1],
                                  reverse=True)
        # The list of unique tokens
        self.idx_to_token = list(sorted(set(['<unk>'] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx
                             for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if hasattr(indices, '__len__') and len(indices) > 1:
            return [self.idx_to_token[int(index)] for index in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self):  # Index for the unknown token
        return self.token_to_idx['<unk>']

vocab = Vocab(tokens)
indices = vocab[tokens[:10]]
print('indices:', indices)
print('words:', vocab.to_tokens(indices))

@d2l.add_to_class(TimeMachine)  #@save
def build(self, raw_text, vocab=None):
    tokens = self._tokenize(self._preprocess(raw_text))
    if vocab is None: vocab = Vocab(tokens)
    corpus = [vocab[token] for token in tokens]
    return corpus, vocab

corpus, vocab = data.build(raw_text)
sizes = len(corpus), len(vocab)

words = text.split()
vocab = Vocab(words)
top_words = vocab.token_freqs[:10]

freqs = [freq for token, freq in vocab.token_freqs]
d2l.plot(freqs, xlabel='token: x', ylabel='frequency: n(x)',
         xscale='log', yscale='log')

bigram_tokens = ['--'.join(pair) for pair in zip(words[:-1], words[1:])]
bigram_vocab = Vocab(bigram_tokens)
top_bigrams = bigram_vocab.token_freqs[:10]

trigram_tokens = ['--'.join(triple) for triple in zip(
    words[:-2], words[1:-1], words[2:])]
trigram_vocab = Vocab(trigram_tokens)
top_trigrams = trigram_vocab.token_freqs[:10]

bigram_freqs = [freq for token, freq in bigram_vocab.token_freqs]
trigram_freqs = [freq for token, freq in trigram_vocab.token_freqs]
d2l.plot([freqs, bigram_freqs, trigram_freqs], xlabel='token: x',
         ylabel='frequency: n(x)', xscale='log', yscale='log',
         legend=['unigram', 'bigram', 'trigram'])
"""


@needs("DataModule", "download", "DATA_URL", "plot")
def test_text_sequence(time_machine_file):
    ns = run(TEXT_SEQUENCE)
    # the values the book prints
    assert ns["head"] == "The Time Machine, by H. G. Wells [1898]\n\n\n\n\nI\n\n\nThe Time Tra"
    assert ns["text_head"] == "the time machine by h g wells i the time traveller for so it"
    assert ns["sizes"] == (173428, 28)
    assert ns["top_words"][:3] == [("the", 2261), ("i", 1267), ("and", 1245)]
    assert ns["top_bigrams"][0] == ("of--the", 309)
    axes = ns["d2l"].plt.gca()
    assert axes.get_xscale() == axes.get_yscale() == "log" and len(axes.get_lines()) == 3


# --- 9.3 Language Models (language-model.md): the data loader -----------------------------------------------------
LANGUAGE_MODEL = """
import torch
from d2l import torch as d2l

@d2l.add_to_class(d2l.TimeMachine)  #@save
def __init__(self, batch_size, num_steps, num_train=10000, num_val=5000):
    super(d2l.TimeMachine, self).__init__()
    self.save_hyperparameters()
    corpus, self.vocab = self.build(self._download())
    array = torch.tensor([corpus[i:i+num_steps+1]
                        for i in range(len(corpus)-num_steps)])
    self.X, self.Y = array[:,:-1], array[:,1:]

@d2l.add_to_class(d2l.TimeMachine)  #@save
def get_dataloader(self, train):
    idx = slice(0, self.num_train) if train else slice(
        self.num_train, self.num_train + self.num_val)
    return self.get_tensorloader([self.X, self.Y], train, idx)

data = d2l.TimeMachine(batch_size=2, num_steps=10)
for X, Y in data.train_dataloader():
    print('X:', X, '\\nY:', Y)
    break
"""


@needs("TimeMachine")
def test_language_model_data(time_machine_file):
    ns = run(LANGUAGE_MODEL)
    X, Y = ns["X"], ns["Y"]
    assert X.shape == Y.shape == (2, 10) and str(X.dtype) == "profundo.int64"
    np.testing.assert_array_equal(X[:, 1:].numpy(), Y[:, :-1].numpy())  # Y is X shifted by one token
    assert ns["data"].X.shape == (173428 - 10, 10)


# --- 9.5 Recurrent Neural Network Implementation from Scratch (rnn-scratch.md) -------------------------------------
RNN_SCRATCH = """
import math
import torch
from torch import nn
from torch.nn import functional as F
from d2l import torch as d2l

class RNNScratch(d2l.Module):  #@save
    \"\"\"The RNN model implemented from scratch.\"\"\"
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W_xh = nn.Parameter(
            torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(
            torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

@d2l.add_to_class(RNNScratch)  #@save
def forward(self, inputs, state=None):
    if state is None:
        # Initial state with shape: (batch_size, num_hiddens)
        state = torch.zeros((inputs.shape[1], self.num_hiddens),
                          device=inputs.device)
    else:
        state, = state
    outputs = []
    for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
        state = torch.tanh(torch.matmul(X, self.W_xh) +
                         torch.matmul(state, self.W_hh) + self.b_h)
        outputs.append(state)
    return outputs, state

batch_size, num_inputs, num_hiddens, num_steps = 2, 16, 32, 100
rnn = RNNScratch(num_inputs, num_hiddens)
X = torch.ones((num_steps, batch_size, num_inputs))
outputs, state = rnn(X)

def check_len(a, n):  #@save
    \"\"\"Check the length of a list.\"\"\"
    assert len(a) == n, f'list\\'s length {len(a)} != expected length {n}'

def check_shape(a, shape):  #@save
    \"\"\"Check the shape of a tensor.\"\"\"
    assert a.shape == shape, \\
            f'tensor\\'s shape {a.shape} != expected shape {shape}'

check_len(outputs, num_steps)
check_shape(outputs[0], (batch_size, num_hiddens))
check_shape(state, (batch_size, num_hiddens))

class RNNLMScratch(d2l.Classifier):  #@save
    \"\"\"The RNN-based language model implemented from scratch.\"\"\"
    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.init_params()

    def init_params(self):
        self.W_hq = nn.Parameter(
            torch.randn(
                self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma)
        self.b_q = nn.Parameter(torch.zeros(self.vocab_size))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('ppl', torch.exp(l), train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])
        self.plot('ppl', torch.exp(l), train=False)

@d2l.add_to_class(RNNLMScratch)  #@save
def one_hot(self, X):
    # Output shape: (num_steps, batch_size, vocab_size)
    return F.one_hot(X.T, self.vocab_size).type(torch.float32)

@d2l.add_to_class(RNNLMScratch)  #@save
def output_layer(self, rnn_outputs):
    outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
    return torch.stack(outputs, 1)

@d2l.add_to_class(RNNLMScratch)  #@save
def forward(self, X, state=None):
    embs = self.one_hot(X)
    rnn_outputs, _ = self.rnn(embs, state)
    return self.output_layer(rnn_outputs)

model = RNNLMScratch(rnn, num_inputs)
outputs = model(torch.ones((batch_size, num_steps), dtype=torch.int64))
check_shape(outputs, (batch_size, num_steps, num_inputs))

@d2l.add_to_class(d2l.Trainer)  #@save
def clip_gradients(self, grad_clip_val, model):
    params = [p for p in model.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > grad_clip_val:
        for param in params:
            param.grad[:] *= grad_clip_val / norm

# the book: batch_size=1024, num_steps=32 and the default num_train=10000, num_val=5000
data = d2l.TimeMachine(batch_size=256, num_steps=16, num_train=2560, num_val=512)
rnn = RNNScratch(num_inputs=len(data.vocab), num_hiddens=32)
model = RNNLMScratch(rnn, vocab_size=len(data.vocab), lr=1)
trainer = d2l.Trainer(max_epochs=2, gradient_clip_val=1, num_gpus=1)  # the book: max_epochs=100
trainer.fit(model, data)

@d2l.add_to_class(RNNLMScratch)  #@save
def predict(self, prefix, num_preds, vocab, device=None):
    state, outputs = None, [vocab[prefix[0]]]
    for i in range(len(prefix) + num_preds - 1):
        X = torch.tensor([[outputs[-1]]], device=device)
        embs = self.one_hot(X)
        rnn_outputs, state = self.rnn(embs, state)
        if i < len(prefix) - 1:  # Warm-up period
            outputs.append(vocab[prefix[i + 1]])
        else:  # Predict num_preds steps
            Y = self.output_layer(rnn_outputs)
            outputs.append(int(Y.argmax(axis=2).reshape(1)))
    return ''.join([vocab.idx_to_token[i] for i in outputs])

prediction = model.predict('it has', 20, data.vocab, d2l.try_gpu())
"""


def perplexities(model, key):
    return [p.y for p in model.board.data[key]]


@needs("TimeMachine", "Trainer", "Classifier")
def test_rnn_scratch(time_machine_file):
    with pytest.warns(UserWarning, match="no GPU"):
        ns = run(RNN_SCRATCH)
    ppl = perplexities(ns["model"], "train_ppl")
    # the perplexity falls, below that of uniform guessing (the vocabulary size, 28)
    assert ppl[-1] < ppl[0] and ppl[-1] < 0.8 * 28
    p = ns["prediction"]
    assert isinstance(p, str) and len(p) == 26 and p.startswith("it has")


# --- 9.6 Concise Implementation of Recurrent Neural Networks (rnn-concise.md) --------------------------------------
RNN_CONCISE = """
import torch
from torch import nn
from torch.nn import functional as F
from d2l import torch as d2l

class RNN(d2l.Module):  #@save
    \"\"\"The RNN model implemented with high-level APIs.\"\"\"
    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.save_hyperparameters()
        self.rnn = nn.RNN(num_inputs, num_hiddens)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)

class RNNLM(d2l.RNNLMScratch):  #@save
    \"\"\"The RNN-based language model implemented with high-level APIs.\"\"\"
    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)

# the book: batch_size=1024, num_steps=32 and the default num_train=10000, num_val=5000
data = d2l.TimeMachine(batch_size=256, num_steps=16, num_train=2560, num_val=512)
rnn = RNN(num_inputs=len(data.vocab), num_hiddens=32)
model = RNNLM(rnn, vocab_size=len(data.vocab), lr=1)
before = model.predict('it has', 20, data.vocab)

trainer = d2l.Trainer(max_epochs=2, gradient_clip_val=1, num_gpus=1)  # the book: max_epochs=100
trainer.fit(model, data)

after = model.predict('it has', 20, data.vocab, d2l.try_gpu())
"""


@needs("TimeMachine", "Trainer", "RNNLMScratch")
def test_rnn_concise(time_machine_file):
    with pytest.warns(UserWarning, match="no GPU"):
        ns = run(RNN_CONCISE)
    ppl = perplexities(ns["model"], "train_ppl")
    assert ppl[-1] < ppl[0] and ppl[-1] < 0.8 * 28
    assert len(ns["before"]) == len(ns["after"]) == 26 and ns["after"].startswith("it has")
