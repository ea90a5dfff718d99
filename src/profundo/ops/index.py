"""Indexing: ``x[key]``, ``x[key] = v``, gather/scatter, index_select/index_add,
masked_fill, nonzero.  Basic indexing (ints, slices, None, ...) returns a view;
advanced indexing (integer/bool tensors or lists) returns a copy."""
from .._backend import backend_of, current
from ..autograd.grad_mode import STATE as _GRAD
from ._base import Op, Tensor, check_operand, error, norm_dim

_BASIC = (int, slice, type(None), type(Ellipsis))


def _key_part(k, xp):
    if isinstance(k, Tensor):
        a = k._data
        if a.dtype.kind == "f":
            raise error(IndexError, "index", "tensors used as indices must be long, int, byte or bool tensors",
                        "convierte el índice con .long() (o usa una máscara bool)")
        return a
    if isinstance(k, bool) or isinstance(k, (list, xp.ndarray)):
        a = xp.asarray(k)
        if a.dtype.kind == "f":
            raise error(IndexError, "index", "tensors used as indices must be long, int, byte or bool tensors",
                        "los índices deben ser enteros o booleanos")
        return a
    if isinstance(k, _BASIC):
        return k
    if hasattr(k, "__index__"):
        return k.__index__()
    raise error(IndexError, "index", f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got {type(k).__name__})",
                "indexa con enteros, rebanadas a:b, None, ... o tensores de enteros/booleanos")


def normalize_key(key, xp=None):
    """The key as NumPy understands it, and whether it is basic (a view).
    ``xp``: the indexed tensor's array module (lists and arrays in the key become its arrays);
    by default the selected CPU backend's."""
    if xp is None:
        xp = current().xp
    parts = key if isinstance(key, tuple) else (key,)
    parts = tuple(_key_part(k, xp) for k in parts)
    basic = all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in parts)
    return parts, basic


class Index(Op):
    """Advanced indexing: a copy; repeated indices add up in backward."""

    accumulate = True  # the same element may be picked twice

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = x._data.shape, key
        return x._data[key]

    @classmethod
    def backward(cls, ctx, g):
        xp = backend_of(g).xp
        zeros = Tensor._make(xp.zeros(ctx.in_shape, g._data.dtype))
        return IndexPut.apply(zeros, ctx.key, g, cls.accumulate), None


class Slice(Index):
    """Basic indexing (ints, slices, None, ...): a view."""

    is_view = True
    accumulate = False

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = x._data.shape, key
        if not any(k is Ellipsis for k in key):
            key = key + (Ellipsis,)  # NumPy then returns a 0-d view, not a scalar copy
        return x._data[key]


class IndexPut(Op):
    """``out = x.clone(); out[key] = values`` (or ``+=`` when accumulate)."""

    @staticmethod
    def forward(ctx, x, key, values, accumulate):
        xp = backend_of(x).xp
        ctx.key, ctx.accumulate = key, accumulate
        out = x._data.copy()
        v = values._data if isinstance(values, Tensor) else values
        if isinstance(v, xp.ndarray) and v.ndim:
            # like PyTorch, leading size-1 dims of the value may exceed the target's dims
            target = out[key].shape
            lead = v.ndim - len(target)
            if lead > 0 and all(s == 1 for s in v.shape[:lead]):
                ctx.v_shape = v.shape
                v = v.reshape(v.shape[lead:])
        if accumulate:
            backend_of(x).scatter_add(out, key, v)
        else:
            out[key] = v
        return out

    @staticmethod
    def backward(ctx, g):
        _, _, nv, _ = ctx.needs_input_grad
        gx = g if ctx.accumulate else IndexPut.apply(g, ctx.key, 0.0, False)
        gv = None
        if nv:
            gv = _index(g, ctx.key)
            v_shape = ctx.__dict__.get("v_shape")
            if v_shape is not None:  # undo the dropped leading size-1 dims
                gv = _to_value_shape(gv, v_shape)
        return gx, None, gv, None


def _to_value_shape(gv, v_shape):
    """Sum a gradient with the target's shape down to the value's core shape
    (its shape without leading 1s), then restore those leading 1s."""
    from ..autograd.engine import sum_to
    core = v_shape
    while len(core) > gv.ndim and core[0] == 1:
        core = core[1:]
    return sum_to(gv, core).reshape(v_shape)


