"""Fixtures for the book's programs: the book adds methods to d2l's classes as it goes
(``@d2l.add_to_class(d2l.Trainer)``), so each test gets the classes back as they were; and a tiny
Fashion-MNIST look-alike served from a local folder, so the book's ``d2l.FashionMNIST`` runs offline."""
import gzip
import hashlib
import inspect

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path, monkeypatch):
    """The book writes files (../data, saved parameters, figures): they land in tmp_path."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("PROFUNDO_DATA", str(tmp_path / "data"))


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The book's programs multiply small matrices: one BLAS thread, as test_notebooks.py uses (on a busy
    machine extra threads cost far more than they give: nn.LSTM's step here took 3 s with them, 0.04 s without)."""
    import profundo
    before = profundo.get_num_threads()
    try:
        profundo.set_num_threads(1)
    except RuntimeError:  # no threadpoolctl: leave BLAS as it is
        yield
        return
    yield
    profundo.set_num_threads(before)


@pytest.fixture(autouse=True)
def _restore_d2l_classes():
    from profundo import d2l
    classes = {v for v in vars(d2l).values() if inspect.isclass(v) and v.__module__.startswith("profundo.d2l")}
    saved = {cls: dict(vars(cls)) for cls in classes}
    yield
    for cls, attrs in saved.items():
        for name in [n for n in vars(cls) if n not in attrs]:
            delattr(cls, name)
        for name, value in attrs.items():
            if vars(cls).get(name) is not value:
                setattr(cls, name, value)
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _images(rng, labels):
    """28x28 uint8 images whose class is readable: class k lights rows 2k+3..2k+5, plus noise."""
    x = rng.integers(0, 60, size=(len(labels), 28, 28))
    for k in range(10):
        x[labels == k, 2 * k + 3:2 * k + 6, 4:24] += 180
    return x.astype(np.uint8)


@pytest.fixture
def fake_fashion_mnist(tmp_path, monkeypatch):
    """profundo.datasets.FashionMNIST (what d2l.FashionMNIST reads) downloads 600 train and 200 test images
    of the right format from a local folder; the data home is in tmp_path."""
    from profundo.datasets import vision
    from profundo.datasets.idx import write_idx
    server = tmp_path / "server"
    server.mkdir()
    rng = np.random.default_rng(0)
    table = []
    for split, n in [("train", 600), ("t10k", 200)]:
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        for kind, array in [("images-idx3", _images(rng, labels)), ("labels-idx1", labels)]:
            name = f"{split}-{kind}-ubyte.gz"
            write_idx(server / name, array)
            table.append((name, hashlib.md5((server / name).read_bytes()).hexdigest(),
                          hashlib.md5(gzip.decompress((server / name).read_bytes())).hexdigest()))
    monkeypatch.setattr(vision.FashionMNIST, "mirrors", (server.as_uri() + "/",))
    monkeypatch.setattr(vision.FashionMNIST, "resources", tuple(table))
    return tmp_path  # the data home is tmp_path/data, also the book's root='../data' (see _in_tmp_dir)


@pytest.fixture
def no_workers(monkeypatch):
    """d2l's DataModule loads with 4 worker processes by default (num_workers=4); the training programs run
    with 0 here to keep the suite fast on small CI machines (test_image_classification_dataset keeps the
    book's 4 workers)."""
    from profundo import d2l
    monkeypatch.setattr(d2l.DataModule.__init__, "__defaults__", ("../data", 0))


@pytest.fixture
def time_machine_file(tmp_path):
    """The book downloads timemachine.txt into ../data; profundo bundles that very file (same SHA-1 as d2l's
    DATA_HUB entry), so it is put there first and d2l.download finds it without the network."""
    import shutil
    from importlib import resources
    (tmp_path / "data").mkdir(exist_ok=True)
    with resources.as_file(resources.files("profundo.text") / "data" / "timemachine.txt") as src:
        shutil.copy(src, tmp_path / "data" / "timemachine.txt")
    return tmp_path / "data" / "timemachine.txt"
