"""profundo.d2l: linear networks, classification and the first training loops (the book's chapters 3-6).

The classes of d2l 1.0.3 (``SyntheticRegressionData``, ``LinearRegressionScratch``, ``LinearRegression``,
``SoftmaxRegression``, ``FashionMNIST``) and the functions its library keeps from the book's previous
edition (``synthetic_data``, ``load_array``, ``accuracy``, ``train_ch3``, ``train_ch6``, ...), and the
helpers of the optimization chapter (``train_2d``, ``show_trace_2d``, ``get_data_ch11``, ``train_ch11``,
``train_concise_ch11``), on profundo.

``FashionMNIST`` reads the data through ``profundo.datasets.FashionMNIST`` (torchvision's files and folder
layout: ``<root>/FashionMNIST/raw``); without internet and without the files it stops with an error that
lists the files and where to copy them.
"""
import numpy as np

from .. import from_numpy, nn, optim
from .._errors import error
from ..autograd.grad_mode import no_grad
from ..creation import zeros
from ..random import normal, randn
from ..utils.data import DataLoader, TensorDataset
from .aliases import arange, meshgrid
from .base import (DATA_HUB, DATA_URL, Accumulator, Classifier, DataModule, Module, SGD, Timer, _clip_global_norm,
                   download)
from .plotting import Animator, flush_figures, plt, set_figsize, show_images

__all__ = ["SyntheticRegressionData", "LinearRegressionScratch", "LinearRegression", "SoftmaxRegression",
           "FashionMNIST", "synthetic_data", "linreg", "squared_loss", "sgd", "load_array",
           "get_fashion_mnist_labels", "get_dataloader_workers", "load_data_fashion_mnist", "accuracy",
           "evaluate_accuracy", "train_epoch_ch3", "train_ch3", "predict_ch3", "evaluate_loss",
           "evaluate_accuracy_gpu", "train_ch6", "grad_clipping",
           "annotate", "train_2d", "show_trace_2d", "get_data_ch11", "train_ch11", "train_concise_ch11"]

_FASHION_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                   "ankle boot"]


class SyntheticRegressionData(DataModule):
    """Synthetic data for linear regression: ``y = X w + b + noise`` with ``X ~ N(0, 1)``."""

    def __init__(self, w, b, noise=0.01, num_train=1000, num_val=1000, batch_size=32):
        super().__init__()
        self.save_hyperparameters()
        n = num_train + num_val
        self.X = randn(n, len(w))
        noise = randn(n, 1) * noise
        self.y = self.X.matmul(w.reshape((-1, 1))) + b + noise

    def get_dataloader(self, train):
        i = slice(0, self.num_train) if train else slice(self.num_train, None)
        return self.get_tensorloader((self.X, self.y), train, i)


