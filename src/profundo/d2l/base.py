"""profundo.d2l: the book's object-oriented core (d2l 1.0.3, chapter 3.2 "Object-Oriented Design").

``HyperParameters``, ``add_to_class``, ``ProgressBoard``, ``Module``, ``DataModule``, ``Trainer``, ``SGD``,
``Classifier``, the small utilities ``Timer`` and ``Accumulator``, and the device helpers (``cpu``, ``gpu``,
``num_gpus``, ``try_gpu``, ``try_all_gpus``), with the book's names, signatures and behaviour, on profundo.

Devices, honestly: profundo has no GPU backend, so ``num_gpus()`` is 0, ``try_gpu()`` is the CPU and
``try_all_gpus()`` is ``[]`` (what d2l 1.0.3 returns on a machine without GPUs).  ``Trainer(num_gpus=1)``,
which the book writes from chapter 7 on, means "use up to one GPU" in d2l; here it trains on the CPU and
says so with a warning.
"""
import collections
import hashlib
import http.client
import inspect
import os
import shutil
import tarfile
import tempfile
import time
import urllib.request
import warnings
import zipfile

import numpy as np

from .. import cuda, float32, nn, optim
from .._device import device as _device
from .._errors import error
from ..autograd.grad_mode import no_grad
from ..random import randn
from ..nn import functional as F
from ..utils.data import DataLoader, TensorDataset
from .plotting import flush_figures, new_figure, show_figure, use_svg_display

__all__ = ["add_to_class", "HyperParameters", "ProgressBoard", "Module", "DataModule", "Trainer", "SGD",
           "Classifier", "Timer", "Accumulator", "Benchmark", "cpu", "gpu", "num_gpus", "try_gpu", "try_all_gpus",
           "DATA_HUB", "DATA_URL", "download", "extract", "download_extract", "download_all"]


def add_to_class(Class):
    """Register functions as methods in created class (the book splits a class over several cells)."""
    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
    return wrapper


class HyperParameters:
    """The base class of hyperparameters."""

    def save_hyperparameters(self, ignore=()):
        """Save the caller's arguments (its local variables, as in d2l) into class attributes, and the lot
        into ``self.hparams``; names in ``ignore``, ``self`` and names starting with ``_`` are skipped."""
        frame = inspect.currentframe().f_back
        local_vars = dict(frame.f_locals)
        skip = set(ignore) | {"self"}
        self.hparams = {k: v for k, v in local_vars.items() if k not in skip and not k.startswith("_")}
        for k, v in self.hparams.items():
            setattr(self, k, v)


class ProgressBoard(HyperParameters):
    """The board that plots data points in animation: ``draw(x, y, label, every_n)`` adds a point to the
    curve ``label``, averaging every ``every_n`` points into one.  In Jupyter/Colab the figure updates in
    place; elsewhere it is written to ``path`` (a PNG file; not in the book), at most once a second and
    at the end of ``Trainer.fit``.
    ``display=False`` only records the points (in ``board.data``)."""

    def __init__(self, xlabel=None, ylabel=None, xlim=None, ylim=None, xscale="linear", yscale="linear",
                 ls=("-", "--", "-.", ":"), colors=("C0", "C1", "C2", "C3"), fig=None, axes=None,
                 figsize=(3.5, 2.5), display=True, path="progress.png"):
        self.save_hyperparameters()

    def draw(self, x, y, label, every_n=1):
        Point = collections.namedtuple("Point", ["x", "y"])
        if not hasattr(self, "raw_points"):
            self.raw_points = collections.OrderedDict()
            self.data = collections.OrderedDict()
        if label not in self.raw_points:
            self.raw_points[label] = []
            self.data[label] = []
        points = self.raw_points[label]
        points.append(Point(x, y))
        if len(points) != every_n:
            return
        mean = lambda v: sum(v) / len(v)  # noqa: E731
        self.data[label].append(Point(mean([p.x for p in points]), float(mean([p.y for p in points]))))
        points.clear()
        if self.display:
            self._redraw()

    def _redraw(self):
        use_svg_display()
        if self.fig is None:
            self.fig = self.axes.figure if self.axes is not None else new_figure(self.figsize)
        axes = self.axes if self.axes is not None else (self.fig.axes[0] if self.fig.axes else self.fig.gca())
        if not hasattr(self, "_lines"):
            self._lines = {}
        # one Line2D per curve, updated in place: a long training does not pile up artists
        for (label, points), ls, color in zip(self.data.items(), self.ls, self.colors):
            xs, ys = [p.x for p in points], [p.y for p in points]
            if label in self._lines:
                self._lines[label].set_data(xs, ys)
            else:
                self._lines[label] = axes.plot(xs, ys, linestyle=ls, color=color, label=label)[0]
        axes.relim()
        axes.autoscale_view()
        if self.xlim:
            axes.set_xlim(self.xlim)
        if self.ylim:
            axes.set_ylim(self.ylim)
        axes.set_xlabel(self.xlabel or "")  # (d2l falls back to a self.x that does not exist and fails)
        axes.set_ylabel(self.ylabel or "")
        axes.set_xscale(self.xscale)
        axes.set_yscale(self.yscale)
        axes.legend(list(self._lines.values()), list(self._lines))
        show_figure(self.fig, self.path, "ProgressBoard")


