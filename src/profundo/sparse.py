"""Row-sparse tensors: the gradient of ``nn.Embedding(sparse=True)`` (``profundo.sparse``).

A lookup ``F.embedding(indices, weight)`` reads only the rows ``indices`` of its
table, so its gradient is zero everywhere else.  With ``sparse=True`` the
gradient is a ``RowSparseTensor``: the list of row indices it touches and one
row of values for each, instead of a dense ``(num_embeddings, dim)`` array of
mostly zeros.  A step of ``optim.SGD`` (or ``Adagrad``) then updates those rows
only: it costs O(batch x dim), not O(table x dim).

It follows PyTorch's ``torch.sparse_coo`` tensor with one sparse dimension, the
layout ``torch.nn.Embedding(sparse=True)`` produces:

- ``g._indices()`` (shape ``(1, nnz)``) and ``g._values()`` (``(nnz, dim)``);
  ``g.indices()``/``g.values()`` once coalesced;
- a row index may appear several times (the same word twice in a batch): the
  tensor means the *sum* of those rows ("uncoalesced", as the backward makes it);
  ``g.coalesce()`` sums them, with the indices sorted;
- ``g.to_dense()``, ``g.is_sparse`` (True; ``False`` on a dense tensor),
  ``g + h`` (sparse + sparse: sparse; sparse + dense: dense), ``g * 2.0``,
  ``g.zero_()``, ``g.norm()``.

Only what gradients need is here: it is no general sparse-tensor library (no
matmul, no slicing); other ops refuse it as a non-tensor operand.
"""
from ._backend import backend_of
from ._dtype import _FROM_NP
from ._errors import error
from .tensor import Size, Tensor

__all__ = ["RowSparseTensor"]


class RowSparseTensor:
    """A tensor of shape ``size`` in which only the rows ``rows`` are stored:
    ``dense[rows[i]] += values[i]`` for each i, every other row is zero.

    ``rows``: a 1-D int64 array of row indices (repeats allowed); ``values``: an
    array of shape ``(len(rows),) + size[1:]``.  Arrays of the same backend."""

    is_sparse = True
    requires_grad = False
    grad_fn = None
    is_leaf = True
    layout = "sparse_rows"

    def __init__(self, rows, values, size, coalesced=False):
        self._rows = rows
        self._vals = values
        self._size = tuple(size)
        self._coalesced = bool(coalesced)

    # ------------------------------------------------------------ metadata (as a dense tensor's)
    @property
    def shape(self):
        return Size(self._size)

    def size(self, dim=None):
        return Size(self._size) if dim is None else self._size[dim]

    def dim(self):
        return len(self._size)

    ndim = property(dim)

    @property
    def dtype(self):
        return _FROM_NP[self._vals.dtype]

    @property
    def device(self):
        return Tensor._make(self._vals).device

    def numel(self):
        n = 1
        for s in self._size:
            n *= s
        return n

    def sparse_dim(self):
        return 1

    def dense_dim(self):
        return len(self._size) - 1

    def _nnz(self):
        return int(self._rows.shape[0])

    def is_coalesced(self):
        return self._coalesced

    # ------------------------------------------------------------ indices and values
    def _indices(self):
        """The row indices as a ``(1, nnz)`` int64 tensor, repeats included (PyTorch's layout)."""
        return Tensor._make(self._rows.reshape(1, -1))

    def _values(self):
        """The stored rows, ``(nnz, *size[1:])``."""
        return Tensor._make(self._vals)

    def indices(self):
        if not self._coalesced:
            raise error(RuntimeError, "indices", "Cannot get indices on an uncoalesced tensor, please call "
                        ".coalesce() first", "llama primero a .coalesce() (suma las filas repetidas)")
        return self._indices()

    def values(self):
        if not self._coalesced:
            raise error(RuntimeError, "values", "Cannot get values on an uncoalesced tensor, please call "
                        ".coalesce() first", "llama primero a .coalesce() (suma las filas repetidas)")
        return self._values()

    def coalesce(self):
        """The same tensor with each row index once, ascending, its repeated rows summed."""
        if self._coalesced:
            return self
        rows, vals = backend_of(self._vals).index_sum_rows(self._rows, self._vals)
        return RowSparseTensor(rows, vals, self._size, coalesced=True)

    def to_dense(self):
        """The dense tensor it stands for (zeros except the stored rows)."""
        be = backend_of(self._vals)
        out = be.xp.zeros(self._size, self._vals.dtype)
        be.index_add_rows(out, self._rows, self._vals)
        return Tensor._make(out)

    # ------------------------------------------------------------ as a gradient
    def detach(self):
        return self  # never part of a graph

    def detach_(self):
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad:
            raise error(RuntimeError, "requires_grad_", "a row-sparse gradient cannot require grad",
                        "los gradientes dispersos no forman parte del grafo")
        return self

    def clone(self):
        be = backend_of(self._vals)
        return RowSparseTensor(be.copy(self._rows), be.copy(self._vals), self._size, self._coalesced)

    def zero_(self):
        """No stored rows any more (``Optimizer.zero_grad(set_to_none=False)``)."""
        self._rows, self._vals = self._rows[:0], self._vals[:0]
        self._coalesced = True
        return self

    def mul_(self, other):
        """Scale in place by a number (``clip_grad_norm_``)."""
        self._vals = self._vals * self._vals.dtype.type(_number(other, "mul_"))
        return self

    def __mul__(self, other):
        return RowSparseTensor(self._rows, self._vals * self._vals.dtype.type(_number(other, "mul")), self._size,
                               self._coalesced)

    __rmul__ = mul = __mul__

    def __truediv__(self, other):
        return self * (1.0 / _number(other, "div"))

    def __neg__(self):
        return RowSparseTensor(self._rows, -self._vals, self._size, self._coalesced)

    def add(self, other, alpha=1):
        """``self + alpha * other``: sparse if ``other`` is sparse, else dense."""
        if alpha != 1:
            other = other * alpha
        return add_grads(self, other)

    __add__ = __radd__ = add

    def add_(self, other, alpha=1):
        """In place, ``other`` row-sparse too: its rows are appended (uncoalesced)."""
        if not isinstance(other, RowSparseTensor):
            raise error(RuntimeError, "add_", "add_(sparse, dense) is not supported: a row-sparse tensor can only "
                        "take a row-sparse tensor in place; use dense.add_(sparse) or sparse.to_dense()",
                        "suma el disperso a un tensor denso (denso.add_(disperso)) o usa .to_dense()")
        s = add_grads(self, other * alpha if alpha != 1 else other)
        self._rows, self._vals, self._coalesced = s._rows, s._vals, s._coalesced
        return self

    def norm(self, p=2):
        """The norm of the dense tensor it stands for (of its coalesced rows)."""
        from .linalg import vector_norm
        return vector_norm(self.coalesce()._values(), ord=p)

    def __repr__(self):
        pad = " " * 7
        ind = repr(self._indices()).replace("\n", "\n" + pad + " " * 8)
        val = repr(self._values()).replace("\n", "\n" + pad + " " * 7)
        return (f"tensor(indices={ind},\n{pad}values={val},\n{pad}size={self._size}, nnz={self._nnz()}, "
                f"layout=sparse_rows)")


