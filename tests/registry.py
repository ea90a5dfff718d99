"""The op registry: every op, its sample inputs, and how to call it.

One entry drives every generic test in ``test_ops.py``: forward values,
shapes and dtypes vs PyTorch, gradients vs PyTorch, float64 gradcheck,
gradgradcheck (smooth ops) and error parity.  ``fn(T, *args, **kwargs)`` is
written once and called with ``T = profundo`` and ``T = torch``: the APIs
are the same, which is the point.

Sample arguments that are NumPy arrays become tensors (floating ones
require grad); every other argument is passed as is.
"""
import zlib
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sample:
    args: tuple
    kwargs: dict = field(default_factory=dict)

    def __repr__(self):
        parts = [f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray) else repr(a) for a in self.args]
        parts += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return "(" + ", ".join(parts) + ")"


@dataclass
class OpInfo:
    name: str
    fn: object                      # fn(T, *args, **kwargs)
    samples: object                 # samples(make) -> [Sample]
    grad: bool = True               # differentiable
    gradgrad: bool = True           # smooth enough for second derivatives
    errors: object = None           # errors(make) -> [Sample] that must raise in both libraries
    atol: float = 1e-5
    rtol: float = 1.3e-6
    nondeterministic_grad: bool = False  # at ties (max/min...) only the values are compared


def samples_of(op):
    """The op's samples, built from a seed fixed by its name: the same arrays in every run
    (``hash(str)`` changes from one Python process to the next, which made a failure depend on
    the run)."""
    return op.samples(Maker(zlib.crc32(op.name.encode())))


class Maker:
    """Builds sample arrays: ``make(shape)``; ``noncontig=True`` gives a transposed view."""

    def __init__(self, seed, dtype=np.float32):
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype

    def __call__(self, shape, lo=-2.0, hi=2.0, noncontig=False, dtype=None):
        dtype = dtype or self.dtype
        if noncontig and len(shape) >= 2:
            a = self.rng.uniform(lo, hi, shape[::-1]).astype(dtype).T
            return a
        return self.rng.uniform(lo, hi, shape).astype(dtype)

    def ints(self, shape, lo, hi):
        return self.rng.integers(lo, hi, shape).astype(np.int64)

    def bools(self, shape):
        return self.rng.random(shape) < 0.5


UNARY_SHAPES = [(), (3,), (2, 3), (0, 3), (1, 4), (2, 1, 3)]


def unary(lo=-2.0, hi=2.0):
    def samples(make):
        out = [Sample((make(s, lo, hi),)) for s in UNARY_SHAPES]
        out.append(Sample((make((3, 4), lo, hi, noncontig=True),)))
        return out
    return samples


BINARY_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((0, 3), (3,)), ((4,), ())]


def binary(lo=-2.0, hi=2.0, lo2=None, hi2=None, scalar=1.5):
    lo2 = lo if lo2 is None else lo2
    hi2 = hi if hi2 is None else hi2

    def samples(make):
        out = [Sample((make(a, lo, hi), make(b, lo2, hi2))) for a, b in BINARY_SHAPES]
        out.append(Sample((make((3, 4), lo, hi, noncontig=True), make((3, 4), lo2, hi2))))
        if scalar is not None:
            out.append(Sample((make((2, 3), lo, hi), scalar)))
        return out
    return samples


def bad_broadcast(make):
    return [Sample((make((2, 3)), make((4,)))), Sample((make((2, 3)), make((3, 2))))]


def reduction(extra_kwargs=({},), with_dims=True):
    def samples(make):
        out = []
        for kw in extra_kwargs:
            out.append(Sample((make((2, 3, 4)),), dict(kw)))
            out.append(Sample((make(()),), dict(kw)))
            if with_dims:
                out.append(Sample((make((2, 3, 4)),), dict(kw, dim=1)))
                out.append(Sample((make((2, 3, 4)),), dict(kw, dim=-1, keepdim=True)))
                out.append(Sample((make((2, 3, 4)),), dict(kw, dim=(0, 2))))
                out.append(Sample((make((0, 3)),), dict(kw, dim=1)))
                out.append(Sample((make((3, 4), noncontig=True),), dict(kw, dim=0)))
        return out
    return samples


