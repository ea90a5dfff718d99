"""Sorting, selection and scans: sort/argsort/msort, topk, kthvalue,
median/nanmedian, unique, cummax/cummin, logcumsumexp, and meshgrid.

Every op that picks elements (sort, topk, kthvalue, median along a dim,
cummax/cummin) works the same way: NumPy finds the *indices* of the chosen
elements, the values are the input gathered at those indices (``Select``),
and the gradient goes back to exactly those positions (a scatter-add of the
upstream gradient into zeros).

Conventions shared with PyTorch:

- NaN sorts as the largest value: last in ascending order, first in
  descending order, picked first by ``topk`` and last by ``kthvalue``.
- Every sort here is stable (equal values keep their input order), which is
  what ``stable=True`` promises.  With the default ``stable=False`` PyTorch
  may order ties differently (its CPU sort is not stable for more than 16
  elements); any order of ties is correct then, and a stable one is too.
- ``topk``, ``kthvalue`` and ``median(dim)`` on ties may return a different
  (equally valid) index than PyTorch: PyTorch documents those indices as
  unspecified.  The values are always the same.
"""
import warnings
from collections import namedtuple

from .._backend import backend_of
from .._backend import xp as host_xp  # host-side: the type of a NumPy bool argument
from .._dtype import scalar_type_name
from ._base import Op, Tensor, error, norm_dim
from .elementwise import where
from .index import ScatterAdd

# torch.return_types.sort and friends: tuples with .values and .indices
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])
nanmedian_result = namedtuple("nanmedian", ["values", "indices"])
cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


# ---------------------------------------------------------------- argument checks
def _flag(op, name, value):
    """A bool argument (PyTorch refuses None, ints and strings here)."""
    if not isinstance(value, (bool, host_xp.bool_)):
        raise error(TypeError, op, f"{op}(): argument '{name}' must be bool, not {type(value).__name__}",
                    f"{name} es True o False")
    return bool(value)


def _k(op, k):
    if isinstance(k, bool) or not hasattr(k, "__index__"):
        raise error(TypeError, op, f"{op}(): argument 'k' (position 2) must be int, not {type(k).__name__}",
                    "k es un número entero de elementos")
    return k.__index__()


def _no_bool(op, input, exc=NotImplementedError):
    if input._data.dtype.kind == "b":
        text = (f"{op} does not support bool dtypes on CPU" if exc is RuntimeError
                else f'"{op}_cpu" not implemented for \'Bool\'')
        raise error(exc, op, text, "convierte el tensor a enteros o flotantes: x.long() o x.float()")


def _nonempty_dim(op, a, dim):
    if a.ndim and a.shape[dim] == 0:
        raise error(IndexError, op, f"{op}(): Expected reduction dim {dim} to have non-zero size.",
                    "no se puede elegir un elemento de una dimensión vacía")


def _work(a):
    """0-d inputs behave as one element along dim 0 (as in PyTorch)."""
    return a.reshape(1) if a.ndim == 0 else a


# ---------------------------------------------------------------- the selection op
class Select(Op):
    """``values = input`` gathered at ``index`` along ``dim``.

    Backward: each upstream gradient goes back to the position it was taken
    from -- a scatter-add into zeros (cummax may pick one position many times,
    so the gradients there add up)."""

    @staticmethod
    def forward(ctx, x, index, dim, out_shape):
        xp = backend_of(x).xp
        a = x._data
        ctx.in_shape, ctx.index, ctx.dim = a.shape, index, dim
        return xp.take_along_axis(_work(a), index, dim).reshape(out_shape)

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        index = ctx.index
        zeros = Tensor._make(xp.zeros(ctx.in_shape or (1,), g._data.dtype))
        gx = ScatterAdd.apply(zeros, ctx.dim, Tensor._make(index), g.reshape(index.shape))
        return gx.reshape(ctx.in_shape), None, None, None


# PyTorch's node names, so a drawn graph reads the same
class Sort(Select):
    node_name = "SortBackward0"


class Topk(Select):
    node_name = "TopkBackward0"


class Kthvalue(Select):
    node_name = "KthvalueBackward0"


class MedianDim(Select):
    node_name = "MedianBackward1"


class NanmedianDim(Select):
    node_name = "NanmedianBackward1"


class Cummax(Select):
    node_name = "CummaxBackward0"


