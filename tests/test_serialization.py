"""profundo.save / profundo.load: safetensors files, nested checkpoints, atomic writes, hostile files."""
import json
import os
import struct

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo._errors import is_checked


def test_state_dict_round_trip_and_dtypes(tmp_path):
    sd = {"w": profundo.randn(3, 4), "b": profundo.zeros(4, dtype=profundo.float64),
          "i": profundo.arange(5), "m": profundo.tensor([True, False]), "h": profundo.ones(2, dtype=profundo.float16),
          "u": profundo.tensor([1, 2], dtype=profundo.uint8), "e": profundo.empty(0, 3),
          "scalar": profundo.tensor(2.5), "t": profundo.randn(3, 2).T}
    profundo.save(sd, tmp_path / "a.safetensors")
    back = profundo.load(tmp_path / "a.safetensors")
    assert list(back) == list(sd)
    for k in sd:
        assert back[k].dtype == sd[k].dtype and tuple(back[k].shape) == tuple(sd[k].shape)
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())


def test_files_load_in_torch_and_torch_files_load_here(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    profundo.save(model.state_dict(), tmp_path / "m.safetensors")
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tmodel.load_state_dict(st.load_file(str(tmp_path / "m.safetensors")))
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(model(profundo.tensor(x)).detach().numpy(), tmodel(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)
    st.save_file(tmodel.state_dict(), str(tmp_path / "t.safetensors"))
    model.load_state_dict(profundo.load(tmp_path / "t.safetensors"))


def test_nested_checkpoint_with_optimizer_state(tmp_path):
    model = nn.Linear(3, 2)
    opt = profundo.optim.Adam(model.parameters(), lr=0.01)
    model(profundo.randn(4, 3)).sum().backward()
    opt.step()
    ck = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "lrs": [0.1, 0.01],
          "betas": (0.9, 0.999), "note": "hola", "none": None, "rng": profundo.get_rng_state()}
    profundo.save(ck, tmp_path / "ck.safetensors")
    back = profundo.load(tmp_path / "ck.safetensors")
    assert back["epoch"] == 3 and back["betas"] == (0.9, 0.999) and back["none"] is None and back["note"] == "hola"
    assert sorted(back["optimizer"]["state"]) == [0, 1]
    np.testing.assert_array_equal(back["optimizer"]["state"][0]["exp_avg"].numpy(),
                                  opt.state_dict()["state"][0]["exp_avg"].numpy())
    with pytest.raises(TypeError) as e:
        profundo.save({"model": model}, tmp_path / "bad.safetensors")  # a Module, not its state_dict
    assert is_checked(e.value) and "state_dict" in str(e.value)
    assert not (tmp_path / "bad.safetensors").exists()


def test_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    profundo.save({"a": profundo.ones(2)}, path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        profundo.save({"a": profundo.zeros(1000)}, path)
    assert path.read_bytes() == before  # the old checkpoint is intact
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]  # no temporary file left


def _file(tmp_path, header, data=b"", raw_header=None):
    raw = raw_header if raw_header is not None else json.dumps(header).encode()
    path = tmp_path / "h.safetensors"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def _raw(tmp_path, data):
    path = tmp_path / "h.safetensors"
    path.write_bytes(data)
    return path


HOSTILE = {
    "too small": lambda t: _raw(t, b"\x01\x02"),
    "huge header length": lambda t: _raw(t, struct.pack("<Q", 2**60) + b"{}"),
    "header past the end": lambda t: _raw(t, struct.pack("<Q", 100) + b"{}"),
    "not json": lambda t: _file(t, None, raw_header=b"{not json"),
    "not an object": lambda t: _file(t, [1, 2]),
    "unknown dtype": lambda t: _file(t, {"a": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}, b"0" * 16),
    "wrong size": lambda t: _file(t, {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"0" * 8),
    "negative shape": lambda t: _file(t, {"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"0" * 4),
    "huge shape": lambda t: _file(t, {"a": {"dtype": "F32", "shape": [2**40, 2**20], "data_offsets": [0, 4]}}, b"0" * 4),
    "offsets past the data": lambda t: _file(t, {"a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}}, b"0" * 4),
    "overlapping": lambda t: _file(t, {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                                       "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, b"0" * 6),
    "gap": lambda t: _file(t, {"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}, b"0" * 4),
    "extra bytes": lambda t: _file(t, {"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"0" * 9),
    "missing field": lambda t: _file(t, {"a": {"dtype": "U8", "shape": [2]}}, b"00"),
    "bad metadata": lambda t: _file(t, {"__metadata__": {"k": 1}}),
    "damaged structure": lambda t: _file(t, {"__metadata__": {"profundo.structure": "{broken"}}),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_or_corrupt_files_are_refused(tmp_path, case):
    path = HOSTILE[case](tmp_path)
    with pytest.raises(ValueError) as e:
        profundo.load(path)
    assert is_checked(e.value) and "Pista" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        profundo.load(tmp_path / "nope.safetensors")