def _check_points_per_epoch(op, **values):
    # Module.plot divides the batches of an epoch by them (0: ZeroDivisionError at the first batch)
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
            raise error(ValueError, op, f"{name} must be a number > 0 (points per epoch), got {value!r}",
                        f"p. ej. {name}=1")


class Module(nn.Module, HyperParameters):
    """The base class of models: an ``nn.Module`` that knows its loss, its optimizer and how to plot."""

    def __init__(self, plot_train_per_epoch=2, plot_valid_per_epoch=1):
        super().__init__()
        _check_points_per_epoch(type(self).__name__, plot_train_per_epoch=plot_train_per_epoch,
                                plot_valid_per_epoch=plot_valid_per_epoch)
        self.save_hyperparameters()  # (reads this frame's locals: no loop variables here)
        self.board = ProgressBoard()

    def loss(self, y_hat, y):
        raise NotImplementedError

    def forward(self, X):
        if not hasattr(self, "net"):
            raise error(AssertionError, type(self).__name__, "Neural network is defined: Module.forward calls "
                        "self.net, which this model does not have; set self.net or define forward",
                        "define self.net = nn.Sequential(...) en __init__ o escribe tu propio forward")
        return self.net(X)

    def plot(self, key, value, train):
        """Plot a point in animation: ``train_<key>`` at fractions of an epoch, ``val_<key>`` per epoch."""
        if not hasattr(self, "trainer"):
            raise error(AssertionError, type(self).__name__, "Trainer is not inited: plot needs the trainer that "
                        "fits this model (trainer.fit(model, data) sets model.trainer)",
                        "entrena con d2l.Trainer(...).fit(model, data) antes de dibujar")
        self.board.xlabel = "epoch"
        if train:
            x = self.trainer.train_batch_idx / self.trainer.num_train_batches
            n = self.trainer.num_train_batches / self.plot_train_per_epoch
        else:
            x = self.trainer.epoch + 1
            n = self.trainer.num_val_batches / self.plot_valid_per_epoch
        # d2l passes int(n), which is 0 when an epoch has fewer batches than points per epoch and then
        # nothing is ever drawn; at least one batch per point draws every batch instead
        self.board.draw(x, value.detach().to(cpu()).numpy(), ("train_" if train else "val_") + key,
                        every_n=max(1, int(n)))

    def training_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])  # noqa: E741
        self.plot("loss", l, train=True)
        return l

    def validation_step(self, batch):
        l = self.loss(self(*batch[:-1]), batch[-1])  # noqa: E741
        self.plot("loss", l, train=False)

    def configure_optimizers(self):
        return optim.SGD(self.parameters(), lr=self.lr)

    def apply_init(self, inputs, init=None):
        """Run a forward pass (which shapes the lazy layers), then ``self.net.apply(init)``."""
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)


class DataModule(HyperParameters):
    """The base class of data: ``train_dataloader()`` and ``val_dataloader()`` come from ``get_dataloader``."""

    def __init__(self, root="../data", num_workers=4):
        self.save_hyperparameters()

    def get_dataloader(self, train):
        raise NotImplementedError

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        """A DataLoader over ``tensors[i][indices]``, shuffled when ``train``."""
        tensors = tuple(a[indices] for a in tensors)
        dataset = TensorDataset(*tensors)
        return DataLoader(dataset, self.batch_size, shuffle=train)


