"""Embedding lookups (Unit 3, issue 13): F.embedding, F.embedding_bag, their gradients (dense and row-sparse).

``F.embedding(indices, weight)`` is ``weight[indices]``: each index picks one
row of the table.  Its gradient with respect to the table adds each incoming
gradient row into the row it was read from (a *scatter-add*: an index seen
twice gets both rows).  The indices get no gradient (they are integers).

- dense (``sparse=False``): a ``(num_embeddings, dim)`` gradient, zero on the
  rows not looked up (``EmbeddingDenseGrad``, itself differentiable);
- row-sparse (``sparse=True``): a ``profundo.sparse.RowSparseTensor`` holding
  just the looked-up rows, so an optimizer step touches only them.

The padding row (``padding_idx``) never gets a gradient; ``scale_grad_by_freq``
divides each row's gradient by how many times its index occurs in the batch;
``max_norm`` renormalizes, in place and before the lookup, the rows about to be
read whose norm exceeds it (PyTorch's ``embedding_renorm_``).
"""
from .._backend import backend_of
from ..autograd import grad_mode
from ..autograd.function import AccumulateGrad
from ..sparse import RowSparseTensor
from ._base import Op, Tensor, error
from .elementwise import where
from .shape import cat

__all__ = ["embedding", "embedding_bag"]


