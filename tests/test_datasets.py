"""profundo.datasets: cache, download, checksums, IDX, zip safety and every loader.

Every test builds its own small files in a temporary folder and downloads
them through ``file://`` URLs: no test uses the network (``no_network``
makes any real attempt fail loudly).
"""
import gzip
import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

import profundo
from profundo import datasets
from profundo._errors import is_checked
from profundo.datasets import _files, movielens, text
from profundo.datasets.idx import read_idx, write_idx

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def md5(path):
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def remote_for(path, name=None, extra_urls=()):
    """A RemoteFile served from a local file through file:// URLs."""
    path = Path(path)
    return _files.RemoteFile(name or path.name, tuple(extra_urls) + (path.as_uri(),), "md5:" + md5(path))


def checked(exc_info):
    assert is_checked(exc_info.value) and "Pista" in str(exc_info.value), str(exc_info.value)
    return str(exc_info.value)


# ------------------------------------------------------------------- cache folder
def test_data_home_root_env_and_default(monkeypatch, tmp_path):
    monkeypatch.delenv("PROFUNDO_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert datasets.data_home() == tmp_path / "cache" / "profundo"
    monkeypatch.setenv("PROFUNDO_DATA", str(tmp_path / "env"))
    assert datasets.data_home() == tmp_path / "env"
    assert datasets.data_home(tmp_path / "given") == tmp_path / "given"


# ---------------------------------------------------------------------- IDX files
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    a = (np.arange(24) - 5).astype(dtype).reshape(2, 3, 4)
    write_idx(tmp_path / f"a{suffix}", a)
    b = read_idx(tmp_path / f"a{suffix}")
    assert b.dtype == np.dtype(dtype) and b.shape == (2, 3, 4)
    np.testing.assert_array_equal(a, b)


def _corrupt_idx(tmp_path, how):
    good = bytes([0, 0, 8, 2]) + np.array([3, 4], ">u4").tobytes() + bytes(range(12))
    data = {"truncated": good[:-3], "extra bytes": good + b"\0", "wrong magic": b"\x12\x34" + good[2:],
            "unknown type": bytes([0, 0, 7]) + good[3:], "short header": good[:6], "empty": b""}.get(how, good)
    path = tmp_path / "bad"
    if how == "truncated gzip":
        path.write_bytes(gzip.compress(good)[:-10])
    elif how == "bad gzip crc":
        z = bytearray(gzip.compress(good))
        z[-6] ^= 0xFF
        path.write_bytes(bytes(z))
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("how", ["truncated", "extra bytes", "wrong magic", "unknown type", "short header", "empty",
                                 "truncated gzip", "bad gzip crc"])
def test_idx_rejects_damaged_files(tmp_path, how):
    with pytest.raises(ValueError) as e:
        read_idx(_corrupt_idx(tmp_path, how))
    assert "bad" in checked(e)


# ------------------------------------------------------------ download and cache
def test_download_tries_mirrors_in_order_and_renames_atomically(tmp_path, no_network):
    src = tmp_path / "server" / "file.bin"
    src.parent.mkdir()
    src.write_bytes(b"payload" * 100)
    dead = (tmp_path / "nowhere" / "file.bin").as_uri()
    remote = remote_for(src, extra_urls=(dead,))
    folder = tmp_path / "cache"
    (path,) = _files.fetch([remote], folder, dataset="test")
    assert path.read_bytes() == src.read_bytes()
    assert no_network == [dead, src.as_uri()]
    assert sorted(p.name for p in folder.iterdir()) == ["file.bin"]  # no temporary file left behind
    # a cache hit does not touch the network at all
    no_network.clear()
    assert _files.fetch([remote], folder, dataset="test") == [path]
    assert no_network == []


def test_wrong_checksum_is_never_loaded(tmp_path, no_network):
    src = tmp_path / "file.bin"
    src.write_bytes(b"the real data")
    bad = _files.RemoteFile("file.bin", (src.as_uri(),), "sha256:" + "0" * 64)
    folder = tmp_path / "cache"
    with pytest.raises(RuntimeError) as e:
        _files.fetch([bad], folder, dataset="demo")
    msg = checked(e)
    assert "checksum mismatch" in msg and str(folder) in msg and "file.bin" in msg
    assert list(folder.iterdir()) == []  # neither the file nor a temporary part of it


def test_corrupt_cached_file_is_replaced_or_reported(tmp_path, no_network):
    src = tmp_path / "data.txt"
    src.write_bytes(b"0123456789" * 50)
    remote = remote_for(src)
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "data.txt").write_bytes(b"0123456789" * 7)  # a partial copy
    (path,) = _files.fetch([remote], folder, dataset="demo")
    assert path.read_bytes() == src.read_bytes()
    (folder / "data.txt").write_bytes(b"garbage")
    offline = _files.RemoteFile("data.txt", ((tmp_path / "gone.txt").as_uri(),), remote.checksum)
    with pytest.raises(RuntimeError) as e:
        _files.fetch([offline], folder, dataset="demo")
    assert "corrupt or incomplete" in checked(e)


