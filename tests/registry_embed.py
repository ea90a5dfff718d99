"""Registry entries for Unit 3 (issue 13): embed (F.embedding; the activations added with it)."""
import numpy as np

from registry import Sample, _op, unary  # noqa: F401


def F(T):
    return T.nn.functional


def _idx(make, shape, hi):
    return np.asarray(make.ints(shape, 0, hi), dtype=np.int64)


def _embedding_samples(make):
    return [Sample((make((10, 3)), _idx(make, (4,), 10))),
            Sample((make((10, 3)), _idx(make, (2, 3), 10))),       # repeated rows: their gradients add up
            Sample((make((5, 4)), _idx(make, (), 5))),             # one index: one row
            Sample((make((5, 4)), _idx(make, (0,), 5))),           # no index: an empty (0, 4) result
            Sample((make((6, 2), noncontig=True), _idx(make, (3, 2, 2), 6))),
            Sample((make((3, 2)), np.array([[0, 0, 0], [0, 0, 1]], dtype=np.int64)))]


def _embedding_errors(make):
    return [Sample((make((5, 3)), make((4,), 0, 4))),                                 # float indices
            Sample((make((5, 3)), np.array([1, 5], dtype=np.int64))),                 # past the last row
            Sample((make((5, 3)), np.array([-1, 2], dtype=np.int64))),                # negative
            Sample((make((5, 3)), np.array([True, False]))),                         # bool indices
            Sample((make((5, 3)), np.array([1, 2], dtype=np.uint8))),                # uint8 indices
            Sample((make((5,)), np.array([1, 2], dtype=np.int64))),                   # a 1-D table
            Sample((make((5, 3)), np.array([1, 2], dtype=np.int64)), dict(padding_idx=5)),
            Sample((make((5, 3)), np.array([1, 2], dtype=np.int64)), dict(padding_idx=-6))]


def _bag(T, w, i, off=None, psw=None, **kw):
    return F(T).embedding_bag(i, w, off, per_sample_weights=psw, **kw)


def _bag_samples(make):
    x = np.array([1, 2, 4, 5, 4, 3, 2, 9, 2], dtype=np.int64)
    off = np.array([0, 4, 4, 7], dtype=np.int64)  # bag 1 is empty
    out = []
    for mode in ("sum", "mean", "max"):
        out += [Sample((make((10, 3)), x, off), dict(mode=mode)),
                Sample((make((10, 3)), x, off), dict(mode=mode, padding_idx=2)),
                Sample((make((10, 3)), _idx(make, (4, 3), 10)), dict(mode=mode)),
                Sample((make((10, 3)), _idx(make, (4, 3), 10)), dict(mode=mode, padding_idx=-1)),
                Sample((make((10, 3)), x, np.array([0, 3, 9], dtype=np.int64)),
                       dict(mode=mode, include_last_offset=True))]
    out += [Sample((make((10, 3)), x, off, make((9,))), dict(mode="sum", padding_idx=4)),
            Sample((make((6, 2)), _idx(make, (3, 4), 6), None, make((3, 4))), dict(mode="sum"))]
    return out


def _bag_errors(make):
    x, off = np.array([1, 2, 4, 5], dtype=np.int64), np.array([0, 2], dtype=np.int64)
    return [Sample((make((10, 3)), x, off), dict(mode="median")),
            Sample((make((10, 3)), x, off, make((4,))), dict(mode="mean")),
            Sample((make((10, 3)), x, off, make((3,))), dict(mode="sum")),
            Sample((make((10, 3)), x.reshape(2, 2), off)),
            Sample((make((10, 3)), x)),
            Sample((make((10, 3)), x, np.array([1, 2], dtype=np.int64))),
            Sample((make((10, 3)), x, np.array([0, 5], dtype=np.int64))),
            Sample((make((10, 3)), x.reshape(2, 1, 2))),
            Sample((make((10, 3)), x, off), dict(mode="max", sparse=True)),
            Sample((make((10, 3)), np.array([1, 10], dtype=np.int64), off))]


def _ints(make):
    return [Sample((make.ints((3,), -2, 2),))]


def _not_0d(samples):
    return lambda make: [x for x in samples(make) if x.args[0].ndim]


def _softmin_samples(make):
    return [Sample((make((2, 3)),), dict(dim=0)), Sample((make((2, 3, 4)),), dict(dim=-1)),
            Sample((make((3,)),), dict(dim=0)), Sample((make((0, 3)),), dict(dim=1)),
            Sample((make((3, 4), noncontig=True),), dict(dim=1))]


def _glu_samples(make):
    return [Sample((make((2, 4)),)), Sample((make((4, 3)),), dict(dim=0)), Sample((make((2, 3, 6)),), dict(dim=2)),
            Sample((make((0, 2)),)), Sample((make((3, 4), noncontig=True),))]


