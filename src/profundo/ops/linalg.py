"""Linear algebra: matmul (and mm/bmm/mv/dot/outer), einsum, trace, norms."""
import math
import string

from .._backend import backend_of
from .._errors import shape_str
from ..autograd import grad_mode
from ._base import Op, Tensor, error

_GRAD = grad_mode.STATE

_HINT_INNER = "la dimensión interna debe coincidir; ¿olvidaste transponer (.T) o aplanar (.flatten(1))?"


class Mm(Op):
    """2-D @ 2-D."""

    kernel = "dot"  # the forward on same-dtype floats (np.dot: BLAS with the least argument handling)
    kernel_saves = "inputs"  # (see Function.kernel_saves)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return backend_of(a).matmul(a._data, b._data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        if not _GRAD.enabled:
            # a first-order backward records nothing: the same two products by the backend's
            # kernel on the arrays, not as four ops (two transposes, two products: ~4 us less
            # per product, a third of the backward of d2l's RNN from scratch)
            ga, gb = backend_of(g).matmul_backward(g._data, a._data, b._data, na, nb)
            return (Tensor._make(ga) if na else None), (Tensor._make(gb) if nb else None)
        return (g @ b.mT if na else None), (a.mT @ g if nb else None)


class Bmm(Mm):
    """Batched (and broadcast) matmul; the engine sums gradients over broadcast batch dims."""

    kernel = "matmul"  # the forward on same-dtype floats


class Dot(Op):
    @staticmethod
    def forward(ctx, a, b):
        xp = backend_of(a).xp
        ctx.save_for_backward(a, b)
        return xp.dot(a._data, b._data)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g * b if na else None), (g * a if nb else None)


def _check_dtypes(op, a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        bad = b if isinstance(a, Tensor) else a
        raise error(TypeError, op, f"expected Tensor arguments, got {type(bad).__name__}",
                    "convierte el valor con profundo.tensor(...)")
    if a._data.dtype != b._data.dtype:
        raise error(RuntimeError, op, f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype}",
                    "convierte uno de los dos: b = b.to(a.dtype) (p. ej. .float())")


def matmul(input, other):
    """``input @ other`` with NumPy/PyTorch semantics for 1-D and batched inputs."""
    if (input.__class__ is Tensor or isinstance(input, Tensor)) and (other.__class__ is Tensor
                                                                     or isinstance(other, Tensor)):
        a, b = input._data, other._data  # (a Parameter too: d2l's X @ W)
        if a.ndim == 2 and b.ndim == 2 and a.dtype is b.dtype and a.shape[1] == b.shape[0]:
            return Mm.apply(input, other)  # the common case, checked in one line (~0.5 us less)
    xp = backend_of(input).xp
    _check_dtypes("matmul", input, other)
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise error(RuntimeError, "matmul", f"both arguments to matmul need to be at least 1D, but they are "
                    f"{a.ndim}D and {b.ndim}D", "para multiplicar por un escalar usa *")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim >= 2 else b.shape[0]
    if ka != kb:
        raise error(RuntimeError, "matmul", f"shapes {shape_str(a.shape)} and {shape_str(b.shape)} cannot be "
                    f"multiplied ({ka} != {kb})", _HINT_INNER)
    if a.ndim == 1 and b.ndim == 1:
        return Dot.apply(input, other)
    if a.ndim == 1:
        return matmul(input.unsqueeze(0), other).squeeze(-2)
    if b.ndim == 1:
        return matmul(input, other.unsqueeze(-1)).squeeze(-1)
    if a.ndim == 2 and b.ndim == 2:
        return Mm.apply(input, other)
    try:
        xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise error(RuntimeError, "matmul", f"batch dimensions of {shape_str(a.shape)} and {shape_str(b.shape)} "
                    "do not broadcast", "las dimensiones de lote deben ser iguales o 1") from None
    return Bmm.apply(input, other)