def test_offline_error_lists_every_missing_file_and_the_folder(tmp_path, no_network):
    folder = tmp_path / "cache"
    remotes = [_files.RemoteFile(n, ((tmp_path / n).as_uri(),), "md5:" + "0" * 32) for n in ("a.gz", "b.gz")]
    with pytest.raises(RuntimeError) as e:
        _files.fetch(remotes, folder, dataset="demo")
    msg = checked(e)
    assert "a.gz" in msg and "b.gz" in msg and f"copy the files listed above into {folder}" in msg
    with pytest.raises(RuntimeError) as e:
        _files.fetch(remotes, folder, dataset="demo", download=False)
    assert "download=True" in checked(e)
    assert no_network == [(tmp_path / "a.gz").as_uri(), (tmp_path / "b.gz").as_uri()]


def test_recompressed_gzip_is_accepted_by_its_content(tmp_path):
    raw = bytes(range(256)) * 10
    original, other = tmp_path / "o.gz", tmp_path / "r.gz"
    original.write_bytes(gzip.compress(raw, mtime=0))
    other.write_bytes(gzip.compress(raw, compresslevel=1, mtime=123))
    remote = _files.RemoteFile("o.gz", (), "md5:" + md5(original), content_md5=hashlib.md5(raw).hexdigest())
    assert _files.check_file(original, remote) is None and _files.check_file(other, remote) is None
    other.write_bytes(gzip.compress(raw[:-1]))
    assert "expected" in _files.check_file(other, remote)


# --------------------------------------------------------------------- zip files
def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, "target")
            else:
                zf.writestr(name, data)
    return path


def _symlink_member(name):
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16)
    return info


@pytest.mark.parametrize("member", ["../evil.txt", "pkg/../../evil.txt", "/tmp/evil.txt", "C:/evil.txt", "link"])
def test_zip_with_unsafe_members_extracts_nothing(tmp_path, member):
    data = _symlink_member(member) if member == "link" else b"x"
    z = _zip(tmp_path / "a.zip", {"pkg/ok.txt": b"fine", member: data})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError) as e:
        datasets.extract_zip(z, out, "pkg")
    assert "refusing" in checked(e)
    assert list(out.iterdir()) == [] and not (tmp_path / "evil.txt").exists()


def test_zip_extraction_and_damaged_zip(tmp_path):
    z = _zip(tmp_path / "a.zip", {"pkg/a.txt": b"A", "pkg/sub/b.txt": b"B"})
    out = datasets.extract_zip(z, tmp_path, "pkg")
    assert (out / "a.txt").read_bytes() == b"A" and (out / "sub" / "b.txt").read_bytes() == b"B"
    (tmp_path / "bad.zip").write_bytes(z.read_bytes()[:40])
    with pytest.raises(RuntimeError) as e:
        datasets.extract_zip(tmp_path / "bad.zip", tmp_path, "pkg")
    assert "not a valid zip" in checked(e)
    with pytest.raises(RuntimeError) as e:
        datasets.extract_zip(z, tmp_path, "other")
    assert "has no folder" in checked(e)


