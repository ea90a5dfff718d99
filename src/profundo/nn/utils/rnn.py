"""``nn.utils.rnn`` (Unit 3, issue 13): pad_sequence and packed sequences.

A batch of sequences of different lengths can be

- *padded*: one (T, B, *) tensor (``pad_sequence``), the short ones filled with ``padding_value``;
- *packed*: a ``PackedSequence``, the real steps only, time-major: the ``batch_sizes[0]`` sequences'
  first steps, then the ``batch_sizes[1]`` that have a second step, ... (sorted from the longest
  sequence to the shortest; ``sorted_indices`` maps back to the user's order).

``nn.RNN``/``GRU``/``LSTM`` accept a packed sequence: every sequence's final state is taken at its
own last step (and, for the reverse direction, starts there).  Every conversion here is one index
gather (``index_select``), so gradients flow back through them.
"""
from collections import namedtuple

from ..._backend import backend_of
from ..._errors import error
from ...creation import full, tensor as _tensor
from ...ops import shape as _shape
from ...tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "unpad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpack_sequence", "invert_permutation"]

_Packed = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_Packed):
    """A batch of variable-length sequences, packed: (data, batch_sizes, sorted_indices,
    unsorted_indices), as PyTorch's.  Make it with ``pack_padded_sequence`` or ``pack_sequence``."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise error(TypeError, "PackedSequence", "batch_sizes is required: build packed sequences with "
                        "pack_padded_sequence or pack_sequence", "usa nn.utils.rnn.pack_padded_sequence(...)")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self):
        return self

    def double(self):
        return self.to(dtype=_dtype("float64"))

    def float(self):
        return self.to(dtype=_dtype("float32"))

    def half(self):
        return self.to(dtype=_dtype("float16"))

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


def _dtype(name):
    from ... import _dtype as d
    return getattr(d, name)


def invert_permutation(permutation):
    """The permutation that undoes ``permutation`` (None stays None)."""
    if permutation is None:
        return None
    xp = backend_of(permutation).xp
    p = permutation._data
    out = xp.empty_like(p)
    out[p] = xp.arange(p.shape[0], dtype=p.dtype)
    return Tensor._make(out)


def _lengths_array(lengths, op):
    """``lengths`` (a list, tuple or 1-D integer tensor) as a host int64 array."""
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise error(RuntimeError, op, f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                        f"{lengths.dim()}D {lengths.dtype} tensor", "lengths es una lista de longitudes")
        return lengths._data.astype("int64")
    return _tensor(list(lengths), dtype=_dtype("int64"))._data


# ------------------------------------------------------------------ padding
def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors (L_i, *) into (max L, B, *) (``batch_first``: (B, max L, *)), filling the missing
    steps with ``padding_value`` after each sequence (``padding_side="left"``: before it)."""
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise error(RuntimeError, "pad_sequence", f"Expected padding_side to be one of left or right, but got "
                    f"{padding_side}.", "padding_side es 'left' o 'right'")
    if not sequences:
        raise error(RuntimeError, "pad_sequence", "received an empty list of sequences",
                    "pasa al menos una secuencia")
    for s in sequences:
        if not isinstance(s, Tensor):
            raise error(TypeError, "pad_sequence", f"expected a list of Tensors, got {type(s).__name__}",
                        "cada secuencia es un tensor (L, *)")
        if s.dim() == 0:
            raise error(RuntimeError, "pad_sequence", "every sequence must have at least one dimension (its length)",
                        "cada secuencia es un tensor (L, *)")
    rest = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != rest:
            raise error(RuntimeError, "pad_sequence", f"The size of tensor a ({rest[0] if rest else 1}) must match the "
                        f"size of tensor b ({s.shape[1] if s.dim() > 1 else 1}) at non-singleton dimension 1",
                        "todas las secuencias deben tener la misma forma salvo la longitud (eje 0)")
    xp = backend_of(sequences[0]).xp
    lengths = xp.asarray([s.shape[0] for s in sequences], dtype="int64")
    total, longest, batch = int(lengths.sum()), int(lengths.max()), len(sequences)
    pad_row = full((1,) + rest, padding_value, dtype=sequences[0].dtype)
    rows = _shape.cat(list(sequences) + [pad_row], 0)            # every step of every sequence, then the pad
    # the row of each (sequence, step) slot: its own step, or the pad row (index ``total``)
    starts = xp.concatenate([xp.zeros(1, "int64"), xp.cumsum(lengths)[:-1]])
    steps = xp.arange(longest)[None, :]
    if padding_side == "right":
        valid, offset = steps < lengths[:, None], steps
    else:
        shift = longest - lengths[:, None]
        valid, offset = steps >= shift, steps - shift
    index = xp.where(valid, starts[:, None] + offset, total)      # (B, max L)
    if not batch_first:
        index = index.T
    out = rows.index_select(0, Tensor._make(xp.ascontiguousarray(index).reshape(-1)))
    return out.reshape(index.shape + rest) if batch != 0 else out


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of ``pad_sequence``: a list of tensors (L_i, *)."""
    lens = _lengths_array(lengths, "unpad_sequence")
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[b, :int(n)] for b, n in enumerate(lens)]


# ------------------------------------------------------------------ packing
def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (``batch_first``: (B, T, *)) of sequences of ``lengths``."""
    op = "pack_padded_sequence"
    lens = _lengths_array(lengths, op)
    xp = backend_of(input).xp
    batch_dim = 0 if batch_first else 1
    if lens.shape[0] != input.shape[batch_dim]:
        raise error(RuntimeError, op, f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
                    f"(batch_size={input.shape[batch_dim]})", "una longitud por secuencia del lote")
    if lens.shape[0] and lens.min() <= 0:
        raise error(RuntimeError, op, "Length of all samples has to be greater than 0, but found an element in "
                    "'lengths' that is <= 0", "cada secuencia tiene al menos un paso")
    if lens.shape[0] and lens.max() > input.shape[1 - batch_dim]:
        raise error(RuntimeError, op, f"a length ({int(lens.max())}) is larger than the padded sequence length "
                    f"{input.shape[1 - batch_dim]}", "las longitudes no pueden superar el largo del tensor relleno")
    if enforce_sorted:
        if lens.shape[0] > 1 and (lens[:-1] < lens[1:]).any():
            raise error(RuntimeError, op, "`lengths` array must be sorted in decreasing order when `enforce_sorted` "
                        "is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                        "to sidestep this requirement if you do not need ONNX exportability.",
                        "ordena el lote de la secuencia más larga a la más corta, o pasa enforce_sorted=False")
        sorted_indices = None
    else:
        order = xp.argsort(-lens, kind="stable")                 # longest first; ties keep their order
        sorted_indices = Tensor._make(order.astype("int64"))
        lens = lens[order]
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    longest = int(lens.max())
    mask = xp.arange(longest)[:, None] < lens[None, :]           # (T, B): the real steps
    batch_sizes = Tensor._make(mask.sum(1).astype("int64"))
    rest = tuple(input.shape[2:])
    flat = input[:longest].reshape((longest * lens.shape[0],) + rest)
    data = flat.index_select(0, Tensor._make(xp.flatnonzero(mask.reshape(-1)).astype("int64")))
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpack to (padded (T, B, *) in the user's order, lengths (B,) int64)."""
    padded, mask = _packed_to_padded(sequence, padding_value)
    lengths = Tensor._make(mask[..., 0].sum(0).astype("int64"))
    longest = padded.shape[0]
    if total_length is not None:
        if total_length < longest:
            raise error(ValueError, "pad_packed_sequence", "Expected total_length to be at least the length of the "
                        f"longest sequence in input, but got total_length={total_length} and max sequence length "
                        f"being {longest}", "total_length debe ser al menos la longitud de la secuencia más larga")
        if total_length > longest:
            extra = full((total_length - longest,) + tuple(padded.shape[1:]), padding_value, dtype=padded.dtype)
            padded = _shape.cat([padded, extra], 0)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths.index_select(0, sequence.unsorted_indices)
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, lengths


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *) (``pad_sequence`` then ``pack_padded_sequence``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The inverse of ``pack_sequence``: a list of tensors (L_i, *) in the user's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


# ------------------------------------------------------------------ for the recurrent layers
def _packed_to_padded(packed, padding_value=0.0):
    """(padded (T, B, *) in the packed (sorted) order, mask (T, B, 1) bool of the real steps)."""
    data = packed.data
    xp = backend_of(data).xp
    sizes = packed.batch_sizes._data
    longest, batch = sizes.shape[0], int(sizes[0])
    mask = xp.arange(batch)[None, :] < sizes[:, None]             # (T, B)
    # packed row of each (step, sequence) slot: data is the real slots in (step, sequence) order
    index = xp.where(mask, xp.cumsum(mask.reshape(-1)).reshape(mask.shape) - 1, data.shape[0])
    rest = tuple(data.shape[1:])
    pad_row = full((1,) + rest, padding_value, dtype=data.dtype)
    rows = _shape.cat([data, pad_row], 0)
    padded = rows.index_select(0, Tensor._make(index.reshape(-1).astype("int64")))
    return padded.reshape((longest, batch) + rest), mask[:, :, None]


def _padded_to_packed(padded, like):
    """The real steps of ``padded`` (T, B, *) as a PackedSequence shaped like ``like``."""
    xp = backend_of(padded).xp
    sizes = like.batch_sizes._data
    mask = xp.arange(padded.shape[1])[None, :] < sizes[:, None]
    flat = padded.reshape((padded.shape[0] * padded.shape[1],) + tuple(padded.shape[2:]))
    data = flat.index_select(0, Tensor._make(xp.flatnonzero(mask.reshape(-1)).astype("int64")))
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)
