"""``profundo.save`` / ``profundo.load`` in the safetensors format: no pickle anywhere.

The file is the safetensors layout -- an 8-byte little-endian header length,
a JSON header (``{name: {"dtype", "shape", "data_offsets"}}``), then the raw
bytes -- so a flat ``state_dict`` saved here loads in PyTorch with
``safetensors.torch.load_file(path)``.  Nested objects (an optimizer's state,
a training checkpoint) are stored as tensors under path-like names plus a
JSON description of the structure in the header's ``__metadata__``.

Writing goes to a temporary file that is fsync'ed and then renamed over the
target, so a crash never leaves a half-written checkpoint.  Reading checks
the header before allocating anything: its length, the dtypes and shapes,
and that the byte ranges exactly tile the data.
"""
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from ._errors import error
from .tensor import Tensor

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
MAX_HEADER = 100 * 1024 * 1024  # the safetensors limit: a bigger header is refused before reading it
_STRUCTURE = "profundo.structure"
_HINT = "el archivo no es un checkpoint válido de profundo/safetensors (¿dañado o de otra fuente?)"


# ------------------------------------------------------------------- flattening
def _flatten(obj, path, tensors):
    """A JSON-able description of ``obj``; its tensors go into ``tensors`` under their path."""
    if isinstance(obj, Tensor):
        tensors[path] = obj
        return {"__tensor__": path}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)):
                raise error(TypeError, "save", f"dict keys must be str or int, got {type(k).__name__} at {path!r}",
                            "guarda diccionarios con claves de texto o enteras")
        return {"__dict__": [[k, _flatten(v, f"{path}/{k}" if path else str(k), tensors)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, f"{path}/{i}", tensors) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    raise error(TypeError, "save", f"cannot save an object of type {type(obj).__name__} (at {path or 'top level'!r}):"
                " only tensors, numbers, strings, None, lists, tuples and dicts",
                "guarda model.state_dict() (no el modelo) y valores simples; nada se guarda con pickle")


def _unflatten(desc, tensors):
    if isinstance(desc, dict):
        if "__tensor__" in desc:
            return tensors[desc["__tensor__"]]
        if "__tuple__" in desc:
            return tuple(_unflatten(d, tensors) for d in desc["__tuple__"])
        if "__dict__" in desc:
            return {k: _unflatten(v, tensors) for k, v in desc["__dict__"]}
    if isinstance(desc, list):
        return [_unflatten(d, tensors) for d in desc]
    return desc


def _is_flat_state_dict(obj):
    return isinstance(obj, dict) and obj and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


# ----------------------------------------------------------------------- saving
def save(obj, f, metadata=None):
    """Save a ``state_dict`` (or a nested dict/list of tensors and simple values) to the file ``f``."""
    tensors = {}
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    if _is_flat_state_dict(obj):
        tensors = dict(obj)
    else:
        meta[_STRUCTURE] = json.dumps(_flatten(obj, "", tensors))
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        arr = t._data if t._data.flags.c_contiguous else t._data.copy(order="C")  # (keeps 0-d tensors 0-d)
        if arr.dtype not in _CODES:
            raise error(TypeError, "save", f"cannot save dtype {arr.dtype} ({name!r})", "usa un tipo numérico estándar")
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _CODES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if meta:
        header["__metadata__"] = meta
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    path = Path(f)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(struct.pack("<Q", len(raw)))
            out.write(raw)
            for c in chunks:
                out.write(c)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half of it
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # pragma: no cover - e.g. filesystems without directory fsync
        pass


# ---------------------------------------------------------------------- loading
def _bad(path, text):
    return error(ValueError, "load", f"{path}: {text}", _HINT)


def _read_header(path, size, fh):
    if size < 8:
        raise _bad(path, f"file too small ({size} bytes) to be a safetensors file")
    (n,) = struct.unpack("<Q", fh.read(8))
    if n > MAX_HEADER or n > size - 8:
        raise _bad(path, f"header length {n} is larger than the file or the {MAX_HEADER}-byte limit")
    try:
        header = json.loads(fh.read(n).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _bad(path, "the header is not a JSON object")
    return header, 8 + n


def _check_entries(path, header, data_size):
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise _bad(path, "__metadata__ must map strings to strings")
            continue
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _bad(path, f"entry {name!r} must have exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _DTYPES:
            raise _bad(path, f"entry {name!r} has unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                  for s in shape):
            raise _bad(path, f"entry {name!r} has an invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= data_size):
            raise _bad(path, f"entry {name!r} has invalid data_offsets {offsets!r} (data is {data_size} bytes)")
        need = int(np.prod(shape, dtype=np.int64)) * np.dtype(_DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != need:
            raise _bad(path, f"entry {name!r}: shape {shape} {dtype} needs {need} bytes, data_offsets give "
                       f"{offsets[1] - offsets[0]}")
        entries.append((offsets[0], offsets[1], name, dtype, shape))
    entries.sort()
    end = 0
    for begin, stop, name, _, _ in entries:
        if begin != end:
            raise _bad(path, f"entry {name!r} starts at byte {begin}, expected {end} (overlapping or a gap)")
        end = stop
    if end != data_size:
        raise _bad(path, f"the tensors cover {end} bytes but the file has {data_size} bytes of data")
    return entries


def load(f, map_location=None, weights_only=True):
    """Load what ``save`` wrote (also any safetensors file, e.g. from ``safetensors.torch.save_file``)."""
    path = Path(f)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise error(FileNotFoundError, "load", f"no such file: {path}", "revisa la ruta del checkpoint") from None
    with open(path, "rb") as fh:
        header, start = _read_header(path, size, fh)
        entries = _check_entries(path, header, size - start)
        data = fh.read()
    tensors = {}
    for begin, stop, name, dtype, shape in entries:
        arr = np.frombuffer(data, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<"), count=(stop - begin) //
                            np.dtype(_DTYPES[dtype]).itemsize, offset=begin).reshape(shape)
        tensors[name] = Tensor._make(arr.astype(_DTYPES[dtype], copy=True))
    meta = header.get("__metadata__", {})
    if _STRUCTURE in meta:
        try:
            return _unflatten(json.loads(meta[_STRUCTURE]), tensors)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise _bad(path, f"its structure description is damaged ({e})") from None
    return tensors