def _index(x, parts):
    """``x[parts]`` for an already normalized key."""
    basic = all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in parts)
    return (Slice if basic else Index).apply(x, parts)


def getitem(input, key):
    if type(key) is int and input._base is None and not (input._requires_grad and _GRAD.enabled):
        # x[i] with nothing to record (a DataLoader reading samples): the view, without the op machinery
        try:
            view = input._data[key, ...]
        except IndexError:
            pass  # the general path below explains the error
        else:
            t = Tensor._make(view)
            t._vc = input._version_counter()
            return t
    parts, basic = normalize_key(key, backend_of(input).xp)
    return (Slice if basic else Index).apply(input, parts)


def index_put(input, indices, values, accumulate=False):
    parts, _ = normalize_key(tuple(indices), backend_of(input).xp)
    return IndexPut.apply(input, parts, check_operand("index_put", values), accumulate)


# ---------------------------------------------------------------- along a dim
def _dim_index(index, dim, ndim):
    """A full NumPy index that picks ``index[i, j, ...]`` along ``dim`` and
    position ``(i, j, ...)`` elsewhere (what gather/scatter mean)."""
    xp = backend_of(index).xp
    parts = []
    for d in range(ndim):
        if d == dim:
            parts.append(index)
        else:
            shape = [1] * ndim
            shape[d] = index.shape[d]
            parts.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(parts)


def _check_index(op, input, dim, index, src=None):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise error(RuntimeError, op, f"{op}(): Expected dtype int64 for index",
                    "el índice debe ser un tensor de enteros (.long())")
    a, i = input._data, index._data
    dim = norm_dim(dim, a.ndim, op)  # a negative dim is compared with the dims below
    if i.ndim != a.ndim and not (a.ndim == 0 and i.ndim <= 1):
        raise error(RuntimeError, op, "Index tensor must have the same number of dimensions as input tensor "
                    f"(index shape {tuple(i.shape)}, input shape {tuple(a.shape)})",
                    "el índice debe tener tantas dimensiones como la entrada; usa unsqueeze")
    for k in range(i.ndim):
        if k != dim and i.shape[k] > a.shape[k]:
            raise error(RuntimeError, op, f"Size does not match at dimension {k} expected index {list(i.shape)} "
                        f"to be smaller than self {list(a.shape)} apart from dimension {dim}",
                        "el índice no puede ser más grande que la entrada fuera de la dimensión dim")
        if src is not None and i.shape[k] > src._data.shape[k]:
            raise error(RuntimeError, op, f"Size does not match at dimension {k} expected index {list(i.shape)} "
                        f"to be smaller than src {list(src.shape)}", "src debe ser al menos tan grande como el índice")
    if i.size and (i.max() >= a.shape[dim] or i.min() < -a.shape[dim]):
        raise error(RuntimeError, op, f"index {int(i.max())} is out of bounds for dimension {dim} with size "
                    f"{a.shape[dim]}", "los índices deben estar entre 0 y el tamaño de la dimensión - 1")
    return dim


class Gather(Op):
    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape, ctx.dim, ctx.index = x._data.shape, dim, index
        return x._data[_dim_index(index._data, dim, x._data.ndim)]

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        zeros = Tensor._make(xp.zeros(ctx.in_shape, g._data.dtype))
        return ScatterAdd.apply(zeros, ctx.dim, ctx.index, g), None, None


def _src_part(src, index):
    """The part of ``src`` that scatter uses: its leading ``index.shape`` block."""
    s = src._data
    if s.shape == index._data.shape:
        return s
    return s[tuple(slice(0, n) for n in index._data.shape)]


def _src_grad(g, dim, index, src_shape):
    xp = backend_of(g).xp
    part = g.gather(dim, index)
    if part._data.shape == tuple(src_shape):
        return part
    zeros = Tensor._make(xp.zeros(src_shape, g._data.dtype))
    return IndexPut.apply(zeros, tuple(slice(0, n) for n in index._data.shape), part, False)