class Cummin(Select):
    node_name = "CumminBackward0"


def _select(op_cls, input, index, dim, keepdim=True):
    """(values, indices) as tensors; ``keepdim=False`` drops ``dim`` (already size 1 in ``index``)."""
    xp = backend_of(input).xp
    a = input._data
    shape = index.shape if a.ndim else ()
    if not keepdim and a.ndim:
        shape = shape[:dim] + shape[dim + 1:]
    values = op_cls.apply(input, index, dim, shape)
    return values, Tensor._make(index.reshape(shape).astype(xp.int64, copy=False))


# ---------------------------------------------------------------- sorting
def _argsort(a, dim, descending):
    """Stable argsort along ``dim`` with NaN as the largest value."""
    xp = backend_of(a).xp
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")  # NumPy already puts NaN last
    # descending and still stable, NaN first: sort the reversed array ascending
    # and read the result backwards (equal values then keep their input order)
    n = a.shape[dim]
    return (n - 1) - xp.flip(xp.argsort(xp.flip(a, dim), axis=dim, kind="stable"), dim)


def _sort_indices(input, dim, descending, op):
    a = input._data
    d = norm_dim(dim, a.ndim, op)
    return _argsort(_work(a), d, descending), d


def sort(input, dim=-1, descending=False, *, stable=False):
    """Values sorted along ``dim`` and the indices they came from: ``(values, indices)``."""
    descending = _flag("sort", "descending", descending)
    if stable is not None:
        _flag("sort", "stable", stable)  # our sort is always stable; False allows any order of ties
    index, d = _sort_indices(input, dim, descending, "sort")
    return sort_result(*_select(Sort, input, index, d))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (``sort(...).indices``)."""
    xp = backend_of(input).xp
    descending = _flag("argsort", "descending", descending)
    if stable is not None:
        _flag("argsort", "stable", stable)
    index, _ = _sort_indices(input, dim, descending, "argsort")
    return Tensor._make(index.reshape(input._data.shape).astype(xp.int64, copy=False))


def msort(input):
    """Sorted along the first dimension: ``sort(input, dim=0).values``."""
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``.

    The result is always sorted (``sorted=False`` means any order is fine)."""
    xp = backend_of(input).xp
    k = _k("topk", k)
    largest = _flag("topk", "largest", largest)
    _flag("topk", "sorted", sorted)
    _no_bool("topk", input, RuntimeError)
    a = input._data
    d = norm_dim(dim, a.ndim, "topk")
    n = _work(a).shape[d]
    if not 0 <= k <= n:
        raise error(RuntimeError, "topk", f"selected index k out of range (k={k}, but dimension {d} of the input "
                    f"{tuple(a.shape)} has {n} elements)", f"k debe estar entre 0 y {n}")
    index = xp.take(_argsort(_work(a), d, largest), xp.arange(k), axis=d)
    return topk_result(*_select(Topk, input, index, d))


def kthvalue(input, k, dim=-1, keepdim=False):
    """The ``k``-th smallest element along ``dim`` (``k`` counts from 1): ``(values, indices)``."""
    xp = backend_of(input).xp
    k = _k("kthvalue", k)
    keepdim = _flag("kthvalue", "keepdim", keepdim)
    _no_bool("kthvalue", input)
    a = input._data
    d = norm_dim(dim, a.ndim, "kthvalue")
    _nonempty_dim("kthvalue", a, d)
    n = _work(a).shape[d]
    if not 1 <= k <= n:
        raise error(RuntimeError, "kthvalue", f"kthvalue(): selected number k out of range for dimension {d} "
                    f"(k={k}, but the dimension has {n} elements)", f"k va de 1 a {n}")
    index = xp.take(_argsort(_work(a), d, False), [k - 1], axis=d)
    return kthvalue_result(*_select(Kthvalue, input, index, d, keepdim))


