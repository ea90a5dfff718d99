"""Shape ops: reshape/view, permute/transpose, expand, squeeze, cat/stack,
split, flip, roll, repeat, tril/triu, diagonal.  View ops return tensors that
share memory (and the version counter) with their input, like PyTorch's."""
import math

from .._backend import backend_of
from .._errors import broadcast_error, shape_str
from ._base import Op, Tensor, as_shape, error, norm_dim, result_dtype
from .index import Slice


def _infer_shape(shape, numel, op):
    if -1 not in shape and math.prod(shape) == numel and (not shape or min(shape) >= 0):
        return tuple(shape)  # the common case: a complete, valid shape
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise error(RuntimeError, op, "only one dimension can be inferred", "usa -1 una sola vez en la forma")
    if any(s < -1 for s in shape):
        raise error(RuntimeError, op, f"invalid shape dimension {min(shape)}",
                    "las dimensiones deben ser >= 0 (o -1 para inferir una)")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise _size_error(op, shape, numel)
        shape[neg[0]] = numel // known
    elif known != numel:
        raise _size_error(op, shape, numel)
    return tuple(shape)


def _size_error(op, shape, numel):
    return error(RuntimeError, op, f"shape '{list(shape)}' is invalid for input of size {numel}",
                 "el producto de la nueva forma debe igualar el número de elementos (x.numel()); usa -1 para inferir")


class Reshape(Op):
    node_name = "ViewBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class View(Reshape):
    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        try:
            return backend_of(x).reshape_view(x._data, shape)
        except ValueError:
            raise error(RuntimeError, "view",
                        "view size is not compatible with input tensor's size and stride (at least one dimension "
                        "spans across two contiguous subspaces). Use .reshape(...) instead.",
                        "tras transpose/permute el tensor no es contiguo: usa .reshape(...) o "
                        ".contiguous().view(...)") from None


class Permute(Op):
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x._data.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return g.permute(inverse), None


class Transpose(Op):
    is_view = True

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.d0, ctx.d1 = d0, d1
        return x._data.swapaxes(d0, d1)  # (the array's method: NumPy's function adds ~0.4 us of wrapping)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.d0, ctx.d1), None, None


class Expand(Op):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        xp = backend_of(x).xp
        ctx.in_shape = x._data.shape
        return xp.broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx, g):
        from ..autograd.engine import sum_to
        return sum_to(g, ctx.in_shape), None


