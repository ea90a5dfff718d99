"""The IDX format of MNIST and Fashion-MNIST (gzip-compressed or raw).

Header: two zero bytes, a type code, the number of dimensions, then each
dimension as a big-endian uint32; then the values, big-endian.  A file whose
size does not match its header (truncated, or with extra bytes) is rejected.
Sizes are computed with Python integers (a header cannot make them wrap), and
a gzip stream is decompressed only up to the size its header announces plus
one byte, so a small "gzip bomb" is refused without inflating it.
"""
import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from .._errors import error

_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_HINT = "el archivo está dañado o incompleto: bórralo y vuelve a descargarlo"
_MAX_NDIM = 64 if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else 32  # NumPy's own limit
_CHUNK = 1 << 24  # read in pieces: memory grows only with the bytes that really exist


def _bad(path, text):
    return error(ValueError, "read_idx", f"{path}: {text}", _HINT)


def _read(stream, n):
    """At most ``n`` bytes of ``stream`` (fewer at its end), never allocating more than it holds."""
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(min(n - len(buf), _CHUNK))
        if not chunk:
            break
        buf += chunk
    return buf


def read_idx(path):
    """The array stored in the IDX file ``path`` (``.gz`` or not: detected from its bytes)."""
    path = Path(path)
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
        fh.seek(0)
        try:
            if gz:
                with gzip.GzipFile(fileobj=fh, mode="rb") as stream:
                    return _parse(path, stream, None)
            return _parse(path, fh, os.fstat(fh.fileno()).st_size)
        except (OSError, EOFError, zlib.error) as e:
            if not gz:
                raise
            raise _bad(path, f"the gzip data is damaged or truncated ({e})") from None


def _parse(path, stream, file_size):
    head = _read(stream, 4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _TYPES:
        raise _bad(path, f"not an IDX file (magic number {head.hex() or 'missing'}, expected 0000080N)")
    dtype, ndim = _TYPES[head[2]], head[3]
    if ndim > _MAX_NDIM:
        raise _bad(path, f"its header declares {ndim} dimensions; at most {_MAX_NDIM} are supported")
    dims = _read(stream, 4 * ndim)
    header = 4 + len(dims)
    if len(dims) < 4 * ndim:
        raise _bad(path, f"truncated header ({header} bytes for {ndim} dimensions)")
    shape = tuple(int.from_bytes(dims[4 * i:4 * i + 4], "big") for i in range(ndim))
    expected = 4 + 4 * ndim + math.prod(shape) * dtype.itemsize  # Python ints: (65536,)*4 cannot wrap to 0
    # a raw file's size is known before reading it; a gzip stream is read up to one byte past the end
    # (reaching its end is also what makes gzip verify its checksum)
    data = _read(stream, expected - header + 1) if file_size is None or file_size == expected else b""
    size = file_size if file_size is not None else header + len(data)
    if size != expected:
        raise _bad(path, f"{size}{'+' if file_size is None and size > expected else ''} bytes, but its header "
                   f"(shape {shape}, {dtype.name}) needs {expected}" + (" (truncated)" if size < expected
                                                                          else " (extra bytes)"))
    return np.frombuffer(data, dtype).reshape(shape).astype(dtype.newbyteorder("="))


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
