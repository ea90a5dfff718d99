"""Language models (profundo.models.language) and `profundo train charlm`.

Twins: the same model in PyTorch, with the weights copied and the same minibatches in the same order,
must give the same outputs, gradients and training perplexities step by step (float64).  Every text
here is written by the test (or the bundled Time Machine): nothing needs ../shared or the network.
"""
import json
import math

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo._errors import is_checked
from profundo.cli import main as cli
from profundo.models import RNNLM, RNNLMScratch, RNNScratch, evaluate_perplexity, perplexity
from profundo.text import Vocab, lm_windows, preprocess_time_machine
from profundo.train import Trainer
from profundo.utils.data import DataLoader, TensorDataset

try:
    import torch
except ImportError:  # the suite also runs without PyTorch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch (the oracle)")

TEXT = ("The Time Traveller (for so it will be convenient to speak of him) was expounding a recondite matter to "
        "us. His grey eyes shone and twinkled, and his usually pale face was flushed and animated. The fire "
        "burned brightly, and the soft radiance of the incandescent lights in the lilies of silver caught the "
        "bubbles that flashed and passed in our glasses. ") * 3


def corpus_vocab(text=TEXT):
    tokens = list(preprocess_time_machine(text))
    vocab = Vocab(tokens)
    return vocab[tokens], vocab


def batches(corpus, num_steps, batch_size, count, seed=0):
    """A fixed list of (X, Y) windows: the data order both twins see."""
    X, Y = lm_windows(corpus, num_steps)
    order = np.random.default_rng(seed).permutation(len(X))[:batch_size * count].reshape(count, batch_size)
    return [(X[profundo.tensor(rows)], Y[profundo.tensor(rows)]) for rows in order]


def t(x):
    return torch.from_numpy(x.detach().numpy().copy())


# ------------------------------------------------------------------ the PyTorch twins (d2l's code, in torch)
class TorchRNNScratch(torch.nn.Module if torch else object):
    def __init__(self, ours):
        super().__init__()
        self.num_hiddens = ours.num_hiddens
        for name in ("W_xh", "W_hh", "b_h"):
            setattr(self, name, torch.nn.Parameter(t(getattr(ours, name))))

    def forward(self, inputs, state=None):
        if state is None:
            state = torch.zeros((inputs.shape[1], self.num_hiddens), dtype=inputs.dtype)
        outputs = []
        for X in inputs:
            state = torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


class TorchLM(torch.nn.Module if torch else object):
    """d2l's RNNLMScratch (scratch=True) or RNNLM over a torch recurrent layer."""

    def __init__(self, rnn, vocab_size, ours):
        super().__init__()
        self.rnn, self.vocab_size = rnn, vocab_size
        if hasattr(ours, "W_hq"):
            self.W_hq, self.b_q = torch.nn.Parameter(t(ours.W_hq)), torch.nn.Parameter(t(ours.b_q))
        else:
            self.linear = torch.nn.Linear(ours.linear.in_features, vocab_size, dtype=torch.float64)

    def forward(self, X):
        embs = torch.nn.functional.one_hot(X.T, self.vocab_size).to(torch.float64)
        outputs, _ = self.rnn(embs)
        if hasattr(self, "W_hq"):
            return torch.stack([H @ self.W_hq + self.b_q for H in outputs], 1)
        return self.linear(outputs).swapaxes(0, 1)