class Squeeze(Op):
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.in_shape = x._data.shape
        return x._data.squeeze(dims) if dims else x._data.reshape(x._data.shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Unsqueeze(Op):
    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        xp = backend_of(x).xp
        ctx.dim = dim
        return xp.expand_dims(x._data, dim)

    @staticmethod
    def backward(ctx, g):
        return g.squeeze(ctx.dim), None


def _same_dtype_arrays(tensors):
    """The tensors' arrays in their common dtype (PyTorch's promotion); when they
    share one already, as they nearly always do, without working it out (35
    tensors: 15 us less)."""
    arrays = [t._data for t in tensors]
    dt = arrays[0].dtype
    for a in arrays:
        if a.dtype is not dt:
            dt = result_dtype(*tensors)
            return [a.astype(dt, copy=False) for a in arrays]
    return arrays


class Cat(Op):
    @staticmethod
    def forward(ctx, dim, *tensors):
        xp = backend_of(tensors[0]).xp
        arrays = _same_dtype_arrays(tensors)
        ctx.dim, ctx.sizes = dim, [a.shape[dim] for a in arrays]
        return xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [None], 0
        for n, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(g.narrow(ctx.dim, start, n) if need else None)
            start += n
        return tuple(grads)


class Stack(Op):
    @staticmethod
    def forward(ctx, dim, *tensors):
        ctx.dim = dim
        return backend_of(tensors[0]).stack(_same_dtype_arrays(tensors), dim)

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(gi if need else None for gi, need in zip(g.unbind(ctx.dim), ctx.needs_input_grad[1:]))


class Unbind(Op):
    """``unbind(x, dim)``: the slices of ``x`` along ``dim``, each a view of ``x``.
    One op for all of them (``for row in x`` and stack's backward took one indexing
    op per slice: 35 for d2l's RNN over 35 time steps)."""

    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        a = x._data
        ctx.dim = dim
        lead = (slice(None),) * dim
        return tuple(a[lead + (i, Ellipsis)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):  # (the engine gives zeros for slices that got no gradient)
        return stack(grads, ctx.dim), None

    @staticmethod
    def view_step(args, nr):
        """Output ``nr`` replayed from the base alone (for in-place ops on it): ``x[..., nr]``."""
        return Slice, ((slice(None),) * args[1] + (nr,),)


class Flip(Op):
    @staticmethod
    def forward(ctx, x, dims):
        xp = backend_of(x).xp
        ctx.dims = dims
        return xp.flip(x._data, dims).copy()  # PyTorch's flip copies

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims), None


class Roll(Op):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        xp = backend_of(x).xp
        ctx.shifts, ctx.dims = shifts, dims
        return xp.roll(x._data, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return g.roll(neg, ctx.dims), None, None


class Repeat(Op):
    @staticmethod
    def forward(ctx, x, sizes):
        xp = backend_of(x).xp
        a = x._data
        a = a.reshape((1,) * (len(sizes) - a.ndim) + a.shape)
        ctx.in_shape, ctx.shape, ctx.sizes = x._data.shape, a.shape, sizes
        return xp.tile(a, sizes)

    @staticmethod
    def backward(ctx, g):
        # view the gradient as (r0, s0, r1, s1, ...) and add up the r copies
        split = []
        for r, s in zip(ctx.sizes, ctx.shape):
            split += [r, s]
        g = g.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.in_shape), None


class RepeatInterleave(Op):
    @staticmethod
    def forward(ctx, x, repeats, dim):
        xp = backend_of(x).xp
        a = x._data
        reps = repeats._data if isinstance(repeats, Tensor) else repeats
        ctx.in_shape, ctx.dim = a.shape, dim
        ctx.index = xp.repeat(xp.arange(a.shape[dim]), reps)  # which input row each output row copies
        return xp.repeat(a, reps, axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = backend_of(g).xp
        zeros = Tensor._make(xp.zeros(ctx.in_shape, g._data.dtype))
        return zeros.index_add(ctx.dim, Tensor._make(ctx.index), g), None, None


class Tril(Op):
    @staticmethod
    def forward(ctx, x, k):
        xp = backend_of(x).xp
        ctx.k = k
        return xp.tril(x._data, k)

    @staticmethod
    def backward(ctx, g):
        return g.tril(ctx.k), None


class Triu(Op):
    @staticmethod
    def forward(ctx, x, k):
        xp = backend_of(x).xp
        ctx.k = k
        return xp.triu(x._data, k)

    @staticmethod
    def backward(ctx, g):
        return g.triu(ctx.k), None


class Clone(Op):
    @staticmethod
    def forward(ctx, x):
        return x._data.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def _diag_index(shape, offset, d1, d2, xp):
    n1, n2 = shape[d1], shape[d2]
    length = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    i = xp.arange(length) - min(offset, 0)
    return i, i + offset


class Diagonal(Op):
    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        xp = backend_of(x).xp
        a = x._data
        ctx.args = (a.shape, offset, d1, d2)
        i, j = _diag_index(a.shape, offset, d1, d2, xp)
        return xp.moveaxis(a, (d1, d2), (-2, -1))[..., i, j]

    @staticmethod
    def backward(ctx, g):
        return DiagonalScatter.apply(g, *ctx.args), None, None, None


class DiagonalScatter(Op):
    """Zeros of ``shape`` with ``g`` written on a diagonal (diagonal's backward, diag_embed)."""

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        xp = backend_of(g).xp
        ctx.args = (offset, d1, d2)
        out = xp.zeros(shape, g._data.dtype)
        i, j = _diag_index(shape, offset, d1, d2, xp)
        xp.moveaxis(out, (d1, d2), (-2, -1))[..., i, j] = g._data
        return out

    @staticmethod
    def backward(ctx, g):
        return Diagonal.apply(g, *ctx.args), None, None, None, None


# ---------------------------------------------------------------- functional API
def reshape(input, *shape):
    shape = _infer_shape(as_shape(shape, "reshape"), input._data.size, "reshape")
    return Reshape.apply(input, shape)


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)) and not hasattr(shape[0], "__iter__"):
        return _view_dtype(input, shape[0])  # view(dtype): reinterpret the bytes
    shape = _infer_shape(as_shape(shape, "view"), input._data.size, "view")
    return View.apply(input, shape)


