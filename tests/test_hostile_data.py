"""Issue 10, section 3: what a hostile or careless user found in the data tools.

DataLoader with a temporary loader and persistent workers; samples or datasets
that cannot be pickled (these run in a subprocess with a hard timeout, so a
regression fails instead of hanging); MovieLens offline and with damaged
files (no network: every URL is a local ``file://`` one, and any other attempt
fails); ``dataset_from_dataframe`` with ambiguous columns; ``viz.draw``
keeping the caller's locals alive.
"""
import gc
import hashlib
import json
import subprocess
import sys
import weakref
import zipfile
from pathlib import Path

import numpy as np
import pytest

import profundo
from profundo import datasets
from profundo._errors import is_checked
from profundo.datasets import movielens
from profundo.utils.data import DataLoader, TensorDataset

SRC = Path(__file__).resolve().parents[1] / "src"


def checked(exc_info):
    assert is_checked(exc_info.value) and "Pista" in str(exc_info.value), str(exc_info.value)
    return str(exc_info.value)


# ------------------------------------------------------------------ DataLoader
@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_temporary_loader_with_persistent_workers_yields_every_batch(context):
    ds = TensorDataset(profundo.arange(10))
    got = [b[0].tolist() for b in DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True,
                                             multiprocessing_context=context)]
    assert got == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_dropping_the_loader_keeps_its_iterator_alive_and_the_iterator_stops_the_workers():
    ds = TensorDataset(profundo.arange(6))
    loader = DataLoader(ds, batch_size=2, num_workers=2, persistent_workers=True)
    it = iter(loader)
    del loader
    gc.collect()
    assert [b[0].tolist() for b in it] == [[0, 1], [2, 3], [4, 5]]
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)  # persistent: they wait for the next epoch
    del it
    gc.collect()
    for w in workers:
        w.join(timeout=10)
        assert not w.is_alive()


_PICKLE_SCRIPT = '''
import json, sys, threading, time
sys.path.insert(0, {src!r})
from profundo._errors import is_checked
from profundo.utils.data import DataLoader, Dataset

class LambdaAt5(Dataset):
    def __len__(self): return 8
    def __getitem__(self, i): return (i, (lambda: i) if i == 5 else i)

class Generators(Dataset):
    def __len__(self): return 4
    def __getitem__(self, i): return (x for x in range(i))

class Locks(Dataset):
    def __len__(self): return 4
    def __getitem__(self, i): return {{"x": i, "lock": threading.Lock()}}

class HoldsALock(Dataset):
    def __init__(self): self.lock = threading.Lock()
    def __len__(self): return 4
    def __getitem__(self, i): return i

def _fail():
    raise ValueError("cannot rebuild this sample")

class NoUnpickle:
    def __reduce__(self): return (_fail, ())

class SendsNoUnpickle(Dataset):
    def __len__(self): return 4
    def __getitem__(self, i): return NoUnpickle()

def keep(batch): return batch

def run(name, ds, **kw):
    t = time.monotonic()
    it = None
    try:
        it = iter(DataLoader(ds, num_workers=2, multiprocessing_context={context!r}, **kw))
        list(it)
        out = {{"error": None}}
    except Exception as e:
        out = {{"error": type(e).__name__, "text": str(e), "checked": is_checked(e)}}
    if it is not None:
        time.sleep(0.2)
        out["alive"] = sum(w.is_alive() for w in it._workers)
    out["seconds"] = time.monotonic() - t
    print(json.dumps([name, out]), flush=True)

if __name__ == "__main__":
    run("lambda", LambdaAt5(), batch_size=2, collate_fn=keep)
    run("generator", Generators(), batch_size=None)
    run("lock", Locks(), batch_size=None)
    run("dataset", HoldsALock(), batch_size=None)
    run("unpickle", SendsNoUnpickle(), batch_size=None)
'''


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_unpicklable_samples_and_datasets_raise_instead_of_hanging(tmp_path, context):
    script = tmp_path / "unpicklable.py"
    script.write_text(_PICKLE_SCRIPT.format(src=str(SRC), context=context))
    # old code: the batch is dropped by the queue's feeder thread and the main process waits for ever
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    results = dict(json.loads(line) for line in proc.stdout.splitlines() if line.startswith("["))
    assert set(results) == {"lambda", "generator", "lock", "dataset", "unpickle"}, proc.stdout + proc.stderr
    ds = results.pop("dataset")
    if context == "fork":  # fork copies the dataset into the workers: nothing is pickled, it works
        assert ds["error"] is None, ds
    else:
        assert ds["error"] == "TypeError" and ds["checked"] and ds["seconds"] < 30, ds
        assert "the dataset.lock (type lock) cannot be pickled" in ds["text"] and "'spawn'" in ds["text"]
    for name, r in results.items():
        assert r["error"] is not None and r["checked"], (name, r)
        assert "Pista" in r["text"] and r["seconds"] < 30, (name, r)
        assert r.get("alive", 0) == 0, (name, r)  # the workers were stopped
    lam = results["lambda"]
    assert lam["error"] == "AttributeError" and "batch 2 (dataset indices [4, 5])" in lam["text"]
    assert "batch[1][1] is of type function" in lam["text"] and "num_workers=0" in lam["text"]
    gen = results["generator"]
    assert gen["error"] == "TypeError" and "(dataset index 0)" in gen["text"] and "generator" in gen["text"]
    assert "batch['lock'] is of type lock" in results["lock"]["text"]
    unp = results["unpickle"]
    assert unp["error"] == "ValueError" and "cannot rebuild this sample" in unp["text"]


