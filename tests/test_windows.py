"""The backend's sliding_windows kernel (convolution and pooling read their inputs through it)."""
import itertools

import numpy as np
import pytest

from profundo._backend import BACKENDS


@pytest.mark.parametrize("name", sorted(BACKENDS))
@pytest.mark.parametrize("n, k, s, d", [((7,), (3,), (1,), (1,)), ((7,), (2,), (2,), (2,)), ((5, 6), (2, 3), (1, 2), (2, 1)),
                                        ((4, 4), (4, 4), (1, 1), (1, 1)), ((6, 5), (1, 2), (3, 1), (1, 2))])
def test_windows_match_a_loop(name, n, k, s, d):
    a = np.random.default_rng(0).standard_normal((2, 3) + n)
    w = BACKENDS[name].sliding_windows(a, k, s, d)
    out = tuple((ni - di * (ki - 1) - 1) // si + 1 for ni, ki, si, di in zip(n, k, s, d))
    assert w.shape == (2, 3) + out + k
    for o in itertools.product(*map(range, out)):
        for j in itertools.product(*map(range, k)):
            src = tuple(oi * si + ji * di for oi, si, ji, di in zip(o, s, j, d))
            np.testing.assert_array_equal(w[(...,) + o + j], a[(...,) + src])
    assert np.shares_memory(w, a)  # a view, no copy
