"""Registry entries for sorting, selection and scans: sort, argsort, topk, kthvalue, median, unique, cummax, cummin, logcumsumexp, meshgrid.

Gradient samples have no ties (random floats): at a tie the chosen index may
differ from PyTorch's (it is unspecified there) and finite differences would
cross it.  Ties are tested separately in test_sorting.py, and with
``stable=True`` (where PyTorch's order is specified) here, values only.
"""
import numpy as np

from registry import Sample, _op, bad_dim, binary, unary  # noqa: F401

NAN = np.nan


def _with_nans(a, *where):
    a = a.copy()
    for w in where:
        a[w] = NAN
    return a


def _distinct_ints(make, shape, lo=-20):
    """Integers without repeats (ties have no specified index in torch's topk/kthvalue/median)."""
    n = int(np.prod(shape))
    return (make.rng.permutation(n) + lo).reshape(shape).astype(np.int64)


def _ties(dtype=np.float32):
    # equal values, NaNs and infinities: sorted stably they have one right answer
    return np.array([[2.0, -1.0, NAN, 2.0, 0.5, -1.0, np.inf, 2.0, NAN, -np.inf, 0.5, 2.0, -1.0, 0.0, 3.0, 2.0,
                      0.5, NAN, 1.0, -1.0],
                     [1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0,
                      1.0, 0.0]], dtype)


