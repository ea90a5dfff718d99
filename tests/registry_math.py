"""Registry entries for elementwise math and indexing added with issue 10: logaddexp, copysign, shifts, scatter_reduce, ...."""
import numpy as np

from registry import Sample, _op, bad_broadcast, binary, unary  # noqa: F401

_INF = float("inf")


def _special_pairs(make):
    """Pairs with +-inf, equal values and large magnitudes (where a naive log(exp(a) + exp(b)) fails)."""
    a = np.array([_INF, -_INF, _INF, -_INF, 1.0, 80.0, -80.0, 0.5], np.float32)
    b = np.array([_INF, -_INF, -_INF, _INF, 2.0, 80.0, 3.0, 0.5], np.float32)
    return [Sample((a, b))]


def _signs(make):
    """copysign at zeros of both signs: torch's gradient is 0 where input == 0."""
    a = np.array([1.5, -2.0, 0.0, -0.0, 0.0, 3.0, -1.0, 2.5], np.float32)
    b = np.array([-1.0, 1.0, -1.0, 1.0, -0.0, -0.5, 0.5, 0.5], np.float32)  # (b = 0 only where a = 0: a jump)
    return [Sample((a, b))]


def _shift_samples(make):
    return [Sample((make.ints((2, 3), -50, 50), make.ints((2, 3), 0, 8))),
            Sample((make.ints((2, 3), -50, 50), make.ints((3,), 0, 70))),
            Sample((make.ints((4,), -50, 50), 3)),
            Sample((make.ints((4,), -50, 50), 64)),
            Sample((make.ints((4,), -50, 50), -1))]


def _float_shift(make):
    return [Sample((make((2, 3)), 1)), Sample((make.ints((3,), 0, 4), make((3,))))]


def _scatter_samples(make):
    """Repeated indices (several values reduced into one place), untouched places, and an index
    smaller than src."""
    return [Sample((make((3, 4)), 1, np.array([[0, 0, 1], [2, 2, 2], [3, 1, 3]]), make((3, 3)))),
            Sample((make((3, 4)), 0, np.array([[0, 1, 0, 0], [0, 1, 2, 2]]), make((2, 4)))),
            Sample((make((5,)), 0, np.array([4, 0, 4, 4]), make((4,)))),
            Sample((make((3, 4)), -1, np.array([[1, 1], [0, 3]]), make((2, 2))))]


def _scatter_errors(reduce):
    def errors(make):
        return [Sample((make((3, 4)), 1, np.array([[0, 1]]), make((1, 2))), dict(reduce="maximum")),
                Sample((make((3, 4)), 1, np.array([[0, 5]]), make((1, 2))), dict(reduce=reduce)),
                Sample((make((3, 4)), 1, np.array([0, 1]), make((2,))), dict(reduce=reduce))]
    return errors


def _scatter_reduce_op(reduce, include_self, grad=True):
    name = f"scatter_reduce_{reduce}" + ("" if include_self else "_exclude_self")
    smooth = reduce in ("sum", "mean", "prod")
    return _op(name, lambda T, a, d, i, s, reduce=reduce: T.scatter_reduce(a, d, i, s, reduce,
                                                                           include_self=include_self),
               _scatter_samples, gradgrad=smooth, grad=grad,
               errors=_scatter_errors(reduce) if include_self else None)


def _gamma_points(make):
    """Negative non-integers (the reflection formula), points near lgamma's zeros at 1 and 2 and
    near its negative zero at -2.457 (the values are relative there), tiny and large arguments."""
    return [Sample((np.array([-2.5, -0.3, -7.2, -2.45, 0.05, 0.9999, 1.001, 1.999, 2.2, 1.4616, 30.0, 150.5],
                             np.float32),)),
            Sample((np.array([[-11.75, 3.5], [1e-3, 8.0]], np.float32),))]


def _prod_zeros(make):
    """prod with zeros in input and src: a single zero gets the product of the others, two get 0."""
    a = np.array([[1.5, 0.0, 3.0, 2.0]], np.float32)
    s = np.array([[0.0, 2.0, 0.0, 0.0, 5.0, -1.5]], np.float32)
    return [Sample((a, 1, np.array([[0, 0, 1, 1, 2, 3]]), s))]


