"""Registry entries for Unit 3 (issue 13): attention.

``F.scaled_dot_product_attention`` on tiny samples (every array of at most 24 elements, so that
test_gradcheck.py runs float64 gradcheck and gradgradcheck on them: the fused op's backward is
differentiable) and larger ones compared with PyTorch: bool and float masks (a float mask gets a
gradient), causal (square and L != S), scale, broadcast batch dims, unbatched, grouped-query.
"""
from registry import Sample, _op


def _sdpa(T, q, k, v, *mask, **kw):
    return T.nn.functional.scaled_dot_product_attention(q, k, v, *mask, **kw)


def _sdpa_samples(make):
    return [
        # tiny: gradcheck and gradgradcheck run on these
        Sample((make((2, 3, 2)), make((2, 4, 2)), make((2, 4, 3)))),
        Sample((make((3, 2)), make((4, 2)), make((4, 3)), make.bools((3, 4)))),
        Sample((make((1, 3, 2)), make((1, 4, 2)), make((1, 4, 2)), make((3, 4)))),               # float mask
        Sample((make((1, 3, 2)), make((1, 3, 2)), make((1, 3, 2))), dict(is_causal=True)),
        Sample((make((4, 2)), make((3, 2)), make((3, 2))), dict(is_causal=True, scale=0.5)),   # L > S
        Sample((make((2, 2, 2)), make((1, 3, 2)), make((1, 3, 1)))),                           # broadcast batch
        # larger
        Sample((make((2, 4, 5, 8)), make((2, 4, 7, 8)), make((2, 4, 7, 6)), make.bools((2, 1, 5, 7)))),
        Sample((make((2, 4, 5, 8)), make((2, 4, 7, 8)), make((2, 4, 7, 6)), make((1, 4, 5, 7)))),
        Sample((make((3, 6, 4)), make((3, 6, 4)), make((3, 6, 4))), dict(is_causal=True)),
        Sample((make((2, 4, 5, 8)), make((2, 2, 7, 8)), make((2, 2, 7, 6))), dict(enable_gqa=True)),
        Sample((make((2, 3, 5, 4), noncontig=True), make((2, 3, 6, 4)), make((2, 3, 6, 4))), dict(scale=0.1)),
    ]


def _sdpa_errors(make):
    return [
        Sample((make((2, 3, 4)), make((2, 5, 3)), make((2, 5, 4)))),                          # E differs
        Sample((make((2, 3, 4)), make((2, 5, 4)), make((2, 6, 4)))),                          # S differs
        Sample((make((4,)), make((5, 4)), make((5, 4)))),                                     # 1-D query
        Sample((make((2, 3, 4)), make((2, 5, 4)), make((2, 5, 4)), make((4, 5)))),           # mask (4, 5) vs (3, 5)
        Sample((make((2, 3, 4)), make((3, 5, 4)), make((3, 5, 4)))),                          # batch 2 vs 3
        Sample((make((2, 3, 4)), make((2, 5, 4)), make((2, 5, 4)), make.bools((3, 5))), dict(is_causal=True)),
        Sample((make((2, 3, 4)), make((2, 5, 4)), make((2, 5, 4))), dict(dropout_p=1.5)),
    ]


OPS = [
    _op("scaled_dot_product_attention", _sdpa, _sdpa_samples, errors=_sdpa_errors),
]