def mm(input, mat2):
    _check_dtypes("mm", input, mat2)
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise error(RuntimeError, "mm", f"self must be a matrix (got shapes {shape_str(input._data.shape)} and "
                    f"{shape_str(mat2._data.shape)})", "mm multiplica matrices 2-D; para lotes usa bmm o matmul")
    return matmul(input, mat2)


def bmm(input, mat2):
    _check_dtypes("bmm", input, mat2)
    a, b = input._data, mat2._data
    if a.ndim != 3 or b.ndim != 3:
        raise error(RuntimeError, "bmm", f"batch1 must be a 3D tensor (got shapes {shape_str(a.shape)} and "
                    f"{shape_str(b.shape)})", "bmm espera (lote, n, m) @ (lote, m, p)")
    if a.shape[0] != b.shape[0]:
        raise error(RuntimeError, "bmm", f"batch1 and batch2 must have same number of batches, got {a.shape[0]} "
                    f"and {b.shape[0]}", "los dos lotes deben tener el mismo tamaño en la dimensión 0")
    return matmul(input, mat2)


def mv(input, vec):
    _check_dtypes("mv", input, vec)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise error(RuntimeError, "mv", f"vector + matrix @ vector expected, got {input.ndim}D and {vec.ndim}D",
                    "mv multiplica una matriz 2-D por un vector 1-D")
    return matmul(input, vec)


def dot(input, other):
    _check_dtypes("dot", input, other)
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise error(RuntimeError, "dot", f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors",
                    "dot es para vectores; para matrices usa matmul o @")
    if a.shape != b.shape:
        raise error(RuntimeError, "dot", f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                    f"[{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
                    "elements respectively", "los dos vectores deben tener la misma longitud")
    return Dot.apply(input, other)


def inner(input, other):
    """Sum of products over the last dimension of both: for N-D inputs the
    result has shape ``input.shape[:-1] + other.shape[:-1]`` (a 0-d input scales the other)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        _check_dtypes("inner", input, other)  # raises the TypeError
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input * other
    if a.dtype != b.dtype:
        raise error(RuntimeError, "inner", f"both inputs should have same dtype (got {input.dtype} and "
                    f"{other.dtype})", "convierte uno de los dos: b = b.to(a.dtype)")
    if a.shape[-1] != b.shape[-1]:
        raise error(RuntimeError, "inner", f"inner() the last dimension must match on both input tensors but got "
                    f"shapes {list(a.shape)} and {list(b.shape)}",
                    "inner contrae la última dimensión de ambos: deben tener el mismo tamaño")
    if a.ndim == 1 and b.ndim == 1:
        return Dot.apply(input, other)
    k = a.shape[-1]
    flat = matmul(input.reshape(-1, k), other.reshape(-1, k).mT)
    return flat.reshape(a.shape[:-1] + b.shape[:-1])


def outer(input, vec2):
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def trace(input):
    if input._data.ndim != 2:
        raise error(RuntimeError, "trace", f"trace: expected a matrix, but got tensor with dim {input.ndim}",
                    "trace es para matrices 2-D")
    return input.diagonal().sum()


# ---------------------------------------------------------------- einsum
def _parse_einsum(equation, shapes):
    """Subscripts of each operand and of the output, ellipsis expanded to letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise error(ValueError, "einsum", f"{len(terms)} operands in the equation but {len(shapes)} tensors "
                    "given", "un término por tensor, separados por comas")
    used = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in used]
    ell_n = max((len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t), default=0)
    ell = "".join(spare[:ell_n])
    subs = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            k = len(s) - (len(t) - 3)
            t = t.replace("...", ell[ell_n - k:] if k else "")
        if len(t) != len(s) or not all(c.isalpha() for c in t):
            raise error(RuntimeError, "einsum", f"the number of subscripts in the equation ({len(t)}) does not "
                        f"match the number of dimensions ({len(s)}) for an operand",
                        "cada tensor necesita una letra por dimensión")
        subs.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:  # implicit output: ellipsis letters, then letters used once, sorted
        counts = {}
        for t in subs:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return subs, out