class Scatter(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        out = x._data.copy()
        where = _dim_index(index._data, dim, out.ndim)
        out[where] = _src_part(src, index) if isinstance(src, Tensor) else src
        ctx.dim, ctx.index = dim, index
        ctx.src_shape = src._data.shape if isinstance(src, Tensor) else None
        return out

    @staticmethod
    def backward(ctx, g):
        _, _, _, ns = ctx.needs_input_grad
        gx = g.scatter(ctx.dim, ctx.index, 0.0)
        gs = _src_grad(g, ctx.dim, ctx.index, ctx.src_shape) if ns else None
        return gx, None, None, gs


class ScatterAdd(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src):
        out = x._data.copy()
        backend_of(x).scatter_add(out, _dim_index(index._data, dim, out.ndim), _src_part(src, index))
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src._data.shape
        return out

    @staticmethod
    def backward(ctx, g):
        _, _, _, ns = ctx.needs_input_grad
        return g, None, None, (_src_grad(g, ctx.dim, ctx.index, ctx.src_shape) if ns else None)


def gather(input, dim, index, *, sparse_grad=False):
    d = _check_index("gather", input, dim, index)
    return Gather.apply(input, d, index)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    if src is None:
        src = value
    if reduce is not None:
        return scatter_reduce(input, dim, index, *_legacy_reduce(input, index, src, reduce))
    src = check_operand("scatter", src)
    d = _check_index("scatter", input, dim, index, src if isinstance(src, Tensor) else None)
    return Scatter.apply(input, d, index, src.to(input.dtype) if isinstance(src, Tensor) else src)


def _legacy_reduce(input, index, src, reduce):
    """``scatter(..., reduce="add" | "multiply")``, the legacy form: ``(src, reduce)`` for
    scatter_reduce with include_self=True (differentiable here; PyTorch records it
    without a derivative)."""
    if reduce not in ("add", "multiply"):
        raise error(RuntimeError, "scatter", f"reduce argument must be either add or multiply. (got "
                    f"{reduce!r})", "usa reduce='add' o reduce='multiply', o scatter_reduce para "
                    "'sum', 'prod', 'mean', 'amax' y 'amin'")
    src = check_operand("scatter", src)
    if not isinstance(src, Tensor):  # a number: the same value at every index position
        xp = backend_of(input).xp
        src = Tensor._make(xp.full(index._data.shape, src).astype(input._data.dtype))
    return src.to(input.dtype), "sum" if reduce == "add" else "prod"


_SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _reduction_identity(reduce, dtype, xp):
    """The value that leaves a reduction unchanged (what include_self=False starts from)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_counts(shape, where, include_self, dtype, xp):
    """How many values each output position reduces (1 where none, so a mean keeps self)."""
    n = xp.full(shape, 1 if include_self else 0, dtype)
    xp.add.at(n, where, 1)
    n[n == 0] = 1
    return n


class ScatterReduce(Op):
    """``out = input.clone()``; then every ``src[i][j]`` is reduced into
    ``out[index[i][j]][j]`` (for dim 0) with sum, prod, mean, amax or amin,
    together with the original value unless ``include_self=False``.
    NumPy's unbuffered ``ufunc.at`` handles repeated indices in one vectorized pass."""

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce, include_self):
        xp = backend_of(x).xp
        a = x._data
        where = _dim_index(index._data, dim, a.ndim)
        s = _src_part(src, index)
        out = a.copy()
        if not include_self:
            out[where] = _reduction_identity(reduce, a.dtype, xp)
        ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}
        ufunc[reduce].at(out, where, s)
        if reduce == "mean":
            n = _scatter_counts(a.shape, where, include_self, a.dtype, xp)
            out = out / n if a.dtype.kind == "f" else out // n  # integers: rounded down, as in PyTorch
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self = dim, index, reduce, include_self
        ctx.src_shape = src._data.shape
        ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        x, src, result = ctx.saved_tensors
        dim, index, reduce, include_self = ctx.dim, ctx.index, ctx.reduce, ctx.include_self
        _, _, _, ns, _, _ = ctx.needs_input_grad
        if src._data.shape != index._data.shape:  # only the leading index-shaped block of src is used
            src = src[tuple(slice(0, n) for n in index._data.shape)]
        if reduce == "sum":
            g_self, g_src = g, (g.gather(dim, index) if ns else None)
        elif reduce == "mean":
            where = _dim_index(index._data, dim, x._data.ndim)
            n = Tensor._make(_scatter_counts(x._data.shape, where, include_self, g._data.dtype, xp))
            g_self = g / n
            g_src = g_self.gather(dim, index) if ns else None
        elif reduce == "prod":
            # the product of the others, written to stay right where a value is 0 (PyTorch's formula)
            masked_self = x.masked_fill(x == 0, 1.0)
            g_self = g * masked_self.scatter_reduce(dim, index, src, "prod", include_self=include_self) / masked_self
            g_src = None
            if ns:
                src_zero = src == 0
                zeros = Tensor._make(xp.zeros(x._data.shape, g._data.dtype))
                n_zeros = zeros.scatter_add(dim, index, src_zero.to(g.dtype)).gather(dim, index)
                single_zero = src_zero & (n_zeros == 1)
                others = x.scatter_reduce(dim, index, src.masked_fill(single_zero, 1.0), "prod",
                                          include_self=include_self)
                g_src = _where(single_zero, (g * others).gather(dim, index),
                               (g * result).gather(dim, index) / src.masked_fill(src_zero, 1.0))
        else:  # amax / amin: shared evenly between the values equal to the result
            self_is = (x == result).to(g.dtype)
            src_is = (src == result.gather(dim, index)).to(g.dtype)
            share = g / self_is.scatter_add(dim, index, src_is)
            g_self = self_is * share
            g_src = src_is * share.gather(dim, index) if ns else None
        if not include_self:
            g_self = g_self.scatter(dim, index, 0.0)
        if g_src is not None and tuple(g_src.shape) != ctx.src_shape:
            zeros = Tensor._make(xp.zeros(ctx.src_shape, g._data.dtype))
            g_src = IndexPut.apply(zeros, tuple(slice(0, n) for n in index._data.shape), g_src, False)
        return g_self, None, None, g_src, None, None