# ---------------------------------------------------------------- median
class Median(Op):
    """The median of all elements (a 0-d tensor).

    Backward as PyTorch's: the gradient is shared equally by every element
    equal to the median (or by every NaN when the result is NaN)."""

    @staticmethod
    def forward(ctx, x, ignore_nan):
        xp = backend_of(x).xp
        a = x._data.reshape(-1)
        nan = xp.isnan(a) if a.dtype.kind == "f" else xp.zeros(a.shape, bool)
        valid = a.size - int(nan.sum())
        if a.size == 0 or (valid == 0 and ignore_nan) or (valid < a.size and not ignore_nan):
            value = xp.array(xp.nan, a.dtype)  # empty, all NaN, or NaN propagates
        else:
            # the lower median of the valid values (NaN sorts last, after them)
            value = xp.partition(a, (valid - 1) // 2)[(valid - 1) // 2]
        if a.dtype.kind == "f":
            mask = nan if xp.isnan(value) else a == value
            ctx.save_for_backward((mask / max(int(mask.sum()), 1)).astype(a.dtype).reshape(x._data.shape))
        return xp.asarray(value, a.dtype)

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        return g * w, None


class Nanmedian(Median):
    pass


def _median(op, result, ignore_nan, input, dim, keepdim):
    xp = backend_of(input).xp
    _no_bool(op, input)
    a = input._data
    keepdim = _flag(op, "keepdim", keepdim)
    if dim is None:
        if keepdim:
            raise error(TypeError, op, f"{op}(): keepdim=True needs a dim (the median of all elements is a "
                        "single value)", "indica la dimensión: x.median(dim=0, keepdim=True)")
        if a.size == 0 and a.dtype.kind != "f":
            raise error(RuntimeError, op, f"{op}() of an empty {input.dtype} tensor has no value",
                        "la mediana de un tensor vacío no existe")
        return (Nanmedian if ignore_nan else Median).apply(input, ignore_nan)
    d = norm_dim(dim, a.ndim, op)
    _nonempty_dim(op, a, d)
    w = _work(a)
    order = _argsort(w, d, False)
    n = w.shape[d]
    nans = xp.isnan(w).sum(axis=d, keepdims=True) if w.dtype.kind == "f" else xp.zeros((1,) * w.ndim, xp.int64)
    if ignore_nan:  # the lower median of the values that are not NaN (the first NaN if all are)
        pos = xp.maximum((n - nans - 1) // 2, 0)
    else:  # a NaN makes the median NaN: the first NaN, which sorts right after the numbers
        pos = xp.where(nans > 0, n - nans, (n - 1) // 2)
    index = xp.take_along_axis(order, pos, d)
    return result(*_select(NanmedianDim if ignore_nan else MedianDim, input, index, d, keepdim))


def median(input, dim=None, keepdim=False):
    """``median(x)``: the lower median of all elements; ``median(x, dim)``: ``(values, indices)``.

    NaN propagates (use ``nanmedian`` to ignore it)."""
    return _median("median", median_result, False, input, dim, keepdim)


def nanmedian(input, dim=None, keepdim=False):
    """``median`` ignoring NaN (NaN only where every value is NaN)."""
    return _median("nanmedian", nanmedian_result, True, input, dim, keepdim)


# ---------------------------------------------------------------- unique
class Unique(Op):
    """``unique``'s values.  PyTorch has no derivative for it: backward refuses."""

    @staticmethod
    def forward(ctx, x, values):
        return values

    @staticmethod
    def backward(ctx, g):
        raise error(NotImplementedError, "unique", "the derivative for 'unique' is not implemented.",
                    "unique no es derivable; usa .detach() antes de unique")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along ``dim``), sorted; optionally the index of each input element
    in them (``return_inverse``) and how often each appears (``return_counts``).

    NaN is never equal to NaN, so every NaN is its own value (as in PyTorch).
    The result is always sorted (``sorted=False`` means any order is fine, as
    PyTorch's CPU version also sorts)."""
    xp = backend_of(input).xp
    for name, v in (("sorted", sorted), ("return_inverse", return_inverse), ("return_counts", return_counts)):
        _flag("unique", name, v)
    a = input._data
    if dim is None:
        rows = a.reshape(-1, 1)
    else:
        d = norm_dim(dim, a.ndim, "unique")
        w = _work(a)
        if 0 in w.shape[:d] + w.shape[d + 1:]:
            raise error(RuntimeError, "unique", "There are 0 sized dimensions, and they aren't selected, so unique "
                        f"cannot be applied (input shape {tuple(a.shape)}, dim={dim})",
                        "unique a lo largo de dim necesita que las demás dimensiones no estén vacías")
        rows = xp.moveaxis(w, d, 0).reshape(w.shape[d], w.size // max(w.shape[d], 1))
    # sort the rows lexicographically (lexsort's last key is the primary one, and it is stable)
    order = xp.lexsort(rows.T[::-1]) if rows.shape[1] else xp.arange(rows.shape[0])
    srt = rows[order]
    # a new value starts where a row differs from the previous one (NaN != NaN: each NaN is new)
    new = xp.ones(len(srt), bool)
    new[1:] = (srt[1:] != srt[:-1]).any(axis=1)
    group = xp.cumsum(new) - 1
    first = srt[new]
    if dim is None:
        values = first.reshape(-1)
    else:
        values = xp.moveaxis(first.reshape((len(first),) + w.shape[:d] + w.shape[d + 1:]), 0, d)
    out = [Unique.apply(input, xp.ascontiguousarray(values))]
    if return_inverse:
        inverse = xp.empty(len(order), xp.int64)
        inverse[order] = group
        out.append(Tensor._make(inverse.reshape(a.shape) if dim is None else inverse))
    if return_counts:
        out.append(Tensor._make(xp.bincount(group, minlength=len(first)).astype(xp.int64)))
    return out[0] if len(out) == 1 else tuple(out)


# ---------------------------------------------------------------- bincount
class Bincount(Op):
    """``bincount``'s weighted counts.  PyTorch has no derivative for it: backward refuses."""

    @staticmethod
    def forward(ctx, weights, counts):
        return counts

    @staticmethod
    def backward(ctx, g):
        raise error(NotImplementedError, "bincount", "the derivative for 'bincount' is not implemented.",
                    "bincount no es derivable; usa .detach() en los pesos, o index_add para sumas derivables")


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ..., max(input) appears in a 1-d tensor of non-negative integers
    (or the sum of ``weights`` at each value); at least ``minlength`` bins."""
    a = input._data
    xp = backend_of(input).xp
    if a.dtype.kind not in "iu":
        raise error(NotImplementedError, "bincount", f'"bincount_cpu" not implemented for '
                    f"'{scalar_type_name(input.dtype)}'", "bincount cuenta enteros: convierte con .long()")
    if a.ndim != 1 or (a.size and int(a.min()) < 0):
        raise error(RuntimeError, "bincount", "bincount only supports 1-d non-negative integral inputs. "
                    f"(got shape {tuple(a.shape)})", "pasa un vector 1-d de enteros >= 0")
    if isinstance(minlength, bool) or not isinstance(minlength, int) or minlength < 0:
        raise error(RuntimeError, "bincount", f"minlength should be >= 0 (got {minlength!r})", "p. ej. minlength=10")
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=minlength).astype(xp.int64))
    if not isinstance(weights, Tensor):
        raise error(TypeError, "bincount", f"weights must be a Tensor, not {type(weights).__name__}",
                    "p. ej. weights=torch.tensor([0.5, 1.0, ...])")
    w = weights._data
    if w.ndim != 1 or len(w) != len(a):
        raise error(RuntimeError, "bincount", "weights should be 1-d and have the same length as input "
                    f"(input {tuple(a.shape)}, weights {tuple(w.shape)})", "un peso por cada elemento de la entrada")
    dtype = xp.float32 if w.dtype == xp.float32 else xp.float64  # PyTorch: float32 stays, the rest is float64
    counts = xp.bincount(a, weights=w.astype(xp.float64), minlength=minlength).astype(dtype)
    return Bincount.apply(weights, counts) if weights.requires_grad else Tensor._make(counts)


# ---------------------------------------------------------------- scans
def _cum_extreme(op, result, op_cls, largest, input, dim):
    xp = backend_of(input).xp
    a = input._data
    d = norm_dim(dim, a.ndim, op)
    w = _work(a)
    with xp.errstate(invalid="ignore"):
        running = (xp.maximum if largest else xp.minimum).accumulate(w, axis=d)  # NaN propagates, as in torch
    # PyTorch's rule: a position takes over when it is >= the running max (<= for min) or is NaN, so on
    # ties the latest index wins; each index is the last such position so far
    takes_over = w == running
    if w.dtype.kind == "f":
        takes_over |= xp.isnan(w)
    shape = [1] * w.ndim
    shape[d] = w.shape[d]
    positions = xp.arange(w.shape[d]).reshape(shape)
    index = xp.maximum.accumulate(xp.where(takes_over, positions, 0), axis=d) if w.size else \
        xp.zeros(w.shape, xp.int64)
    return result(*_select(op_cls, input, index, d))


def cummax(input, dim):
    """Running maximum along ``dim`` and where it was found: ``(values, indices)``."""
    return _cum_extreme("cummax", cummax_result, Cummax, True, input, dim)


def cummin(input, dim):
    """Running minimum along ``dim`` and where it was found: ``(values, indices)``."""
    return _cum_extreme("cummin", cummin_result, Cummin, False, input, dim)


class Logcumsumexp(Op):
    """``y_j = log(sum_{i <= j} exp(x_i))``, computed as a running log-add-exp
    (never exponentiates a large number; ``-inf`` stays ``-inf``)."""

    @staticmethod
    def forward(ctx, x, dim):
        xp = backend_of(x).xp
        a = x._data
        with xp.errstate(invalid="ignore"):  # NaN in, NaN out, silently (as in torch)
            y = xp.logaddexp.accumulate(a, axis=dim) if a.ndim else a.copy()
        ctx.save_for_backward(x, y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        # dx_i = sum_{j >= i} g_j exp(x_i - y_j), split by the sign of g so every sum is a
        # logcumsumexp itself (stable, and differentiable again); PyTorch's formula
        xp = backend_of(g).xp
        x, y = ctx.saved_tensors
        if x.ndim == 0:
            return g, None
        d = ctx.dim
        lowest = float(xp.finfo(g._data.dtype).min)  # log(0), kept finite
        log_abs = g.abs().log()
        log_pos = where(g > 0, log_abs, lowest) - y
        log_neg = where(g < 0, log_abs, lowest) - y

        def from_the_end(t):  # sum over j >= i
            return Logcumsumexp.apply(t.flip(d), d).flip(d)

        return (from_the_end(log_pos) + x).exp() - (from_the_end(log_neg) + x).exp(), None


def logcumsumexp(input, dim):
    a = input._data
    d = norm_dim(dim, a.ndim, "logcumsumexp")
    if a.dtype.kind != "f":
        raise error(NotImplementedError, "logcumsumexp", f'"logcumsumexp_out_cpu" not implemented for '
                    f"'{input.dtype}' (floating point input expected)",
                    "convierte a flotante primero: x.float().logcumsumexp(dim)")
    return Logcumsumexp.apply(input, d)


# ---------------------------------------------------------------- meshgrid
_INDEXING_WARNING = "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: output ``k`` repeats ``tensors[k]`` along every other axis.

    ``indexing="ij"``: shape ``(len(t0), len(t1), ...)``; ``"xy"``: the first two
    axes swapped (``(len(t1), len(t0), ...)``, as NumPy's default).  Without
    ``indexing`` it is "ij" with a warning, as in PyTorch."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise error(RuntimeError, "meshgrid", "meshgrid expects a non-empty TensorList",
                    "pasa al menos un tensor: meshgrid(x, y, indexing='ij')")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise error(TypeError, "meshgrid", f"expected Tensor as element {i} in argument 0, but got "
                        f"{type(t).__name__}", "convierte cada entrada con profundo.tensor(...)")
        if t._data.ndim > 1:
            raise error(RuntimeError, "meshgrid", f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                        f"but got a tensor of shape {tuple(t.shape)}", "aplana la entrada con .flatten()")
        if t._data.dtype != tensors[0]._data.dtype:
            raise error(RuntimeError, "meshgrid", f"meshgrid expects all tensors to have the same dtype (got "
                        f"{tensors[0].dtype} and {t.dtype})", "convierte todas las entradas al mismo dtype")
    if indexing is None:
        warnings.warn(_INDEXING_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise error(RuntimeError, "meshgrid", f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                    f"received: {indexing}", "usa indexing='ij' (filas, columnas) o indexing='xy' (x, y)")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0  # x varies along the columns, y along the rows
    sizes = [t._data.size for t in tensors]
    out_shape = [0] * len(tensors)
    for size, ax in zip(sizes, axes):
        out_shape[ax] = size
    grids = []
    for t, ax in zip(tensors, axes):
        shape = [1] * len(tensors)
        shape[ax] = -1
        grids.append(t.reshape(shape).expand(out_shape))
    return tuple(grids)