class Einsum(Op):
    @staticmethod
    def forward(ctx, equation, *tensors):
        xp = backend_of(tensors[0]).xp
        arrays = [t._data for t in tensors]
        subs, out = _parse_einsum(equation, [a.shape for a in arrays])
        ctx.save_for_backward(*tensors)
        ctx.subs, ctx.out = subs, out
        return xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2)

    @staticmethod
    def backward(ctx, g):
        tensors = ctx.saved_tensors
        grads = [None]
        for i, need in enumerate(ctx.needs_input_grad[1:]):
            grads.append(_einsum_grad(g, tensors, ctx.subs, ctx.out, i) if need else None)
        return tuple(grads)


def _einsum_grad(g, tensors, subs, out, i):
    """d(einsum)/d(operand i): an einsum of the output gradient with the other
    operands.  Letters only operand i has are summed out in forward, so the
    gradient is broadcast back along them; a letter repeated in operand i (a
    diagonal) puts the gradient back on that diagonal."""
    xp = backend_of(g).xp
    target = subs[i]
    others = [(s, t) for j, (s, t) in enumerate(zip(subs, tensors)) if j != i]
    available = set(out) | set("".join(s for s, _ in others))
    unique = "".join(dict.fromkeys(target))
    keep = "".join(c for c in unique if c in available)
    eq = ",".join([out] + [s for s, _ in others]) + "->" + keep
    grad = einsum(eq, g, *[t for _, t in others])
    sizes = dict(zip(target, tensors[i]._data.shape))
    if keep != unique:  # broadcast along letters only this operand had (``keep`` is in ``unique`` order)
        grad = grad.reshape([sizes[c] if c in keep else 1 for c in unique]).expand([sizes[c] for c in unique])
    if unique != target:  # repeated letters: place the gradient on the diagonal
        spare = iter(c for c in string.ascii_letters if c not in target and c not in out)
        renamed, eyes, seen = "", [], set()
        for c in target:
            if c in seen:
                n = next(spare)
                eyes.append((c + n, Tensor._make(xp.eye(sizes[c], dtype=g._data.dtype))))
                renamed += n
            else:
                seen.add(c)
                renamed += c
        grad = einsum(",".join([unique] + [e for e, _ in eyes]) + "->" + renamed, grad, *[t for _, t in eyes])
    return grad


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for t in operands:
        if not isinstance(t, Tensor):
            raise error(TypeError, "einsum", f"operands must be Tensors, got {type(t).__name__}",
                        "pasa tensores a einsum")
    dts = {t._data.dtype for t in operands}
    if len(dts) > 1:
        raise error(RuntimeError, "einsum", f"expected all operands to have the same dtype, got "
                    f"{sorted(str(t.dtype) for t in operands)}", "convierte los operandos al mismo tipo")
    return Einsum.apply(equation, *operands)


# ---------------------------------------------------------------- norms (profundo.linalg)
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    from .reduce import norm
    return norm(x, ord, dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if dtype is not None:
        A = A.to(dtype)
    if A._data.ndim < 2:
        raise error(RuntimeError, "linalg.matrix_norm", f"The input tensor A must have at least 2 dimensions "
                    f"(got shape {tuple(A.shape)})",
                    "las normas matriciales necesitan al menos 2 dimensiones")
    r, c = dim
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (r, c) if ord in (1, -1) else (c, r)
        s = A.abs().sum(dim=summed, keepdim=True)
        out = s.amax(dim=other, keepdim=True) if ord > 0 else s.amin(dim=other, keepdim=True)
        return out if keepdim else out.squeeze((r % A.ndim, c % A.ndim))
    raise error(NotImplementedError, "linalg.matrix_norm", f"ord={ord!r} needs singular values, which profundo "
                "does not compute yet; supported: 'fro', 1, -1, inf, -inf",
                "usa ord='fro' o una norma 1/inf")


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """``linalg.norm``: a vector norm, or a matrix norm when ``ord`` is a matrix
    norm name or ``dim`` has two dims."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and A._data.ndim == 2):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)