class Embedding(Op):
    """``weight[indices]``; backward: the rows of ``g`` added into the rows they were read from."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq, sparse):
        ctx.save_for_backward(indices)  # (its version is checked: indices changed in place before backward raise)
        ctx.num_weights = weight._data.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq, ctx.sparse = padding_idx, scale_grad_by_freq, sparse
        return backend_of(weight).embedding(weight._data, indices._data)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved_tensors
        ctx.indices = indices._data
        edge = ctx._edges[0]
        if ctx.sparse and edge is not None and type(edge[0]) is AccumulateGrad:
            # row-sparse into a leaf table's .grad; a computed table (``w * 2``) takes it dense,
            # as the ops before it take dense gradients
            return _sparse_grad(ctx, g), None, None, None, None
        return EmbeddingDenseGrad.apply(g, ctx.indices, ctx.num_weights, ctx.padding_idx,
                                        ctx.scale_grad_by_freq), None, None, None, None


def _sparse_grad(ctx, g):
    """The row-sparse gradient: one stored row per looked-up index (repeats kept, as
    PyTorch's uncoalesced result), minus those of the padding index."""
    if ctx.scale_grad_by_freq:
        raise error(RuntimeError, "embedding_backward", "scale_grad_by_freq not supported with sparse gradients",
                    "usa sparse=False, o quita scale_grad_by_freq")
    be = backend_of(g)
    rows = ctx.indices.reshape(-1)
    values = g._data.reshape(rows.shape[0], g._data.shape[-1])
    if ctx.padding_idx >= 0:
        keep = rows != ctx.padding_idx
        rows, values = rows[keep], values[keep]
    else:  # their own arrays: they may become .grad, and be updated in place
        rows, values = be.copy(rows), be.copy(values)
    return RowSparseTensor(rows.astype(be.xp.int64, copy=False), values, (ctx.num_weights, g._data.shape[-1]))


class EmbeddingDenseGrad(Op):
    """The dense gradient of the table: ``out[r] = sum of g[i] over i with indices[i] == r``
    (PyTorch's ``embedding_dense_backward``); linear in ``g``, its own backward is the
    lookup of the incoming gradient's rows again."""

    node_name = "EmbeddingBackwardBackward0"

    @staticmethod
    def forward(ctx, g, indices, num_weights, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.padding_idx, ctx.scale = indices, padding_idx, scale_grad_by_freq
        return backend_of(g).embedding_backward(g._data, indices, num_weights, padding_idx, scale_grad_by_freq)

    @staticmethod
    def backward(ctx, gg):
        # d out[r] / d g[i] = 1 (or 1/count) where indices[i] == r and r is not the padding row
        be = backend_of(gg)
        scale = gg
        if ctx.padding_idx >= 0 or ctx.scale:
            num = gg._data.shape[0]
            factor = be.xp.ones(num, gg._data.dtype)
            if ctx.scale:
                counts = be.xp.bincount(ctx.indices.reshape(-1), minlength=num)
                factor = factor / be.xp.maximum(counts, 1).astype(gg._data.dtype)
            if ctx.padding_idx >= 0:
                factor[ctx.padding_idx] = 0
            scale = gg * Tensor._make(factor.reshape(num, 1))
        return Embedding.apply(scale, Tensor._make(ctx.indices), -1, False, False), None, None, None, None


def padding_row(padding_idx, num, op, message="Padding_idx must be within num_embeddings"):
    """``padding_idx`` as a row number of a table of ``num`` rows (a negative one counts from the
    end), checked (PyTorch's AssertionError and ``message``); None stays None."""
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise error(AssertionError, op, f"{message} (padding_idx={padding_idx}, num_embeddings={num})",
                    f"padding_idx va de {-num} a {num - 1}")
    return padding_idx + num if padding_idx < 0 else padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Look up the rows ``input`` (int64 or int32 indices, any shape) of the table ``weight``
    (``(num_embeddings, embedding_dim)``); the result has shape ``input.shape + (embedding_dim,)``."""
    if not isinstance(input, Tensor):
        raise error(TypeError, "embedding", f"argument 'indices' (position 2) must be Tensor, not "
                    f"{type(input).__name__}", "convierte los índices con profundo.tensor([...])")
    if not isinstance(weight, Tensor):
        raise error(TypeError, "embedding", f"argument 'weight' (position 1) must be Tensor, not "
                    f"{type(weight).__name__}", "la tabla es un tensor de forma (num_embeddings, embedding_dim)")
    if weight._data.ndim != 2:
        raise error(RuntimeError, "embedding", f"'weight' must be 2-D, got shape {tuple(weight.shape)}",
                    "la tabla de embeddings es una matriz (num_embeddings, embedding_dim)")
    idx = input._data
    if idx.dtype.kind != "i" or idx.dtype.itemsize < 4:  # int32 or int64 (``dtype.name`` is slow to build)
        kind = {"b": "CPUBoolType"}.get(idx.dtype.kind, f"profundo.{_tensor_type(idx.dtype)}")
        raise error(RuntimeError, "embedding", "Expected tensor for argument #1 'indices' to have one of the "
                    f"following scalar types: Long, Int; but got {kind} instead (while checking arguments for "
                    "embedding)", "los índices deben ser enteros: usa x.long()")
    num = weight._data.shape[0]
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= num:
            bad = lo if lo < 0 else hi
            raise error(IndexError, "embedding", f"index out of range in self (index {bad}, table of {num} rows)",
                        f"los índices van de 0 a {num - 1}: ¿el vocabulario tiene más palabras que num_embeddings?")
    padding_idx = padding_row(padding_idx, num, "embedding")
    if padding_idx is None:
        padding_idx = -1  # (the ops' "no padding row")
    if max_norm is not None:
        # in place on the table, outside the graph (PyTorch's _no_grad_embedding_renorm_)
        with grad_mode.no_grad():
            backend_of(weight).embedding_renorm_(weight._data, idx, float(max_norm), float(norm_type))
        weight._bump_version()
    return Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq), bool(sparse))


def _tensor_type(dt):
    return {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "uint8": "ByteTensor",
            "int8": "CharTensor", "int16": "ShortTensor"}.get(dt.name, dt.name)


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """The sum, mean or max of bags of embeddings, without building the looked-up rows' tensor
    per bag by hand: ``input`` 2-D ``(B, N)`` is B bags of N indices; 1-D with ``offsets`` (the
    start of each bag in ``input``) is bags of any length.  Returns ``(B, embedding_dim)``; an empty
    bag gives zeros; indices equal to ``padding_idx`` are left out of their bag (and of its count).

    Written with the lookup (``embedding``, so the table's gradient is dense or row-sparse as asked)
    and tensor ops on a ``(B, longest bag, dim)`` layout: the gradient of each mode is that of its
    reduction (sum: each row; mean: each row / count; max: the row that won)."""
    _check_bag_args(input, weight, offsets, mode, sparse, per_sample_weights, include_last_offset)
    num = weight._data.shape[0]
    padding_idx = padding_row(padding_idx, num, "embedding_bag", "padding_idx must be within the number of embeddings")
    xp = backend_of(weight).xp
    dt = weight._data.dtype
    idx = input._data
    if idx.dtype.kind in "iu" and idx.size:
        bad = xp.flatnonzero((idx.reshape(-1) < 0) | (idx.reshape(-1) >= num))
        if bad.size:
            i = int(bad[0])
            raise error(RuntimeError, "embedding_bag", f"Index {i} of input takes value {int(idx.reshape(-1)[i])} "
                        f"which is not in the valid range [0, {num})",
                        f"los índices van de 0 a {num - 1}: ¿el vocabulario tiene más palabras que num_embeddings?")
    # the rows looked up, once per index (so the table's gradient, dense or sparse, and
    # scale_grad_by_freq's counts see exactly the input's indices)
    rows = embedding(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    psw = per_sample_weights
    if input.dim() == 2:  # fixed-length bags: already (B, N, dim)
        slots, valid = input._data, xp.ones(input._data.shape, bool)
    else:  # bags of any length: into a (B, longest bag, dim) layout, zero rows where a bag is shorter
        slots, valid, pos = _bag_layout(input._data, offsets._data, include_last_offset, xp)
        where_from = Tensor._make(pos)
        rows = cat([rows, rows.new_zeros((1, rows.shape[-1]))])[where_from]
        if psw is not None:
            psw = cat([psw, psw.new_zeros(1)])[where_from]
    if padding_idx is not None:
        valid = valid & (slots != padding_idx)  # left out of the bag
    if mode == "max":
        if not valid.shape[1]:
            return rows.sum(1)  # only empty bags: zeros
        # max(1), not amax(1): on a tie the gradient goes to the first row (PyTorch's max_indices), not split
        out = (rows + Tensor._make(xp.where(valid[..., None], 0.0, -xp.inf).astype(dt))).max(1)[0]
        empty = ~valid.any(1, keepdims=True)
        return where(Tensor._make(empty), 0.0, out) if empty.any() else out
    mask = Tensor._make(valid[..., None].astype(dt))  # (B, L, 1): 1 where a row is in its bag
    if psw is not None:
        mask = mask * psw.unsqueeze(-1)
    out = (rows * mask).sum(1)
    if mode == "mean":
        out = out / Tensor._make(xp.maximum(valid.sum(1, keepdims=True), 1).astype(dt))
    return out


def _bag_layout(idx, offsets, include_last_offset, xp):
    """1-D indices and bag offsets as a ``(B, L)`` table of indices (L the longest bag; 0 where a
    bag is shorter), the mask of real entries, and each slot's position in ``idx`` (``len(idx)``,
    one past the end, where a bag is shorter)."""
    n = idx.shape[0]
    starts = offsets[:-1] if include_last_offset else offsets
    ends = xp.append(starts[1:], n)  # (with include_last_offset, offsets[-1] == n: checked)
    lengths = ends - starts
    width = int(lengths.max()) if lengths.size else 0
    pos = starts[:, None] + xp.arange(width)[None, :]
    valid = xp.arange(width)[None, :] < lengths[:, None]
    pos = xp.where(valid, pos, n)
    slots = xp.append(idx, 0)[pos]
    return slots, valid, pos


def _check_bag_args(input, weight, offsets, mode, sparse, per_sample_weights, include_last_offset):
    op = "embedding_bag"
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise error(TypeError, op, "input and weight must be Tensors", "convierte los índices con profundo.tensor(...)")
    if mode not in _BAG_MODES:
        raise error(ValueError, op, f"mode has to be one of sum, mean or max (got {mode!r})",
                    "usa mode='sum', 'mean' o 'max'")
    if mode == "max" and sparse:
        raise error(ValueError, op, "max mode does not support sparse weights", "usa mode='sum' o 'mean' con sparse")
    if per_sample_weights is not None:
        if mode != "sum":
            raise error(NotImplementedError, op, "embedding_bag: per_sample_weights was not None. per_sample_weights "
                        f"is only supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                        "GitHub.", "per_sample_weights solo vale con mode='sum'")
        if not isinstance(per_sample_weights, Tensor):
            raise error(TypeError, op, f"per_sample_weights must be a Tensor, not {type(per_sample_weights).__name__}",
                        "un peso por índice: un tensor de la forma de input")
        if per_sample_weights.dtype != weight.dtype:
            raise error(RuntimeError, op, "Expected tensor for argument #1 'weight' to have the same type as tensor "
                        f"for argument #1 'per_sample_weights'; but type {weight.dtype} does not equal "
                        f"{per_sample_weights.dtype}", "per_sample_weights debe tener el dtype de la tabla")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise error(ValueError, op, f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) "
                        f"is not None, then it must have the same shape as the input ({tuple(input.shape)})",
                        "un peso por índice: misma forma que input")
    if input.dim() == 2:
        if offsets is not None:
            raise error(ValueError, op, "if input is 2D, then offsets has to be None, as input is treated is a "
                        "mini-batch of fixed length sequences. However, found offsets of type "
                        f"{type(offsets).__name__}", "con input 2-D cada fila es una bolsa: quita offsets")
        return
    if input.dim() != 1:
        raise error(ValueError, op, f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}",
                    "input es 1-D (con offsets) o 2-D (bolsas de igual longitud)")
    if offsets is None or not isinstance(offsets, Tensor) or offsets.dim() != 1:
        raise error(ValueError, op, f"offsets has to be a 1D Tensor but got {offsets if offsets is None else 'a '}"
                    f"{'' if offsets is None else type(offsets).__name__}",
                    "con input 1-D pasa offsets, el inicio de cada bolsa, p. ej. tensor([0, 3])")
    off = offsets._data
    if off.dtype.kind not in "iu":
        raise error(RuntimeError, op, f"offsets must be integers, got {off.dtype}", "usa offsets enteros (long)")
    n = input._data.shape[0]
    if off.shape[0] == 0 or (include_last_offset and off.shape[0] < 2):
        raise error(RuntimeError, op, "offsets has to have at least one bag start (two with include_last_offset)",
                    "offsets lista el inicio de cada bolsa")
    if off[0] != 0:
        raise error(RuntimeError, op, "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                    f"start from position 0. However, got {int(off[0])}", "la primera bolsa empieza en 0")
    if off[-1] > n:
        raise error(RuntimeError, op, f"offsets[-1] can not be greater than input's length {n} but got "
                    f"offsets[-1] of {int(off[-1])}", "los offsets no pueden pasar del final de input")
    if include_last_offset and off[-1] != n:
        # PyTorch accepts it, with three different meanings for the indices left after it (sum, mean and
        # max on CPU: pytorch#191965; pytorch#52851 asks for this error): refused rather than guessed
        raise error(RuntimeError, op, f"with include_last_offset=True the last offset must be the input's length "
                    f"{n} (it closes the last bag), but got {int(off[-1])}",
                    "con include_last_offset=True el último offset es len(input): tensor([0, ..., len(input)])")
    if (off[1:] < off[:-1]).any():
        raise error(RuntimeError, op, f"offsets must be non-decreasing, got {off.tolist()}",
                    "los offsets son los inicios de las bolsas, en orden")