OPS = [
    _op("logaddexp", lambda T, a, b: T.logaddexp(a, b), binary(scalar=None), errors=bad_broadcast),
    _op("logaddexp_large", lambda T, a, b: T.logaddexp(a, b), binary(-300, 300, scalar=None)),
    _op("logaddexp_special", lambda T, a, b: T.logaddexp(a, b), _special_pairs, gradgrad=False),
    _op("logaddexp2", lambda T, a, b: a.logaddexp2(b), binary(scalar=None)),
    _op("logaddexp2_special", lambda T, a, b: T.logaddexp2(a, b), _special_pairs, gradgrad=False),
    _op("logaddexp_int", lambda T, a, b: T.logaddexp(a, b), lambda make: [],
        errors=lambda make: [Sample((make.ints((3,), 0, 5), make.ints((3,), 0, 5)))]),
    _op("copysign", lambda T, a, b: T.copysign(a, b), binary(scalar=-1.5), errors=bad_broadcast),
    _op("copysign_zeros", lambda T, a, b: a.copysign(b), _signs, gradgrad=False),
    _op("copysign_int", lambda T, a, b: T.copysign(a, b),
        lambda make: [Sample((make.ints((2, 3), -5, 5), make.ints((3,), -5, 5))),
                      Sample((make.ints((2, 3), -5, 5), -2))], grad=False),
    _op("bitwise_left_shift", lambda T, a, b: T.bitwise_left_shift(a, b), _shift_samples, grad=False,
        errors=_float_shift),
    _op("bitwise_right_shift", lambda T, a, b: a.bitwise_right_shift(b), _shift_samples, grad=False,
        errors=_float_shift),
    _op("lshift_operator", lambda T, a, b: a << b, _shift_samples, grad=False, errors=_float_shift),
    _op("rshift_operator", lambda T, a, b: a >> b, _shift_samples, grad=False, errors=_float_shift),
    _op("rlshift_operator", lambda T, a: 3 << a, lambda make: [Sample((make.ints((5,), 0, 10),))], grad=False),
    _op("rrshift_operator", lambda T, a: -200 >> a, lambda make: [Sample((make.ints((5,), 0, 10),))], grad=False),
    _op("shift_small_ints", lambda T, a, b: a.to(T.uint8) << b.to(T.int8),
        lambda make: [Sample((make.ints((6,), 0, 255), make.ints((6,), 0, 9)))], grad=False),
    # where with numbers for both branches: int64 for ints, the default float for floats
    _op("where_two_numbers", lambda T, c, a, b: T.where(c, a, b),
        lambda make: [Sample((make.bools((2, 3)), 4, 2)), Sample((make.bools((2, 3)), 4.0, 2)),
                      Sample((make.bools((3,)), True, False)), Sample((make.bools((3,)), 1, 2.5))], grad=False),
    # division with rounding: in the graph, gradient zero for both inputs
    _op("div_floor", lambda T, a, b: T.div(a, b, rounding_mode="floor"), binary(-3, 3, 0.5, 2.0, scalar=0.7),
        gradgrad=False),
    _op("div_trunc", lambda T, a, b: a.div(b, rounding_mode="trunc"), binary(-3, 3, 0.5, 2.0, scalar=-0.7),
        gradgrad=False),
    _op("div_rounding_typo", lambda T, a, b, **kw: T.div(a, b, **kw), lambda make: [],
        errors=lambda make: [Sample((make((2, 3)), make((2, 3))), dict(rounding_mode="typo")),
                             Sample((make((2, 3)), 2.0), dict(rounding_mode="floor_"))]),
    _op("div_int_rounding", lambda T, a, b, **kw: T.div(a, b, **kw),
        lambda make: [Sample((make.ints((2, 3), -9, 9), make.ints((3,), 1, 4)), dict(rounding_mode="trunc")),
                      Sample((make.ints((2, 3), -9, 9), -make.ints((3,), 1, 4)), dict(rounding_mode="floor")),
                      Sample((make.ints((2, 3), -9, 9), 2.5), dict(rounding_mode="trunc"))], grad=False),
    _op("floor_divide", lambda T, a, b: a // b, binary(-3, 3, 0.5, 2.0, scalar=0.7), grad=False),
    _op("floor_divide_int", lambda T, a, b: a // b,
        lambda make: [Sample((make.ints((2, 3), -9, 9), make.ints((2, 3), 1, 4))),
                      Sample((make.ints((2, 3), -9, 9), -3))], grad=False,
        errors=lambda make: [Sample((make.ints((2, 3), -9, 9), 0)),
                             Sample((make.ints((3,), -9, 9), np.array([1, 0, 2])))]),
    _op("remainder", lambda T, a, b: a % b, binary(-3, 3, 0.5, 2.0, scalar=-0.7), gradgrad=False),
    _op("remainder_int", lambda T, a, b: T.remainder(a, b),
        lambda make: [Sample((make.ints((2, 3), -9, 9), -make.ints((2, 3), 1, 4)))], grad=False,
        errors=lambda make: [Sample((make.ints((2, 3), -9, 9), 0)),
                             Sample((make.ints((3,), -9, 9), np.array([1, 0, 2])))]),
    _op("fmod", lambda T, a, b: T.fmod(a, b), binary(-3, 3, 0.5, 2.0, scalar=-0.7), gradgrad=False),
    _op("fmod_int", lambda T, a, b: T.fmod(a, b),
        lambda make: [Sample((make.ints((2, 3), -9, 9), -make.ints((2, 3), 1, 4)))], grad=False,
        errors=lambda make: [Sample((make.ints((2, 3), -9, 9), 0))]),
    # 0 ** 0: the derivatives PyTorch defines there
    _op("pow_zero_at_zero", lambda T, a: T.pow(a, 0.0),
        lambda make: [Sample((np.array([0.0, -0.0, 1.5, -2.0], np.float32),))]),
    _op("pow_tensor_zero_exponent", lambda T, a: T.pow(a, T.zeros_like(a)),
        lambda make: [Sample((np.array([0.0, 1.5, -2.0, 0.0], np.float32),))], gradgrad=False),
    _op("rpow_zero_base", lambda T, p: T.pow(0.0, p),
        lambda make: [Sample((np.array([0.5, 1.0, 2.0, 3.0], np.float32),))], gradgrad=False),
    # scatter_reduce and the legacy scatter(reduce=) (which torch records without a derivative)
    *[_scatter_reduce_op(r, inc) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    # torch's aliases of amax/amin (its backward refuses them; profundo's gives amax/amin's gradient)
    _scatter_reduce_op("max", True, grad=False), _scatter_reduce_op("min", False, grad=False),
    _op("scatter_reduce_prod_zeros", lambda T, a, d, i, s: T.scatter_reduce(a, d, i, s, "prod"), _prod_zeros,
        gradgrad=False),
    _op("scatter_reduce_amax_ties", lambda T, a, d, i, s, **kw: a.scatter_reduce(d, i, s, "amax", **kw),
        lambda make: [Sample((np.array([3.0, 0.0, 1.0], np.float32), 0, np.array([0, 1, 2]),
                              np.array([3.0, 2.0, 1.0], np.float32))),
                      Sample((np.array([5.0, 0.0, 4.0], np.float32), 0, np.array([0, 0, 1, 2]),
                              np.array([3.0, 3.0, 2.0, 1.0], np.float32)), dict(include_self=False))],
        gradgrad=False),
    _op("scatter_legacy_reduce", lambda T, a, d, i, s, **kw: T.scatter(a, d, i, s, **kw),
        lambda make: [Sample((make((3, 4)), 1, np.array([[0, 0, 1], [2, 2, 2], [3, 1, 3]]), make((3, 3))),
                             dict(reduce="add")),
                      Sample((make((3, 4)), 1, np.array([[0, 0, 1], [2, 2, 2], [3, 1, 3]]), make((3, 3))),
                             dict(reduce="multiply")),
                      Sample((make((3, 4)), 1, np.array([[0, 0, 1], [2, 2, 2]]), 1.5), dict(reduce="multiply")),
                      Sample((make.ints((3, 4), -5, 5), 0, np.array([[0, 0, 1, 2]]), 2), dict(reduce="add"))],
        grad=False,
        errors=lambda make: [Sample((make((3, 4)), 1, np.array([[0, 1]]), make((1, 2))), dict(reduce="sum")),
                             Sample((make((3, 4)), 1, np.array([[0, 1]]), make((1, 2))), dict(reduce="mean"))]),
    # roll without dims (flattened) and mismatched shifts/dims
    _op("roll_flat", lambda T, a, s: T.roll(a, s),
        lambda make: [Sample((make((2, 3)), 1)), Sample((make((3, 4), noncontig=True), -5)),
                      Sample((make((2, 3)), (4,)))],
        errors=lambda make: [Sample((make((2, 3)), (1, 2)))]),
    _op("roll_mismatch", lambda T, a, s, d: T.roll(a, s, d), lambda make: [],
        errors=lambda make: [Sample((make((2, 3)), (1, 2), 0)), Sample((make((2, 3)), 1, (0, 1))),
                             Sample((make((2, 3)), (), ())), Sample((make((2, 3)), 1, 2))]),
    # inner contracts the last dim of both
    _op("inner_nd", lambda T, a, b: T.inner(a, b),
        lambda make: [Sample((make((2, 3)), make((4, 3)))), Sample((make((2, 5, 3)), make((4, 3)))),
                      Sample((make((3,)), make((4, 3)))), Sample((make((2, 3)), make((3,)))),
                      Sample((make((2, 3)), make(()))), Sample((make((3,)), make((3,))))],
        errors=lambda make: [Sample((make((2, 3)), make((4, 2)))), Sample((make((3,)), make((4,))))]),
    # p-norms with zero entries: the gradient at a zero is 0 (it was 0 * inf = NaN for p < 2)
    _op("norm_p_zeros", lambda T, a, **kw: T.norm(a, **kw),
        lambda make: [Sample((np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 0.0]], np.float32),), dict(p=p, dim=d))
                      for p in (1.5, 3.0) for d in (None, 1)], gradgrad=False),
    # lgamma and digamma (issue 11: vectorized kernels, no math.lgamma per element)
    _op("lgamma", lambda T, a: T.lgamma(a), unary(0.2, 6.0)),
    _op("lgamma_method", lambda T, a: a.lgamma(), _gamma_points),
    _op("lgamma_large", lambda T, a: T.lgamma(a), unary(20.0, 200.0)),
    _op("lgamma_int", lambda T, a: T.lgamma(a), lambda make: [Sample((make.ints((2, 3), 1, 12),))], grad=False),
    _op("digamma", lambda T, a: T.digamma(a), unary(0.2, 6.0), gradgrad=False),  # (polygamma(2): not built)
    _op("digamma_method", lambda T, a: a.digamma(), _gamma_points, gradgrad=False),
    _op("digamma_int", lambda T, a: T.digamma(a), lambda make: [Sample((make.ints((4,), 1, 12),))], grad=False),
]


