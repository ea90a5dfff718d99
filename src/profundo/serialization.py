"""``profundo.save`` / ``profundo.load`` in the safetensors format: no pickle anywhere.

The file is the safetensors layout -- an 8-byte little-endian header length,
a JSON header (``{name: {"dtype", "shape", "data_offsets"}}``), then the raw
bytes -- so a flat ``state_dict`` saved here loads in PyTorch with
``safetensors.torch.load_file(path)``, and files written by the
``safetensors`` package load here.  Nested objects (an optimizer's state, a
training checkpoint) are stored as tensors under unique names plus a JSON
description of the structure in the header's ``__metadata__`` under the key
``profundo.structure``; keys starting with ``profundo.`` are reserved, so
user metadata can never steer the loader.

Writing goes to a temporary file (``.<name>.<pid>.<random>.tmp`` beside the
target, with the permissions the target has, or the user's umask for a new
file) that is fsync'ed and then renamed over the target, so a crash never
leaves a half-written checkpoint; the temporary files of saves that were
killed are removed by the next save to the same target.  Reading checks the
header before allocating anything: its length, the dtypes, the shapes (sizes
computed with Python integers, so they cannot wrap), the nesting depth, and
that the byte ranges exactly tile the data.

The byte format is written and parsed here with NumPy alone (the optional
``safetensors`` package is only used by the tests, as an oracle): profundo
needs its own checks anyway to explain a refused file in the course's words,
and reading straight into each tensor's buffer is as fast as the package.

dtypes: profundo's own (float64/32/16, int64/32/16/8, uint8, bool) load as
themselves.  ``BF16`` (PyTorch's bfloat16) loads as float32 -- exactly, since
a bfloat16 is the upper half of a float32 -- with a warning, because profundo
has no bfloat16 and NumPy no bfloat16 arithmetic.  Other safetensors dtypes
(float8, uint16/32/64, ...) are refused with an error naming the dtype.
"""
import json
import math
import os
import re
import secrets
import stat
import struct
import time
import warnings
from pathlib import Path

import numpy as np

from ._device import check_device
from ._errors import error
from .tensor import Tensor, device

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
# safetensors dtypes profundo has no counterpart for (BF16 is widened to float32 on load)
_UNSUPPORTED = {"U16": "uint16", "U32": "uint32", "U64": "uint64", "F8_E4M3": "float8_e4m3fn",
                "F8_E5M2": "float8_e5m2", "F8_E8M0": "float8_e8m0fnu", "F6_E2M3": "float6_e2m3",
                "F6_E3M2": "float6_e3m2", "F4": "float4_e2m1", "C64": "complex64"}
MAX_HEADER = 100 * 1024 * 1024  # the safetensors limit: a bigger header is refused before reading it
MAX_NDIM = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32  # NumPy's own limit
MAX_DEPTH = 64  # nesting of dicts/lists/tuples in a checkpoint (real ones use fewer than 10)
_RESERVED = "profundo."  # metadata keys that describe the file to the loader
_STRUCTURE = "profundo.structure"
_HINT = "el archivo no es un checkpoint válido de profundo/safetensors (¿dañado o de otra fuente?)"
_STALE_AGE = 3600  # seconds: a temporary file nobody wrote to for an hour belongs to no live save
_DEAD_GRACE = 60  # seconds: ... or sooner once the process named in it is gone (and it is a minute old)


# ------------------------------------------------------------------- flattening
def _unique(name, tensors):
    """``name``, or ``name~2``, ``name~3``...: a header key no other tensor (nor ``__metadata__``) uses."""
    if name not in tensors and name != "__metadata__":
        return name
    i = 2
    while f"{name}~{i}" in tensors:
        i += 1
    return f"{name}~{i}"


def _flatten(obj, path, tensors, depth=0):
    """A JSON-able description of ``obj``; its tensors go into ``tensors`` under unique names.

    The description names each tensor exactly, so keys that print alike (``"a/b"`` and
    ``{"a": {"b": ...}}``, ``1`` and ``"1"``) never share one.
    """
    if isinstance(obj, Tensor):
        name = _unique(path or "tensor", tensors)
        tensors[name] = obj
        return {"__tensor__": name}
    if isinstance(obj, (dict, list, tuple)) and depth >= MAX_DEPTH:
        raise error(ValueError, "save", f"the object is nested more than {MAX_DEPTH} levels deep (at {path!r}; "
                    "or it contains itself)", "guarda una estructura más plana: diccionarios de tensores y valores")
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)):
                raise error(TypeError, "save", f"dict keys must be str or int, got {type(k).__name__} at {path!r}",
                            "guarda diccionarios con claves de texto o enteras")
        return {"__dict__": [[k, _flatten(v, f"{path}/{k}" if path else str(k), tensors, depth + 1)]
                             for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, f"{path}/{i}" if path else str(i), tensors, depth + 1) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic) and isinstance(obj.item(), (bool, int, float)):
        return obj.item()  # a NumPy number is stored as the Python number (a datetime64, a complex... are not)
    raise error(TypeError, "save", f"cannot save an object of type {type(obj).__name__} (at {path or 'top level'!r}):"
                " only tensors, numbers, strings, None, lists, tuples and dicts",
                "guarda model.state_dict() (no el modelo) y valores simples; nada se guarda con pickle")


