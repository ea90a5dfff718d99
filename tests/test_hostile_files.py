"""Issue 10: saved files' permissions and stale temporaries, nested keys that must not collide, metadata that
must not steer the loader, hostile headers (sizes that wrap, depth), read_idx's wrap and gzip bombs, foreign
files (pickle, torch.save, NumPy) and dtypes profundo lacks (BF16 is widened exactly, float8 & co. refused)."""
import gzip
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import profundo
from profundo import serialization
from profundo._errors import is_checked
from profundo.datasets.idx import read_idx

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and pids")


def _checked(exc_info, *needles):
    text = str(exc_info.value)
    assert is_checked(exc_info.value) and "Pista" in text, text
    for n in needles:
        assert n in text, (n, text)
    return text


# ------------------------------------------------------------------ permissions and stale temporary files
@posix_only
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_gets_the_umask_permissions_like_torch_save(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        profundo.save({"w": profundo.ones(2)}, tmp_path / "m.safetensors")
        with open(tmp_path / "plain", "wb"):  # what open(path, "wb") (and torch.save) gives
            pass
    finally:
        os.umask(old)
    assert oct(os.stat(tmp_path / "m.safetensors").st_mode & 0o777) == oct(mode)
    assert os.stat(tmp_path / "plain").st_mode & 0o777 == mode


@posix_only
def test_overwriting_keeps_the_files_own_permissions(tmp_path):
    path = tmp_path / "m.safetensors"
    profundo.save({"w": profundo.ones(2)}, path)
    os.chmod(path, 0o640)
    profundo.save({"w": profundo.zeros(2)}, path)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o640)
    assert profundo.load(path)["w"].sum().item() == 0


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _temp(folder, name, age):
    path = folder / name
    path.write_bytes(b"half a checkpoint")
    t = time.time() - age
    os.utime(path, (t, t))
    return path


@posix_only
def test_a_killed_saves_temporary_file_is_removed_by_the_next_save(tmp_path):
    dead = _dead_pid()
    killed = _temp(tmp_path, f".m.safetensors.{dead}.0a1b2c3d.tmp", age=120)  # its process is gone
    ancient = _temp(tmp_path, f".m.safetensors.{os.getppid()}.99aa88bb.tmp", age=2 * 3600)  # untouched for 2 h
    old_style = _temp(tmp_path, ".m.safetensors.k2j_x9q1.tmp", age=2 * 3600)  # mkstemp's name, older versions
    profundo.save({"w": profundo.ones(2)}, tmp_path / "m.safetensors")
    assert not killed.exists() and not ancient.exists() and not old_style.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


@posix_only
def test_a_concurrent_or_unrelated_file_is_never_removed(tmp_path):
    dead = _dead_pid()
    keep = [
        _temp(tmp_path, f".m.safetensors.{os.getpid()}.0a1b2c3d.tmp", age=600),  # another thread of ours
        _temp(tmp_path, f".m.safetensors.{os.getppid()}.0a1b2c3d.tmp", age=600),  # a live process's save
        _temp(tmp_path, f".m.safetensors.{dead}.0a1b2c3d.tmp", age=5),  # just written (another machine?)
        _temp(tmp_path, f".other.safetensors.{dead}.0a1b2c3d.tmp", age=2 * 3600),  # another target's
        _temp(tmp_path, f".m.safetensors.{dead}.0a1b2c3d.tmp.bak", age=2 * 3600),  # not our pattern
        _temp(tmp_path, "m.safetensors.tmp", age=2 * 3600),
    ]
    folder = tmp_path / f".m.safetensors.{dead}.ffff.tmp"  # a folder of the same name
    folder.mkdir()
    t = time.time() - 2 * 3600
    os.utime(folder, (t, t))
    profundo.save({"w": profundo.ones(2)}, tmp_path / "m.safetensors")
    assert all(p.exists() for p in keep) and folder.is_dir()