# ------------------------------------------------------------- MNIST-style sets
def _tiny_mnist(folder, n_train=6, n_test=4, corrupt=None):
    """Write the four IDX files of a tiny MNIST; a subclass of MNIST that downloads them via file://."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train).astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test).astype(np.uint8)}
    for name, a in arrays.items():
        write_idx(folder / name, a)
    if corrupt:
        p = folder / corrupt
        raw = gzip.decompress(p.read_bytes())
        p.write_bytes(gzip.compress(raw[:-28]))  # a whole row missing, but a valid gzip
    resources = tuple((name, md5(folder / name), None) for name in arrays)

    class TinyMNIST(datasets.MNIST):
        mirrors = (folder.as_uri() + "/",)
    TinyMNIST.resources = resources
    TinyMNIST.__name__ = "MNIST"
    return TinyMNIST, arrays


def test_mnist_downloads_caches_and_indexes_like_torchvision(tmp_path, no_network):
    from profundo import transforms
    Tiny, arrays = _tiny_mnist(tmp_path / "server")
    root = tmp_path / "data"
    train = Tiny(root, train=True)
    assert (root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    assert len(train) == 6 and train.data.dtype == profundo.uint8 and train.targets.dtype == profundo.int64
    img, label = train[2]
    assert isinstance(img, np.ndarray) and img.shape == (28, 28) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, arrays["train-images-idx3-ubyte.gz"][2])
    assert label == int(arrays["train-labels-idx1-ubyte.gz"][2]) and isinstance(label, int)
    test = Tiny(root, train=False, transform=transforms.ToTensor(), target_transform=lambda y: y + 100)
    x, y = test[1]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == profundo.float32
    np.testing.assert_allclose(x.numpy()[0], arrays["t10k-images-idx3-ubyte.gz"][1] / 255.0, rtol=1e-6)
    assert y == int(arrays["t10k-labels-idx1-ubyte.gz"][1]) + 100
    calls = len(no_network)
    Tiny(root, train=True)
    assert len(no_network) == calls  # cached: no download
    batches = list(profundo.utils.data.DataLoader(test, batch_size=3))
    assert [tuple(b[0].shape) for b in batches] == [(3, 1, 28, 28), (1, 1, 28, 28)]


def test_mnist_file_damaged_behind_a_matching_checksum_is_still_rejected(tmp_path, no_network):
    Tiny, _ = _tiny_mnist(tmp_path / "server", corrupt="train-images-idx3-ubyte.gz")
    with pytest.raises(ValueError) as e:
        Tiny(tmp_path / "data", train=True)
    assert "truncated" in checked(e)


def test_mnist_offline_error_names_files_and_folder(tmp_path, no_network):
    class Offline(datasets.FashionMNIST):
        mirrors = ((tmp_path / "nothing").as_uri() + "/",)
    Offline.__name__ = "FashionMNIST"
    with pytest.raises(RuntimeError) as e:
        Offline(tmp_path / "data", train=False)
    msg = checked(e)
    assert "t10k-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "data" / "FashionMNIST" / "raw") in msg and "train-images" not in msg


@pytest.mark.skipif(not (SHARED / "mnist").is_dir(), reason="needs ../shared/data/mnist")
def test_real_mnist_test_split_from_shared_copy(tmp_path, no_network):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in (SHARED / "mnist").glob("*.gz"):
        (raw / f.name).write_bytes(f.read_bytes())
    mnist = datasets.MNIST(tmp_path, train=False, download=False)
    assert len(mnist) == 10_000 and tuple(mnist.data.shape) == (10_000, 28, 28)
    assert np.bincount(mnist.targets.numpy()).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(mnist.data.numpy().mean() / 255 - 0.1325) < 1e-3


def test_digits_is_real_offline_and_split():
    pytest.importorskip("sklearn")
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == 359
    img, label = train[0]
    assert img.shape == (8, 8) and img.dtype == np.uint8 and 0 <= label <= 9
    assert train.data.numpy().max() == 255 and train.targets.dtype == profundo.int64
    from sklearn.datasets import load_digits
    all_images = {image.tobytes() for image in load_digits().images}
    rescaled = np.rint(train.data.numpy()[:5] / (255 / 16)).astype(np.float64)
    assert all(r.tobytes() in all_images for r in rescaled)
    big = datasets.Digits(train=False, size=28)
    assert tuple(big.data.shape) == (359, 28, 28)
    np.testing.assert_array_equal(big.targets.numpy(), test.targets.numpy())
    with pytest.raises(ValueError) as e:
        datasets.Digits(size=0)
    checked(e)


# ---------------------------------------------------------------------- text
def test_time_machine_download_cache_and_local_copy(tmp_path, monkeypatch, no_network):
    src = tmp_path / "timemachine.txt"
    src.write_text("The Time Traveller (for so it will be convenient to speak of him)\n")
    fake = _files.RemoteFile("timemachine.txt", (src.as_uri(),), "sha1:" + hashlib.sha1(src.read_bytes()).hexdigest())
    monkeypatch.setattr(text, "TIME_MACHINE", fake)
    assert datasets.load_time_machine(tmp_path / "data").startswith("The Time Traveller")
    assert (tmp_path / "data" / "timemachine.txt").is_file()
    other = tmp_path / "other.txt"
    other.write_text("not the book")
    with pytest.raises(ValueError) as e:
        datasets.load_time_machine(path=other)
    assert "not d2l's timemachine.txt" in checked(e)


@pytest.mark.skipif(not (SHARED / "timemachine").is_dir(), reason="needs ../shared/data/timemachine")
def test_real_time_machine_passes_d2l_checksum():
    book = datasets.load_time_machine(path=SHARED / "timemachine" / "timemachine.txt")
    assert book.startswith("The Time Machine, by H. G. Wells") and len(book) == 178979


def test_fra_eng_zip_is_verified_extracted_and_parsed(tmp_path, monkeypatch, no_network):
    z = _zip(tmp_path / "fra-eng.zip", {"fra-eng/fra.txt": "Go.\tVa !\tCC-BY\nHi.\tSalut !\n".encode()})
    monkeypatch.setattr(text, "FRA_ENG", remote_for(z))
    raw = datasets.load_fra_eng(tmp_path / "data")
    assert datasets.fra_eng_pairs(raw) == [("Go.", "Va !"), ("Hi.", "Salut !")]
    assert (tmp_path / "data" / "fra-eng" / "fra.txt").is_file()
    bad = tmp_path / "bad.txt"
    bad.write_text("Go.\tVa !\nno tab here\n")
    with pytest.raises(ValueError) as e:
        datasets.load_fra_eng(path=bad)
    assert "line 2" in checked(e)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError) as e:
        datasets.load_fra_eng(path=empty)
    assert "empty" in checked(e)


# ------------------------------------------------------------------- MovieLens
U_DATA = "10\t7\t4\t881250949\n3\t7\t5\t891717742\n10\t2\t1\t878887116\n"
U_ITEM = "2|Two (1995)|01-Jan-1995||http://x\n7|Seven (1995)|01-Jan-1995||http://y\n9|Nine (1996)|01-Jan-1996||z\n"
U_USER = "3|24|M|technician|85711\n10|53|F|other|94043\n"


def _movielens_zip(tmp_path, monkeypatch, members, variant="100k", top="ml-100k"):
    (tmp_path / "server").mkdir(exist_ok=True)
    z = _zip(tmp_path / "server" / f"{top}.zip", {f"{top}/{k}": v for k, v in members.items()})
    monkeypatch.setattr(movielens, "_BASE", (tmp_path / "server").as_uri() + "/")
    monkeypatch.setitem(movielens._VARIANTS, variant, (md5(z), top, {}))
    return z


def test_movielens_100k_download_extract_parse_reindex(tmp_path, monkeypatch, no_network):
    _movielens_zip(tmp_path, monkeypatch, {"u.data": U_DATA, "u.item": U_ITEM, "u.user": U_USER})
    ml = datasets.load_movielens("100k", tmp_path / "data")
    assert (ml.num_users, ml.num_items, len(ml.ratings)) == (2, 3, 3)
    r = ml.ratings
    assert r["user"].tolist() == [1, 0, 1] and r["item"].tolist() == [1, 1, 0]
    assert r["user_id"].tolist() == [10, 3, 10] and r["rating"].tolist() == [4, 5, 1]
    assert ml.items["item"].tolist() == [0, 1, 2] and ml.items["title"][1] == "Seven (1995)"
    assert ml.users["user"].tolist() == [0, 1] and ml.users["occupation"][1] == "other"
    users, items, ratings = ml.to_dataset().tensors
    assert users.dtype == items.dtype == profundo.int64 and ratings.dtype == profundo.float32
    calls = len(no_network)
    datasets.load_movielens("100k", tmp_path / "data")
    assert len(no_network) == calls  # extracted and verified before: no network


def test_movielens_1m_and_csv_formats(tmp_path, monkeypatch, no_network):
    _movielens_zip(tmp_path, monkeypatch, {
        "ratings.dat": "1::1193::5::978300760\n2::661::3::978302109\n",
        "movies.dat": "661::James (1996)::Animation\n1193::Cuckoo (1975)::Drama\n",
        "users.dat": "1::F::1::10::48067\n2::M::56::16::70072\n"}, variant="1m", top="ml-1m")
    ml = datasets.load_movielens("1m", tmp_path / "data")
    assert ml.ratings["item"].tolist() == [1, 0] and ml.num_users == 2
    _movielens_zip(tmp_path, monkeypatch, {
        "ratings.csv": "userId,movieId,rating,timestamp\n5,50,3.5,1\n9,50,4.0,2\n5,60,0.5,3\n",
        "movies.csv": "movieId,title,genres\n50,A,Drama\n60,B,Comedy\n70,C,War\n"}, variant="25m", top="ml-25m")
    ml = datasets.load_movielens("25m", tmp_path / "data")
    assert (ml.num_users, ml.num_items) == (2, 3) and ml.ratings["rating"].tolist() == [3.5, 4.0, 0.5]


def test_movielens_bad_zips_and_files(tmp_path, monkeypatch, no_network):
    _movielens_zip(tmp_path, monkeypatch, {"u.data": U_DATA, "../../escape.txt": "x"})
    with pytest.raises(RuntimeError) as e:
        datasets.load_movielens("100k", tmp_path / "data")
    assert "refusing" in checked(e)
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "data" / "ml-100k").exists()
    (tmp_path / "data" / "ml-100k.zip").unlink()
    _movielens_zip(tmp_path, monkeypatch, {"u.data": "", "u.item": U_ITEM, "u.user": U_USER})
    with pytest.raises(ValueError) as e:
        datasets.load_movielens("100k", tmp_path / "data")
    assert "u.data" in checked(e)
    with pytest.raises(ValueError) as e:
        datasets.load_movielens("7m")
    checked(e)


@pytest.mark.skipif(not (SHARED / "movielens-100k").is_dir(), reason="needs ../shared/data/movielens-100k")
def test_real_movielens_100k_folder_is_verified_by_its_file_hashes(tmp_path, no_network):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for f in ("u.data", "u.item", "u.user"):
        (folder / f).write_bytes((SHARED / "movielens-100k" / f).read_bytes())
    ml = datasets.load_movielens("100k", tmp_path, download=False)
    assert (len(ml.ratings), ml.num_users, ml.num_items) == (100_000, 943, 1682)
    assert ml.ratings["user"].max() == 942 and ml.ratings["item"].max() == 1681
    with open(folder / "u.data", "ab") as f:
        f.write(b"1\t1\t5\t0\n")  # no longer the original: not trusted, and offline there is no zip
    with pytest.raises(RuntimeError) as e:
        datasets.load_movielens("100k", tmp_path, download=False)
    assert "ml-100k.zip" in checked(e)


# ------------------------------------------------------------------- synthetic
def test_synthetic_linear_data_has_the_known_weights():
    w, b = profundo.tensor([2.0, -3.4]), 4.2
    X, y = datasets.synthetic_data(w, b, 1000)
    assert tuple(X.shape) == (1000, 2) and tuple(y.shape) == (1000, 1) and X.dtype == profundo.float32
    A = np.hstack([X.numpy(), np.ones((1000, 1), np.float32)])
    coef = np.linalg.lstsq(A, y.numpy()[:, 0], rcond=None)[0]
    np.testing.assert_allclose(coef, [2.0, -3.4, 4.2], atol=0.005)
    ds = datasets.linear_regression_dataset([1.0, 2.0, 3.0], 0.0, 10)
    assert len(ds) == 10 and tuple(ds[0][0].shape) == (3,)
    t, x = datasets.noisy_sine(1000)
    assert tuple(t.shape) == tuple(x.shape) == (1000,) and abs(float(x.std()) - 0.75) < 0.1
    with pytest.raises(ValueError) as e:
        datasets.synthetic_data(profundo.ones(2, 2), 1.0, 5)
    checked(e)



def test_movielens_32m_is_checked_against_the_published_md5_file(tmp_path, monkeypatch, no_network):
    z = _movielens_zip(tmp_path, monkeypatch, {
        "ratings.csv": "userId,movieId,rating,timestamp\n1,10,4.0,1\n",
        "movies.csv": "movieId,title,genres\n10,A,Drama\n"}, variant="32m", top="ml-32m")
    monkeypatch.setitem(movielens._VARIANTS, "32m", (None, "ml-32m", {}))
    (tmp_path / "server" / "ml-32m.zip.md5").write_text(f"{md5(z)}  ml-32m.zip\n")
    ml = datasets.load_movielens("32m", tmp_path / "data")
    assert (ml.num_users, ml.num_items) == (1, 1)
    assert (tmp_path / "data" / "ml-32m.zip.md5").is_file()
    (tmp_path / "server" / "ml-32m.zip").write_bytes(b"tampered")
    (tmp_path / "data" / "ml-32m" / ".verified").unlink()
    (tmp_path / "data" / "ml-32m.zip").write_bytes(b"tampered")
    with pytest.raises(RuntimeError) as e:
        datasets.load_movielens("32m", tmp_path / "data")
    assert "checksum mismatch" in checked(e)
