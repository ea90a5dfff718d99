"""The IDX format of MNIST and Fashion-MNIST (gzip-compressed or raw).

Header: two zero bytes, a type code, the number of dimensions, then each
dimension as a big-endian uint32; then the values, big-endian.  A file whose
size does not match its header (truncated, or with extra bytes) is rejected.
"""
import gzip
import zlib
from pathlib import Path

import numpy as np

from .._errors import error

_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_HINT = "el archivo está dañado o incompleto: bórralo y vuelve a descargarlo"


def _bad(path, text):
    return error(ValueError, "read_idx", f"{path}: {text}", _HINT)


def read_idx(path):
    """The array stored in the IDX file ``path`` (``.gz`` or not: detected from its bytes)."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise _bad(path, f"the gzip data is damaged or truncated ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise _bad(path, f"not an IDX file (magic number {raw[:4].hex() or 'missing'}, expected 0000080N)")
    dtype, ndim = _TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise _bad(path, f"truncated header ({len(raw)} bytes for {ndim} dimensions)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise _bad(path, f"{len(raw)} bytes, but its header (shape {shape}, {dtype.name}) needs {expected}"
                   + (" (truncated)" if len(raw) < expected else " (extra bytes)"))
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` as an IDX file (gzip-compressed if ``path`` ends in .gz); for tests and tools."""
    array = np.asarray(array)
    codes = {v.name: k for k, v in _TYPES.items()}
    if array.dtype.name not in codes:
        raise error(TypeError, "write_idx", f"IDX cannot store dtype {array.dtype}",
                    "usa uint8, int8, int16, int32, float32 o float64")
    code = codes[array.dtype.name]
    data = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes() + \
        array.astype(_TYPES[code]).tobytes()
    Path(path).write_bytes(gzip.compress(data) if str(path).endswith(".gz") else data)