def _where(cond, a, b):
    from .elementwise import where
    return where(cond, a, b)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with ``reduce``
    ("sum", "prod", "mean", "amax" or "amin"), like ``torch.scatter_reduce``."""
    reduce = _check_scatter_reduce(input, src, reduce)
    if input._data.ndim == 0:  # a 0-d input is a 1-element vector here
        return scatter_reduce(input.reshape(1), 0, index.reshape(-1), src.reshape(-1), reduce,
                              include_self=include_self).reshape(())
    d = _check_index("scatter_reduce", input, dim, index, src)
    return ScatterReduce.apply(input, d, index, src, reduce, bool(include_self))


def _check_scatter_reduce(input, src, reduce):
    """PyTorch's checks of scatter_reduce's ``src`` and ``reduce`` (returned without its aliases)."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # aliases PyTorch accepts
    if reduce not in _SCATTER_REDUCTIONS:
        raise error(RuntimeError, "scatter_reduce", "reduce argument must be either sum, prod, mean, amax or amin, "
                    f"got {reduce}", "usa 'sum', 'prod', 'mean', 'amax' o 'amin'")
    if not isinstance(src, Tensor):
        raise error(TypeError, "scatter_reduce", f"scatter_reduce(): argument 'src' must be Tensor, not "
                    f"{type(src).__name__}", "pasa src como tensor con la forma del índice")
    if src._data.dtype != input._data.dtype:
        raise error(RuntimeError, "scatter_reduce", "scatter(): Expected self.dtype to be equal to src.dtype "
                    f"(got {input.dtype} and {src.dtype})", "convierte src con src.to(input.dtype)")
    if reduce == "mean" and input._data.dtype.kind == "b":
        raise error(NotImplementedError, "scatter_reduce", "\"scatter_gather_tensor_cpu_reduce_mean\" not "
                    "implemented for 'Bool'", "convierte a entero o flotante antes")
    return reduce