def _unflatten(desc, tensors, depth=0):
    if isinstance(desc, dict) and len(desc) == 1 and "__tensor__" in desc:
        return tensors[desc["__tensor__"]]
    if not isinstance(desc, (dict, list)):
        return desc
    if depth >= MAX_DEPTH:  # (the bound save applies, so any file save wrote loads)
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(desc, list):
        return [_unflatten(d, tensors, depth + 1) for d in desc]
    if len(desc) == 1 and "__tuple__" in desc and isinstance(desc["__tuple__"], list):
        return tuple(_unflatten(d, tensors, depth + 1) for d in desc["__tuple__"])
    if len(desc) == 1 and "__dict__" in desc and isinstance(desc["__dict__"], list):
        return {k: _unflatten(v, tensors, depth + 1) for k, v in desc["__dict__"]}
    raise ValueError(f"unexpected entry {sorted(desc)[:3]}")


def _is_flat_state_dict(obj):
    """A dict of named tensors, stored exactly as PyTorch's safetensors would store it."""
    return (isinstance(obj, dict) and obj and "__metadata__" not in obj
            and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items()))


def _user_metadata(metadata):
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise error(TypeError, "save", "metadata must be a dict of str to str (as in safetensors)",
                    "convierte claves y valores a texto: metadata={'epoch': str(epoch)}")
    reserved = sorted(k for k in metadata if k.startswith(_RESERVED))
    if reserved:
        raise error(ValueError, "save", f"metadata keys starting with {_RESERVED!r} are reserved for profundo's "
                    f"own description of the file, got {reserved}", "usa otro nombre para esas claves")
    return dict(metadata)


# ----------------------------------------------------------------------- saving
def save(obj, f, metadata=None):
    """Save a ``state_dict`` (or a nested dict/list of tensors and simple values) to the file ``f``.

    ``metadata``: optional str -> str pairs stored in the header (keys starting with
    ``profundo.`` are reserved).  A flat dict of named tensors is stored exactly as
    ``safetensors.torch.save_file`` would store it; anything else also stores its structure.
    """
    meta = _user_metadata(metadata)
    if _is_flat_state_dict(obj):
        tensors = dict(obj)
    else:
        tensors = {}
        meta[_STRUCTURE] = json.dumps(_flatten(obj, "", tensors))
    header, arrays, offset = {}, [], 0
    for name, t in tensors.items():
        arr = t._data
        if arr.dtype not in _CODES:
            raise error(TypeError, "save", f"cannot save dtype {arr.dtype} ({name!r})",
                        "usa un tipo numérico estándar")
        # C order, little-endian: the bytes safetensors expects (a copy only when the array is not already so)
        arr = arr.astype(arr.dtype.newbyteorder("<"), order="C", copy=False)
        header[name] = {"dtype": _CODES[np.dtype(t._data.dtype)], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        arrays.append(arr)
        offset += arr.nbytes
    if meta:
        header["__metadata__"] = meta
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned, as safetensors writes it
    _write_atomic(Path(f), [struct.pack("<Q", len(raw)), raw] + [a.reshape(-1).view(np.uint8) for a in arrays])


def _temp_prefix(name):
    return "." + name[:200] + "."  # (bounded: the temporary name must fit the file system's limit)


def _alive(pid):
    """Whether process ``pid`` may still be running on this machine (when unsure: yes)."""
    if os.name == "nt":  # os.kill would terminate the process there: rely on the age rule only
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):
        return False  # no such pid can exist
    except OSError:  # e.g. PermissionError: it exists, owned by someone else
        return True
    return True