def _number(x, op):
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return x
    if isinstance(x, Tensor) and x._data.ndim == 0:
        return x.item()
    raise error(TypeError, op, f"a row-sparse tensor can only be scaled by a number, got {type(x).__name__}",
                "multiplica por un número, o convierte antes con .to_dense()")


# ---------------------------------------------------------------- gradient accumulation (autograd/engine.py)
# The engine calls these three where a gradient may be row-sparse; a dense
# gradient never reaches them.

def add_grads(a, b):
    """``a + b`` for two gradients of one tensor, at least one row-sparse: both
    sparse, their rows side by side (sparse, uncoalesced, as PyTorch); else the
    dense one plus the sparse rows (a new dense tensor)."""
    sa, sb = isinstance(a, RowSparseTensor), isinstance(b, RowSparseTensor)
    if sa and sb:
        _check_same(a, b)
        xp = backend_of(a._vals).xp
        return RowSparseTensor(xp.concatenate([a._rows, b._rows]), xp.concatenate([a._vals, b._vals]), a._size)
    dense, sp = (b, a) if sa else (a, b)
    if not isinstance(dense, Tensor):
        raise error(TypeError, "add", f"cannot add a row-sparse tensor and {type(dense).__name__}",
                    "suma tensores (densos o dispersos)")
    _check_same(sp, dense)
    be = backend_of(dense)
    out = be.copy(dense._data)
    be.index_add_rows(out, sp._rows, sp._vals)
    return Tensor._make(out)


def _check_same(a, b):
    if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
        raise error(RuntimeError, "add", f"cannot add tensors of shapes {tuple(a.shape)} {a.dtype} and "
                    f"{tuple(b.shape)} {b.dtype}", "los dos gradientes deben tener la misma forma y dtype")


def fit(node, g, shape, dtype):
    """The engine's check of a gradient against its input, for a row-sparse one."""
    if g._size != tuple(shape) or g._vals.dtype != dtype:
        raise error(RuntimeError, None, f"Function {node.name()} returned an invalid row-sparse gradient: got "
                    f"{list(g._size)} {g._vals.dtype} but expected {list(shape)} {dtype}",
                    "el backward debe devolver un gradiente con la forma y el dtype de su entrada")
    return g


def accumulate(var, g):
    """A leaf's ``.grad`` += the row-sparse ``g``: the first gradient is kept sparse
    (it is the backward's own, fresh); sparse + sparse stays sparse; a dense
    ``.grad`` takes the rows in place, as PyTorch's dense + sparse."""
    cur = var._grad
    if cur is None:
        var._grad = g
    elif isinstance(cur, RowSparseTensor):
        var._grad = add_grads(cur, g)
    elif cur._requires_grad or not backend_of(cur).is_writeable(cur._data):
        var._grad = add_grads(cur, g)
    else:
        backend_of(cur).index_add_rows(cur._data, g._rows, g._vals)
        cur._bump_version()