def bad_dim(make):
    return [Sample((make((2, 3)),), dict(dim=2)), Sample((make((2, 3)),), dict(dim=-3))]


def build(lib, sample, dtype, requires_grad):
    """Sample arrays -> tensors of ``lib`` (profundo or torch: the same values for
    both), floating ones requiring grad if asked; returns (args, leaves)."""
    args, leaves = [], []
    for a in sample.args:
        if isinstance(a, np.ndarray):
            t = lib.from_numpy(np.array(a.astype(dtype) if a.dtype.kind == "f" else a, copy=True, order="K"))
            if requires_grad and a.dtype.kind == "f":
                t.requires_grad_(True)
                leaves.append(t)
            args.append(t)
        else:
            args.append(a)
    return args, leaves


def _double_backward(T, f, a, g):
    """The gradient of f at a (for upstream g), built with create_graph=True."""
    if not a.requires_grad:
        a.requires_grad_()
    return T.autograd.grad(f(a), a, g, create_graph=True)[0]


def _op(name, fn, samples, **kw):
    return OpInfo(name, fn, samples, **kw)


OPS = [
    # ---------------------------------------------------------- arithmetic
    _op("add", lambda T, a, b: T.add(a, b), binary(), errors=bad_broadcast),
    _op("add_alpha", lambda T, a, b: T.add(a, b, alpha=2.5), binary(scalar=None)),
    _op("sub", lambda T, a, b: a - b, binary(), errors=bad_broadcast),
    _op("rsub_scalar", lambda T, a: 3.0 - a, unary()),
    _op("mul", lambda T, a, b: a * b, binary(), errors=bad_broadcast),
    _op("div", lambda T, a, b: a / b, binary(lo2=0.5, hi2=2.0), errors=bad_broadcast),
    _op("rdiv_scalar", lambda T, a: 2.0 / a, unary(0.5, 2.0)),
    _op("neg", lambda T, a: -a, unary()),
    _op("pow_scalar", lambda T, a: a ** 3, unary()),
    _op("pow_frac", lambda T, a: a ** 2.5, unary(0.5, 2.0)),
    _op("pow_zero", lambda T, a: T.pow(a, 0), unary()),
    _op("pow_tensor", lambda T, a, b: T.pow(a, b), binary(0.5, 2.0, -1.5, 1.5, scalar=None), errors=bad_broadcast),
    _op("rpow", lambda T, a: 2.0 ** a, unary()),
    _op("square", lambda T, a: T.square(a), unary()),
    _op("maximum", lambda T, a, b: T.maximum(a, b), binary(scalar=None), gradgrad=False, errors=bad_broadcast),
    _op("minimum", lambda T, a, b: T.minimum(a, b), binary(scalar=None), gradgrad=False),
    _op("atan2", lambda T, a, b: T.atan2(a, b), binary(0.5, 2.0, scalar=None)),
    _op("lerp_scalar", lambda T, a, b: T.lerp(a, b, 0.3), binary(scalar=None)),
    _op("lerp_tensor", lambda T, a, b, w: T.lerp(a, b, w),
        lambda make: [Sample((make((2, 3)), make((2, 3)), make((2, 3), 0, 1))),
                      Sample((make((2, 3)), make((3,)), make((2, 1), 0, 1)))]),
    _op("clamp", lambda T, a: T.clamp(a, -0.5, 0.7), unary(), gradgrad=False),
    _op("clamp_min", lambda T, a: a.clamp(min=0.1), unary(), gradgrad=False),
    _op("clamp_tensor", lambda T, a, lo, hi: T.clamp(a, lo, hi),
        lambda make: [Sample((make((2, 3)), make((2, 3), -2, -0.5), make((3,), 0.5, 2)))], gradgrad=False),
    _op("where", lambda T, c, a, b: T.where(c, a, b),
        lambda make: [Sample((make.bools((2, 3)), make((2, 3)), make((2, 3)))),
                      Sample((make.bools((2, 3)), make((3,)), make((2, 1)))),
                      Sample((make.bools((2, 3)), make((2, 3)), 0.0))]),
    # ---------------------------------------------------------- unary math
    _op("exp", lambda T, a: T.exp(a), unary()),
    _op("exp2", lambda T, a: T.exp2(a), unary()),
    _op("expm1", lambda T, a: T.expm1(a), unary()),
    _op("log", lambda T, a: T.log(a), unary(0.1, 3.0)),
    _op("log2", lambda T, a: T.log2(a), unary(0.1, 3.0)),
    _op("log10", lambda T, a: T.log10(a), unary(0.1, 3.0)),
    _op("log1p", lambda T, a: T.log1p(a), unary(-0.5, 3.0)),
    _op("sqrt", lambda T, a: T.sqrt(a), unary(0.1, 3.0)),
    _op("rsqrt", lambda T, a: T.rsqrt(a), unary(0.2, 3.0)),
    _op("reciprocal", lambda T, a: T.reciprocal(a), unary(0.3, 3.0)),
    _op("abs", lambda T, a: T.abs(a), unary(), gradgrad=False),
    _op("sin", lambda T, a: T.sin(a), unary()),
    _op("cos", lambda T, a: T.cos(a), unary()),
    _op("tan", lambda T, a: T.tan(a), unary(-1.0, 1.0)),
    _op("asin", lambda T, a: T.asin(a), unary(-0.9, 0.9)),
    _op("acos", lambda T, a: T.acos(a), unary(-0.9, 0.9)),
    _op("atan", lambda T, a: T.atan(a), unary()),
    _op("sinh", lambda T, a: T.sinh(a), unary()),
    _op("cosh", lambda T, a: T.cosh(a), unary()),
    _op("tanh", lambda T, a: T.tanh(a), unary()),
    _op("asinh", lambda T, a: T.asinh(a), unary()),
    _op("acosh", lambda T, a: T.acosh(a), unary(1.2, 3.0)),
    _op("atanh", lambda T, a: T.atanh(a), unary(-0.9, 0.9)),
    _op("sigmoid", lambda T, a: T.sigmoid(a), unary(-6, 6)),
    _op("erf", lambda T, a: T.erf(a), unary(-3, 3)),
    _op("relu", lambda T, a: T.relu(a), unary(), gradgrad=False),
    _op("relu_double_backward", lambda T, a, g: _double_backward(T, T.relu, a, g),
        lambda make: [Sample((make((2, 3)), make((2, 3))))], gradgrad=False),
    _op("tanh_double_backward", lambda T, a, g: _double_backward(T, T.tanh, a, g),
        lambda make: [Sample((make((2, 3)), make((2, 3))))]),
    _op("sigmoid_double_backward", lambda T, a, g: _double_backward(T, T.sigmoid, a, g),
        lambda make: [Sample((make((2, 3)), make((2, 3))))]),
    _op("sign", lambda T, a: T.sign(a), unary(), gradgrad=False),
    _op("floor", lambda T, a: T.floor(a), unary(), gradgrad=False),
    _op("ceil", lambda T, a: T.ceil(a), unary(), gradgrad=False),
    _op("round", lambda T, a: T.round(a), unary(), gradgrad=False),
    _op("round_decimals", lambda T, a: T.round(a, decimals=1), unary(), gradgrad=False),
    _op("trunc", lambda T, a: T.trunc(a), unary(), gradgrad=False),
    _op("frac", lambda T, a: T.frac(a), unary(), gradgrad=False),
    # ---------------------------------------------------------- reductions
    _op("sum", lambda T, a, **kw: T.sum(a, **kw), reduction(), errors=bad_dim),
    _op("mean", lambda T, a, **kw: a.mean(**kw), reduction(), errors=bad_dim),
    _op("prod", lambda T, a, **kw: T.prod(a, **kw),
        lambda make: [Sample((make((2, 3, 4)),)), Sample((make((2, 3, 4)),), dict(dim=1)),
                      Sample((make((3, 4)),), dict(dim=0, keepdim=True)), Sample((make(()),))]),
    _op("prod_zeros", lambda T, a, **kw: T.prod(a, **kw),
        lambda make: [Sample((np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0]], np.float32),), dict(dim=1)),
                      Sample((np.array([2.0, 0.0, 3.0], np.float32),))]),
    _op("amax", lambda T, a, **kw: T.amax(a, **kw),
        lambda make: [Sample((make((2, 3, 4)),)), Sample((make((2, 3, 4)),), dict(dim=1)),
                      Sample((make((2, 3, 4)),), dict(dim=(0, 2), keepdim=True))], gradgrad=False),
    _op("amin", lambda T, a, **kw: T.amin(a, **kw), lambda make: [Sample((make((2, 3, 4)),), dict(dim=-1))],
        gradgrad=False),
    _op("max_all", lambda T, a: a.max(), lambda make: [Sample((make((2, 3)),)), Sample((make(()),))],
        gradgrad=False),
    _op("max_ties", lambda T, a: a.max(), lambda make: [Sample((np.array([1.0, 3.0, 3.0], np.float32),))],
        gradgrad=False),
    _op("max_dim", lambda T, a, **kw: tuple(T.max(a, **kw)),
        lambda make: [Sample((make((2, 3, 4)),), dict(dim=1)), Sample((make((3, 4)),), dict(dim=0, keepdim=True)),
                      Sample((make(()),), dict(dim=0))], gradgrad=False, errors=bad_dim),
    _op("min_dim", lambda T, a, **kw: tuple(a.min(**kw)), lambda make: [Sample((make((2, 3, 4)),), dict(dim=-1))],
        gradgrad=False),
    _op("argmax", lambda T, a, **kw: T.argmax(a, **kw),
        lambda make: [Sample((make((2, 3)),)), Sample((make((2, 3)),), dict(dim=1)),
                      Sample((make((2, 3)),), dict(dim=0, keepdim=True))], grad=False),
    _op("argmin", lambda T, a, **kw: a.argmin(**kw), lambda make: [Sample((make((2, 3)),), dict(dim=1))], grad=False),
    _op("var", lambda T, a, **kw: T.var(a, **kw), reduction(({}, {"correction": 0}))),
    _op("var_unbiased", lambda T, a: T.var(a, 0, False), lambda make: [Sample((make((3, 4)),))]),
    _op("std", lambda T, a, **kw: a.std(**kw), reduction(({}, {"correction": 0}))),
    _op("logsumexp", lambda T, a, **kw: T.logsumexp(a, **kw),
        lambda make: [Sample((make((2, 3, 4)),), dict(dim=1)), Sample((make((2, 3)),), dict(dim=(0, 1))),
                      Sample((make((2, 3)) * 50,), dict(dim=-1, keepdim=True))], errors=bad_dim),
    _op("norm", lambda T, a, **kw: T.norm(a, **kw),
        lambda make: [Sample((make((2, 3)),)), Sample((make((2, 3)),), dict(dim=1)),
                      Sample((make((2, 3)),), dict(p=1, dim=0)), Sample((make((2, 3)),), dict(p=3)),
                      Sample((make((2, 3)),), dict(p=float("inf"), dim=1, keepdim=True))], gradgrad=False),
    _op("linalg_vector_norm", lambda T, a, **kw: T.linalg.vector_norm(a, **kw),
        lambda make: [Sample((make((2, 3)),), dict(ord=2)), Sample((make((2, 3)),), dict(ord=1, dim=1))],
        gradgrad=False),
    _op("linalg_norm", lambda T, a, **kw: T.linalg.norm(a, **kw),
        lambda make: [Sample((make((4,)),)), Sample((make((2, 3)),)), Sample((make((2, 3)),), dict(ord="fro")),
                      Sample((make((2, 3)),), dict(ord=1)), Sample((make((2, 3)),), dict(ord=float("inf")))],
        gradgrad=False),
    _op("cumsum", lambda T, a, **kw: T.cumsum(a, **kw),
        lambda make: [Sample((make((2, 3)),), dict(dim=1)), Sample((make((4,)),), dict(dim=0))], errors=bad_dim),
    _op("cumprod", lambda T, a, **kw: T.cumprod(a, **kw),
        lambda make: [Sample((make((2, 3)),), dict(dim=1)), Sample((make((4,)),), dict(dim=0))]),
    _op("cumprod_zeros", lambda T, a, **kw: T.cumprod(a, **kw),
        lambda make: [Sample((np.array([[1.5, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 1.0]], np.float32),), dict(dim=1))]),
    _op("softmax", lambda T, a, **kw: T.softmax(a, **kw),
        lambda make: [Sample((make((2, 3)),), dict(dim=1)), Sample((make((2, 3, 4)),), dict(dim=0)),
                      Sample((make((2, 3)) * 100,), dict(dim=-1))], errors=bad_dim),
    _op("softmax_double_backward", lambda T, a, g: _double_backward(T, lambda t: T.softmax(t, dim=1), a, g),
        lambda make: [Sample((make((2, 3)), make((2, 3))))]),
    _op("log_softmax_double_backward", lambda T, a, g: _double_backward(T, lambda t: T.log_softmax(t, dim=0), a, g),
        lambda make: [Sample((make((2, 3)), make((2, 3))))]),
    _op("log_softmax", lambda T, a, **kw: T.log_softmax(a, **kw),
        lambda make: [Sample((make((2, 3)),), dict(dim=1)), Sample((make((2, 3)) * 100,), dict(dim=-1))]),
    # ---------------------------------------------------------- shape
    _op("reshape", lambda T, a, s: a.reshape(s),
        lambda make: [Sample((make((2, 3)), (3, 2))), Sample((make((2, 3)), (-1,))),
                      Sample((make((3, 4), noncontig=True), (2, -1)))],
        errors=lambda make: [Sample((make((2, 3)), (4, 2))), Sample((make((2, 3)), (-1, -1)))]),
    _op("view", lambda T, a, s: a.view(s), lambda make: [Sample((make((2, 3)), (3, 2))), Sample((make((2, 3)), (6,)))],
        errors=lambda make: [Sample((make((3, 4), noncontig=True), (12,)))]),
    _op("flatten", lambda T, a, *s: T.flatten(a, *s),
        lambda make: [Sample((make((2, 3, 4)),)), Sample((make((2, 3, 4)), 1)), Sample((make(()),))]),
    _op("unflatten", lambda T, a, d, s: a.unflatten(d, s), lambda make: [Sample((make((2, 6)), 1, (3, 2)))]),
    _op("permute", lambda T, a, d: a.permute(*d), lambda make: [Sample((make((2, 3, 4)), (2, 0, 1)))],
        errors=lambda make: [Sample((make((2, 3, 4)), (0, 1))), Sample((make((2, 3, 4)), (0, 1, 1)))]),
    _op("transpose", lambda T, a, d0, d1: T.transpose(a, d0, d1),
        lambda make: [Sample((make((2, 3, 4)), 0, 2)), Sample((make((2, 3)), -1, 0))]),
    _op("T", lambda T, a: a.T, lambda make: [Sample((make((2, 3)),)), Sample((make((4,)),))]),
    _op("mT", lambda T, a: a.mT, lambda make: [Sample((make((2, 3, 4)),))]),
    _op("t", lambda T, a: a.t(), lambda make: [Sample((make((2, 3)),))]),
    _op("movedim", lambda T, a, s, d: T.movedim(a, s, d), lambda make: [Sample((make((2, 3, 4)), 0, -1)),
                                                                        Sample((make((2, 3, 4)), (0, 1), (2, 0)))]),
    _op("expand", lambda T, a, s: a.expand(*s),
        lambda make: [Sample((make((3, 1)), (3, 4))), Sample((make((3,)), (2, 3))), Sample((make(()), (2, 2))),
                      Sample((make((3, 1)), (2, -1, 4)))],
        errors=lambda make: [Sample((make((3, 2)), (3, 4)))]),
    _op("squeeze", lambda T, a, *d: a.squeeze(*d),
        lambda make: [Sample((make((2, 1, 3, 1)),)), Sample((make((2, 1, 3)), 1)), Sample((make((2, 1, 3)), 0))]),
    _op("unsqueeze", lambda T, a, d: a.unsqueeze(d),
        lambda make: [Sample((make((2, 3)), 0)), Sample((make((2, 3)), -1)), Sample((make(()), 0))],
        errors=lambda make: [Sample((make((2, 3)), 3))]),
    _op("cat", lambda T, *ts, dim=0: T.cat(list(ts), dim=dim),
        lambda make: [Sample((make((2, 3)), make((1, 3)))), Sample((make((2, 3)), make((2, 2))), dict(dim=1)),
                      Sample((make((2, 3)), make((2, 3)), make((2, 1))), dict(dim=-1))],
        errors=lambda make: [Sample((make((2, 3)), make((2, 2)))), Sample((make((2, 3)), make((3,))))]),
    _op("stack", lambda T, *ts, dim=0: T.stack(list(ts), dim=dim),
        lambda make: [Sample((make((2, 3)), make((2, 3)))), Sample((make((2, 3)), make((2, 3))), dict(dim=2))],
        errors=lambda make: [Sample((make((2, 3)), make((3, 2))))]),
    _op("split", lambda T, a, s, d: T.split(a, s, d),
        lambda make: [Sample((make((5, 3)), 2, 0)), Sample((make((2, 6)), [1, 2, 3], 1))]),
    _op("chunk", lambda T, a, c, d: T.chunk(a, c, d), lambda make: [Sample((make((5, 3)), 3, 0))]),
    _op("unbind", lambda T, a, d: T.unbind(a, d), lambda make: [Sample((make((3, 2)), 1))]),
    _op("narrow", lambda T, a, d, s, n: a.narrow(d, s, n), lambda make: [Sample((make((4, 3)), 0, 1, 2))]),
    _op("select", lambda T, a, d, i: a.select(d, i), lambda make: [Sample((make((4, 3)), 1, -1))]),
    _op("flip", lambda T, a, d: T.flip(a, d), lambda make: [Sample((make((2, 3)), (0, 1))), Sample((make((4,)), (0,)))]),
    _op("roll", lambda T, a, s, d: T.roll(a, s, d),
        lambda make: [Sample((make((2, 3)), 1, 1)), Sample((make((2, 3)), (1, -1), (0, 1))),
                      Sample((make((2, 3)), 2, None))]),
    _op("repeat", lambda T, a, s: a.repeat(*s),
        lambda make: [Sample((make((2, 3)), (2, 1))), Sample((make((3,)), (2, 2))), Sample((make(()), (3,)))],
        errors=lambda make: [Sample((make((2, 3)), (2,)))]),
    _op("tile", lambda T, a, s: T.tile(a, s), lambda make: [Sample((make((2, 3)), (2,))), Sample((make((3,)), (2, 2)))]),
    _op("repeat_interleave", lambda T, a, r, **kw: T.repeat_interleave(a, r, **kw),
        lambda make: [Sample((make((2, 3)), 2), dict(dim=1)), Sample((make((2, 3)), 2)),
                      Sample((make((3, 2)), make.ints((3,), 0, 3)), dict(dim=0))]),
    _op("tril", lambda T, a, *k: T.tril(a, *k), lambda make: [Sample((make((3, 4)),)), Sample((make((2, 3, 3)), -1))],
        errors=lambda make: [Sample((make((3,)),))]),
    _op("triu", lambda T, a, *k: T.triu(a, *k), lambda make: [Sample((make((3, 4)), 1))]),
    _op("clone", lambda T, a: a.clone(), unary()),
    _op("contiguous", lambda T, a: a.contiguous(), lambda make: [Sample((make((3, 4), noncontig=True),))]),
    _op("diagonal", lambda T, a, **kw: T.diagonal(a, **kw),
        lambda make: [Sample((make((3, 4)),)), Sample((make((3, 4)),), dict(offset=1)),
                      Sample((make((2, 3, 4)),), dict(offset=-1, dim1=1, dim2=2))]),
    _op("diag", lambda T, a, *k: T.diag(a, *k),
        lambda make: [Sample((make((3,)),)), Sample((make((3,)), 1)), Sample((make((3, 4)),)), Sample((make((3, 4)), -1))]),
    _op("diag_embed", lambda T, a: T.diag_embed(a), lambda make: [Sample((make((2, 3)),))]),
    _op("trace", lambda T, a: T.trace(a), lambda make: [Sample((make((3, 4)),))]),
    # ---------------------------------------------------------- indexing
    _op("getitem_basic", lambda T, a: a[1:, ::2],
        lambda make: [Sample((make((3, 5)),)), Sample((make((4, 5), noncontig=True),))]),
    _op("getitem_int", lambda T, a: a[1, -1], lambda make: [Sample((make((3, 4)),))]),
    _op("getitem_none_ellipsis", lambda T, a: a[None, ..., 0], lambda make: [Sample((make((2, 3, 4)),))]),
    _op("getitem_advanced", lambda T, a, i: a[i],
        lambda make: [Sample((make((4, 3)), make.ints((5,), 0, 4))), Sample((make((4, 3)), make.ints((2, 2), -4, 4)))]),
    _op("getitem_repeated", lambda T, a, i: a[i], lambda make: [Sample((make((3, 2)), np.array([0, 0, 2, 0])))]),
    _op("getitem_bool", lambda T, a, m: a[m], lambda make: [Sample((make((3, 4)), make.bools((3, 4)))),
                                                         Sample((make((3, 4)), make.bools((3,))))]),
    _op("getitem_mixed", lambda T, a, i: a[i, 1:], lambda make: [Sample((make((4, 3)), make.ints((2,), 0, 4)))]),
    _op("getitem_list", lambda T, a: a[[0, 2], [1, 0]], lambda make: [Sample((make((3, 4)),))]),
    _op("index_select", lambda T, a, d, i: T.index_select(a, d, i),
        lambda make: [Sample((make((4, 3)), 0, make.ints((5,), 0, 4))), Sample((make((4, 3)), 1, np.array([2, 2, 0])))],
        errors=lambda make: [Sample((make((4, 3)), 0, np.array([4]))), Sample((make((4, 3)), 0, make((2,))))]),
    _op("index_add", lambda T, a, d, i, s: a.index_add(d, i, s),
        lambda make: [Sample((make((4, 3)), 0, np.array([0, 2, 0]), make((3, 3))))]),
    _op("gather", lambda T, a, d, i: T.gather(a, d, i),
        lambda make: [Sample((make((3, 4)), 1, make.ints((3, 2), 0, 4))), Sample((make((3, 4)), 0, make.ints((2, 4), 0, 3))),
                      Sample((make((3, 4)), 1, make.ints((2, 2), 0, 4)))],
        errors=lambda make: [Sample((make((3, 4)), 1, np.array([[5]]))), Sample((make((3, 4)), 1, np.array([1])))]),
    _op("scatter", lambda T, a, d, i, s: T.scatter(a, d, i, s),
        lambda make: [Sample((make((3, 4)), 1, np.array([[0, 1], [2, 3], [1, 0]]), make((3, 2)))),
                      Sample((make((3, 4)), 0, np.array([[0, 1, 2, 0]]), make((1, 4))))]),
    _op("scatter_value", lambda T, a, d, i: a.scatter(d, i, 0.5),
        lambda make: [Sample((make((3, 4)), 1, np.array([[0, 1], [2, 3], [1, 0]])))]),
    _op("scatter_add", lambda T, a, d, i, s: T.scatter_add(a, d, i, s),
        lambda make: [Sample((make((3, 4)), 1, np.array([[0, 0], [2, 3], [1, 1]]), make((3, 2)))),
                      Sample((make((3, 4)), 0, np.array([[0, 0, 2, 0], [0, 1, 1, 2]]), make((2, 4))))]),
    _op("masked_fill", lambda T, a, m: a.masked_fill(m, -1.5),
        lambda make: [Sample((make((3, 4)), make.bools((3, 4)))), Sample((make((3, 4)), make.bools((4,))))],
        errors=lambda make: [Sample((make((3, 4)), make.bools((2, 4))))]),
    _op("masked_select", lambda T, a, m: T.masked_select(a, m), lambda make: [Sample((make((3, 4)), make.bools((4,))))]),
    _op("take_along_dim", lambda T, a, i, **kw: T.take_along_dim(a, i, **kw),
        lambda make: [Sample((make((3, 4)), make.ints((3, 2), 0, 4)), dict(dim=1)),
                      Sample((make((3, 4)), make.ints((5,), 0, 12)))]),
    _op("nonzero", lambda T, a: T.nonzero(a > 0), lambda make: [Sample((make((3, 4)),)), Sample((make((5,)),))],
        grad=False),
    # ---------------------------------------------------------- linear algebra
    _op("matmul", lambda T, a, b: a @ b,
        lambda make: [Sample((make((2, 3)), make((3, 4)))), Sample((make((3,)), make((3, 4)))),
                      Sample((make((2, 3)), make((3,)))), Sample((make((3,)), make((3,)))),
                      Sample((make((5, 2, 3)), make((3, 4)))), Sample((make((2, 1, 2, 3)), make((3, 3, 2)))),
                      Sample((make((3, 4), noncontig=True), make((4, 2))))],
        errors=lambda make: [Sample((make((2, 3)), make((4, 2)))), Sample((make((2, 3)), make((2,))))]),
    _op("mm", lambda T, a, b: T.mm(a, b), lambda make: [Sample((make((2, 3)), make((3, 4))))],
        errors=lambda make: [Sample((make((2, 3)), make((3,)))), Sample((make((2, 3)), make((2, 3))))]),
    _op("bmm", lambda T, a, b: T.bmm(a, b), lambda make: [Sample((make((2, 2, 3)), make((2, 3, 4))))],
        errors=lambda make: [Sample((make((2, 3)), make((3, 4)))), Sample((make((2, 2, 3)), make((3, 3, 4))))]),
    _op("mv", lambda T, a, b: T.mv(a, b), lambda make: [Sample((make((2, 3)), make((3,))))]),
    _op("dot", lambda T, a, b: T.dot(a, b), lambda make: [Sample((make((3,)), make((3,))))],
        errors=lambda make: [Sample((make((3,)), make((4,)))), Sample((make((2, 3)), make((2, 3))))]),
    _op("outer", lambda T, a, b: T.outer(a, b), lambda make: [Sample((make((3,)), make((4,))))]),
    _op("einsum_mm", lambda T, a, b: T.einsum("ij,jk->ik", a, b), lambda make: [Sample((make((2, 3)), make((3, 4))))]),
    _op("einsum_batch", lambda T, a, b: T.einsum("bij,bjk->bik", a, b),
        lambda make: [Sample((make((2, 2, 3)), make((2, 3, 4))))]),
    _op("einsum_sum_out", lambda T, a: T.einsum("ij->i", a), lambda make: [Sample((make((2, 3)),))]),
    _op("einsum_trace", lambda T, a: T.einsum("ii", a), lambda make: [Sample((make((3, 3)),))]),
    _op("einsum_diag", lambda T, a: T.einsum("ii->i", a), lambda make: [Sample((make((3, 3)),))]),
    _op("einsum_ellipsis", lambda T, a, b: T.einsum("...ij,...jk", a, b),
        lambda make: [Sample((make((2, 2, 3)), make((2, 3, 2))))]),
    _op("einsum_outer", lambda T, a, b, c: T.einsum("i,j,k->ijk", a, b, c),
        lambda make: [Sample((make((2,)), make((3,)), make((2,))))]),
]

# the ops of later issues, one table per family (each imports the helpers above)
from registry_sorting import OPS as _SORTING  # noqa: E402  (sort, topk, median, cummax, meshgrid, ...)
from registry_math import OPS as _MATH  # noqa: E402  (logaddexp, copysign, shifts, scatter_reduce, ...)
from registry_nn import OPS as _NN  # noqa: E402  (F.pad, F.normalize, losses' arguments, ...)

from registry_conv import OPS as _CONV  # noqa: E402  (Unit 2: conv1d/2d, conv_transpose2d, unfold/fold)
from registry_pool import OPS as _POOL  # noqa: E402  (Unit 2: pooling, interpolate, normalization)

from registry_embed import OPS as _EMBED  # noqa: E402  (Unit 3: embedding, the new activations)
from registry_rnn import OPS as _RNN  # noqa: E402  (Unit 3: recurrent cells)
from registry_attn import OPS as _ATTN  # noqa: E402  (Unit 3: attention)

OPS += _SORTING + _MATH + _NN + _CONV + _POOL + _EMBED + _RNN + _ATTN
OPS_BY_NAME = {op.name: op for op in OPS}
