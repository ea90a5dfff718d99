"""The NumPy backend's scatter-add kernels (Unit 4, issue 14: the MF step at MovieLens-100K's shape)
against the reference backend's readable ``np.add.at`` formulas, on every path the NumPy backend
chooses: ``index_sum_rows`` (no repeats, one-dimensional ``np.add.at`` scatter, rounds),
``index_add_rows`` (straight into a small table, sorted sums into a large or non-contiguous one)
the dense ``embedding_backward`` (one-hot matmul, scatter, reference) and the dense SGD step
(in blocks for a large table)."""
import numpy as np
import pytest

from profundo._backend import BACKENDS

NP, REF = BACKENDS["numpy"], BACKENDS["reference"]


@pytest.fixture
def spy(monkeypatch):
    """Counts the calls of the NumPy backend's one-dimensional scatter (to know which path ran)."""
    calls = []
    real = type(NP)._scatter_rows

    def counting(self, target, rows, values):
        calls.append(rows.shape[0])
        return real(self, target, rows, values)
    monkeypatch.setattr(type(NP), "_scatter_rows", counting)
    return calls


def case(num, n, tail=(3,), dtype=np.float64, seed=0, skew=False):
    rng = np.random.default_rng(seed)
    if skew:  # MovieLens-like: a few rows looked up very often
        p = 1 / np.arange(1, num + 1) ** 0.8
        rows = rng.choice(num, n, p=p / p.sum())
    else:
        rows = rng.integers(0, num, n)
    return rows.astype(np.int64), rng.standard_normal((n,) + tail).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("num,n,tail,skew,scattered", [
    (943, 1024, (30,), True, True),       # MovieLens users, many repeats: one scatter
    (943, 1024, (1,), True, True),        # a bias table
    (50, 400, (2, 3), False, True),       # rows of any shape
    (1_000_000, 2000, (64,), False, False),  # wide rows, rare repeats: rounds
    (1_000_000, 5, (4,), False, False),   # no repeats
])
def test_index_sum_rows_matches_reference(spy, num, n, tail, skew, scattered, dtype):
    rows, vals = case(num, n, tail, dtype, skew=skew)
    got_rows, got = NP.index_sum_rows(rows, vals)
    want_rows, want = REF.index_sum_rows(rows, vals)
    np.testing.assert_array_equal(got_rows, want_rows)
    assert got.dtype == vals.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == np.float64 else 1e-5, atol=1e-12)
    assert bool(spy) == scattered


def test_index_sum_rows_of_nothing():
    rows, vals = NP.index_sum_rows(np.zeros(0, np.int64), np.zeros((0, 4)))
    assert rows.shape == (0,) and vals.shape == (0, 4)


@pytest.mark.parametrize("shape,contiguous,direct", [
    ((943, 30), True, True),            # small: straight into the table
    ((943, 30), False, False),          # a non-contiguous table: sorted sums, then +=
    ((70_000, 32), True, False),        # over 2**21 elements: sorted sums, then +=
])
def test_index_add_rows_matches_reference(spy, shape, contiguous, direct):
    rows, vals = case(shape[0], 1024, shape[1:], skew=True)
    base = np.random.default_rng(1).standard_normal(shape if contiguous else shape[::-1])
    base = base if contiguous else base.T
    assert base.flags.c_contiguous == contiguous
    got, want = base.copy(order="K"), base.copy(order="K")
    NP.index_add_rows(got, rows, vals)
    REF.index_add_rows(want, rows, vals)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert bool(spy) == direct or (not direct and len(spy) <= 1)  # (its sorted sums may scatter)
    if direct:
        assert spy == [1024]


@pytest.mark.parametrize("num,n,padding_idx,scattered", [
    (28, 500, -1, False),       # a character table: the one-hot matmul
    (943, 1024, 5, True),       # MovieLens users: one scatter into zeros
    (1682, 1024, -1, True),     # MovieLens items
    (20_000, 300, 7, False),    # more than 4 rows per index: the reference formula (on sorted sums)
])
def test_dense_embedding_backward_matches_reference(spy, num, n, padding_idx, scattered):
    rows, g = case(num, n, (6,), skew=True)
    rows = rows.reshape(-1, 4)
    g = g.reshape(rows.shape + (6,))
    got = NP.embedding_backward(g, rows, num, padding_idx, False)
    want = REF.embedding_backward(g, rows, num, padding_idx, False)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert got.shape == (num, 6) and got.dtype == g.dtype
    if padding_idx >= 0:
        assert not got[padding_idx].any()
    if scattered:  # straight into the zeros, no sort
        assert spy == [n]


def test_scatter_keeps_a_nan_in_its_row():
    rows, g = case(100, 64, (3,), seed=2)
    g[0, 1] = np.nan
    got = NP.embedding_backward(g, rows, 100, -1, False)
    bad = np.zeros(got.shape, bool)
    bad[rows[0], 1] = True
    assert np.isnan(got[bad]).all() and np.isfinite(got[~bad]).all()


@pytest.mark.parametrize("shape,dtype", [((1000, 301), np.float32), ((700, 400), np.float64), ((10, 3), np.float32)])
def test_sgd_step_matches_reference(shape, dtype):
    rng = np.random.default_rng(3)
    p0, g = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    got, want = p0.copy(), p0.copy()
    NP.sgd_step(got, g, 0.05)  # (the first two in blocks: over 2**18 elements, the last block partial)
    REF.sgd_step(want, g, 0.05)
    np.testing.assert_array_equal(got, want)  # the same float operations, element by element
    assert got.dtype == dtype
    got_t = p0.T.copy(order="K")  # a non-contiguous parameter: the plain formula
    NP.sgd_step(got_t, g.T, 0.05)
    np.testing.assert_array_equal(got_t, want.T)