def _view_dtype(input, dtype):
    from .._dtype import to_dtype
    return Tensor._make(input._data.view(to_dtype(dtype, "view").np))


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    n = input._data.ndim
    if n == 0:
        return reshape(input, 1)
    s = norm_dim(start_dim, n, "flatten")
    e = norm_dim(end_dim, n, "flatten")
    if s > e:
        raise error(RuntimeError, "flatten", "flatten() has invalid args: start_dim cannot come after end_dim",
                    "usa start_dim <= end_dim, p. ej. flatten(1) o flatten(0, -1)")
    shape = input._data.shape
    return reshape(input, shape[:s] + (-1,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    d = norm_dim(dim, input._data.ndim, "unflatten")
    shape = input._data.shape
    sizes = tuple(sizes)
    inner = _infer_shape(sizes, shape[d], "unflatten")
    return reshape(input, shape[:d] + inner + shape[d + 1:])


def permute(input, *dims):
    dims = as_shape(dims, "permute")
    n = input._data.ndim
    if len(dims) != n:
        raise error(RuntimeError, "permute",
                    f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of "
                    f"the desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = "
                    f"{len(dims)}", "indica una posición para cada dimensión")
    dims = tuple(norm_dim(d, n, "permute") for d in dims)
    if len(set(dims)) != n:
        raise error(RuntimeError, "permute", f"permute(): duplicate dims are not allowed ({dims})",
                    "cada dimensión debe aparecer exactamente una vez")
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    n = input._data.ndim
    d0, d1 = norm_dim(dim0, n, "transpose"), norm_dim(dim1, n, "transpose")
    if n < 2:
        return Reshape.apply(input, input._data.shape)
    return Transpose.apply(input, d0, d1)


swapaxes = swapdims = transpose


def t(input):
    if input._data.ndim > 2:
        raise error(RuntimeError, "t", f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D",
                    "para más dimensiones usa transpose(d0, d1) o mT")
    return transpose(input, 0, -1) if input._data.ndim == 2 else input.view_as(input)


def movedim(input, source, destination):
    n = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    src = [norm_dim(d, n, "movedim") for d in src]
    dst = [norm_dim(d, n, "movedim") for d in dst]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def expand(input, *sizes):
    sizes = as_shape(sizes, "expand")
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise error(RuntimeError, "expand",
                    f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                    f"dimensions in the tensor ({len(shape)})",
                    "da un tamaño por cada dimensión (y quizá más, para dimensiones nuevas al inicio)")
    lead = len(sizes) - len(shape)
    out = list(sizes)
    for i, s in enumerate(shape):
        want = sizes[lead + i]
        if want == -1:
            out[lead + i] = s
        elif s != want and s != 1:
            raise error(RuntimeError, "expand",
                        f"The expanded size of the tensor ({want}) must match the existing size ({s}) at "
                        f"non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                        f"{list(shape)}", "solo se pueden expandir las dimensiones de tamaño 1")
    if lead and any(s == -1 for s in out[:lead]):
        raise error(RuntimeError, "expand", "-1 is not allowed in a leading, non-existing dimension",
                    "las dimensiones nuevas al inicio necesitan un tamaño explícito")
    return Expand.apply(input, tuple(out))


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, shape):
    return expand(input, shape)


def broadcast_tensors(*tensors):
    if not tensors:
        return ()
    shape = tensors[0]._data.shape
    for t in tensors[1:]:  # pairwise, to name the first two shapes that do not broadcast (PyTorch's error)
        try:
            shape = backend_of(t).xp.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            raise broadcast_error("broadcast_tensors", shape, t._data.shape) from None
    return tuple(expand(t, shape) for t in tensors)


def squeeze(input, dim=None):
    shape = input._data.shape
    if dim is None:
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(d for d in (norm_dim(d, len(shape), "squeeze") for d in dims) if shape and shape[d] == 1)
    return Squeeze.apply(input, dims)


def unsqueeze(input, dim):
    n = input._data.ndim + 1
    if not -n <= dim < n:
        raise error(IndexError, "unsqueeze",
                    f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})",
                    "unsqueeze acepta dimensiones de -(x.dim()+1) a x.dim()")
    return Unsqueeze.apply(input, dim % n)