class Trainer(HyperParameters):
    """The base class for training models with data: ``fit(model, data)`` runs ``max_epochs`` epochs of
    ``model.training_step`` + optimizer step, then ``model.validation_step`` on the validation batches."""

    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0):
        self.save_hyperparameters()
        if not isinstance(num_gpus, (int, np.integer)) or isinstance(num_gpus, bool) or num_gpus < 0:
            raise error(ValueError, "Trainer", f"num_gpus must be a non-negative int, got {num_gpus!r}",
                        "usa num_gpus=0 (CPU) o num_gpus=1")
        # checked here: a wrong value would otherwise fail deep inside fit (range("3")) or, for
        # gradient_clip_val, silently never clip (a negative bound) or fail at the first comparison
        if not isinstance(max_epochs, (int, np.integer)) or isinstance(max_epochs, bool) or max_epochs < 0:
            raise error(ValueError, "Trainer", f"max_epochs must be a non-negative int, got {max_epochs!r}",
                        "p. ej. d2l.Trainer(max_epochs=10)")
        if (isinstance(gradient_clip_val, bool) or not isinstance(gradient_clip_val, (int, float, np.integer,
                                                                                     np.floating))
                or not gradient_clip_val >= 0):
            raise error(ValueError, "Trainer", f"gradient_clip_val must be a number >= 0 (0: no clipping), got "
                        f"{gradient_clip_val!r}", "usa gradient_clip_val=1 (recorta la norma a 1) o 0 (sin recorte)")
        if num_gpus > num_gpus_available():
            warnings.warn(f"Trainer(num_gpus={num_gpus}): profundo has no GPU backend "
                          f"(d2l.num_gpus() is {num_gpus_available()}), so the model trains on the CPU",
                          UserWarning, stacklevel=2)
        self.gpus = [gpu(i) for i in range(min(num_gpus, num_gpus_available()))]

    def prepare_data(self, data):
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = len(self.train_dataloader)
        self.num_val_batches = len(self.val_dataloader) if self.val_dataloader is not None else 0

    def prepare_model(self, model):
        model.trainer = self
        model.board.xlim = [0, self.max_epochs]
        if self.gpus:
            model.to(self.gpus[0])
        self.model = model

    def fit(self, model, data):
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.epoch = 0
        self.train_batch_idx = 0
        self.val_batch_idx = 0
        for self.epoch in range(self.max_epochs):
            self.fit_epoch()
        flush_figures()  # outside a notebook: the PNG file shows the final curves

    def prepare_batch(self, batch):
        if self.gpus:
            batch = [a.to(self.gpus[0]) for a in batch]
        return batch

    def fit_epoch(self):
        self.model.train()
        for batch in self.train_dataloader:
            loss = self.model.training_step(self.prepare_batch(batch))
            self.optim.zero_grad()
            # as in the book: backward() and the update run with grad mode off (the graph was recorded
            # in training_step; the in-place updates of the parameters must not be recorded)
            with no_grad():
                loss.backward()
                if self.gradient_clip_val > 0:
                    self.clip_gradients(self.gradient_clip_val, self.model)
                self.optim.step()
            self.train_batch_idx += 1
        if self.val_dataloader is None:
            return
        self.model.eval()
        for batch in self.val_dataloader:
            with no_grad():
                self.model.validation_step(self.prepare_batch(batch))
            self.val_batch_idx += 1

    def clip_gradients(self, grad_clip_val, model):
        """Rescale all gradients together so that their global L2 norm is at most ``grad_clip_val``."""
        _clip_global_norm(model.parameters(), grad_clip_val)


def _clip_global_norm(params, theta):
    """Rescale the gradients of ``params`` together so that their global L2 norm is at most ``theta``
    (``Trainer.clip_gradients`` and ``grad_clipping``)."""
    # a parameter that took no part in the loss has no gradient (d2l would fail on it): it is skipped
    params = [p for p in params if p.requires_grad and p.grad is not None]
    norm = sum((p.grad ** 2).sum() for p in params) ** 0.5
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


