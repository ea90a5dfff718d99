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
]