def _check_cat(op, tensors, dim):
    if isinstance(tensors, Tensor) or not tensors:
        raise error(TypeError if isinstance(tensors, Tensor) else RuntimeError, op,
                    f"{op}(): expected a non-empty list of Tensors",
                    f"pasa una lista o tupla de tensores: profundo.{op}([a, b], dim=0)")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise error(TypeError, op, f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}",
                        "la lista debe contener solo tensores")


def cat(tensors, dim=0):
    _check_cat("cat", tensors, dim)
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise error(RuntimeError, "cat", f"zero-dimensional tensor (at position {i}) cannot be concatenated",
                        "un escalar no tiene eje que unir: usa torch.stack, o .reshape(1) antes de cat")
    # PyTorch skips legacy empty 1-D tensors
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or list(tensors[:1])
    ref = tensors[0]._data
    d = norm_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        a = t._data
        if a.ndim != ref.ndim:
            raise error(RuntimeError, "cat", f"Tensors must have same number of dimensions: got {ref.ndim} and "
                        f"{a.ndim}", "usa unsqueeze/reshape para igualar el número de dimensiones")
        for k in range(a.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise error(RuntimeError, "cat",
                            f"Sizes of tensors must match except in dimension {d}. Expected size {ref.shape[k]} "
                            f"but got size {a.shape[k]} for tensor number {i} in the list "
                            f"(shapes {shape_str(ref.shape)} and {shape_str(a.shape)}).",
                            f"todas las dimensiones salvo la {d} deben coincidir")
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors, dim=0):
    _check_cat("stack", tensors, dim)
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise error(RuntimeError, "stack", f"stack expects each tensor to be equal size, but got {list(ref)} "
                        f"at entry 0 and {list(t._data.shape)} at entry {i}",
                        "todos los tensores deben tener la misma forma")
    n = len(ref) + 1
    if not -n <= dim < n:
        raise error(IndexError, "stack",
                    f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})",
                    "stack añade una dimensión: dim va de -(ndim+1) a ndim")
    return Stack.apply(dim % n, *tensors)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t._data.ndim == 1 else t for t in tensors], 0)


def narrow(input, dim, start, length):
    d = norm_dim(dim, input._data.ndim, "narrow")
    size = input._data.shape[d]
    if start < 0:
        start += size
    if not (0 <= start <= size and 0 <= length and start + length <= size):
        raise error(IndexError, "narrow", f"start ({start}) + length ({length}) exceeds dimension size ({size}).",
                    "el trozo debe caber dentro de la dimensión")
    return input[(slice(None),) * d + (slice(start, start + length),)]


def select(input, dim, index):
    d = norm_dim(dim, input._data.ndim, "select")
    size = input._data.shape[d]
    if not -size <= index < size:
        raise error(IndexError, "select", f"select(): index {index} out of range for tensor of size "
                    f"{list(input.shape)} at dimension {d}", "el índice debe estar entre -tamaño y tamaño-1")
    return input[(slice(None),) * d + (index,)]


