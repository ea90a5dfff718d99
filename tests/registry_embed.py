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


OPS = [
    # ---------------------------------------------------------- embedding (padding_idx, scale_grad_by_freq,
    # max_norm and sparse=True are no true derivatives or change the table: tests/test_embedding.py)
    _op("embedding", lambda T, w, i, **kw: F(T).embedding(i, w, **kw), _embedding_samples, gradgrad=True,
        errors=_embedding_errors),
    _op("embedding_int32", lambda T, w, i: F(T).embedding(i.int(), w), _embedding_samples),
    _op("embedding_method_chain", lambda T, w, i: (F(T).embedding(i, w * 2) * w.sum()).tanh(), _embedding_samples),
]