def twin_losses(model, twin, data, lr, clip, steps_ours):
    """Per-step losses of the torch twin trained like the Trainer: forward, loss, backward, clip, SGD step."""
    opt = torch.optim.SGD(twin.parameters(), lr=lr)
    losses = []
    for X, Y in data:
        Y_hat = twin(t(X))
        loss = torch.nn.functional.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), t(Y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    return losses


def train_with_trainer(model, data, lr, clip):
    """Train ``model`` on ``data`` (one epoch, in order) through the project's Trainer; the loss of each step."""
    losses = []

    def loss_fn(Y_hat, Y):
        loss = model.loss(Y_hat, Y)
        losses.append(float(loss))
        return loss

    trainer = Trainer(model, loss_fn, profundo.optim.SGD(model.parameters(), lr=lr), metrics=(),
                      clip_grad_norm=clip, progress=False, plot=False)
    trainer.fit(data, epochs=1)
    return losses, trainer


# ------------------------------------------------------------------ RNN from scratch
@needs_torch
def test_rnn_scratch_forward_and_gradients_match_torch():
    profundo.manual_seed(0)
    rnn = RNNScratch(7, 5, sigma=0.5).double()
    twin = TorchRNNScratch(rnn)
    X = profundo.randn(4, 3, 7, dtype=profundo.float64)
    H0 = profundo.randn(3, 5, dtype=profundo.float64)
    for state, tstate in ((None, None), ((H0,), t(H0)), (H0, t(H0))):
        outs, H = rnn(X, state)
        touts, tH = twin(t(X), tstate)
        assert len(outs) == 4
        np.testing.assert_allclose(H.detach().numpy(), tH.detach().numpy(), rtol=1e-12, atol=1e-14)
        loss = sum((o * (i + 1)).sum() for i, o in enumerate(outs)) + (H ** 2).sum()
        tloss = sum((o * (i + 1)).sum() for i, o in enumerate(touts)) + (tH ** 2).sum()
        rnn.zero_grad()
        twin.zero_grad()
        loss.backward()
        tloss.backward()
        for name in ("W_xh", "W_hh", "b_h"):
            np.testing.assert_allclose(getattr(rnn, name).grad.numpy(), getattr(twin, name).grad.numpy(),
                                       rtol=1e-10, atol=1e-12)


@needs_torch
def test_rnnlm_scratch_training_follows_torch_twin():
    corpus, vocab = corpus_vocab()
    profundo.manual_seed(1)
    model = RNNLMScratch(RNNScratch(len(vocab), 16, sigma=0.3), len(vocab)).double()
    twin = TorchLM(TorchRNNScratch(model.rnn), len(vocab), model)
    data = batches(corpus, 10, 8, 12)
    ours, _ = train_with_trainer(model, data, lr=1.0, clip=1.0)
    theirs = twin_losses(model, twin, data, lr=1.0, clip=1.0, steps_ours=ours)
    np.testing.assert_allclose([math.exp(v) for v in ours], [math.exp(v) for v in theirs], rtol=1e-10)
    assert ours[-1] < ours[0]  # it learns
    np.testing.assert_allclose(model.W_hq.detach().numpy(), twin.W_hq.detach().numpy(), rtol=1e-8, atol=1e-10)


def test_rnnlm_scratch_shapes_loss_and_perplexity():
    corpus, vocab = corpus_vocab()
    profundo.manual_seed(0)
    model = RNNLMScratch(RNNScratch(len(vocab), 8), len(vocab), lr=0.5)
    X, Y = batches(corpus, 6, 4, 1)[0]
    Y_hat = model(X)
    assert tuple(Y_hat.shape) == (4, 6, len(vocab)) and Y_hat.dtype == profundo.float32
    loss = model.loss(Y_hat, Y)
    # untrained (weights ~0.01): the logits are nearly equal, so the perplexity is about the vocabulary size
    assert abs(float(perplexity(loss)) - len(vocab)) < 0.1
    assert perplexity(float(loss)) == pytest.approx(math.exp(float(loss)))
    per_token = model.loss(Y_hat, Y, averaged=False)
    assert tuple(per_token.shape) == (24,) and float(per_token.mean()) == pytest.approx(float(loss), rel=1e-6)
    loader = DataLoader(TensorDataset(*lm_windows(corpus, 6)), batch_size=50)
    expected = math.exp(np.mean(np.concatenate([model.loss(model(x), y, averaged=False).detach().numpy()
                                                for x, y in loader])))
    assert evaluate_perplexity(model, loader) == pytest.approx(expected, rel=1e-6)
    opt = model.configure_optimizers()
    assert opt.param_groups[0]["lr"] == 0.5 and len(opt.param_groups[0]["params"]) == 5


def test_model_errors_are_clear():
    corpus, vocab = corpus_vocab()
    model = RNNLMScratch(RNNScratch(len(vocab), 8), len(vocab))

    def checked(exc_type, fn, *args, **kwargs):
        with pytest.raises(exc_type) as e:
            fn(*args, **kwargs)
        assert is_checked(e.value) and "Pista" in str(e.value), str(e.value)
        return str(e.value)

    assert "(batch_size, num_steps)" in checked(RuntimeError, model, profundo.randn(2, 3))
    assert "out of range" in checked(IndexError, model, profundo.tensor([[0, len(vocab)]]))
    checked(RuntimeError, model.rnn, profundo.randn(3, 2, 5))
    checked(ValueError, model.rnn, profundo.randn(3, 2, len(vocab)), (None, None))
    checked(ValueError, RNNScratch, 0, 4)
    checked(ValueError, RNNLMScratch, RNNScratch(3, 4), -1)
    checked(ValueError, model.predict, "", 5, vocab)
    checked(ValueError, model.predict, "ab", -1, vocab)
    checked(ValueError, model.predict, "ab", 3, vocab, temperature=-1.0)
    checked(ValueError, model.predict, "ab", 3, Vocab(list("ab")))


def test_predict_greedy_is_the_argmax_and_sampling_is_reproducible():
    corpus, vocab = corpus_vocab()
    profundo.manual_seed(0)
    model = RNNLMScratch(RNNScratch(len(vocab), 16, sigma=0.5), len(vocab))
    text = model.predict("the time", 12, vocab)
    assert text.startswith("the time") and len(text) == 20
    # the same generation by hand: run the whole sequence, each next character the argmax of the last step
    for i in range(8, 20):
        X = profundo.tensor([vocab[list(text[:i])]])
        assert vocab.idx_to_token[int(model(X)[0, -1].argmax())] == text[i]
    assert model.predict("the time", 0, vocab) == "the time"
    g = profundo.Generator().manual_seed(3)
    a = model.predict("the", 30, vocab, temperature=1.0, generator=g)
    g.manual_seed(3)
    assert model.predict("the", 30, vocab, temperature=1.0, generator=g) == a
    assert a != model.predict("the", 30, vocab)  # sampling at a high temperature leaves the greedy path
    assert model.training  # predict restores the mode


# ------------------------------------------------------------------ library recurrent layers
@needs_torch
@pytest.mark.parametrize("kind,layers", [("LSTM", 1), ("LSTM", 2), ("GRU", 1), ("RNN", 2)])
def test_rnnlm_training_follows_torch_twin(kind, layers):
    """Issue 13's target: the LSTM language model follows its torch twin (same weights, same data order)."""
    corpus, vocab = corpus_vocab()
    profundo.manual_seed(2)
    model = RNNLM(getattr(nn, kind)(len(vocab), 12, num_layers=layers), len(vocab)).double()
    twin = TorchLM(getattr(torch.nn, kind)(len(vocab), 12, num_layers=layers, dtype=torch.float64), len(vocab),
                   model)
    twin.load_state_dict({k: t(v) for k, v in model.state_dict().items()})
    data = batches(corpus, 10, 8, 12)
    ours, _ = train_with_trainer(model, data, lr=4.0, clip=1.0)
    theirs = twin_losses(model, twin, data, lr=4.0, clip=1.0, steps_ours=ours)
    np.testing.assert_allclose([math.exp(v) for v in ours], [math.exp(v) for v in theirs], rtol=1e-9)
    assert ours[-1] < ours[0]
    for k, v in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k].numpy(), v.numpy(), rtol=1e-7, atol=1e-9)
    # generation: the same greedy text from both
    text = model.predict("the ti", 15, vocab)
    with torch.no_grad():
        idx = vocab[list(text)]
        logits = twin(torch.tensor([idx[:-1]]))[0]
    assert vocab.to_tokens(logits.argmax(-1).tolist())[5:] == list(text[6:])


