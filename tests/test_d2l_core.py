"""profundo.d2l's core (base, plotting, linear, cnn, aliases): each class used as the book (d2l 1.0.3,
PyTorch edition) uses it, with ``from d2l import torch as d2l`` replaced by ``from profundo import d2l``.
Tests that compare with PyTorch skip without it; none needs the network or ../shared."""
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


def test_progress_board_without_labels_draws(tmp_path):
    board = d2l.ProgressBoard()
    board.draw(0, 1.0, "a")
    assert board.fig.axes[0].get_xlabel() == "" and (tmp_path / "progress.png").is_file()


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
    # before: accepted here, then range("3") failed inside fit, and a negative bound never clipped
    for bad in (-1, 1.5, "3", None):
        with pytest.raises(ValueError, match="Trainer: max_epochs must be a non-negative int") as e:
            d2l.Trainer(max_epochs=bad)
        assert "Pista:" in str(e.value)
    for bad in (-1, "1", float("nan"), None):
        with pytest.raises(ValueError, match="gradient_clip_val must be a number >= 0"):
            d2l.Trainer(max_epochs=1, gradient_clip_val=bad)
    assert d2l.Trainer(max_epochs=np.int64(2), gradient_clip_val=np.float32(0.5)).gradient_clip_val == 0.5


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
    # before: d2l's zip dropped the extra value, or shortened the accumulator for a missing one
    for values in ((1, 2, 3), (1,)):
        with pytest.raises(ValueError, match=f"Accumulator.add: this Accumulator sums 2 variables, got {len(values)}"):
            acc.add(*values)
    assert acc.data == [0.0, 0.0]


def test_module_points_per_epoch_are_checked():
    # before: accepted, then a bare ZeroDivisionError at the first plotted batch
    for kw in ({"plot_train_per_epoch": 0}, {"plot_valid_per_epoch": -1}, {"plot_train_per_epoch": "2"}):
        with pytest.raises(ValueError, match=f"Module: {next(iter(kw))} must be a number > 0") as e:
            d2l.Module(**kw)
        assert "Pista:" in str(e.value)
    m = d2l.Module(plot_train_per_epoch=4)
    assert m.plot_train_per_epoch == 4 and m.hparams == {"plot_train_per_epoch": 4, "plot_valid_per_epoch": 1}


def test_evaluations_on_an_empty_loader_fail_clearly():
    # before: a bare ZeroDivisionError (as in d2l)
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    empty = []
    for name, call in (("evaluate_accuracy", lambda: d2l.evaluate_accuracy(net, empty)),
                       ("evaluate_accuracy_gpu", lambda: d2l.evaluate_accuracy_gpu(net, empty)),
                       ("evaluate_loss", lambda: d2l.evaluate_loss(net, empty, nn.MSELoss(reduction="none"))),
                       ("train_epoch_ch3", lambda: d2l.train_epoch_ch3(net, empty, nn.CrossEntropyLoss(),
                                                                      torch.optim.SGD(net.parameters(), lr=0.1)))):
        with pytest.raises(ValueError, match=f"{name}: the data iterator gave no example") as e:
            call()
        assert "Pista:" in str(e.value)
    X, y = torch.ones(2, 4), torch.tensor([0, 1])
    assert d2l.evaluate_accuracy(net, [(X, y)]) in (0.0, 0.5, 1.0)


def test_benchmark_prints_the_time(capsys):
    with d2l.Benchmark("loop") as b:
        sum(range(10))
    assert capsys.readouterr().out.startswith("loop: ") and len(b.timer.times) == 1


# ------------------------------------------------------------------ 4.2 Fashion-MNIST (offline)
def _fake_fashion_mnist(root, monkeypatch, n_train=96, n_test=32):
    """Small IDX files in ``root/FashionMNIST/raw`` (torchvision's layout), registered with their md5."""
    from profundo.datasets import idx, vision
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    resources = []
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        # each class is a bright band at its own rows: learnable, like a tiny clothes data set
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        images[np.arange(n)[:, None], 2 * labels[:, None] + np.arange(8)[None, :]] = 250
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{split}-{kind}-ubyte.gz"
            idx.write_idx(raw / name, arr)
            resources.append((name, hashlib.md5((raw / name).read_bytes()).hexdigest(), None))
    monkeypatch.setattr(vision.FashionMNIST, "resources", tuple(resources))