def scatter_add(input, dim, index, src):
    d = _check_index("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, d, index, src.to(input.dtype))


class IndexSelect(Op):
    @staticmethod
    def forward(ctx, x, dim, index):
        xp = backend_of(x).xp
        ctx.in_shape, ctx.dim, ctx.index = x._data.shape, dim, index
        return xp.take(x._data, index._data, axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        zeros = Tensor._make(xp.zeros(ctx.in_shape, g._data.dtype))
        return zeros.index_add(ctx.dim, ctx.index, g), None, None


class IndexAdd(Op):
    @staticmethod
    def forward(ctx, x, dim, index, src, alpha):
        out = x._data.copy()
        where = (slice(None),) * dim + (index._data,)
        s = src._data if alpha == 1 else src._data * alpha
        backend_of(x).scatter_add(out, where, s.astype(out.dtype, copy=False))
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        return out

    @staticmethod
    def backward(ctx, g):
        _, _, _, ns, _ = ctx.needs_input_grad
        gs = g.index_select(ctx.dim, ctx.index) if ns else None
        if gs is not None and ctx.alpha != 1:
            gs = gs * ctx.alpha
        return g, None, None, gs, None


def _check_vector_index(op, input, dim, index):
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise error(RuntimeError, op, f"{op}(): Expected dtype int32 or int64 for index",
                    "usa un tensor de enteros (.long())")
    if index._data.ndim > 1:
        raise error(IndexError, op, f"{op}(): Index is supposed to be a vector (got shape "
                    f"{tuple(index.shape)})", "aplana el índice con .reshape(-1)")
    d = norm_dim(dim, input._data.ndim, op)
    n = input._data.shape[d] if input._data.ndim else 1
    i = index._data
    if i.size and (i.max() >= n or i.min() < -n):
        raise error(IndexError, op, f"index out of range in self (index {int(i.max())}, dimension {d} has size "
                    f"{n})", "los índices deben estar entre 0 y el tamaño de la dimensión - 1")
    return d


def index_select(input, dim, index):
    d = _check_vector_index("index_select", input, dim, index)
    return IndexSelect.apply(input, d, index.reshape(-1))


def index_add(input, dim, index, source, *, alpha=1):
    d = _check_vector_index("index_add", input, dim, index)
    return IndexAdd.apply(input, d, index.reshape(-1), source, alpha)


class MaskedFill(Op):
    @staticmethod
    def forward(ctx, x, mask, value):
        xp = backend_of(x).xp
        m = mask._data
        v = value._data if isinstance(value, Tensor) else value
        ctx.mask = m
        return xp.where(m, xp.asarray(v, dtype=x._data.dtype), x._data)

    @staticmethod
    def backward(ctx, g):
        m = Tensor._make(ctx.mask)
        _, _, nv = ctx.needs_input_grad
        gv = (g * m).sum() if nv else None
        return g.masked_fill(m, 0.0), None, gv


def masked_fill(input, mask, value):
    _check_masked_fill(input, mask, value)
    return MaskedFill.apply(input, mask, value)


def _check_masked_fill(input, mask, value):
    """PyTorch's checks of masked_fill's (and masked_fill_'s) mask and value."""
    xp = backend_of(input).xp
    if not isinstance(mask, Tensor) or mask._data.dtype.kind != "b":
        raise error(RuntimeError, "masked_fill", "masked_fill_ only supports boolean masks, but got mask with "
                    f"dtype {getattr(mask, 'dtype', type(mask).__name__)}", "usa una máscara bool, p. ej. x > 0")
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise error(RuntimeError, "masked_fill", "masked_fill_ only supports a 0-dimensional value tensor, but "
                    f"got tensor with {value.ndim} dimension(s).",
                    "el valor debe ser un número o un tensor de 0 dimensiones")
    try:
        shape = xp.broadcast_shapes(mask._data.shape, input._data.shape)
    except ValueError:
        shape = None
    if shape != input._data.shape:
        from .._errors import broadcast_error
        raise broadcast_error("masked_fill", input._data.shape, mask._data.shape)


def masked_select(input, mask):
    xp = backend_of(input).xp
    shape = xp.broadcast_shapes(input._data.shape, mask._data.shape)
    return getitem(input.expand(shape), mask.expand(shape))


def nonzero(input, *, as_tuple=False):
    xp = backend_of(input).xp
    idx = xp.nonzero(input._data) if input._data.ndim else xp.nonzero(input._data.reshape(1))
    if as_tuple:
        return tuple(Tensor._make(i.astype(xp.int64)) for i in idx)
    return Tensor._make(xp.stack(idx, axis=1).astype(xp.int64) if idx else xp.zeros((0, 0), xp.int64))


def argwhere(input):
    return nonzero(input)


def take(input, index):
    return getitem(input.reshape(-1), index)


def take_along_dim(input, indices, dim=None):
    xp = backend_of(input).xp
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    n = input._data.ndim
    d = norm_dim(dim, n, "take_along_dim")
    a_shape, i_shape = list(input._data.shape), list(indices._data.shape)
    a_shape[d] = i_shape[d] = 1
    common = list(xp.broadcast_shapes(tuple(a_shape), tuple(i_shape)))
    a_target, i_target = list(common), list(common)
    a_target[d], i_target[d] = input._data.shape[d], indices._data.shape[d]
    return gather(input.expand(a_target), d, indices.expand(i_target))