def test_rnnlm_output_layer_and_errors():
    profundo.manual_seed(0)
    model = RNNLM(nn.LSTM(28, 8, bidirectional=True), 28)
    assert model.linear.in_features == 16
    assert tuple(model(profundo.randint(0, 28, (3, 5))).shape) == (3, 5, 28)
    with pytest.raises(ValueError, match="batch_first"):
        RNNLM(nn.GRU(28, 8, batch_first=True), 28)


# ------------------------------------------------------------------ profundo train charlm
def run(capsys, *argv):
    code = cli(["train", "charlm", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_trains_writes_the_run_and_generates(tmp_path, capsys):
    text = tmp_path / "book.txt"
    text.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "run"
    code, printed, err = run(capsys, "--text", str(text), "--epochs", "3", "--hidden", "16", "--seq-len", "8",
                             "--batch-size", "32", "--out", str(out), "--prefix", "the time", "--num-preds", "10")
    assert code == 0, err
    lines = [line for line in printed.splitlines() if line.startswith("epoch ")]
    assert len(lines) == 3 and all("train_perplexity" in line and "val_perplexity" in line for line in lines)
    ppl = [float(line.split("train_perplexity ")[1].split()[0]) for line in lines]
    assert ppl[-1] < ppl[0]
    assert "'the time' -> 'the time" in printed
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "scratch" and config["lr"] == 1.0 and config["vocab"][:2] == [" ", "<unk>"]
    state = profundo.load(out / "model.safetensors")
    assert set(state) == {"rnn.W_xh", "rnn.W_hh", "rnn.b_h", "W_hq", "b_q"}
    assert (out / "checkpoint.safetensors").is_file()
    # the saved weights reproduce the printed generation
    vocab = Vocab()
    vocab.idx_to_token, vocab.token_to_idx = config["vocab"], {c: i for i, c in enumerate(config["vocab"])}
    model = RNNLMScratch(RNNScratch(len(vocab), 16), len(vocab))
    model.load_state_dict(state)
    assert f"-> {model.predict('the time', 10, vocab)!r}" in printed
    # --quiet: only the summary, the generation and the files
    code, printed, _ = run(capsys, "--text", str(text), "--epochs", "1", "--hidden", "4", "--seq-len", "8",
                           "--out", str(tmp_path / "q"), "--quiet", "--batch-size", "64")
    assert code == 0 and "epoch 1/1" not in printed and "perplexity train" in printed


def test_cli_default_text_is_the_bundled_time_machine(tmp_path, capsys):
    code, printed, err = run(capsys, "--epochs", "1", "--hidden", "4", "--seq-len", "5", "--num-train", "64",
                             "--num-val", "32", "--batch-size", "64", "--out", str(tmp_path / "tm"), "--quiet")
    assert code == 0, err
    assert "The Time Machine (bundled)" in printed
    assert json.loads((tmp_path / "tm" / "config.json").read_text())["num_train"] == 64


def test_cli_lstm(tmp_path, capsys):
    text = tmp_path / "book.txt"
    text.write_text(TEXT, encoding="utf-8")
    code, printed, err = run(capsys, "--model", "lstm", "--layers", "2", "--text", str(text), "--epochs", "2",
                             "--hidden", "8", "--seq-len", "8", "--batch-size", "64", "--out", str(tmp_path / "l"))
    assert code == 0, err
    assert "rnn.weight_ih_l1" in profundo.load(tmp_path / "l" / "model.safetensors")
    assert json.loads((tmp_path / "l" / "config.json").read_text())["lr"] == 4.0


def test_cli_errors_are_one_line(tmp_path, capsys):
    text = tmp_path / "book.txt"
    text.write_text(TEXT, encoding="utf-8")
    base = ["--text", str(text), "--epochs", "1", "--out", str(tmp_path / "e")]
    cases = [(["--text", str(tmp_path / "missing.txt")], "no such file"),
             (base + ["--layers", "2"], "one layer"),
             (base + ["--prefix", "Hola!"], "characters the text lacks"),
             (base + ["--seq-len", "5000"], "not more than --seq-len"),
             (base + ["--num-train", "100000"], "not enough"),
             (["--text", str(tmp_path)], "folder")]
    for argv, expected in cases:
        code, _, err = run(capsys, *argv)
        assert code == 2 and expected in err and "Pista" in err and "Traceback" not in err, (argv, err)
    (tmp_path / "digits.txt").write_text("1234 5678\n" * 20)
    code, _, err = run(capsys, "--text", str(tmp_path / "digits.txt"))
    assert code == 2 and "no letters" in err
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, *base[:-1], str(tmp_path / "file"))
    assert code == 2 and "is a file" in err
    for bad in (["--hidden", "0"], ["--lr", "-1"], ["--model", "cnn"], ["--epochs", "two"], ["--temperature", "-2"]):
        with pytest.raises(SystemExit) as e:
            cli(["train", "charlm", *bad])
        assert e.value.code == 2
        assert "error:" in capsys.readouterr().err