class SGD(HyperParameters):
    """Minibatch stochastic gradient descent (the from-scratch optimizer of chapter 3.4)."""

    def __init__(self, params, lr):
        self.save_hyperparameters()

    def step(self):
        for param in self.params:
            param -= self.lr * param.grad

    def zero_grad(self):
        for param in self.params:
            if param.grad is not None:
                param.grad.zero_()


class Classifier(Module):
    """The base class of classification models: cross-entropy loss and accuracy."""

    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot("loss", self.loss(Y_hat, batch[-1]), train=False)
        self.plot("acc", self.accuracy(Y_hat, batch[-1]), train=False)

    def accuracy(self, Y_hat, Y, averaged=True):
        """The fraction (``averaged``) or the 0/1 vector of correct predictions."""
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        preds = Y_hat.argmax(axis=1).type(Y.dtype)
        compare = (preds == Y.reshape(-1)).type(float32)
        return compare.mean() if averaged else compare

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none")

    def layer_summary(self, X_shape):
        """Print each layer of ``self.net`` with the shape of its output for a random input of ``X_shape``."""
        X = randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)


class Timer:
    """Record multiple running times."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        """Start the timer."""
        self.tik = time.time()

    def stop(self):
        """Stop the timer and record the time in a list."""
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        """Return the average time."""
        return sum(self.times) / len(self.times)

    def sum(self):
        """Return the sum of time."""
        return sum(self.times)

    def cumsum(self):
        """Return the accumulated time."""
        return np.array(self.times).cumsum().tolist()


class Accumulator:
    """For accumulating sums over ``n`` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        # d2l zips, so a wrong count silently drops values (or shortens the accumulator)
        if len(args) != len(self.data):
            raise error(ValueError, "Accumulator.add", f"this Accumulator sums {len(self.data)} variables, got "
                        f"{len(args)} values", f"pasa exactamente {len(self.data)} valores a add")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


class Benchmark:
    """For measuring running time: ``with d2l.Benchmark('numpy'): ...`` prints the seconds the block took."""

    def __init__(self, description="Done"):
        self.description = description

    def __enter__(self):
        self.timer = Timer()
        return self

    def __exit__(self, *args):
        print(f"{self.description}: {self.timer.stop():.4f} sec")


# ------------------------------------------------------------------ devices
def cpu():
    """Get the CPU device."""
    return _device("cpu")


def gpu(i=0):
    """Get a GPU device (the object only: profundo cannot place tensors on it, ``.to(gpu())`` raises)."""
    return _device(f"cuda:{i}")


def num_gpus():
    """Get the number of available GPUs: 0, profundo has no GPU backend (``profundo.cuda.device_count()``)."""
    return cuda.device_count()


num_gpus_available = num_gpus  # Trainer's argument shadows the function's name inside __init__


def try_gpu(i=0):
    """Return gpu(i) if exists, otherwise return cpu()."""
    if num_gpus() >= i + 1:
        return gpu(i)
    return cpu()


def try_all_gpus():
    """Return all available GPUs: ``[]`` here, as d2l 1.0.3 returns on a machine without GPUs."""
    return [gpu(i) for i in range(num_gpus())]


# ------------------------------------------------------------------ data files (the book's DATA_HUB)
DATA_HUB = dict()  # name -> (url, sha1 hash): what download(name) fetches
DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"

DATA_HUB["kaggle_house_train"] = (DATA_URL + "kaggle_house_pred_train.csv", "585e9cc93e70b39160e7921475f9bcd7d31219ce")
DATA_HUB["kaggle_house_test"] = (DATA_URL + "kaggle_house_pred_test.csv", "fa19780a7b011d9b009e8bff8e99922a8ee2eb90")