# ------------------------------------------------------------------- MovieLens
def _md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


RATINGS_CSV = "userId,movieId,rating,timestamp\n1,10,4.0,1\n2,10,3.5,2\n"
MOVIES_CSV = "movieId,title,genres\n10,A,Drama\n"


@pytest.fixture
def ml32m(tmp_path, monkeypatch):
    """A small ml-32m.zip and its published .md5 on a local 'server' (file:// URLs)."""
    server = tmp_path / "server"
    server.mkdir()
    z = server / "ml-32m.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ml-32m/ratings.csv", RATINGS_CSV)
        zf.writestr("ml-32m/movies.csv", MOVIES_CSV)
    (server / "ml-32m.zip.md5").write_text(f"{_md5(z)}  ml-32m.zip\n")
    monkeypatch.setattr(movielens, "_BASE", server.as_uri() + "/")
    monkeypatch.setitem(movielens._VARIANTS, "32m", (None, "ml-32m", {}))
    return z


def test_movielens_download_false_never_opens_a_url(tmp_path, ml32m, no_network):
    data = tmp_path / "data"
    with pytest.raises(RuntimeError) as e:
        datasets.load_movielens("32m", data, download=False)
    text = checked(e)
    assert no_network == []  # old code downloaded the .md5 even with download=False
    assert "ml-32m.zip.md5" in text and "ml-32m.zip: not found" in text and "download=True" in text
    assert not (data / "ml-32m.zip.md5").exists()
    # the zip alone cannot be verified: the error says the .md5 is what is missing
    data.mkdir()
    (data / "ml-32m.zip").write_bytes(ml32m.read_bytes())
    with pytest.raises(RuntimeError) as e:
        datasets.load_movielens("32m", data, download=False)
    assert "cannot be verified without its md5" in checked(e) and no_network == []
    # with both files copied in (BSD's md5 format too), it loads offline
    (data / "ml-32m.zip.md5").write_text(f"MD5 (ml-32m.zip) = {_md5(ml32m).upper()}\n")
    ml = datasets.load_movielens("32m", data, download=False)
    assert (ml.num_users, ml.num_items, len(ml.ratings)) == (2, 1, 2) and no_network == []