def test_fashion_mnist_reads_the_book_folder(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the book's root is ../data
    _fake_fashion_mnist(tmp_path / "data", monkeypatch)
    data = d2l.FashionMNIST(resize=(32, 32))
    assert (len(data.train), len(data.val)) == (96, 32)
    data.num_workers = 0  # (4 worker processes would only slow this small test down)
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (64, 1, 32, 32) and X.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= float(X.min()) and float(X.max()) <= 1
    assert data.text_labels([0, 9]) == ["t-shirt", "ankle boot"]
    assert len(data.val_dataloader()) == 1
    data.visualize((X, y), nrows=1, ncols=4)  # draws on pyplot (Agg here)


def test_fashion_mnist_offline_error_names_the_files(tmp_path, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz") as e:
        d2l.FashionMNIST()
    assert "copy the files" in str(e.value) and "Pista" in str(e.value)


# ------------------------------------------------------------------ 7-8 convolutional networks
def test_corr2d_as_the_book():
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    windows = np.lib.stride_tricks.sliding_window_view(X.numpy(), (2, 2))
    np.testing.assert_array_equal(d2l.corr2d(X, K).numpy(), (windows * K.numpy()).sum((-1, -2)))
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    Y = d2l.corr2d(X, torch.tensor([[1.0, -1.0]]))
    np.testing.assert_array_equal(Y.numpy()[0], [0, 1, 0, 0, 0, -1, 0])


def test_lenet_layer_summary_and_init_cnn(capsys):
    model = d2l.LeNet()
    model.layer_summary((1, 1, 28, 28))
    shapes = [line.split("\t")[-1].strip() for line in capsys.readouterr().out.splitlines()]
    # the book's table: 28 -> conv(5, pad 2) 28 -> pool 14 -> conv(5) 10 -> pool 5 -> 16*5*5 = 400 -> 120 -> 84 -> 10
    expect = [[1, 6, 28, 28]] * 2 + [[1, 6, 14, 14]] + [[1, 16, 10, 10]] * 2 + [[1, 16, 5, 5], [1, 400]] + \
        [[1, 120]] * 2 + [[1, 84]] * 2 + [[1, 10]]
    assert shapes == [f"profundo.Size({s})" for s in expect]
    model = d2l.LeNet()
    model.apply_init([torch.randn(2, 1, 28, 28)], d2l.init_cnn)
    for layer in model.net:
        if type(layer) in (nn.Linear, nn.Conv2d):
            fan_out, fan_in = layer.weight.shape[0], layer.weight[0].numel()
            fan_out *= layer.weight[0, 0].numel()
            bound = math.sqrt(6 / (fan_in + fan_out))
            w = layer.weight.detach().numpy()
            assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound  # xavier_uniform_


def test_lenet_matches_torch_with_the_same_weights():
    pt = _torch()
    model = d2l.LeNet()
    X = np.random.default_rng(0).normal(size=(3, 1, 28, 28)).astype(np.float32)
    model.apply_init([torch.tensor(X)], d2l.init_cnn)
    ref = pt.nn.Sequential(
        pt.nn.Conv2d(1, 6, kernel_size=5, padding=2), pt.nn.Sigmoid(), pt.nn.AvgPool2d(kernel_size=2, stride=2),
        pt.nn.Conv2d(6, 16, kernel_size=5), pt.nn.Sigmoid(), pt.nn.AvgPool2d(kernel_size=2, stride=2),
        pt.nn.Flatten(), pt.nn.Linear(400, 120), pt.nn.Sigmoid(), pt.nn.Linear(120, 84), pt.nn.Sigmoid(),
        pt.nn.Linear(84, 10))
    ref.load_state_dict({k: pt.tensor(v.detach().numpy()) for k, v in model.net.state_dict().items()})
    np.testing.assert_allclose(model(torch.tensor(X)).detach().numpy(), ref(pt.tensor(X)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


class _TorchResidual:
    """The book's Residual block in PyTorch, the oracle."""

    @staticmethod
    def build(pt, c_in, c, use_1x1conv, strides):
        class Residual(pt.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = pt.nn.Conv2d(c_in, c, kernel_size=3, padding=1, stride=strides)
                self.conv2 = pt.nn.Conv2d(c, c, kernel_size=3, padding=1)
                self.conv3 = pt.nn.Conv2d(c_in, c, kernel_size=1, stride=strides) if use_1x1conv else None
                self.bn1 = pt.nn.BatchNorm2d(c)
                self.bn2 = pt.nn.BatchNorm2d(c)

            def forward(self, X):
                Y = pt.nn.functional.relu(self.bn1(self.conv1(X)))
                Y = self.bn2(self.conv2(Y))
                if self.conv3:
                    X = self.conv3(X)
                Y += X
                return pt.nn.functional.relu(Y)
        return Residual()


@pytest.mark.parametrize("use_1x1conv,strides,c", [(False, 1, 3), (True, 2, 6)])
def test_residual_block_matches_torch_forward_and_backward(use_1x1conv, strides, c):
    pt = _torch()
    X = np.random.default_rng(0).normal(size=(4, 3, 6, 6)).astype(np.float32)
    blk = d2l.Residual(c, use_1x1conv=use_1x1conv, strides=strides)
    Y = blk(torch.tensor(X))
    assert Y.shape == ((4, 3, 6, 6) if strides == 1 else (4, 6, 3, 3))  # the book's two examples
    ref = _TorchResidual.build(pt, 3, c, use_1x1conv, strides)
    ref.load_state_dict({k: pt.tensor(v.detach().numpy()) for k, v in blk.state_dict().items()})
    Xt = pt.tensor(X, requires_grad=True)
    Yt = ref(Xt)
    np.testing.assert_allclose(Y.detach().numpy(), Yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    Xp = torch.tensor(X, requires_grad=True)
    (blk(Xp) ** 2).sum().backward()
    (Yt ** 2).sum().backward()
    np.testing.assert_allclose(Xp.grad.numpy(), Xt.grad.numpy(), rtol=1e-3, atol=1e-4)


def test_resnext_block_shape_as_the_book():
    blk = d2l.ResNeXtBlock(32, 16, 1)
    assert blk(torch.randn(4, 32, 12, 12)).shape == (4, 32, 12, 12)
    blk = d2l.ResNeXtBlock(16, 4, 0.5, use_1x1conv=True, strides=2)
    assert blk(torch.randn(2, 8, 6, 6)).shape == (2, 16, 3, 3)
    assert blk.conv2.groups == 2  # bot_channels // groups = 8 // 4


@pytest.mark.parametrize("make,size", [
    (lambda: d2l.AlexNet(), 67),  # the smallest convenient image AlexNet's strides keep non-empty
    (lambda: d2l.VGG(arch=((1, 4), (1, 8), (2, 8))), 16),
    (lambda: d2l.NiN(), 67),
    (lambda: d2l.GoogleNet(), 32),
    (lambda: d2l.ResNet18(), 32),
    (lambda: d2l.ResNet(((1, 64), (1, 8))), 16),  # the first stage keeps b1's 64 channels
])
def test_the_chapter_models_give_one_score_per_class(make, size):
    model = make()
    assert isinstance(model, d2l.Classifier) and model.lr == 0.1 and model.num_classes == 10
    assert model(torch.randn(2, 1, size, size)).shape == (2, 10)


def test_lenet_chapter_trains_on_fashion_mnist_files(tmp_path, monkeypatch):
    """Chapter 7.6 as the book writes it (on 96 fake images, one epoch)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    _fake_fashion_mnist(tmp_path / "data", monkeypatch)
    with pytest.warns(UserWarning, match="no GPU backend"):
        trainer = d2l.Trainer(max_epochs=1, num_gpus=1)
    data = d2l.FashionMNIST(batch_size=32)
    data.num_workers = 0  # (see above)
    model = d2l.LeNet(lr=0.1)
    model.apply_init([next(iter(data.get_dataloader(True)))[0]], d2l.init_cnn)
    before = model.net[0].weight.detach().numpy().copy()
    trainer.fit(model, data)
    assert not np.array_equal(before, model.net[0].weight.detach().numpy())
    assert set(model.board.data) == {"train_loss", "val_loss", "val_acc"}
    assert (work / "progress.png").is_file()


# ------------------------------------------------------------------ plotting
def test_plot_draws_one_line_per_function_as_chapter_2():
    x = np.arange(0, 3, 0.1)
    d2l.plot(x, [3 * x ** 2 - 4 * x, 2 * x - 3], "x", "f(x)", legend=["f(x)", "Tangent line (x=1)"])
    ax = plt.gca()
    lines = ax.get_lines()
    assert len(lines) == 2 and ax.get_xlabel() == "x" and ax.get_ylabel() == "f(x)"
    np.testing.assert_allclose(lines[1].get_ydata(), 2 * x - 3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "Tangent line (x=1)"]
    assert tuple(plt.rcParams["figure.figsize"]) == (3.5, 2.5)
    # tensors, one that requires grad among them, and Y alone (plotted against its index)
    t = torch.arange(4.0, requires_grad=True)
    d2l.plot(t, [t * 2, torch.ones(4)], yscale="log", figsize=(4.5, 2.5))
    assert plt.gca().get_yscale() == "log" and tuple(plt.rcParams["figure.figsize"]) == (4.5, 2.5)
    d2l.plot(torch.tensor([3.0, 1.0, 2.0]))
    np.testing.assert_allclose(plt.gca().get_lines()[0].get_xdata(), [0, 1, 2])


def test_show_images_and_heatmaps():
    axes = d2l.show_images(torch.rand(6, 8, 8), 2, 3, titles=list("abcdef"), scale=1)
    assert len(axes) == 6 and axes[5].get_title() == "f"
    assert d2l.show_images([np.zeros((4, 4))], 1, 1)[0].images  # a single image is fine too
    d2l.show_heatmaps(torch.eye(4).reshape((1, 1, 4, 4)), xlabel="Keys", ylabel="Queries")
    assert plt.gcf().axes[0].get_xlabel() == "Keys"
    with pytest.raises(ValueError, match="4 dimensions"):
        d2l.show_heatmaps(torch.eye(4), xlabel="Keys", ylabel="Queries")


def test_in_a_notebook_the_board_is_displayed_in_place(monkeypatch, tmp_path):
    display = pytest.importorskip("IPython.display")
    backend_inline = pytest.importorskip("matplotlib_inline.backend_inline")
    from profundo.d2l import plotting
    shown, cleared, formats = [], [], []
    monkeypatch.setattr(plotting, "in_notebook", lambda: True)
    monkeypatch.setattr(display, "display", lambda fig: shown.append(fig))
    monkeypatch.setattr(display, "clear_output", lambda wait=False: cleared.append(wait))
    monkeypatch.setattr(backend_inline, "set_matplotlib_formats", lambda *f: formats.append(f))
    board = d2l.ProgressBoard(xlabel="epoch")
    board.draw(0, 1.0, "loss")
    board.draw(1, 0.5, "loss")
    assert shown == [board.fig, board.fig] and cleared == [True, True] and ("svg",) in formats
    animator = d2l.Animator(xlabel="epoch", legend=["a", "b"])
    animator.add(1, (0.5, 0.7))
    assert shown[-1] is animator.fig and animator.Y == [[0.5], [0.7]]
    assert not list(tmp_path.iterdir())  # no PNG in a notebook


def test_without_matplotlib_plotting_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    board = d2l.ProgressBoard()
    with pytest.raises(ImportError, match="matplotlib") as e:
        board.draw(0, 1.0, "loss")
    assert "pip install matplotlib" in str(e.value)
    board = d2l.ProgressBoard(display=False)  # recording the points needs no matplotlib
    board.draw(0, 1.0, "loss")


def test_animator_skips_none_and_writes_the_final_frame(tmp_path):
    from profundo.d2l import plotting
    animator = d2l.Animator(xlabel="epoch", xlim=[1, 3], legend=["train loss", "test acc"])
    for epoch in range(3):
        animator.add(epoch + 1, (1.0 / (epoch + 1), None if epoch < 2 else 0.9))
    assert animator.X == [[1, 2, 3], [3]] and animator.Y[1] == [0.9]
    plotting.flush_figures()
    assert (tmp_path / "animator.png").is_file() and not plotting._pending


# ------------------------------------------------------------------ the tensor aliases
_FUNCTION_ALIASES = {"ones_like": "ones_like", "ones": "ones", "zeros_like": "zeros_like", "zeros": "zeros",
                     "tensor": "tensor", "arange": "arange", "meshgrid": "meshgrid", "sin": "sin", "sinh": "sinh",
                     "cos": "cos", "cosh": "cosh", "tanh": "tanh", "linspace": "linspace", "exp": "exp",
                     "log": "log", "matmul": "matmul", "concat": "cat", "stack": "stack", "abs": "abs",
                     "eye": "eye", "sigmoid": "sigmoid", "batch_matmul": "bmm"}
_METHOD_ALIASES = {"size": "numel", "reshape": "reshape", "reduce_sum": "sum", "argmax": "argmax",
                   "astype": "type", "transpose": "t", "reduce_mean": "mean", "expand_dims": "unsqueeze",
                   "swapaxes": "swapaxes", "repeat": "repeat"}


def _alias_cases(lib):
    a = np.arange(1, 7, dtype=np.float32).reshape(2, 3) / 4
    b = np.arange(6, dtype=np.float32).reshape(3, 2)
    A, B = lib.tensor(a), lib.tensor(b)
    return {
        "ones_like": (A,), "ones": ((2, 3),), "zeros_like": (A,), "zeros": (2, 3), "tensor": ([[1, 2], [3, 4]],),
        "arange": (1, 7, 2), "meshgrid": (lib.tensor([1, 2, 3]), lib.tensor([4, 5]), ), "sin": (A,),
        "sinh": (A,), "cos": (A,), "cosh": (A,), "tanh": (A,), "linspace": (0, 1, 5), "exp": (A,), "log": (A,),
        "matmul": (A, B), "concat": ((A, A),), "stack": ((A, A),), "abs": (-A,), "eye": (3,), "sigmoid": (A,),
        "batch_matmul": (lib.stack((A, A)), lib.stack((B, B))),
        "size": (A,), "reshape": (A, (3, 2)), "reduce_sum": (A, 1), "argmax": (A,), "astype": (A, lib.int32),
        "transpose": (A,), "reduce_mean": (A,), "expand_dims": (A, 0), "swapaxes": (A, 0, 1),
        "repeat": (A, 2, 1)}


def _as_numpy(x):
    if isinstance(x, (tuple, list)):
        return [_as_numpy(v) for v in x]
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def test_aliases_behave_as_torch():
    pt = _torch()
    mine, theirs = _alias_cases(torch), _alias_cases(pt)
    assert set(mine) == set(_FUNCTION_ALIASES) | set(_METHOD_ALIASES)
    for name, args in mine.items():
        kwargs = {"indexing": "ij"} if name == "meshgrid" else {}
        got = getattr(d2l, name)(*args, **kwargs)
        if name in _FUNCTION_ALIASES:
            want = getattr(pt, _FUNCTION_ALIASES[name])(*theirs[name], **kwargs)
        else:
            x, *rest = theirs[name]
            want = getattr(x, _METHOD_ALIASES[name])(*rest)
        g, w = _as_numpy(got), _as_numpy(want)
        np.testing.assert_allclose(g, w, rtol=1e-6, err_msg=name)
        if hasattr(got, "dtype"):
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1], name


def test_aliases_numpy_to_and_dtypes():
    x = torch.ones(2, 2, requires_grad=True)
    assert isinstance(d2l.numpy(x), np.ndarray)  # detached first, as d2l.numpy does
    assert d2l.to(x, d2l.cpu()).device == torch.device("cpu")
    assert (d2l.int32, d2l.int64, d2l.float32) == (torch.int32, torch.int64, torch.float32)
    assert d2l.nn_Module is nn.Module
    torch.manual_seed(0)
    n = d2l.normal(0, 1, (3, 4))
    assert n.shape == (3, 4) and n.dtype == torch.float32
    assert d2l.rand(2, 3).shape == (2, 3) and d2l.randn(2, 3).shape == (2, 3)


# ------------------------------------------------------------------ data files
def test_download_uses_the_cache_checks_sha1_and_fails_clearly_offline(tmp_path, monkeypatch):
    import urllib.request
    src = tmp_path / "remote" / "house.csv"
    src.parent.mkdir()
    src.write_text("a,b\n1,2\n")
    sha1 = hashlib.sha1(src.read_bytes()).hexdigest()
    monkeypatch.setitem(d2l.DATA_HUB, "house", (src.as_uri(), sha1))
    folder = tmp_path / "data"
    fname = d2l.download("house", str(folder))
    assert open(fname).read() == "a,b\n1,2\n"

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert d2l.download("house", str(folder)) == fname  # hit cache: no network
    open(fname, "w").write("corrupt")
    with pytest.raises(RuntimeError, match="house.csv") as e:
        d2l.download("house", str(folder))
    assert "copy it to" in str(e.value) and "Pista" in str(e.value)
    assert [p.name for p in folder.iterdir()] == ["house.csv"]  # no temporary file left behind
    with pytest.raises(KeyError, match="DATA_HUB"):
        d2l.download("no such name", str(folder))
    # before: a connection cut mid-file (http.client's IncompleteRead) or Ctrl-C escaped as is and left the
    # .part file behind
    import http.client
    for exc, expected in ((http.client.IncompleteRead(b"a,"), RuntimeError), (KeyboardInterrupt(), KeyboardInterrupt)):
        def cut(*args, **kwargs):
            raise exc
        monkeypatch.setattr(urllib.request, "urlopen", cut)
        with pytest.raises(expected):
            d2l.download("house", str(folder))
        assert [p.name for p in folder.iterdir()] == ["house.csv"]


def test_download_of_the_time_machine_uses_profundos_copy_offline(tmp_path, monkeypatch):
    """The book's section 9.2 cell (``d2l.download(d2l.DATA_URL + 'timemachine.txt', root, sha1)``) runs with no
    network: profundo ships that exact file; a wrong SHA-1 still goes to the network (and fails clearly)."""
    import urllib.request

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    sha1 = "090b5e7e70c295757f55df93cb0a180b9691891a"  # d2l's
    fname = d2l.download(d2l.DATA_URL + "timemachine.txt", str(tmp_path), sha1)
    assert hashlib.sha1(open(fname, "rb").read()).hexdigest() == sha1
    assert open(fname).read().startswith("The Time Machine, by H. G. Wells")
    with pytest.raises(RuntimeError, match="timemachine.txt"):
        d2l.download(d2l.DATA_URL + "timemachine.txt", str(tmp_path / "other"), "0" * 40)


def test_download_extract_a_zip(tmp_path, monkeypatch):
    import zipfile
    archive = tmp_path / "remote" / "corpus.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("corpus/text.txt", "hola")
    monkeypatch.setitem(d2l.DATA_HUB, "corpus", (archive.as_uri(), hashlib.sha1(archive.read_bytes()).hexdigest()))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")  # download_extract uses the book's ../data
    folder = d2l.download_extract("corpus")
    assert open(folder + "/text.txt").read() == "hola"
    assert d2l.download_extract("corpus", "corpus") == folder
    # before: zipfile's bare "[Errno 2] No such file or directory"
    with pytest.raises(FileNotFoundError, match="extract: no file .*missing.zip") as e:
        d2l.extract(str(tmp_path / "missing.zip"))
    assert "Pista:" in str(e.value)


def test_the_readme_examples_run():
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for start, end in (("### The book's code", "## What is here"), ("### El código del libro", "### Lo que ya")):
        part = text[text.index(start):text.index(end)]
        (code,) = re.findall(r"```python\n(.*?)```", part, re.S)
        scope = {}
        exec(compile(code, "README.md", "exec"), scope)
        np.testing.assert_allclose(scope["model"].w.detach().reshape(-1).numpy(), [2, -3.4], atol=0.5)


def test_in_a_real_jupyter_kernel_the_board_updates_one_svg_output(tmp_path, monkeypatch):
    """The book's ProgressBoard demo in a real kernel (as in Jupyter or Colab): the cell ends with one
    picture, the last frame (each frame replaces the previous one), and no file is written."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    import os
    from pathlib import Path
    src = str(Path(__file__).resolve().parent.parent / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import numpy as np\nfrom profundo import d2l\nboard = d2l.ProgressBoard('x')\n"
        "for x in np.arange(0, 2, 0.1):\n    board.draw(x, np.sin(x), 'sin', every_n=2)\n")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1 and "image/svg+xml" in outputs[0]["data"]
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ chapter 12: optimization
def test_train_2d_and_show_trace_2d_as_gradient_descent_chapter(capsys):
    def f_2d(x1, x2):
        return x1 ** 2 + 2 * x2 ** 2

    def f_2d_grad(x1, x2):
        return (2 * x1, 4 * x2)

    def gd_2d(x1, x2, s1, s2, f_grad):
        g1, g2 = f_grad(x1, x2)
        return (x1 - eta * g1, x2 - eta * g2, 0, 0)

    eta = 0.1
    results = d2l.train_2d(gd_2d, f_grad=f_2d_grad)
    assert len(results) == 21
    assert results[-1] == pytest.approx((-5 * 0.8 ** 20, -2 * 0.6 ** 20))  # x <- (1 - 2 eta) x, (1 - 4 eta) x
    assert capsys.readouterr().out.startswith("epoch 20, x1: -0.057646, x2: -0.000073")
    d2l.show_trace_2d(f_2d, results)
    assert plt.gca().get_xlabel() == "x1" and plt.gca().get_lines()[0].get_xdata()[0] == -5
    for bad in (0, -1, 2.5):  # before: a bare UnboundLocalError (or range's TypeError)
        with pytest.raises(ValueError, match="train_2d: steps must be a positive int"):
            d2l.train_2d(gd_2d, steps=bad, f_grad=f_2d_grad)


def _airfoil(tmp_path, monkeypatch, n=400):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.1 * rng.normal(size=n)
    path = tmp_path / "airfoil_self_noise.dat"
    np.savetxt(path, np.column_stack([X, y]), delimiter="\t", fmt="%.6f")
    monkeypatch.setitem(d2l.DATA_HUB, "airfoil", (path.as_uri(), hashlib.sha1(path.read_bytes()).hexdigest()))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")


def test_train_ch11_with_the_book_sgd(tmp_path, monkeypatch):
    _airfoil(tmp_path, monkeypatch)

    def sgd(params, states, hyperparams):
        for p in params:
            p.data.sub_(hyperparams["lr"] * p.grad)
            p.grad.data.zero_()

    data_iter, feature_dim = d2l.get_data_ch11(10, n=400)
    assert feature_dim == 5 and len(data_iter) == 40
    X, y = next(iter(data_iter))
    assert X.shape == (10, 5) and y.shape == (10,)
    times, losses = d2l.train_ch11(sgd, None, {"lr": 0.05}, data_iter, feature_dim, num_epochs=1)
    assert len(times) == len(losses) == 2 and losses[1] < losses[0] < 0.5  # 0.5: the standardized y's start
    d2l.train_concise_ch11(torch.optim.SGD, {"lr": 0.05}, data_iter, num_epochs=1)
    assert (tmp_path / "work" / "animator.png").is_file()