# ---------------------------------------------------------------- out= (issue 16)
# ``T.f(..., out=o)`` writes into ``o`` and returns it.  Each entry returns the out tensor(s) and their
# version counters, so the registry compares the written values, dtypes, shapes and versions with torch;
# its error samples check the autograd refusal (an input that requires grad) and the dtype refusal.
def _out_op(name, call, samples, out_dtype=None, pair=False, differentiable=True, errors=True, casts_in=False):
    """``call(T, *args, out=...)``; ``out_dtype`` None: the first tensor's dtype; ``pair``: (values, indices);
    ``casts_in``: the op computes in out's dtype (sum, prod, cumsum), so an integer out is no error."""
    def fn(T, *args, requires_grad=False, bad_dtype=None, **kw):
        first = next(a for a in args if isinstance(a, T.Tensor) or isinstance(a, (list, tuple)))
        first = first[0] if isinstance(first, (list, tuple)) else first
        if requires_grad:
            first.requires_grad_()
        dt = getattr(T, bad_dtype or out_dtype or str(first.dtype).split(".")[-1])
        out = (T.empty(0, dtype=dt), T.empty(0, dtype=T.int64)) if pair else T.empty(0, dtype=dt)
        result = call(T, *args, out=out, **kw)
        for r, o in zip(result if pair else (result,), out if pair else (out,)):
            assert r is o, f"{name}(out=...) must return the out tensor itself"
        outs = out if pair else (out,)
        return (*outs, T.tensor([o._version for o in outs]))

    def error_samples(make):
        s = samples(make)[0]
        bad = []
        if differentiable:  # (only floating inputs can require grad)
            bad.append(Sample(s.args, dict(s.kwargs, requires_grad=True)))
        if out_dtype is None and not casts_in:  # a float result into an integer out: "can't be cast", "Expected"
            bad.append(Sample(s.args, dict(s.kwargs, bad_dtype="int64")))
        return bad

    return _op(f"{name}_out", fn, samples, grad=False, errors=error_samples if errors else None)