# ---------------------------------------------------------------------------- nested keys round-trip exactly
def _same(a, b):
    """Equal values of the same types all the way down (tensors: dtype, shape and bytes)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, profundo.Tensor):
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
        assert a.numpy().tobytes() == b.numpy().tobytes()
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


def _round_trip(tmp_path, obj):
    profundo.save(obj, tmp_path / "ck.safetensors")
    back = profundo.load(tmp_path / "ck.safetensors")
    _same(obj, back)
    return back


def test_a_slash_in_a_key_does_not_collide_with_nesting(tmp_path):
    t1, t2 = profundo.tensor([1.0]), profundo.tensor([2.0])
    back = _round_trip(tmp_path, {"a/b": t1, "a": {"b": t2}})
    assert back["a/b"].item() == 1.0 and back["a"]["b"].item() == 2.0


def test_int_and_str_keys_stay_apart(tmp_path):
    t1, t2 = profundo.tensor([1.0]), profundo.tensor([2.0])
    back = _round_trip(tmp_path, {1: t1, "1": t2, "x": [3]})
    assert back[1].item() == 1.0 and back["1"].item() == 2.0 and back["x"] == [3]


def test_everything_the_nested_layer_supports_round_trips_exactly(tmp_path):
    t = profundo.arange(3)
    obj = {"a/b": profundo.ones(1), "a": {"b": profundo.zeros(1)}, "a/b~2": profundo.full((1,), 7.0),
           0: "int key", "0": "str key", True: "bool key", -5: None, 2**70: "big int key",
           "values": [1, 1.0, -0.0, float("inf"), float("nan"), True, False, None, "x", 2**80, ""],
           "tuple": (1, (2, [3]), ()), "empty": {}, "list": [], "same tensor twice": [t, t],
           "markers": {"__tensor__": "a", "__dict__": [], "__tuple__": [1]}, "tensor": profundo.tensor(2.5),
           "np": np.float32(0.5)}
    back = _round_trip(tmp_path, {**obj, "np": 0.5})  # (a NumPy scalar is stored as the Python number)
    profundo.save(obj, tmp_path / "np.safetensors")
    assert profundo.load(tmp_path / "np.safetensors")["np"] == 0.5
    assert back["markers"] == {"__tensor__": "a", "__dict__": [], "__tuple__": [1]}


@pytest.mark.parametrize("value", [np.datetime64("2026-01-01"), np.complex128(1j), 1j, b"bytes", {1.5: "float key"}])
def test_values_json_cannot_hold_are_refused_at_save_time(tmp_path, value):
    with pytest.raises(TypeError) as e:
        profundo.save({"w": profundo.ones(1), "v": value}, tmp_path / "m.safetensors")
    _checked(e, "save")
    assert list(tmp_path.iterdir()) == []


def test_a_tensor_named_metadata_round_trips(tmp_path):
    t = profundo.tensor([1.0, 2.0])
    back = _round_trip(tmp_path, {"__metadata__": t})
    assert back["__metadata__"].tolist() == [1.0, 2.0]
    st = pytest.importorskip("safetensors.numpy")
    assert list(st.load_file(str(tmp_path / "ck.safetensors"))) == ["__metadata__~2"]  # still a valid file


def test_user_metadata_cannot_steer_the_loader(tmp_path):
    sd = {"w": profundo.ones(2)}
    with pytest.raises(ValueError) as e:
        profundo.save(sd, tmp_path / "a.safetensors", metadata={"profundo.structure": "[1,2]"})
    _checked(e, "profundo.structure", "reserved")
    assert not (tmp_path / "a.safetensors").exists()
    with pytest.raises(TypeError) as e:
        profundo.save(sd, tmp_path / "a.safetensors", metadata={1: "one", "1": "one"})  # would collide as text
    _checked(e, "str")
    profundo.save(sd, tmp_path / "a.safetensors", metadata={"note": "[1,2]", "format": "pt"})
    back = profundo.load(tmp_path / "a.safetensors")
    assert list(back) == ["w"] and back["w"].tolist() == [1.0, 1.0]
    safetensors = pytest.importorskip("safetensors")
    with safetensors.safe_open(str(tmp_path / "a.safetensors"), framework="np") as f:
        assert f.metadata() == {"note": "[1,2]", "format": "pt"}


def test_nested_checkpoint_loads_in_torch_with_unique_names(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    profundo.save({"a/b": profundo.tensor([1.0]), "a": {"b": profundo.tensor([2.0])}}, tmp_path / "n.safetensors")
    got = st.load_file(str(tmp_path / "n.safetensors"))
    assert {k: v.tolist() for k, v in got.items()} == {"a/b": [1.0], "a/b~2": [2.0]}
    assert all(v.dtype == torch.float32 for v in got.values())


_DT = [profundo.float32, profundo.float64, profundo.float16, profundo.int64, profundo.int8, profundo.uint8,
       profundo.bool]
tensors = st.builds(lambda dt, shape, seed: (profundo.tensor(np.random.default_rng(seed).standard_normal(shape) * 5)
                                             .to(dt)), st.sampled_from(_DT),
                    st.lists(st.integers(0, 3), max_size=3).map(tuple), st.integers(0, 99))
# keys that print alike ("a/1" and a["1"] and a[1]) and tensors at most leaves, so that names collide often
keys = st.sampled_from(["a", "1", "a/1", "1~2", "", "__metadata__"]) | st.integers(-1, 2)
leaves = tensors | tensors | (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True)
                              | st.text(max_size=5))
distinct = st.integers(0, 10**6).map(lambda i: profundo.tensor([float(i)], dtype=profundo.float64))
structures = (st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple)
                           | st.dictionaries(keys, inner, max_size=4), max_leaves=12)
              # two levels of dicts of distinct tensors: "a/1" beside {"a": {"1": ...}}, "1" beside 1...
              | st.dictionaries(keys, distinct | st.dictionaries(keys, distinct, max_size=3), min_size=2, max_size=6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_any_nested_structure_round_trips_exactly(obj):
    with tempfile.TemporaryDirectory() as d:
        profundo.save(obj, os.path.join(d, "ck.safetensors"))
        _same(obj, profundo.load(os.path.join(d, "ck.safetensors")))


# ------------------------------------------------------------------------------------------ nesting depth
def _nest(depth):
    obj = profundo.ones(1)
    for _ in range(depth):
        obj = {"k": obj}
    return obj


def test_saving_a_deeply_nested_dict_is_refused(tmp_path):
    with pytest.raises(ValueError) as e:
        profundo.save(_nest(400), tmp_path / "d.safetensors")
    _checked(e, "nested more than 64 levels")
    assert list(tmp_path.iterdir()) == []
    loop = [1]
    loop.append(loop)
    with pytest.raises(ValueError) as e:
        profundo.save({"loop": loop}, tmp_path / "d.safetensors")
    _checked(e, "contains itself")


def test_the_deepest_allowed_nesting_round_trips(tmp_path):
    obj = _nest(serialization.MAX_DEPTH)
    _round_trip(tmp_path, obj)
    with pytest.raises(ValueError):
        profundo.save(_nest(serialization.MAX_DEPTH + 1), tmp_path / "d.safetensors")


# ----------------------------------------------------------------------------------------- hostile headers
def _file(tmp_path, header=None, data=b"", raw_header=None):
    raw = raw_header if raw_header is not None else json.dumps(header).encode()
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def _entry(dtype, shape, offsets):
    return {"a": {"dtype": dtype, "shape": shape, "data_offsets": offsets}}


def _structure(text):
    return {"__metadata__": {"profundo.structure": text}}


HOSTILE = {
    "shape product wraps to 0": lambda t: _file(t, _entry("F32", [2**32, 2**32], [0, 0])),
    # (2**64 - 1)**2 = 1 modulo 2**64: NumPy's int64 product says 1 byte
    "shape product wraps to 1": lambda t: _file(t, _entry("U8", [2**32 + 1, 2**32 - 1] * 2, [0, 1]), b"0"),
    "dimension past int64": lambda t: _file(t, _entry("F32", [2**70], [0, 4]), b"0" * 4),
    "100 dimensions": lambda t: _file(t, _entry("F32", [1] * 100, [0, 4]), b"0" * 4),
    "negative dimension": lambda t: _file(t, _entry("F32", [-2, -2], [0, 16]), b"0" * 16),
    "float dimension": lambda t: _file(t, _entry("F32", [2.0], [0, 8]), b"0" * 8),
    "bool dimension": lambda t: _file(t, _entry("F32", [True], [0, 4]), b"0" * 4),
    "string dimension": lambda t: _file(t, _entry("F32", ["2"], [0, 8]), b"0" * 8),
    "bool offsets": lambda t: _file(t, _entry("U8", [1], [False, True]), b"0"),
    "5000-digit integer": lambda t: _file(t, None, raw_header=b'{"a":{"dtype":"U8","shape":[' + b"9" * 5000 + b"],"
                                          b'"data_offsets":[0,1]}}', data=b"0"),
    "header nested 100000 deep": lambda t: _file(t, None, raw_header=b"[" * 100000 + b"]" * 100000),
    "structure nested 100000 deep": lambda t: _file(t, _structure("[" * 100000 + "]" * 100000)),
    "structure nested 200 deep": lambda t: _file(t, _structure("[" * 200 + "]" * 200)),
    "structure with an unknown marker": lambda t: _file(t, _structure('{"__pickle__": "os.system"}')),
    "structure naming a missing tensor": lambda t: _file(t, _structure('{"__tensor__": "nope"}')),
    "structure with a list key": lambda t: _file(t, _structure('{"__dict__": [[[1], 2]]}')),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_headers_are_refused_with_profundos_error(tmp_path, case):
    with pytest.raises(ValueError) as e:
        profundo.load(HOSTILE[case](tmp_path))
    _checked(e, "h.safetensors")


# the byte-format cases the safetensors package (Rust, audited) must refuse as well; the others are profundo's
# own layer (the structure description) or limits it sets itself (ndim <= NumPy's)
FORMAT_CASES = ["shape product wraps to 0", "shape product wraps to 1", "dimension past int64", "negative dimension",
                "float dimension", "bool dimension", "string dimension", "bool offsets", "5000-digit integer",
                "header nested 100000 deep"]


@pytest.mark.parametrize("case", FORMAT_CASES)
def test_safetensors_package_refuses_the_same_format_cases(tmp_path, case):
    st = pytest.importorskip("safetensors.numpy")
    with pytest.raises(Exception):
        st.load_file(str(HOSTILE[case](tmp_path)))


# ------------------------------------------------------------------------------------------ foreign files
def _zip(tmp_path, member, name="model.pt"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, b"\x80\x02}q\x00.")
    return path


def _bytes(tmp_path, data, name="model.pt"):
    (tmp_path / name).write_bytes(data)
    return tmp_path / name


def _numpy(tmp_path, save, name):
    save(tmp_path / name, np.ones(2))
    return tmp_path / name


FOREIGN = {
    "pickle": (lambda t: _bytes(t, pickle.dumps({"w": [1.0, 2.0]})), "pickle"),
    "legacy torch.save": (lambda t: _bytes(t, b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03."), "pickle"),
    "tiny pickle": (lambda t: _bytes(t, b"\x80\x04N."), "pickle"),
    "torch.save zip": (lambda t: _zip(t, "model/data.pkl"), "torch.save"),
    "npz": (lambda t: _numpy(t, np.savez, "a.npz"), "NumPy .npz"),
    "npy": (lambda t: _numpy(t, np.save, "a.npy"), "NumPy .npy"),
}


@pytest.mark.parametrize("case", FOREIGN)
def test_foreign_files_are_named_with_how_to_convert_them(tmp_path, case):
    make, kind = FOREIGN[case]
    with pytest.raises(ValueError) as e:
        profundo.load(make(tmp_path))
    text = _checked(e, kind, "not a safetensors file", "conviértelo")
    assert ("save_file(torch.load('model.pt'), 'model.safetensors')" in text) == (case not in ("npz", "npy"))
    assert "larger than the file" not in text


@pytest.mark.parametrize("legacy", [False, True])
def test_real_torch_save_files_are_recognised(tmp_path, legacy):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(3)}, tmp_path / "model.pt", _use_new_zipfile_serialization=not legacy)
    with pytest.raises(ValueError) as e:
        profundo.load(tmp_path / "model.pt")
    _checked(e, "pickle" if legacy else "torch.save", "from safetensors.torch import save_file")


def test_a_folder_and_a_gpu_map_location_are_refused_clearly(tmp_path):
    with pytest.raises(IsADirectoryError) as e:
        profundo.load(tmp_path)
    _checked(e, "folder")
    profundo.save({"w": profundo.ones(1)}, tmp_path / "m.safetensors")
    assert profundo.load(tmp_path / "m.safetensors", map_location="cpu")["w"].item() == 1.0
    assert profundo.load(tmp_path / "m.safetensors", map_location=profundo.device("cpu"), weights_only=False)
    with pytest.raises(RuntimeError) as e:
        profundo.load(tmp_path / "m.safetensors", map_location="cuda:0")
    _checked(e, "cuda")
    with pytest.raises(TypeError) as e:
        profundo.load(tmp_path / "m.safetensors", map_location={"cuda:0": "cpu"})
    _checked(e, "map_location")


# ----------------------------------------------------------------------------------- dtypes profundo lacks
def test_bf16_is_widened_to_float32_exactly(tmp_path):
    want = np.array([1.0, -2.5, 3.140625, np.inf, -np.inf, 1e-40, 3.3895314e38, -0.0], np.float32)
    want = (want.view(np.uint32) & 0xFFFF0000).view(np.float32)  # exact in bfloat16 (subnormals too)
    bits = (want.view(np.uint32) >> 16).astype("<u2")
    path = _file(tmp_path, {"x": {"dtype": "BF16", "shape": [2, 4], "data_offsets": [0, 16]},
                            "y": {"dtype": "F32", "shape": [1], "data_offsets": [16, 20]}},
                 bits.tobytes() + np.float32(7).tobytes())
    with pytest.warns(UserWarning, match="bfloat16 .* widened to float32"):
        back = profundo.load(path)
    assert back["x"].dtype == profundo.float32 and tuple(back["x"].shape) == (2, 4)
    assert back["x"].numpy().tobytes() == want.reshape(2, 4).tobytes() and back["y"].item() == 7.0


def test_bf16_from_pytorch_matches_torch_float(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    t = torch.randn(5, 3).to(torch.bfloat16)
    t[0, 0], t[0, 1] = float("nan"), float("-inf")
    st.save_file({"w": t}, str(tmp_path / "bf.safetensors"))
    with pytest.warns(UserWarning):
        back = profundo.load(tmp_path / "bf.safetensors")
    assert back["w"].numpy().tobytes() == t.float().numpy().tobytes()


@pytest.mark.parametrize("dtype", ["F8_E4M3", "F8_E5M2", "U16", "U32", "U64"])
def test_other_dtypes_are_refused_by_name_not_called_damage(tmp_path, dtype):
    path = _file(tmp_path, _entry(dtype, [2], [0, 16]), b"0" * 16)
    with pytest.raises(ValueError) as e:
        profundo.load(path)
    text = _checked(e, dtype, "does not support")
    assert "dañado" not in text


def test_float8_from_pytorch_is_refused_by_name(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    st.save_file({"w": torch.ones(4).to(torch.float8_e4m3fn)}, str(tmp_path / "f8.safetensors"))
    with pytest.raises(ValueError) as e:
        profundo.load(tmp_path / "f8.safetensors")
    text = _checked(e, "dtype F8_E4M3 (float8_e4m3fn)", "does not support")
    assert "dañado" not in text


# ---------------------------------------------------------------------------------------------- read_idx
def _idx(tmp_path, header_dims, code=0x08, data=b"", gz=False):
    raw = bytes([0, 0, code, len(header_dims)]) + np.asarray(header_dims, ">u4").tobytes() + data
    path = tmp_path / ("x.gz" if gz else "x")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_shape_product_cannot_wrap(tmp_path, gz):
    with pytest.raises(ValueError) as e:  # 65536**4 = 2**64 elements: NumPy's int64 product is 0
        read_idx(_idx(tmp_path, (65536,) * 4, gz=gz))
    _checked(e, str(2**64 + 4 + 16), "truncated")


def test_read_idx_refuses_more_dimensions_than_numpy_has(tmp_path):
    with pytest.raises(ValueError) as e:
        read_idx(_idx(tmp_path, (1,) * 100, data=b"\x07"))
    _checked(e, "100 dimensions")


def test_read_idx_does_not_inflate_a_gzip_bomb(tmp_path):
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + np.asarray([10], ">u4").tobytes() + bytes(64 << 20), 1))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as e:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _checked(e, "extra bytes")
    assert peak < 4 << 20, peak  # the 64 MiB behind the header were never decompressed


def test_a_damaged_safetensors_file_is_not_called_a_pickle(tmp_path):
    # header length 640 = bytes 80 02 00..: a pickle's magic, but the JSON header starts at byte 8
    path = _bytes(tmp_path, struct.pack("<Q", 640) + b'{"a": broken' + b" " * 700, name="m.safetensors")
    with pytest.raises(ValueError) as e:
        profundo.load(path)
    text = _checked(e, "not valid JSON")
    assert "pickle" not in text


def test_saving_into_a_missing_folder_or_onto_a_folder_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        profundo.save({"w": profundo.ones(1)}, tmp_path / "missing" / "m.safetensors")
    _checked(e, "does not exist", "mkdir")
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError) as e:
        profundo.save({"w": profundo.ones(1)}, tmp_path / "d")
    _checked(e, "is a folder")
    assert list((tmp_path / "d").iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["d"]