class LinearRegressionScratch(Module):
    """The linear regression model implemented from scratch."""

    def __init__(self, num_inputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.w = normal(0, sigma, (num_inputs, 1), requires_grad=True)
        self.b = zeros(1, requires_grad=True)

    def forward(self, X):
        return X.matmul(self.w) + self.b

    def loss(self, y_hat, y):
        l = (y_hat - y) ** 2 / 2  # noqa: E741
        return l.mean()

    def configure_optimizers(self):
        return SGD([self.w, self.b], self.lr)


class LinearRegression(Module):
    """The linear regression model implemented with high-level APIs (``nn.LazyLinear``, ``nn.MSELoss``)."""

    def __init__(self, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.LazyLinear(1)
        # as in the book; note that a lazy layer re-initializes its weights when it learns its input size,
        # exactly as PyTorch's does, so these two lines only matter for an already shaped layer
        self.net.weight.data.normal_(0, 0.01)
        self.net.bias.data.fill_(0)

    def forward(self, X):
        return self.net(X)

    def loss(self, y_hat, y):
        fn = nn.MSELoss()
        return fn(y_hat, y)

    def configure_optimizers(self):
        return optim.SGD(self.parameters(), self.lr)

    def get_w_b(self):
        return (self.net.weight.data, self.net.bias.data)


class SoftmaxRegression(Classifier):
    """The softmax regression model: ``Flatten`` then ``LazyLinear(num_outputs)``."""

    def __init__(self, num_outputs, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_outputs))

    def forward(self, X):
        return self.net(X)


class FashionMNIST(DataModule):
    """The Fashion-MNIST dataset: images (1, *resize) in [0, 1] and labels 0..9, from ``self.root``
    (``../data`` as in the book)."""

    def __init__(self, batch_size=64, resize=(28, 28)):
        super().__init__()
        self.save_hyperparameters()
        from .. import datasets, transforms
        trans = transforms.Compose([transforms.Resize(resize), transforms.ToTensor()])
        self.train = datasets.FashionMNIST(root=self.root, train=True, transform=trans, download=True)
        self.val = datasets.FashionMNIST(root=self.root, train=False, transform=trans, download=True)

    def text_labels(self, indices):
        """Return text labels."""
        return [_FASHION_LABELS[int(i)] for i in indices]

    def get_dataloader(self, train):
        data = self.train if train else self.val
        return DataLoader(data, self.batch_size, shuffle=train, num_workers=self.num_workers)

    def visualize(self, batch, nrows=1, ncols=8, labels=()):
        X, y = batch
        if not labels:
            labels = self.text_labels(y)
        show_images(X.squeeze(1), nrows, ncols, titles=labels)


# ------------------------------------------------- the library's functions from the previous edition
def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = normal(0, 1, (num_examples, len(w)))
    y = X.matmul(w) + b
    y += normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def linreg(X, w, b):
    """The linear regression model."""
    return X.matmul(w) + b


def squared_loss(y_hat, y):
    """Squared loss."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def load_array(data_arrays, batch_size, is_train=True):
    """Construct a data iterator (a ``DataLoader`` over a ``TensorDataset``)."""
    dataset = TensorDataset(*data_arrays)
    return DataLoader(dataset, batch_size, shuffle=is_train)


def get_fashion_mnist_labels(labels):
    """Return text labels for the Fashion-MNIST dataset."""
    return [_FASHION_LABELS[int(i)] for i in labels]


def get_dataloader_workers():
    """Use 4 processes to read the data."""
    return 4


def load_data_fashion_mnist(batch_size, resize=None):
    """Load the Fashion-MNIST dataset (from ``../data``, downloading it when missing) into two loaders."""
    from .. import datasets, transforms
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = datasets.FashionMNIST(root="../data", train=True, transform=trans, download=True)
    mnist_test = datasets.FashionMNIST(root="../data", train=False, transform=trans, download=True)
    return (DataLoader(mnist_train, batch_size, shuffle=True, num_workers=get_dataloader_workers()),
            DataLoader(mnist_test, batch_size, shuffle=False, num_workers=get_dataloader_workers()))


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def _mean(metric, total, count, op):
    """``metric[total] / metric[count]``, with a clear error for a loader that gave no example (d2l divides by 0)."""
    if metric[count] == 0:
        raise error(ValueError, op, "the data iterator gave no example (0 batches, or batches of 0 rows), so there "
                    "is nothing to average", "comprueba el DataLoader: ¿está vacío el conjunto de datos?")
    return metric[total] / metric[count]


def evaluate_accuracy(net, data_iter):
    """Compute the accuracy for a model on a dataset."""
    if isinstance(net, nn.Module):
        net.eval()  # Set the model to evaluation mode
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    with no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return _mean(metric, 0, 1, "evaluate_accuracy")


def train_epoch_ch3(net, train_iter, loss, updater):
    """The training loop defined in Chapter 3: returns (mean loss, accuracy) over the epoch."""
    if isinstance(net, nn.Module):
        net.train()
    metric = Accumulator(3)  # Sum of training loss, sum of training accuracy, no. of examples
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)  # noqa: E741
        if isinstance(updater, optim.Optimizer):
            # a built-in optimizer with a built-in loss (mean over the batch)
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            # a custom optimizer (sgd above) with a custom loss (one value per example)
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return _mean(metric, 0, 2, "train_epoch_ch3"), _mean(metric, 1, 2, "train_epoch_ch3")


def train_ch3(net, train_iter, test_iter, loss, num_epochs, updater):
    """Train a model (defined in Chapter 3), plotting train loss, train and test accuracy."""
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=["train loss", "train acc", "test acc"])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))
    flush_figures()
    train_loss, train_acc = train_metrics
    # the book's checks that the training worked, kept as they are
    assert train_loss < 0.5, train_loss
    assert train_acc <= 1 and train_acc > 0.7, train_acc
    assert test_acc <= 1 and test_acc > 0.7, test_acc


def predict_ch3(net, test_iter, n=6):
    """Predict labels (defined in Chapter 3) and show the first ``n`` images with true/predicted labels."""
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [true + "\n" + pred for true, pred in zip(trues, preds)]
    show_images(X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])


def evaluate_loss(net, data_iter, loss):
    """Evaluate the loss of a model on the given dataset."""
    metric = Accumulator(2)  # Sum of losses, no. of examples
    for X, y in data_iter:
        out = net(X)
        y = y.reshape(out.shape)
        l = loss(out, y)  # noqa: E741
        metric.add(l.sum(), l.numel())
    return _mean(metric, 0, 1, "evaluate_loss")


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Compute the accuracy for a model on a dataset (on ``device``, the model's by default)."""
    if isinstance(net, nn.Module):
        net.eval()  # Set the model to evaluation mode
        if not device:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    with no_grad():
        for X, y in data_iter:
            if isinstance(X, list):
                X = [x.to(device) for x in X]  # required for BERT fine-tuning in the book
            else:
                X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return _mean(metric, 0, 1, "evaluate_accuracy_gpu")


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model on ``device`` (defined in Chapter 6): Xavier init, SGD, cross-entropy."""
    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:  # noqa: E721  (the book's test)
            nn.init.xavier_uniform_(m.weight)
    net.apply(init_weights)
    print("training on", device)
    net.to(device)
    optimizer = optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs], legend=["train loss", "train acc", "test acc"])
    timer, num_batches = Timer(), len(train_iter)
    for epoch in range(num_epochs):
        metric = Accumulator(3)  # Sum of training loss, sum of training accuracy, no. of examples
        net.train()
        for i, (X, y) in enumerate(train_iter):
            timer.start()
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741
            l.backward()
            optimizer.step()
            with no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
            timer.stop()
            train_l = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
            if (i + 1) % max(1, num_batches // 5) == 0 or i == num_batches - 1:
                animator.add(epoch + (i + 1) / num_batches, (train_l, train_acc, None))
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        animator.add(epoch + 1, (None, None, test_acc))
    flush_figures()
    print(f"loss {train_l:.3f}, train acc {train_acc:.3f}, test acc {test_acc:.3f}")
    print(f"{metric[2] * num_epochs / timer.sum():.1f} examples/sec on {str(device)}")


def grad_clipping(net, theta):
    """Clip the gradient (the book's 2nd edition; d2l 1.0 does it in ``Trainer.clip_gradients``): rescale all
    gradients together when their global L2 norm exceeds ``theta``.  ``net`` is an ``nn.Module`` or an object
    with a ``params`` list (the 2nd edition's from-scratch models)."""
    _clip_global_norm(net.parameters() if isinstance(net, nn.Module) else net.params, theta)


# ------------------------------------------------------------------ chapter 12: optimization algorithms
def annotate(text, xy, xytext):
    """Write ``text`` at ``xytext`` with an arrow pointing to ``xy`` on the current axes."""
    plt.gca().annotate(text, xy=xy, xytext=xytext, arrowprops=dict(arrowstyle="->"))


def train_2d(trainer, steps=20, f_grad=None):
    """Optimize a 2D objective function with a customized trainer, from (-5, -2); the list of points."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        # (d2l then fails printing the last epoch with an UnboundLocalError)
        raise error(ValueError, "train_2d", f"steps must be a positive int, got {steps!r}", "p. ej. steps=20")
    # s1 and s2 are internal state variables used by momentum, adagrad and RMSProp
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for i in range(steps):
        if f_grad:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        else:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    print(f"epoch {i + 1}, x1: {float(x1):f}, x2: {float(x2):f}")
    return results


def show_trace_2d(f, results):
    """Show the trace of 2D variables during optimization over the contour lines of ``f``."""
    set_figsize()
    plt.plot(*zip(*results), "-o", color="#ff7f0e")
    x1, x2 = meshgrid(arange(-5.5, 1.0, 0.1), arange(-3.0, 1.0, 0.1), indexing="ij")
    plt.contour(x1, x2, f(x1, x2), colors="#1f77b4")
    plt.xlabel("x1")
    plt.ylabel("x2")


DATA_HUB["airfoil"] = (DATA_URL + "airfoil_self_noise.dat", "76e5be1548fd8222e5074cf0faae75edff8cf93f")


def get_data_ch11(batch_size=10, n=1500):
    """NASA's airfoil self-noise data, standardized: a loader of the first ``n`` examples and the number
    of features."""
    data = np.genfromtxt(download("airfoil"), dtype=np.float32, delimiter="\t")
    data = from_numpy((data - data.mean(axis=0)) / data.std(axis=0))
    data_iter = load_array((data[:n, :-1], data[:n, -1]), batch_size, is_train=True)
    return data_iter, data.shape[1] - 1


def train_ch11(trainer_fn, states, hyperparams, data_iter, feature_dim, num_epochs=2):
    """Train linear regression with a from-scratch optimizer ``trainer_fn(params, states, hyperparams)``;
    returns the cumulative times and the losses plotted."""
    w = normal(mean=0.0, std=0.01, size=(feature_dim, 1), requires_grad=True)
    b = zeros((1), requires_grad=True)
    net, loss = lambda X: linreg(X, w, b), squared_loss
    animator = Animator(xlabel="epoch", ylabel="loss", xlim=[0, num_epochs], ylim=[0.22, 0.35])
    n, timer = 0, Timer()
    for _ in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y).mean()  # noqa: E741
            l.backward()
            trainer_fn([w, b], states, hyperparams)
            n += X.shape[0]
            if n % 200 == 0:
                timer.stop()
                animator.add(n / X.shape[0] / len(data_iter), (evaluate_loss(net, data_iter, loss),))
                timer.start()
    flush_figures()
    print(f"loss: {animator.Y[0][-1]:.3f}, {timer.sum() / num_epochs:.3f} sec/epoch")
    return timer.cumsum(), animator.Y[0]


def train_concise_ch11(trainer_fn, hyperparams, data_iter, num_epochs=4):
    """Train linear regression (5 features) with a built-in optimizer class ``trainer_fn``."""
    net = nn.Sequential(nn.Linear(5, 1))

    def init_weights(module):
        if type(module) == nn.Linear:  # noqa: E721  (the book's test)
            nn.init.normal_(module.weight, std=0.01)
    net.apply(init_weights)
    optimizer = trainer_fn(net.parameters(), **hyperparams)
    loss = nn.MSELoss(reduction="none")
    animator = Animator(xlabel="epoch", ylabel="loss", xlim=[0, num_epochs], ylim=[0.22, 0.35])
    n, timer = 0, Timer()
    for _ in range(num_epochs):
        for X, y in data_iter:
            optimizer.zero_grad()
            out = net(X)
            y = y.reshape(out.shape)
            l = loss(out, y)  # noqa: E741
            l.mean().backward()
            optimizer.step()
            n += X.shape[0]
            if n % 200 == 0:
                timer.stop()
                # MSELoss computes the squared error without the 1/2 factor
                animator.add(n / X.shape[0] / len(data_iter), (evaluate_loss(net, data_iter, loss) / 2,))
                timer.start()
    flush_figures()
    print(f"loss: {animator.Y[0][-1]:.3f}, {timer.sum() / num_epochs:.3f} sec/epoch")