def _remove_stale_temps(folder, name):
    """Delete the temporary files that killed saves to ``folder/name`` left behind.

    Only names of our own pattern (``.<name>.<pid>.<random>.tmp``, or the ``.<name>.<random>.tmp``
    of older versions), only regular files, and only when no live save can own them: untouched
    for an hour (a writer refreshes the time with every write), or a minute old and written by a
    process of this machine that no longer exists.  A concurrent save's file is never touched.
    """
    pattern = re.compile(re.escape(_temp_prefix(name)) + r"(?:(\d+)\.)?\w+\.tmp")
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if not m:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        age = now - st.st_mtime
        pid = int(m.group(1)) if m.group(1) else None
        dead = pid is not None and pid != os.getpid() and not _alive(pid)
        if age > _STALE_AGE or (dead and age > _DEAD_GRACE):
            try:
                os.unlink(entry.path)
            except OSError:
                pass


def _create_temp(folder, name):
    """A new temporary file beside the target: (fd, path), with the target's permissions."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = folder / f"{_temp_prefix(name)}{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)  # the kernel applies the umask, as for open(path, "wb")
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:  # overwriting keeps the target's own permissions, as writing into it would
        mode = stat.S_IMODE(os.stat(folder / name).st_mode)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
    except OSError:
        pass
    return fd, tmp


def _write_atomic(path, chunks):
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise error(FileNotFoundError, "save", f"cannot write {path}: the folder {folder} does not exist",
                    "crea la carpeta antes: Path(carpeta).mkdir(parents=True, exist_ok=True)")
    if path.is_dir():
        raise error(IsADirectoryError, "save", f"cannot write {path}: it is a folder",
                    "pasa la ruta de un archivo, p. ej. carpeta / 'modelo.safetensors'")
    _remove_stale_temps(folder, path.name)
    fd, tmp = _create_temp(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as out:
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


_CONVERT = ("convert it in PyTorch: from safetensors.torch import save_file; "
            "save_file(torch.load('{name}'), '{stem}.safetensors')  (a state_dict; for a whole model use "
            "model.state_dict())")


def _foreign(path, head):
    """The error for a file in a format profundo does not read (pickle, torch.save, NumPy), or None."""
    what = None
    if head[8:9] == b"{":  # a safetensors header starts there: a damaged safetensors file, not a foreign one
        return None
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        what = "a pickle file (PyTorch's legacy torch.save format, or Python's pickle)"
    elif head[:4] == b"PK\x03\x04":
        # the first member's name (bytes 30..) tells torch.save's archive (".../data.pkl") from a NumPy .npz
        n = struct.unpack("<H", head[26:28])[0] if len(head) >= 28 else 0
        first = head[30:30 + n]
        what = ("a NumPy .npz archive" if first.endswith(b".npy") else
                "a zip archive (PyTorch's torch.save format)")
    elif head[:6] == b"\x93NUMPY":
        what = "a NumPy .npy file"
    if what is None:
        return None
    if "NumPy" in what:
        fix = "load it with numpy.load and save it with profundo.save({name: profundo.tensor(array)}, path)"
    else:
        fix = _CONVERT.format(name=path.name, stem=path.stem)
    return error(ValueError, "load", f"{path} is {what}, not a safetensors file; profundo never unpickles (a pickle "
                 f"can run any code when loaded). {fix}",
                 "profundo solo lee archivos .safetensors: conviértelo en PyTorch con "
                 "safetensors.torch.save_file(torch.load(ruta), 'modelo.safetensors')")


def _read_header(path, size, fh):
    head = fh.read(512)  # (enough to recognise a pickle, a zip and its first member, a .npy)
    fh.seek(8)
    if size < 8:
        raise _foreign(path, head) or _bad(path, f"file too small ({size} bytes) to be a safetensors file")
    (n,) = struct.unpack("<Q", head[:8])
    if n > MAX_HEADER or n > size - 8:
        raise _foreign(path, head) or _bad(path, f"header length {n} is larger than the file or the "
                                                 f"{MAX_HEADER}-byte limit")
    try:
        header = json.loads(fh.read(n).decode("utf-8"))
    except RecursionError:
        raise _bad(path, "the header is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as e:  # (JSONDecodeError, and ints over Python's digit limit)
        raise _foreign(path, head) or _bad(path, f"the header is not valid JSON ({str(e)[:200]})") from None
    if not isinstance(header, dict):
        raise _bad(path, "the header is not a JSON object")
    return header, 8 + n


def _is_int(x):
    return type(x) is int  # (JSON true/false are bools, and 2.0 is no size)


def _check_entries(path, header, data_size):
    """(begin, end, name, dtype, shape) of every tensor, sorted; refuses anything malformed."""
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise _bad(path, "__metadata__ must map strings to strings")
            continue
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _bad(path, f"entry {name!r} must have exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype in _UNSUPPORTED:
            raise error(ValueError, "load", f"{path}: tensor {name!r} has dtype {dtype} ({_UNSUPPORTED[dtype]}), which "
                        "profundo does not support (it has float64/32/16, int64/32/16/8, uint8 and bool); convert "
                        "it in PyTorch before saving, e.g. save_file({k: v.float() for k, v in sd.items()}, path)",
                        f"profundo no tiene el tipo {_UNSUPPORTED[dtype]}: conviértelo a float32 en PyTorch")
        if dtype not in _DTYPES and dtype != "BF16":
            raise _bad(path, f"entry {name!r} has unknown dtype {str(dtype)[:40]!r}")
        if not isinstance(shape, list) or not all(_is_int(s) and s >= 0 for s in shape):
            raise _bad(path, f"entry {name!r} has an invalid shape {str(shape)[:100]} (sizes must be integers >= 0)")
        if len(shape) > MAX_NDIM:
            raise _bad(path, f"entry {name!r} has {len(shape)} dimensions; at most {MAX_NDIM} are supported")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= data_size):
            raise _bad(path, f"entry {name!r} has invalid data_offsets {str(offsets)[:100]} "
                       f"(data is {data_size} bytes)")
        itemsize = 2 if dtype == "BF16" else np.dtype(_DTYPES[dtype]).itemsize
        need = math.prod(shape) * itemsize  # Python ints: [2**32, 2**32] cannot wrap to 0
        if offsets[1] - offsets[0] != need:
            raise _bad(path, f"entry {name!r}: shape {shape} {dtype} needs {need} bytes, "
                       f"data_offsets give {offsets[1] - offsets[0]}")
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


def _check_map_location(map_location):
    if map_location is None or isinstance(map_location, (str, device)):
        check_device(map_location, "load")  # refuses "cuda" and friends with profundo's error
        return
    raise error(TypeError, "load", f"map_location={type(map_location).__name__} is not supported: profundo runs on "
                "the CPU, so only None, 'cpu' or profundo.device('cpu') make sense",
                "quita map_location (todo se carga en la CPU)")


def load(f, map_location=None, weights_only=True):
    """Load what ``save`` wrote (also any safetensors file, e.g. from ``safetensors.torch.save_file``).

    Nothing is ever unpickled, so ``weights_only`` is always effectively True (False is accepted
    and changes nothing).  ``map_location``: None or 'cpu' (profundo runs on the CPU).
    BF16 tensors are widened to float32 exactly, with a warning; see the module docstring.
    """
    _check_map_location(map_location)
    path = Path(f)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise error(FileNotFoundError, "load", f"no such file: {path}", "revisa la ruta del checkpoint") from None
    except IsADirectoryError:
        raise error(IsADirectoryError, "load", f"{path} is a folder, not a checkpoint file",
                    "pasa la ruta del archivo .safetensors, no la de su carpeta") from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        header, start = _read_header(path, size, fh)
        entries = _check_entries(path, header, size - start)
        tensors, widened = {}, []
        for begin, stop, name, dtype, shape in entries:  # sorted and contiguous: one sequential read
            # read straight into the tensor's own buffer: one copy of the bytes, no intermediate
            arr = np.empty(shape, np.dtype("<u2") if dtype == "BF16" else np.dtype(_DTYPES[dtype]).newbyteorder("<"))
            if fh.readinto(arr.reshape(-1).view(np.uint8)) != stop - begin:
                raise _bad(path, "the file is shorter than its header says (was it changed while loading?)")
            if dtype == "BF16":  # the bits of a bfloat16 are the upper half of the same float32
                arr = (arr.astype(np.uint32) << 16).view(np.float32)
                widened.append(name)
            elif dtype == "BOOL":
                arr = arr.view(np.uint8) != 0  # any nonzero byte is True (NumPy must only ever see 0/1)
            elif not arr.dtype.isnative:
                arr = arr.astype(arr.dtype.newbyteorder("="))  # pragma: no cover - big-endian machines
            tensors[name] = Tensor._make(arr)
    if widened:
        warnings.warn(f"load: {path}: {len(widened)} bfloat16 tensor(s) (e.g. {widened[0]!r}) were widened to "
                      "float32, exactly: profundo has no bfloat16", stacklevel=2)
    meta = header.get("__metadata__", {})
    if _STRUCTURE in meta:
        try:
            return _unflatten(json.loads(meta[_STRUCTURE]), tensors)
        except RecursionError:
            raise _bad(path, "its structure description is nested too deeply") from None
        except (KeyError, TypeError, ValueError) as e:
            raise _bad(path, f"its structure description is damaged ({str(e)[:200]})") from None
    return tensors
