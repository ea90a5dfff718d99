"""profundo.d2l's core (base, plotting, linear, cnn, aliases): each class used as the book (d2l 1.0.3,
PyTorch edition) uses it, with ``from d2l import torch as d2l`` replaced by ``from profundo import d2l``.
Tests that compare with PyTorch skip without it; none needs the network or ../shared."""
import gzip
import hashlib
import math
import warnings

import numpy as np
import pytest

import profundo
import profundo as torch  # the book's spelling
from profundo import d2l, nn
from profundo._errors import is_checked

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # the pyplot helpers (plot, show_images) must never open a window here
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Run in a fresh folder: outside a notebook ProgressBoard/Animator write their PNG to the current one."""
    monkeypatch.chdir(tmp_path)
    yield
    plt.close("all")


def _torch():
    return pytest.importorskip("torch")


# ------------------------------------------------------------------ 3.2 object-oriented design
def test_add_to_class_registers_a_method_as_the_book_shows():
    class A:
        def __init__(self):
            self.b = 1

    a = A()

    @d2l.add_to_class(A)
    def do(self):
        return f"Class attribute 'b' is {self.b}"

    assert a.do() == "Class attribute 'b' is 1"


def test_save_hyperparameters_saves_the_arguments_but_the_ignored():
    class B(d2l.HyperParameters):
        def __init__(self, a, b, c):
            self.save_hyperparameters(ignore=["c"])

    b = B(a=1, b=2, c=3)
    assert (b.a, b.b) == (1, 2)
    assert not hasattr(b, "c")
    assert b.hparams == {"a": 1, "b": 2}


def test_progress_board_averages_every_n_points_and_writes_a_png(tmp_path):
    board = d2l.ProgressBoard("x")
    for x in np.arange(0, 10, 0.1):
        board.draw(x, np.sin(x), "sin", every_n=2)
        board.draw(x, np.cos(x), "cos", every_n=10)
    xs = np.arange(0, 10, 0.1)
    sin = board.data["sin"]
    assert len(sin) == 50 and len(board.data["cos"]) == 10
    np.testing.assert_allclose([p.x for p in sin], xs.reshape(-1, 2).mean(1))
    np.testing.assert_allclose([p.y for p in sin], np.sin(xs).reshape(-1, 2).mean(1))
    np.testing.assert_allclose([p.y for p in board.data["cos"]], np.cos(xs).reshape(-1, 10).mean(1))
    png = tmp_path / "progress.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert board.fig.axes[0].get_xlabel() == "x"  # ProgressBoard('x'): the first argument is the x label
    assert [line.get_label() for line in board.fig.axes[0].get_lines()] == ["sin", "cos"]  # no pile-up


def test_progress_board_display_false_only_records(tmp_path):
    board = d2l.ProgressBoard(display=False)
    board.draw(1, 2.0, "a")
    assert board.data["a"][0] == (1, 2.0)
    assert board.fig is None and not (tmp_path / "progress.png").exists()


def test_progress_board_path_chooses_the_file(tmp_path):
    board = d2l.ProgressBoard(xlabel="epoch", path=str(tmp_path / "sub.png"))
    board.draw(0, 1.0, "loss")
    assert (tmp_path / "sub.png").is_file() and not (tmp_path / "progress.png").exists()


def test_module_without_net_and_plot_without_trainer_fail_clearly():
    m = d2l.Module()
    with pytest.raises(AssertionError, match="self.net") as e:
        m(torch.ones(2))
    assert is_checked(e.value)
    with pytest.raises(AssertionError, match="Trainer is not inited"):
        m.plot("loss", torch.tensor(1.0), train=True)
    with pytest.raises(NotImplementedError):
        m.loss(1, 2)


# ------------------------------------------------------------------ 3.3-3.5 linear regression
def _fit_linear(model, max_epochs=3, **kw):
    data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2, **kw)
    trainer = d2l.Trainer(max_epochs=max_epochs)
    trainer.fit(model, data)
    return data, trainer


def test_synthetic_regression_data_as_in_the_book():
    data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
    assert data.X.shape == (2000, 2) and data.y.shape == (2000, 1)
    residual = data.y - (data.X @ data.w.reshape((-1, 1)) + data.b)
    assert abs(float(residual.std()) - 0.01) < 0.002  # the noise has the book's scale
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (32, 2) and y.shape == (32, 1)
    assert len(data.train_dataloader()) == len(data.val_dataloader()) == math.ceil(1000 / 32)
    # validation batches come in order (no shuffle), training batches are shuffled
    Xv, _ = next(iter(data.val_dataloader()))
    np.testing.assert_array_equal(Xv.numpy(), data.X[1000:1032].numpy())
    Xt, _ = next(iter(data.train_dataloader()))
    assert not np.array_equal(Xt.numpy(), data.X[:32].numpy())


def test_linear_regression_scratch_learns_w_and_b(tmp_path):
    model = d2l.LinearRegressionScratch(2, lr=0.03)
    data, trainer = _fit_linear(model)
    with torch.no_grad():
        w_err = data.w - model.w.reshape(data.w.shape)
        b_err = data.b - model.b
    assert float(w_err.abs().max()) < 0.5 and float(b_err.abs().max()) < 0.5  # the book: about 0.1-0.2
    val = [p.y for p in model.board.data["val_loss"]]
    assert len(val) == 3 and val[0] > val[1] > val[2]
    train = [p.y for p in model.board.data["train_loss"]]
    assert len(train) == 6 and train[-1] < train[0] / 10  # two points per epoch
    assert trainer.train_batch_idx == 3 * 32 and trainer.val_batch_idx == 3 * 32
    assert (tmp_path / "progress.png").is_file()
    assert model.hparams == {"num_inputs": 2, "lr": 0.03, "sigma": 0.01}


def test_linear_regression_concise_recovers_w_and_b():
    model = d2l.LinearRegression(lr=0.03)
    data, _ = _fit_linear(model)
    w, b = model.get_w_b()
    np.testing.assert_allclose(w.reshape(data.w.shape).numpy(), data.w.numpy(), atol=0.05)
    np.testing.assert_allclose(b.numpy(), [4.2], atol=0.05)
    assert isinstance(model.configure_optimizers(), torch.optim.SGD)


def test_the_from_scratch_sgd_updates_and_zeroes():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = d2l.SGD([w], lr=0.5)
    (w * w).sum().backward()
    with torch.no_grad():
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])
    opt.zero_grad()
    np.testing.assert_array_equal(w.grad.numpy(), [0.0, 0.0])


def test_trainer_with_gpus_trains_on_the_cpu_and_says_so():
    with pytest.warns(UserWarning, match="no GPU backend"):
        trainer = d2l.Trainer(max_epochs=1, num_gpus=1)
    assert trainer.gpus == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert d2l.Trainer(max_epochs=1).gpus == []  # num_gpus=0: no warning
    for bad in (-1, 1.5, "1"):
        with pytest.raises(ValueError, match="num_gpus"):
            d2l.Trainer(max_epochs=1, num_gpus=bad)


def test_devices_are_honest():
    assert d2l.num_gpus() == 0 == torch.cuda.device_count()
    assert d2l.cpu() == torch.device("cpu")
    assert d2l.try_gpu() == d2l.cpu() and d2l.try_gpu(3) == d2l.cpu()
    assert d2l.try_all_gpus() == []  # what d2l 1.0.3 returns without GPUs
    assert d2l.gpu(1) == torch.device("cuda:1")
    with pytest.raises(RuntimeError):
        torch.ones(2).to(d2l.gpu())


def test_clip_gradients_matches_torch_clip_grad_norm():
    pt = _torch()
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=3).astype(np.float32)]
    grads = [rng.normal(size=a.shape).astype(np.float32) * 3 for a in arrays]
    net = nn.Linear(4, 3)
    tnet = pt.nn.Linear(4, 3)
    for p, tp, a, g in zip(net.parameters(), tnet.parameters(), arrays, grads):
        p.data.copy_(torch.tensor(a))
        p.grad = torch.tensor(g)
        tp.data.copy_(pt.tensor(a))
        tp.grad = pt.tensor(g)
    unused = nn.Linear(1, 1)  # a parameter without gradient is skipped
    net.extra = unused
    trainer = d2l.Trainer(max_epochs=1)
    with torch.no_grad():
        trainer.clip_gradients(1.0, net)
    pt.nn.utils.clip_grad_norm_(tnet.parameters(), 1.0)
    for p, tp in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)
    # below the threshold nothing changes
    before = [p.grad.numpy().copy() for p in net.parameters() if p.grad is not None]
    trainer.clip_gradients(100.0, net)
    for p, b in zip([p for p in net.parameters() if p.grad is not None], before):
        np.testing.assert_array_equal(p.grad.numpy(), b)


def test_gradient_clip_val_is_applied_during_fit():
    seen = []

    class Spy(d2l.Trainer):
        def clip_gradients(self, grad_clip_val, model):
            seen.append(grad_clip_val)
            super().clip_gradients(grad_clip_val, model)

    model = d2l.LinearRegressionScratch(2, lr=0.03)
    data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2, num_train=64, num_val=32)
    Spy(max_epochs=1, gradient_clip_val=1).fit(model, data)
    assert seen == [1, 1]


def test_legacy_linear_regression_scratch_chapter():
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = d2l.synthetic_data(true_w, true_b, 1000)
    assert features.shape == (1000, 2) and labels.shape == (1000, 1)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _ in range(3):
        for X, y in d2l.load_array((features, labels), 10):
            l = d2l.squared_loss(d2l.linreg(X, w, b), y)  # noqa: E741
            l.sum().backward()
            d2l.sgd([w, b], 0.03, 10)
    np.testing.assert_allclose(w.detach().reshape(-1).numpy(), true_w.numpy(), atol=0.01)
    np.testing.assert_allclose(b.detach().numpy(), [true_b], atol=0.01)
    loss = nn.MSELoss(reduction="none")
    assert d2l.evaluate_loss(lambda X: d2l.linreg(X, w.detach(), b.detach()),
                             d2l.load_array((features, labels), 100, is_train=False), loss) < 1e-3


# ------------------------------------------------------------------ 4 classification
class _Blobs(d2l.DataModule):
    """A small separable 3-class problem, book-shaped: X (n, 1, 2, 2) images and int64 labels."""

    def __init__(self, batch_size=32, n=300):
        super().__init__()
        self.save_hyperparameters()
        g = torch.Generator().manual_seed(0)
        self.y = torch.randint(0, 3, (n,), generator=g)
        centers = torch.tensor([[3.0, 0, 0, 0], [0, 3.0, 0, 0], [0, 0, 3.0, 0]])
        self.X = (centers[self.y] + torch.randn(n, 4, generator=g)).reshape(n, 1, 2, 2)
        self.num_train = n * 2 // 3

    def get_dataloader(self, train):
        i = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader((self.X, self.y), train, i)


def test_classifier_accuracy_and_loss_as_torch():
    pt = _torch()
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2, 5, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=(2, 5))
    c = d2l.Classifier()
    Y_hat, Y = torch.tensor(logits), torch.tensor(labels)
    acc = c.accuracy(Y_hat, Y)
    expect = (logits.reshape(-1, 4).argmax(1) == labels.reshape(-1)).astype(np.float32)
    assert acc.dtype == torch.float32 and acc.shape == ()
    np.testing.assert_allclose(float(acc), expect.mean(), rtol=1e-6)
    np.testing.assert_array_equal(c.accuracy(Y_hat, Y, averaged=False).numpy(), expect)
    ref = pt.nn.functional.cross_entropy(pt.tensor(logits).reshape(-1, 4), pt.tensor(labels).reshape(-1),
                                         reduction="none")
    np.testing.assert_allclose(c.loss(Y_hat, Y, averaged=False).numpy(), ref.numpy(), rtol=1e-5)
    np.testing.assert_allclose(float(c.loss(Y_hat, Y)), float(ref.mean()), rtol=1e-5)
    # the legacy accuracy counts correct predictions
    assert d2l.accuracy(Y_hat[0], Y[0]) == float(expect[:5].sum())


def test_softmax_regression_trains_with_the_trainer():
    data = _Blobs()
    model = d2l.SoftmaxRegression(num_outputs=3, lr=0.1)
    d2l.Trainer(max_epochs=5).fit(model, data)
    acc = [p.y for p in model.board.data["val_acc"]]
    loss = [p.y for p in model.board.data["val_loss"]]
    assert len(acc) == 5 and acc[-1] > 0.9 and loss[-1] < loss[0]
    X, y = next(iter(data.val_dataloader()))
    assert float(model.accuracy(model(X), y)) > 0.9
    assert d2l.evaluate_accuracy(model, data.val_dataloader()) > 0.9


def test_layer_summary_prints_each_layer_shape(capsys):
    model = d2l.SoftmaxRegression(num_outputs=3, lr=0.1)
    model.layer_summary((2, 1, 2, 2))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Flatten output shape:") and "[2, 4]" in out[0]
    assert out[1].startswith("LazyLinear output shape:") or out[1].startswith("Linear output shape:")
    assert "[2, 3]" in out[1]


def test_legacy_train_ch3_with_animator(tmp_path):
    data = _Blobs(n=600)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    d2l.train_ch3(net, data.train_dataloader(), data.val_dataloader(), loss, 3, trainer)  # asserts inside
    assert (tmp_path / "animator.png").is_file()


def test_timer_and_accumulator():
    timer = d2l.Timer()
    t = timer.stop()
    timer.start()
    timer.stop()
    assert t >= 0 and len(timer.times) == 2
    assert timer.sum() == pytest.approx(sum(timer.times))
    assert timer.avg() == pytest.approx(timer.sum() / 2)
    assert timer.cumsum() == pytest.approx(np.cumsum(timer.times).tolist())
    acc = d2l.Accumulator(2)
    acc.add(1, torch.tensor(2.5))
    acc.add(3, 0.5)
    assert (acc[0], acc[1]) == (4.0, 3.0)
    acc.reset()
    assert acc.data == [0.0, 0.0]