def split(tensor, split_size_or_sections, dim=0):
    d = norm_dim(dim, tensor._data.ndim, "split")
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise error(RuntimeError, "split", f"split_size can only be 0 if dimension size is 0, but got {step}",
                        "el tamaño de cada trozo debe ser positivo")
        sections = [min(step, size - s) for s in range(0, size, step)] or [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size:
            raise error(RuntimeError, "split", f"split_with_sizes expects split_sizes to sum exactly to {size} "
                        f"(input tensor's size at dimension {d}), but got split_sizes={sections}",
                        "los tamaños de los trozos deben sumar el tamaño de esa dimensión")
    out, start = [], 0
    for n in sections:
        out.append(narrow(tensor, d, start, n))
        start += n
    return tuple(out)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise error(RuntimeError, "chunk", f"chunk expects `chunks` to be greater than 0, got: {chunks}",
                    "pide al menos un trozo")
    size = input._data.shape[norm_dim(dim, input._data.ndim, "chunk")]
    step = max(1, -(-size // chunks))
    return split(input, step, dim)


def unbind(input, dim=0):
    d = norm_dim(dim, input._data.ndim, "unbind")
    return Unbind.apply(input, d)


def flip(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = tuple(norm_dim(d, input._data.ndim, "flip") for d in dims)
    return Flip.apply(input, dims)


def fliplr(input):
    return flip(input, 1)


def flipud(input):
    return flip(input, 0)


def _int_tuple(v, op, name):
    """An int, a 0-d tensor or a sequence of them, as a tuple of ints."""
    items = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    try:
        return tuple(int(x.__index__()) if not isinstance(x, Tensor) or x._data.ndim == 0 and
                     x._data.dtype.kind in "iu" else _not_int() for x in items)
    except (AttributeError, TypeError):
        raise error(TypeError, op, f"{op}(): argument '{name}' must be tuple of ints, not {type(v).__name__}",
                    f"{name} son enteros, p. ej. (1, -1)") from None


def _not_int():
    raise TypeError


def roll(input, shifts, dims=None):
    """Shift elements along ``dims`` (wrapping around); without ``dims`` the
    tensor is flattened, rolled and restored to its shape."""
    shifts = _int_tuple(shifts, "roll", "shifts")
    dims = () if dims is None else _int_tuple(dims, "roll", "dims")
    if not shifts:
        raise error(RuntimeError, "roll", "`shifts` required", "da al menos un desplazamiento")
    if not dims and len(shifts) == 1:
        return Roll.apply(input.flatten(), shifts[0], 0).view(input._data.shape)
    if len(shifts) != len(dims):
        raise error(RuntimeError, "roll", f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                    f"{len(dims)}", "da un desplazamiento por cada dimensión: roll(x, (1, 2), (0, 1))")
    dims = tuple(norm_dim(d, input._data.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts, dims)


def repeat(input, *sizes):
    sizes = as_shape(sizes, "repeat")
    if len(sizes) < input._data.ndim:
        raise error(RuntimeError, "repeat", "Number of dimensions of repeat dims can not be smaller than number "
                    "of dimensions of tensor", "da un número de repeticiones por dimensión")
    return Repeat.apply(input, sizes)


def tile(input, dims):
    dims = as_shape((dims,), "tile")
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return Repeat.apply(input, dims)


def repeat_interleave(input, repeats, dim=None):
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = norm_dim(dim, input._data.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor) and repeats._data.ndim == 1 and repeats._data.shape[0] != input._data.shape[d]:
        raise error(RuntimeError, "repeat_interleave", f"repeats must have the same size as input along dim, but "
                    f"got repeats.size(0) = {repeats._data.shape[0]} and input.size({d}) = {input._data.shape[d]}",
                    "da un número de repeticiones por cada elemento de esa dimensión")
    return RepeatInterleave.apply(input, repeats, d)


def tril(input, diagonal=0):
    _check_matrix("tril", input)
    return Tril.apply(input, diagonal)


def triu(input, diagonal=0):
    _check_matrix("triu", input)
    return Triu.apply(input, diagonal)


def _check_matrix(op, input):
    if input._data.ndim < 2:
        raise error(RuntimeError, op, f"{op}: input tensor must have at least 2 dimensions (got shape "
                    f"{tuple(input.shape)})", "tril/triu trabajan sobre matrices; usa reshape para darle 2 dimensiones")


def clone(input, *, memory_format=None):
    return Clone.apply(input)


def contiguous(input, memory_format=None):
    return input if input._data.flags.c_contiguous else Clone.apply(input)


def diagonal(input, offset=0, dim1=0, dim2=1):
    n = input._data.ndim
    d1, d2 = norm_dim(dim1, n, "diagonal"), norm_dim(dim2, n, "diagonal")
    if d1 == d2:
        raise error(RuntimeError, "diagonal", f"diagonal dimensions cannot be identical {dim1}, {dim2}",
                    "elige dos dimensiones distintas")
    return Diagonal.apply(input, offset, d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input._data.shape[-1] + abs(offset)
    shape = input._data.shape[:-1] + (n, n)
    nd = len(shape)
    return DiagonalScatter.apply(input, shape, offset, dim1 % nd, dim2 % nd)


def diag(input, diagonal=0):
    if input._data.ndim == 1:
        return diag_embed(input, diagonal)
    if input._data.ndim == 2:
        return Diagonal.apply(input, diagonal, 0, 1)
    raise error(RuntimeError, "diag", f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D",
                "para lotes de matrices usa diagonal(x, dim1=-2, dim2=-1)")