def test_movielens_empty_or_damaged_md5_file(tmp_path, ml32m, no_network):
    data = tmp_path / "data"
    data.mkdir()
    (data / "ml-32m.zip.md5").write_text("")
    with pytest.raises(RuntimeError) as e:
        datasets.load_movielens("32m", data, download=False)
    text = checked(e)
    assert str(data / "ml-32m.zip.md5") in text and "holds no md5" in text and no_network == []
    # with download=True a damaged cached .md5 is replaced by the published one
    ml = datasets.load_movielens("32m", data)
    assert len(ml.ratings) == 2 and (data / "ml-32m.zip.md5").read_text().startswith(_md5(ml32m))
    # a published .md5 that holds no md5 is refused, and not cached
    (ml32m.parent / "ml-32m.zip.md5").write_text("<html>not found</html>")
    other = tmp_path / "other"
    with pytest.raises(RuntimeError) as e:
        datasets.load_movielens("32m", other)
    assert "ml-32m.zip.md5 holds no md5" in checked(e) and not (other / "ml-32m.zip.md5").exists()


def _trusted_folder(root, top, files):
    folder = root / top
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    (folder / movielens._VERIFIED).write_text("made by the test\n")
    return folder


U_ITEM = "2|Two (1995)|01-Jan-1995||http://x\n7|Seven (1995)|01-Jan-1995||http://y\n"
U_USER = "3|24|M|technician|85711\n10|53|F|other|94043\n"


@pytest.mark.parametrize("bad_file, files", [
    ("u.data", {"u.data": "10\t7\t4\t881250949\nabc\t2\t5\t891717742\n", "u.item": U_ITEM, "u.user": U_USER}),
    ("u.data", {"u.data": "10\t7\t4\t881250949\n3\tseven\t5\t891717742\n", "u.item": U_ITEM, "u.user": U_USER}),
    ("u.data", {"u.data": "10\t7\tgood\t881250949\n", "u.item": U_ITEM, "u.user": U_USER}),
    ("u.item", {"u.data": "10\t7\t4\t881250949\n", "u.item": "x|Two|01-Jan-1995||u\n", "u.user": U_USER}),
    ("u.user", {"u.data": "10\t7\t4\t881250949\n", "u.item": U_ITEM, "u.user": "ten|53|F|other|94043\n"}),
])
def test_movielens_text_ids_in_a_trusted_folder_name_the_file(tmp_path, no_network, bad_file, files):
    folder = _trusted_folder(tmp_path, "ml-100k", files)
    with pytest.raises(ValueError) as e:
        datasets.load_movielens("100k", tmp_path, download=False)
    assert str(folder / bad_file) in checked(e) and no_network == []


def test_movielens_text_ids_in_1m_files_name_the_file(tmp_path, no_network):
    folder = _trusted_folder(tmp_path, "ml-1m", {
        "ratings.dat": "1::1193::5::978300760\nuser2::661::3::978302109\n",
        "movies.dat": "661::James (1996)::Animation\n1193::Cuckoo (1975)::Drama\n",
        "users.dat": "1::F::1::10::48067\n2::M::56::16::70072\n"})
    with pytest.raises(ValueError) as e:
        datasets.load_movielens("1m", tmp_path, download=False)
    assert str(folder / "ratings.dat") in checked(e)
    (folder / "ratings.dat").write_text("1::1193::5::978300760\n")
    (folder / "movies.dat").write_text("film::James (1996)::Animation\n")
    with pytest.raises(ValueError) as e:
        datasets.load_movielens("1m", tmp_path, download=False)
    assert str(folder / "movies.dat") in checked(e)


def test_movielens_trusted_folder_still_loads_with_integer_columns(tmp_path, no_network):
    _trusted_folder(tmp_path, "ml-100k", {"u.data": "10\t7\t4\t881250949\n3\t2\t5\t891717742\n",
                                          "u.item": U_ITEM, "u.user": U_USER})
    ml = datasets.load_movielens("100k", tmp_path, download=False)
    assert ml.ratings["rating"].tolist() == [4, 5] and ml.ratings["user"].tolist() == [1, 0]
    assert ml.ratings["user_id"].dtype == np.int64 and no_network == []


# ----------------------------------------------------------------- DataFrames
def _frame_error(exc_type, df, *args, **kw):
    from profundo.utils.data import dataset_from_dataframe
    with pytest.raises(exc_type) as e:
        dataset_from_dataframe(df, *args, **kw)
    return checked(e)