OPS = [
    # ---------------------------------------------------------- sort
    _op("sort", lambda T, a, **kw: tuple(T.sort(a, **kw)),
        lambda make: [Sample((make((2, 3, 4)),)), Sample((make((2, 3, 4)),), dict(dim=1)),
                      Sample((make((4, 3)),), dict(dim=0, descending=True)), Sample((make((5,)),), dict(stable=True)),
                      Sample((make(()),)), Sample((make((0, 3)),), dict(dim=1)),
                      Sample((make((3, 4), noncontig=True),), dict(dim=0, descending=True)),
                      Sample((make.ints((3, 5), -4, 4),), dict(dim=1)), Sample((make.bools((7,)),))],
        errors=lambda make: bad_dim(make) + [Sample((make((2, 3)),), dict(descending=None)),
                                             Sample((make((2, 3)),), dict(stable=1))]),
    _op("sort_method", lambda T, a: tuple(a.sort(1, True)), lambda make: [Sample((make((3, 4)),))]),
    _op("sort_stable_ties", lambda T, a, **kw: tuple(T.sort(a, stable=True, **kw)),
        lambda make: [Sample((_ties(),), dict(dim=1)), Sample((_ties(),), dict(dim=1, descending=True)),
                      Sample((_ties().T.copy(),), dict(dim=0)), Sample((_ties().astype(np.int64)[:, :6],))],
        grad=False),
    _op("argsort", lambda T, a, **kw: T.argsort(a, **kw),
        lambda make: [Sample((make((2, 5)),)), Sample((make((4, 3)),), dict(dim=0, descending=True)),
                      Sample((make(()),)), Sample((make.ints((3, 5), -9, 9),), dict(dim=-1)),
                      Sample((_ties(),), dict(stable=True)), Sample((_ties(),), dict(stable=True, descending=True))],
        grad=False, errors=bad_dim),
    _op("msort", lambda T, a: T.msort(a),
        lambda make: [Sample((make((4, 3)),)), Sample((make((5,)),)), Sample((make(()),)),
                      Sample((make.ints((4, 2), 0, 9),))]),
    # ---------------------------------------------------------- selection
    _op("topk", lambda T, a, k, **kw: tuple(T.topk(a, k, **kw)),
        lambda make: [Sample((make((2, 6)), 2)), Sample((make((5, 3)), 3), dict(dim=0, largest=False)),
                      Sample((make((2, 4)), 0)),
                      Sample((make(()), 1)), Sample((make((0, 3)), 2)),
                      Sample((make((4, 5), noncontig=True), 2), dict(dim=1, largest=False)),
                      Sample((_distinct_ints(make, (3, 6)), 3),)],
        errors=lambda make: [Sample((make((2, 3)), 4)), Sample((make((2, 3)), -1)), Sample((make((2, 3)), 2.0)),
                             Sample((make((2, 3)), 1), dict(dim=2)), Sample((make.bools((4,)), 1)),
                             Sample((make((2, 3)), 1), dict(largest=None))]),
    # sorted=False leaves the order unspecified (torch's differs from ours): compare the values as sets
    _op("topk_unsorted", lambda T, a, k: T.sort(T.topk(a, k, sorted=False).values, descending=True).values,
        lambda make: [Sample((make((2, 4)), 4)), Sample((make((3, 7)), 3))]),
    _op("topk_method", lambda T, a: tuple(a.topk(3)), lambda make: [Sample((make((2, 5)),))]),
    _op("kthvalue", lambda T, a, k, **kw: tuple(T.kthvalue(a, k, **kw)),
        lambda make: [Sample((make((2, 5)), 2)), Sample((make((4, 3)), 1), dict(dim=0, keepdim=True)),
                      Sample((make((4, 3)), 4), dict(dim=0)), Sample((make(()), 1)),
                      Sample((make((0, 3)), 2), dict(dim=1)), Sample((_distinct_ints(make, (3, 5)), 3),)],
        errors=lambda make: [Sample((make((2, 3)), 0)), Sample((make((2, 3)), 4)), Sample((make((2, 3)), 2.0)),
                             Sample((make((2, 0)), 1)), Sample((make.bools((4,)), 1)),
                             Sample((make((2, 3)), 1), dict(dim=-3)), Sample((make((2, 3)), 1), dict(keepdim=None))]),
    _op("median", lambda T, a: T.median(a),
        lambda make: [Sample((make((2, 3, 4)),)), Sample((make((5,)),)), Sample((make(()),)),
                      Sample((_distinct_ints(make, (7,)),)), Sample((make((0,)),))],
        errors=lambda make: [Sample((make.bools((4,)),))]),
    _op("median_dim", lambda T, a, *d, **kw: tuple(T.median(a, *d, **kw)),
        lambda make: [Sample((make((2, 3, 4)), 1)), Sample((make((4, 3)),), dict(dim=0, keepdim=True)),
                      Sample((make((2, 6)), -1)), Sample((make(()), 0)), Sample((make((0, 3)), 1)),
                      Sample((_distinct_ints(make, (3, 5)), 1))],
        errors=lambda make: [Sample((make((2, 3)), 2)), Sample((make((2, 0)), 1)), Sample((make.bools((4,)), 0)),
                             Sample((make((2, 3)), 1), dict(keepdim=None))]),
    # NaN sorts as the largest value; median propagates it (gradients at NaN: test_sorting.py)
    _op("selection_nan", lambda T, a: tuple(T.topk(a, 2)) + tuple(T.topk(a, 2, largest=False))
        + tuple(T.kthvalue(a, 5)) + tuple(T.kthvalue(a, 2)) + tuple(T.median(a, 1)) + (T.median(a),)
        + tuple(T.nanmedian(a, 1)) + (T.nanmedian(a),),
        lambda make: [Sample((_with_nans(make((3, 5)), (0, 1), (1, 3)),)),  # one NaN a row: NaN ties have no order
                      Sample((_with_nans(make((2, 5)), (0, 0)),))], grad=False),
    _op("nanmedian_all_nan", lambda T, a: T.nanmedian(a), lambda make: [Sample((np.full((3,), NAN, np.float32),))],
        grad=False),
    _op("median_method", lambda T, a: tuple(a.median(dim=0)), lambda make: [Sample((make((3, 4)),))]),
    _op("nanmedian", lambda T, a: T.nanmedian(a),
        lambda make: [Sample((make((2, 3, 4)),)), Sample((_with_nans(make((2, 5)), (0, 1), (1, 3)),)),
                      Sample((_distinct_ints(make, (6,)),))]),
    _op("nanmedian_dim", lambda T, a, d, **kw: tuple(T.nanmedian(a, d, **kw)),
        lambda make: [Sample((make((2, 3, 4)), 1)), Sample((make((4, 3)), 0), dict(keepdim=True)),
                      Sample((_with_nans(make((3, 5)), (0, 1), (2, 4), (1, slice(1, None))), 1),)],
        errors=lambda make: [Sample((make((2, 3)), 2)), Sample((make((2, 0)), 1))]),
    _op("unique", lambda T, a, **kw: T.unique(a, **kw),
        lambda make: [Sample((make.ints((3, 5), 0, 4).astype(np.float32),)),
                      Sample((make.ints((3, 5), 0, 4).astype(np.float32),), dict(return_inverse=True)),
                      Sample((make.ints((12,), -3, 3),), dict(return_inverse=True, return_counts=True)),
                      Sample((make.ints((12,), -3, 3),), dict(sorted=False, return_counts=True)),
                      Sample((_with_nans(make.ints((8,), 0, 3).astype(np.float32), 1, 5),),
                             dict(return_inverse=True, return_counts=True)),
                      Sample((make(()),), dict(return_inverse=True)), Sample((make((0,)),)),
                      Sample((make.bools((6,)),), dict(return_counts=True)),
                      Sample((np.array([[1, 2], [0, 1], [1, 2], [0, 1], [1, 0]]),),
                             dict(dim=0, return_inverse=True, return_counts=True)),
                      Sample((np.array([[1.0, 2.0, 1.0, 0.5], [0.0, 1.0, 0.0, 1.0]], np.float32),),
                             dict(dim=1, return_inverse=True, return_counts=True)),
                      Sample((make((0, 3)),), dict(dim=0, return_inverse=True))],
        grad=False,
        errors=lambda make: [Sample((make((2, 3)),), dict(dim=2)), Sample((make((0, 3)),), dict(dim=1))]),
    _op("unique_method", lambda T, a: a.unique(return_counts=True),
        lambda make: [Sample((make.ints((3, 4), 0, 5),))], grad=False),
    # ---------------------------------------------------------- scans
    _op("cummax", lambda T, a, d: tuple(T.cummax(a, d)),
        lambda make: [Sample((make((2, 6)), 1)), Sample((make((5, 3)), 0)), Sample((make((2, 3, 4)), -1)),
                      Sample((make(()), 0)), Sample((make((0, 3)), 0)), Sample((make((4, 5), noncontig=True), 1)),
                      Sample((make.ints((3, 8), -3, 3), 1)), Sample((make.bools((6,)), 0)),
                      Sample((_ties(), 1))],
        errors=lambda make: [Sample((make((2, 3)), 2)), Sample((make((2, 3)), -3))]),
    _op("cummin", lambda T, a, d: tuple(a.cummin(d)),
        lambda make: [Sample((make((2, 6)), 1)), Sample((make((5, 3)), 0)), Sample((make(()), 0)),
                      Sample((make.ints((3, 8), -3, 3), 1)), Sample((_ties(), 1))],
        errors=lambda make: [Sample((make((2, 3)), 2))]),
    _op("logcumsumexp", lambda T, a, d: T.logcumsumexp(a, d),
        lambda make: [Sample((make((2, 6)), 1)), Sample((make((5, 3)), 0)), Sample((make((2, 3, 4)), -1)),
                      Sample((make(()), 0)), Sample((make((0, 3)), 1)), Sample((make((4, 5), noncontig=True), 0)),
                      Sample((make((2, 6)) * 50, 1))],
        errors=lambda make: [Sample((make((2, 3)), 2)), Sample((make.ints((3,), 0, 3), 0))]),
    _op("logcumsumexp_infinities", lambda T, a, d: a.logcumsumexp(d),  # gradients: test_sorting.py
        lambda make: [Sample((np.array([[-np.inf, 0.0, -np.inf, 1.0, np.inf, 2.0],
                                        [-np.inf, -np.inf, 1.0, -np.inf, 3.0, NAN]], np.float32), 1)),
                      Sample((np.array([1000.0, -1000.0, 3.0], np.float32), 0))], grad=False),
    # ---------------------------------------------------------- grids
    _op("meshgrid", lambda T, *ts, **kw: T.meshgrid(*ts, **kw),
        lambda make: [Sample((make((3,)), make((4,))), dict(indexing="ij")),
                      Sample((make((3,)), make((4,))), dict(indexing="xy")),
                      Sample((make((2,)), make((3,)), make((4,))), dict(indexing="xy")),
                      Sample((make((2,)), make((3,)), make((4,))), dict(indexing="ij")),
                      Sample((make(()), make((3,))), dict(indexing="ij")), Sample((make((5,)),), dict(indexing="xy")),
                      Sample((make.ints((3,), 0, 9), make.ints((2,), 0, 9)), dict(indexing="xy"))],
        errors=lambda make: [Sample((make((2, 3)), make((3,))), dict(indexing="ij")),
                             Sample((make((3,)), make((2,))), dict(indexing="yx")),
                             Sample((make((3,)), make.ints((2,), 0, 3)), dict(indexing="ij")),
                             Sample((), dict(indexing="ij"))]),
    _op("meshgrid_list", lambda T, a, b: T.meshgrid([a, b], indexing="xy"),
        lambda make: [Sample((make((3,)), make((2,))))]),
]


# bincount (integer counts; weighted sums have no derivative in PyTorch, so only forward and errors here)
def _bincount_samples(make):
    idx = np.array([0, 3, 1, 1, 3, 3, 0, 5])
    return [Sample((idx,)), Sample((idx,), dict(minlength=9)), Sample((np.array([], np.int64),)),
            Sample((idx.astype(np.uint8),))]


OPS.append(_op("bincount", lambda T, a, **kw: T.bincount(T.as_tensor(a), **kw), _bincount_samples, grad=False,
               errors=lambda make: [Sample((np.array([-1, 2]),)), Sample((np.array([[1, 2]]),)),
                                    Sample((np.array([1.0, 2.0]),)), Sample((np.array([1, 2]),), dict(minlength=-1))]))
