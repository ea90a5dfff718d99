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
from ..sparse import RowSparseTensor
from ._base import Op, Tensor, error

__all__ = ["embedding"]


class Embedding(Op):
    """``weight[indices]``; backward: the rows of ``g`` added into the rows they were read from."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq, sparse):
        ctx.indices, ctx.num_weights = indices._data, weight._data.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq, ctx.sparse = padding_idx, scale_grad_by_freq, sparse
        return backend_of(weight).embedding(weight._data, indices._data)

    @staticmethod
    def backward(ctx, g):
        if ctx.sparse:
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


_INDEX_KINDS = ("int32", "int64")


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
    if idx.dtype.name not in _INDEX_KINDS:
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
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num or padding_idx < 0 and padding_idx < -num:
            raise error(AssertionError, "embedding", f"Padding_idx must be within num_embeddings (padding_idx="
                        f"{padding_idx}, num_embeddings={num})", f"padding_idx va de {-num} a {num - 1}")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        # in place on the table, outside the graph (PyTorch's _no_grad_embedding_renorm_)
        with grad_mode.no_grad():
            backend_of(weight).embedding_renorm_(weight._data, idx, float(max_norm), float(norm_type))
        weight._bump_version()
    return Embedding.apply(weight, input, padding_idx, bool(scale_grad_by_freq), bool(sparse))


def _tensor_type(dt):
    return {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "uint8": "ByteTensor",
            "int8": "CharTensor", "int16": "ShortTensor"}.get(dt.name, dt.name)