def _sha1(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url, folder="../data", sha1_hash=None):
    """Download a file to ``folder`` and return the local filepath (``url`` may be a ``DATA_HUB`` name).

    A file already there whose SHA-1 is ``sha1_hash`` is used without any network access; with no
    ``sha1_hash`` a file already there is used as is (d2l would download it again).  The download goes to a
    temporary file, renamed only when complete and verified.  Without internet the error says which file to
    get, from where, and the folder to copy it into."""
    if not url.startswith("http"):  # a DATA_HUB name, as in d2l
        if url not in DATA_HUB:
            raise error(KeyError, "download", f"{url!r} is neither a URL nor a name in d2l.DATA_HUB "
                        f"(names: {sorted(DATA_HUB)})", "registra el archivo: d2l.DATA_HUB[nombre] = (url, sha1)")
        url, sha1_hash = DATA_HUB[url]
    os.makedirs(folder, exist_ok=True)
    fname = os.path.join(folder, url.split("/")[-1])
    if os.path.exists(fname) and (sha1_hash is None or _sha1(fname) == sha1_hash):
        return fname  # hit cache
    if _copy_bundled(fname, sha1_hash):
        return fname  # profundo ships this exact file (The Time Machine): no network needed
    print(f"Downloading {fname} from {url}...")
    fd, tmp = tempfile.mkstemp(prefix=".download.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as response:
            shutil.copyfileobj(response, out, 1 << 20)
        if sha1_hash is not None and _sha1(tmp) != sha1_hash:
            raise ValueError(f"sha1 is {_sha1(tmp)}, expected {sha1_hash}")
        os.replace(tmp, fname)  # atomic: the real name only ever holds a complete file
    except (OSError, ValueError, http.client.HTTPException) as e:  # (a connection cut mid-file: IncompleteRead)
        raise error(RuntimeError, "download", f"could not get {fname} ({e}).\nTo fix it: connect to the internet "
                    f"and try again, or download {url} yourself and copy it to {os.path.abspath(fname)}",
                    f"sin internet, copia el archivo en {os.path.abspath(folder)} y vuelve a ejecutar") from None
    finally:
        # whatever stopped it (also Ctrl-C, or http.client's IncompleteRead): no half file left behind
        if os.path.exists(tmp):
            os.unlink(tmp)
    return fname


def _copy_bundled(fname, sha1_hash):
    """Copy the file profundo ships under the same name when its SHA-1 is the one asked for (so the book's
    cells that call ``d2l.download`` for The Time Machine run offline).  True when copied."""
    from ..text.corpora import BUNDLED
    for path in BUNDLED.values():
        if path.name == os.path.basename(fname) and sha1_hash is not None and _sha1(path) == sha1_hash:
            shutil.copyfile(path, fname)
            return True
    return False


def extract(filename, folder=None):
    """Extract a zip/tar file into ``folder`` (the file's folder by default)."""
    base_dir = os.path.dirname(filename)
    _, ext = os.path.splitext(filename)
    if ext not in (".zip", ".tar", ".gz"):
        raise error(ValueError, "extract", f"Only support zip/tar files, got {filename!r}",
                    "descomprime el archivo a mano")
    if not os.path.isfile(filename):
        raise error(FileNotFoundError, "extract", f"no file {filename!r} to extract", "descárgalo primero: "
                    "d2l.download(nombre) devuelve la ruta que espera extract")
    if folder is None:
        folder = base_dir
    _extract_all(filename, ext, folder)


def _extract_all(filename, ext, folder):
    if ext == ".zip":
        from ..datasets._files import _unsafe_member
        with zipfile.ZipFile(filename, "r") as fp:
            for info in fp.infolist():
                reason = _unsafe_member(info)
                if reason:  # a member that would write outside the folder is refused
                    raise error(RuntimeError, "extract", f"refusing to extract {filename}: member "
                                f"{info.filename!r} has {reason}", "el archivo no es de fiar: bórralo")
            fp.extractall(folder)
    else:
        with tarfile.open(filename, "r") as fp:
            # the "data" filter refuses absolute paths, '..' and links that leave the folder
            if hasattr(tarfile, "data_filter"):
                fp.extractall(folder, filter="data")
            else:  # Python < 3.10.12 has no filters
                fp.extractall(folder)


def download_extract(name, folder=None):
    """Download and extract a zip/tar file; returns the folder of its contents."""
    fname = download(name)
    base_dir = os.path.dirname(fname)
    data_dir, ext = os.path.splitext(fname)
    if ext not in (".zip", ".tar", ".gz"):
        raise error(ValueError, "download_extract", f"Only zip/tar files can be extracted, got {fname!r}",
                    "usa d2l.download para otros archivos")
    _extract_all(fname, ext, base_dir)
    return os.path.join(base_dir, folder) if folder else data_dir


def download_all():
    """Download all files in the DATA_HUB."""
    for name in DATA_HUB:
        download(name)