def _pos_unary(make):
    return unary(0.5, 2.0)(make)


def _mats(*shapes):
    return lambda make: [Sample(tuple(make(s) for s in pair)) for pair in shapes]


def _reduce(*kwargs):
    return lambda make: [Sample((make((2, 3, 4)),), dict(kw)) for kw in kwargs] + \
        [Sample((make((3, 4), noncontig=True),), dict(kwargs[0]))]


OPS += [
    # arithmetic (broadcasting, 0-d, empty, non-contiguous, scalars)
    _out_op("add", lambda T, a, b, **kw: T.add(a, b, **kw), binary()),
    _out_op("add_alpha", lambda T, a, b, **kw: T.add(a, b, alpha=2.5, **kw), binary(scalar=None)),
    _out_op("add_ints_into_float", lambda T, a, b, **kw: T.add(a, b, **kw),
            lambda make: [Sample((make.ints((2, 3), -5, 5), make.ints((3,), -5, 5)))], out_dtype="float32",
            errors=False),
    _out_op("sub", lambda T, a, b, **kw: T.sub(a, b, **kw), binary()),
    _out_op("subtract", lambda T, a, b, **kw: T.subtract(a, b, **kw), binary(scalar=None)),
    _out_op("mul", lambda T, a, b, **kw: T.mul(a, b, **kw), binary()),
    _out_op("div", lambda T, a, b, **kw: T.div(a, b, **kw), binary(lo2=0.5, hi2=2.0)),
    _out_op("div_floor", lambda T, a, b, **kw: T.div(a, b, rounding_mode="floor", **kw), binary(lo2=0.5, hi2=2.0)),
    _out_op("div_trunc", lambda T, a, b, **kw: T.div(a, b, rounding_mode="trunc", **kw), binary(lo2=0.5, hi2=2.0)),
    _out_op("pow", lambda T, a, b, **kw: T.pow(a, b, **kw), binary(0.5, 2.0, -1.5, 1.5)),
    _out_op("remainder", lambda T, a, b, **kw: T.remainder(a, b, **kw), binary(lo2=0.5, hi2=2.0)),
    _out_op("maximum", lambda T, a, b, **kw: T.maximum(a, b, **kw), binary(scalar=None)),
    _out_op("atan2", lambda T, a, b, **kw: T.atan2(a, b, **kw), binary(scalar=None)),
    # unary math
    _out_op("exp", lambda T, a, **kw: T.exp(a, **kw), unary()),
    _out_op("log", lambda T, a, **kw: T.log(a, **kw), _pos_unary),
    _out_op("sqrt", lambda T, a, **kw: T.sqrt(a, **kw), _pos_unary),
    _out_op("sin", lambda T, a, **kw: T.sin(a, **kw), unary()),
    _out_op("tanh", lambda T, a, **kw: T.tanh(a, **kw), unary()),
    _out_op("sigmoid", lambda T, a, **kw: T.sigmoid(a, **kw), unary()),
    _out_op("abs", lambda T, a, **kw: T.abs(a, **kw), unary()),
    _out_op("neg", lambda T, a, **kw: T.neg(a, **kw), unary()),
    _out_op("floor", lambda T, a, **kw: T.floor(a, **kw), unary()),
    _out_op("clamp", lambda T, a, **kw: T.clamp(a, -0.5, 0.5, **kw), unary()),
    _out_op("exp_of_ints", lambda T, a, **kw: T.exp(a, **kw),
            lambda make: [Sample((make.ints((2, 3), -3, 3),))], out_dtype="float32", errors=False),
    # products
    _out_op("matmul", lambda T, a, b, **kw: T.matmul(a, b, **kw),
            _mats(((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((3,), (3,)), ((2, 1, 2, 3), (2, 3, 2)), ((2, 3), (3,)))),
    # (vector @ matrix is left to test_out.py: torch's kernel bumps out's version twice there)
    _out_op("mm", lambda T, a, b, **kw: T.mm(a, b, **kw), _mats(((2, 3), (3, 4)), ((0, 3), (3, 2)))),
    _out_op("bmm", lambda T, a, b, **kw: T.bmm(a, b, **kw), _mats(((2, 2, 3), (2, 3, 4)))),
    _out_op("mv", lambda T, a, b, **kw: T.mv(a, b, **kw), _mats(((2, 3), (3,)))),
    _out_op("dot", lambda T, a, b, **kw: T.dot(a, b, **kw), _mats(((3,), (3,)))),
    _out_op("outer", lambda T, a, b, **kw: T.outer(a, b, **kw), _mats(((3,), (4,)))),
    # reductions
    _out_op("sum", lambda T, a, **kw: T.sum(a, **kw), _reduce({"dim": 1}, {"dim": (0, 2), "keepdim": True}),
            casts_in=True),
    _out_op("sum_into_long", lambda T, a, **kw: T.sum(a, **kw), _reduce({"dim": 1}), out_dtype="int64",
            errors=False),  # torch sums the values cast to out's dtype (a = [0.6, 0.6] gives 0)
    _out_op("mean", lambda T, a, **kw: T.mean(a, **kw), _reduce({"dim": 1}, {"dim": -1, "keepdim": True})),
    _out_op("prod", lambda T, a, **kw: T.prod(a, **kw), _reduce({"dim": 1}), casts_in=True),
    _out_op("amax", lambda T, a, **kw: T.amax(a, **kw), _reduce({"dim": 1}, {"dim": (0, 2)})),
    _out_op("amin", lambda T, a, **kw: T.amin(a, **kw), _reduce({"dim": 1}, {"dim": (0, 2)})),
    _out_op("max_dim", lambda T, a, **kw: T.max(a, **kw), _reduce({"dim": 1}, {"dim": 0, "keepdim": True}),
            pair=True),
    _out_op("min_dim", lambda T, a, **kw: T.min(a, **kw), _reduce({"dim": 1}), pair=True),
    _out_op("argmax", lambda T, a, **kw: T.argmax(a, **kw), _reduce({"dim": 1}, {"dim": 2, "keepdim": True}),
            out_dtype="int64", differentiable=False),
    _out_op("cumsum", lambda T, a, **kw: T.cumsum(a, **kw), _reduce({"dim": 1}, {"dim": -1}), casts_in=True),
    _out_op("logsumexp", lambda T, a, **kw: T.logsumexp(a, **kw), _reduce({"dim": 1}, {"dim": (0, 2)})),
    _out_op("var", lambda T, a, **kw: T.var(a, **kw), _reduce({"dim": 1}, {"dim": 0, "correction": 0})),
    _out_op("std", lambda T, a, **kw: T.std(a, **kw), _reduce({"dim": 1})),
    _out_op("norm", lambda T, a, **kw: T.norm(a, **kw), _reduce({"dim": 1}, {"p": 1, "dim": 0})),
    # joining, selecting, sorting
    _out_op("cat", lambda T, a, b, **kw: T.cat([a, b], **kw), _mats(((2, 3), (4, 3)), ((0, 3), (2, 3)))),
    _out_op("cat_dim1", lambda T, a, b, **kw: T.cat([a, b], dim=1, **kw), _mats(((2, 3), (2, 1)))),
    _out_op("stack", lambda T, a, b, **kw: T.stack([a, b], **kw), _mats(((2, 3), (2, 3)))),
    _out_op("where", lambda T, a, b, **kw: T.where(a > 0, a, b, **kw), binary(scalar=None)),
    _out_op("sort", lambda T, a, **kw: T.sort(a, **kw), _reduce({"dim": 1}, {"dim": 0, "descending": True}),
            pair=True),
    _out_op("topk", lambda T, a, **kw: T.topk(a, 2, **kw), _reduce({"dim": 1}, {"dim": 0, "largest": False}),
            pair=True),
    _out_op("eq", lambda T, a, b, **kw: T.eq(a, b, **kw), binary(scalar=None), out_dtype="bool",
            differentiable=False, errors=False),
    # factories: out= gives the dtype (and the shape)
    _out_op("zeros", lambda T, a, **kw: T.zeros(2, 3, **kw), lambda make: [Sample((make((3,)),))], errors=False),
    _out_op("ones", lambda T, a, **kw: T.ones((4,), **kw), lambda make: [Sample((make(()),))], errors=False),
    _out_op("full", lambda T, a, **kw: T.full((2, 2), 1.5, **kw), lambda make: [Sample((make((3,)),))],
            errors=False),
    _out_op("arange", lambda T, a, **kw: T.arange(0, 2, 0.25, **kw), lambda make: [Sample((make((3,)),))],
            errors=False),
]