def test_dataframe_with_duplicate_column_names_is_refused():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame([[1, 2, 3, 0], [4, 5, 6, 1]], columns=["a", "b", "a", "y"])
    text = _frame_error(ValueError, df, "y")  # old code: 3 names, 4 features, silently
    assert "several columns named ['a']" in text and "renómbralas" in text
    text = _frame_error(ValueError, df, "y", features=["a"])
    assert "['a']" in text
    df2 = pd.DataFrame([[1, 2, 0, 0], [4, 5, 1, 1]], columns=["a", "b", "y", "y"])
    assert "several columns named ['y']" in _frame_error(ValueError, df2, "y")
    # a duplicated column that is not used is harmless
    from profundo.utils.data import dataset_from_dataframe
    X, y = dataset_from_dataframe(df, "y", features=["b"]).tensors
    assert tuple(X.shape) == (2, 1) and y.tolist() == [0, 1]


def test_dataframe_other_silent_cases_are_refused():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "y": [0, 1]})
    assert "'y' is also in features" in _frame_error(ValueError, df, "y", features=["a", "y"])
    assert "['a'] more than once" in _frame_error(ValueError, df, "y", features=["a", "a"])
    assert "features must be a list" in _frame_error(TypeError, df, "y", features="ab")  # old: ['a', 'b']
    assert "target must be one column" in _frame_error(TypeError, df, ["y"])
    text = _frame_error(TypeError, df.assign(a=[1 + 2j, 3.0]), "y")  # old: imaginary part dropped
    assert "['a'] hold complex" in text
    assert "complex" in _frame_error(TypeError, df.assign(y=[1 + 2j, 3.0]), "y")
    assert "['b'] have infinite" in _frame_error(ValueError, df.assign(b=[np.inf, 1.0]), "y")
    assert "['b'] have infinite" in _frame_error(ValueError, df.assign(b=[1e300, 1.0]), "y")  # inf as float32
    from profundo.utils.data import dataset_from_dataframe
    X, _ = dataset_from_dataframe(df.assign(b=[1e300, 1.0]), "y", dtype=profundo.float64).tensors
    assert X.dtype == profundo.float64 and X.tolist() == [[1.0, 1e300], [2.0, 1.0]]


# ------------------------------------------------------------------------ viz
def test_viz_draw_does_not_keep_the_callers_locals_alive():
    from profundo import viz

    def train_step():
        x = profundo.tensor([1.0, 2.0], requires_grad=True)
        h = x * 3
        y = (h * h).sum()
        g = viz.draw(y)
        assert "h" in g.source and "x" in g.source  # the locals were found and named
        y.backward()
        ref = weakref.ref(h)
        del h, y
        gc.collect()
        freed = ref() is None  # old code: the frame's f_locals snapshot still held h
        np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])
        return freed

    assert train_step()


def test_viz_draw_leaves_module_and_class_namespaces_intact():
    from profundo import viz
    ns = {"profundo": profundo, "viz": viz}
    exec("a = profundo.tensor([1.0], requires_grad=True)\nb = a * 2\ng = viz.draw(b)\n"
         "class C:\n    p = profundo.tensor([1.0], requires_grad=True)\n    q = p * 2\n    g = viz.draw(q)\n", ns)
    assert {"a", "b", "g", "C"} <= set(ns) and "a" in ns["g"].source
    assert ns["C"].q.tolist() == [2.0] and "p" in ns["C"].g.source

    def uses_locals():
        x = profundo.tensor([1.0], requires_grad=True)
        y = x + 1
        viz.draw(y)
        return x, y  # fast locals are untouched (only the stale snapshot is emptied)

    x, y = uses_locals()
    assert y.tolist() == [2.0]


def test_pin_memory_warns_like_torch_without_an_accelerator():
    loader = DataLoader(TensorDataset(profundo.arange(4.0)), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        batches = list(loader)
    assert [b[0].tolist() for b in batches] == [[0.0, 1.0], [2.0, 3.0]]