OPS = [
    # ---------------------------------------------------------- embedding (padding_idx, scale_grad_by_freq,
    # max_norm and sparse=True are no true derivatives or change the table: tests/test_embedding.py)
    _op("embedding", lambda T, w, i, **kw: F(T).embedding(i, w, **kw), _embedding_samples, gradgrad=True,
        errors=_embedding_errors),
    _op("embedding_int32", lambda T, w, i: F(T).embedding(i.int(), w), _embedding_samples),
    _op("embedding_method_chain", lambda T, w, i: (F(T).embedding(i, w * 2) * w.sum()).tanh(), _embedding_samples),
    _op("embedding_bag", _bag, _bag_samples, gradgrad=False, errors=_bag_errors),
    # ---------------------------------------------------------- activations (issue 13)
    _op("hardtanh", lambda T, a: F(T).hardtanh(a), unary(-2, 2), gradgrad=False),
    _op("hardtanh_limits", lambda T, a, lo=-0.5, hi=1.5: F(T).hardtanh(a, lo, hi), unary(-3, 3), gradgrad=False,
        errors=lambda make: [Sample((make((3,)),), dict(lo=1.0, hi=0.5))]),
    _op("celu_alpha_zero_refused", lambda T, a: F(T).celu(a, 0.0), lambda make: [], errors=lambda make: [
        Sample((make((3,)),))]),
    _op("relu6", lambda T, a: F(T).relu6(a), unary(-3, 9), gradgrad=False),
    _op("selu", lambda T, a: F(T).selu(a), unary(-3, 3), errors=_ints),
    _op("celu", lambda T, a: F(T).celu(a, 0.7), unary(-3, 3), errors=_ints),
    _op("celu_default", lambda T, a: F(T).celu(a), unary(-3, 3)),
    _op("mish", lambda T, a: F(T).mish(a), unary(-5, 5), errors=_ints),
    _op("hardswish", lambda T, a: F(T).hardswish(a), unary(-5, 5), errors=_ints),
    _op("hardsigmoid", lambda T, a: F(T).hardsigmoid(a), unary(-5, 5), gradgrad=False, errors=_ints),
    _op("softsign", lambda T, a: F(T).softsign(a), unary(-4, 4)),
    _op("logsigmoid", lambda T, a: F(T).logsigmoid(a), unary(-30, 30), errors=_ints),
    _op("softmin", lambda T, a, dim: F(T).softmin(a, dim), _softmin_samples),
    _op("softmin_dtype", lambda T, a: F(T).softmin(a, 1, dtype=T.float64), lambda make: [Sample((make((2, 3)),))]),
    _op("threshold", lambda T, a: F(T).threshold(a, 0.1, 20.0), unary(), gradgrad=False),
    _op("glu", lambda T, a, **kw: F(T).glu(a, **kw), _glu_samples,
        errors=lambda make: [Sample((make((2, 3)),)), Sample((make(()),)), Sample((make((4, 5)),), dict(dim=1))]),
    # in place: functional inplace=True, the underscore forms, the modules
    _op("hard_activations_inplace", lambda T, a: F(T).hardtanh(a * 1, -0.5, 0.5, inplace=True)
        + F(T).relu6(a * 3, inplace=True) + F(T).hardsigmoid(a * 2, inplace=True)
        + F(T).hardswish(a * 2, inplace=True) + F(T).threshold(a * 1, 0.2, -1.0, inplace=True), unary(-3, 3),
        gradgrad=False),
    _op("smooth_activations_inplace", lambda T, a: F(T).selu(a * 1, inplace=True) + F(T).celu(a * 2, 0.5, inplace=True)
        + F(T).mish(a * 3, inplace=True), unary(-3, 3)),
    _op("activations_underscore", lambda T, a: F(T).hardtanh_(a * 1, -0.3, 0.4) + F(T).selu_(a * 2)
        + F(T).celu_(a * 3, 1.5) + F(T).threshold_(a * 1, 0.0, 0.5), unary(-3, 3), gradgrad=False),
    _op("activation_modules", lambda T, a: T.nn.Hardtanh(-0.5, 0.7)(a) + T.nn.ReLU6()(a * 4) + T.nn.SELU()(a)
        + T.nn.CELU(0.4)(a) + T.nn.Mish()(a) + T.nn.Hardswish()(a * 3) + T.nn.Hardsigmoid()(a * 3)
        + T.nn.Softsign()(a) + T.nn.LogSigmoid()(a) + T.nn.Softmin(dim=-1)(a) + T.nn.Threshold(0.1, 2.0)(a)
        + T.nn.GLU(dim=-1)(T.cat([a, a * 2], -1)), _not_0d(unary(-2, 2)), gradgrad=False),
    _op("activation_modules_inplace", lambda T, a: T.nn.Hardtanh(-0.5, 0.7, inplace=True)(a * 1)
        + T.nn.ReLU6(inplace=True)(a * 4) + T.nn.SELU(inplace=True)(a * 1) + T.nn.CELU(0.4, inplace=True)(a * 1)
        + T.nn.Mish(inplace=True)(a * 1) + T.nn.Hardswish(inplace=True)(a * 3)
        + T.nn.Hardsigmoid(inplace=True)(a * 3) + T.nn.Threshold(0.1, 2.0, inplace=True)(a * 1),
        unary(-2, 2), gradgrad=False),
]
