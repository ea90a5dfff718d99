"""Sorting, selection and scans beyond the registry: ties, NaN, the return
types, meshgrid's warning, and gradients where finite differences cannot be
the oracle (ties, NaN, infinities) -- PyTorch is, there."""
import warnings

import numpy as np
import pytest

import profundo
from profundo._errors import is_checked

NAN, INF = float("nan"), float("inf")


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def grads(T, fn, values, dtype="float64", upstream_seed=0):
    """``fn``'s outputs and the gradient of ``sum(out * u)`` (``u`` random, the same for both libraries)."""
    x = T.tensor(values, dtype=getattr(T, dtype), requires_grad=True)
    out = fn(T, x)
    outs = [o for o in (out if isinstance(out, tuple) else (out,))]
    rng = np.random.default_rng(upstream_seed)
    total = 0
    for o in outs:
        if o.is_floating_point():
            total = total + (o * T.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype)).sum()
    total.backward()
    return [o.detach().numpy() for o in outs], x.grad.numpy()


def assert_like_torch(torch, fn, values, dtype="float64"):
    ours, g_ours = grads(profundo, fn, values, dtype)
    ref, g_ref = grads(torch, fn, values, dtype)
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert o.dtype == r.dtype and o.shape == r.shape
        np.testing.assert_allclose(o, r, rtol=1e-7, atol=1e-7, equal_nan=True)
    np.testing.assert_allclose(g_ours, g_ref, rtol=1e-7, atol=1e-7, equal_nan=True)


# ---------------------------------------------------------------- return types and methods
@pytest.mark.parametrize("name,call", [
    ("sort", lambda x: x.sort()), ("topk", lambda x: x.topk(2)), ("kthvalue", lambda x: x.kthvalue(2)),
    ("median", lambda x: x.median(0)), ("nanmedian", lambda x: x.nanmedian(0)), ("cummax", lambda x: x.cummax(0)),
    ("cummin", lambda x: x.cummin(0)),
])
def test_values_indices_named_tuples(name, call):
    x = profundo.tensor([3.0, 1.0, 2.0])
    r = call(x)
    assert type(r).__name__ == name and isinstance(r, tuple) and r._fields == ("values", "indices")
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is values
    assert indices.dtype == profundo.int64
    np.testing.assert_array_equal(x[indices].numpy(), values.numpy())  # values are the input at indices
    assert repr(r).startswith(f"{name}(values=tensor(")


def test_methods_are_the_ones_torch_has(torch):
    names = "sort argsort msort topk kthvalue median nanmedian unique cummax cummin logcumsumexp meshgrid".split()
    for name in names:
        assert hasattr(profundo, name) and hasattr(torch, name)
        assert hasattr(profundo.Tensor, name) == hasattr(torch.Tensor, name), name
    assert not hasattr(profundo.Tensor, "meshgrid")


# ---------------------------------------------------------------- sort: stability, NaN
def test_sort_is_stable_and_puts_nan_last_ascending_first_descending():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, (3, 50)).astype(np.float64)
    a[:, ::7] = np.nan
    for descending in (False, True):
        v, i = profundo.sort(profundo.tensor(a), dim=1, descending=descending)
        v, i = v.numpy(), i.numpy()
        np.testing.assert_array_equal(np.take_along_axis(a, i, 1), v)
        for row, idx in zip(a, i):
            key = np.where(np.isnan(row), np.inf, row)  # NaN above every number
            # stable: equal values in increasing index order, in both directions
            expected = np.lexsort((np.arange(len(row)), -key if descending else key))
            nan_rank = np.isnan(row[expected])
            expected = np.concatenate([expected[nan_rank], expected[~nan_rank]]) if descending else expected
            np.testing.assert_array_equal(idx, expected)


def test_default_sort_on_ties_gives_torchs_values_and_its_stable_order(torch):
    """torch's default CPU sort is not stable beyond 16 elements (its tie order is
    unspecified then); ours is always stable, which is torch's ``stable=True``."""
    a = np.random.default_rng(1).integers(0, 5, (4, 40)).astype(np.float32)
    a[1, ::9] = np.nan
    for descending in (False, True):
        ours = profundo.sort(profundo.tensor(a), descending=descending)
        default = torch.sort(torch.tensor(a), descending=descending)
        stable = torch.sort(torch.tensor(a), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), default.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), stable.indices.numpy())
        np.testing.assert_array_equal(profundo.argsort(profundo.tensor(a), descending=descending).numpy(),
                                      stable.indices.numpy())


def test_sort_gradient_at_ties_follows_the_stable_order_like_torch(torch):
    values = [[2.0, 1.0, 2.0, NAN, 1.0, INF, 2.0], [0.0, 0.0, -1.0, 0.0, NAN, NAN, -INF]]
    for descending in (False, True):
        assert_like_torch(torch, lambda T, x: tuple(T.sort(x, dim=1, descending=descending, stable=True)), values)
    assert_like_torch(torch, lambda T, x: T.msort(x), [[1.0, 2.0], [1.0, 0.0], [1.0, 2.0]])


# ---------------------------------------------------------------- topk, kthvalue, median on ties
def test_selection_on_ties_gives_torchs_values_and_a_valid_index(torch):
    """On ties torch's index is unspecified (its partial sort decides); ours is
    the stable choice. The values agree and each index points at its value."""
    a = np.array([[3.0, 1.0, 2.0, 1.0, 3.0, 2.0, 1.0], [0.0, 0.0, 0.0, 5.0, 5.0, 0.0, 5.0]])
    x, t = profundo.tensor(a, requires_grad=True), torch.tensor(a)
    cases = [lambda T, v: T.topk(v, 3), lambda T, v: T.topk(v, 4, largest=False),
             lambda T, v: T.kthvalue(v, 2), lambda T, v: T.kthvalue(v, 6, keepdim=True),
             lambda T, v: T.median(v, 1), lambda T, v: T.nanmedian(v, 1)]
    for case in cases:
        ours, ref = case(profundo, x), case(torch, t)
        np.testing.assert_array_equal(ours.values.detach().numpy(), ref.values.numpy())
        idx = ours.indices.numpy()
        picked = np.take_along_axis(a, idx.reshape(2, -1), 1).reshape(idx.shape)
        np.testing.assert_array_equal(picked, ref.values.numpy())
        # the gradient goes to exactly the positions named by indices
        x.grad = None
        ours.values.sum().backward()
        expected = np.zeros_like(a)
        np.put_along_axis(expected, idx.reshape(2, -1), 1.0, 1)
        np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_stable_choice_on_ties():
    x = profundo.tensor([3.0, 1.0, 3.0, 1.0, 2.0])
    assert profundo.topk(x, 2).indices.tolist() == [0, 2]            # equal values: the earlier first
    assert profundo.topk(x, 2, largest=False).indices.tolist() == [1, 3]
    assert profundo.kthvalue(x, 2).indices.tolist() == 3              # the second 1 in input order
    assert profundo.median(x, 0).indices.tolist() == 4


def test_median_nan_picks_the_first_nan_like_torch(torch):
    rng = np.random.default_rng(2)
    for _ in range(20):
        a = rng.standard_normal((3, 9))
        a[rng.random((3, 9)) < 0.3] = np.nan
        for dim in (0, 1):
            ours, ref = profundo.median(profundo.tensor(a), dim), torch.median(torch.tensor(a), dim)
            np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
            np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
            ours, ref = profundo.nanmedian(profundo.tensor(a), dim), torch.nanmedian(torch.tensor(a), dim)
            np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
            finite = ~np.isnan(ref.values.numpy())  # all-NaN slices: any NaN's index is right
            np.testing.assert_array_equal(ours.indices.numpy()[finite], ref.indices.numpy()[finite])


def test_nanmedian_of_an_all_nan_slice_is_nan_at_a_nan():
    a = np.array([[NAN, NAN, NAN], [1.0, NAN, 4.0]])
    v, i = profundo.nanmedian(profundo.tensor(a), 1)
    assert np.isnan(v[0].item()) and np.isnan(a[0, i[0].item()])
    assert v[1].item() == 1.0 and i[1].item() == 0


@pytest.mark.parametrize("fn", [
    lambda T, x: T.median(x), lambda T, x: T.nanmedian(x), lambda T, x: x.median(),
])
@pytest.mark.parametrize("values", [
    [1.0, 2.0, 2.0, 2.0, 3.0], [[1.0, 2.0], [2.0, 5.0]], [1.0, NAN, 2.0, NAN], [NAN, NAN], [4.0, 1.0, 3.0, 2.0],
    [[5.0, 5.0], [5.0, 5.0]],
])
def test_global_median_shares_the_gradient_among_ties_like_torch(torch, fn, values):
    assert_like_torch(torch, fn, values)


def test_selection_gradients_at_nan_like_torch(torch):
    values = [[0.3, NAN, -1.0, 2.0, 0.5], [1.5, 0.2, NAN, -0.7, 0.0]]  # one NaN a row: no tie among NaNs
    for fn in [lambda T, x: tuple(T.topk(x, 2)), lambda T, x: tuple(T.topk(x, 3, largest=False)),
               lambda T, x: tuple(T.kthvalue(x, 5)), lambda T, x: tuple(T.kthvalue(x, 1, 1, True)),
               lambda T, x: tuple(T.median(x, 1)), lambda T, x: tuple(T.nanmedian(x, 1)),
               lambda T, x: tuple(T.median(x, 0, keepdim=True))]:
        assert_like_torch(torch, fn, values)


def test_median_refuses_keepdim_without_dim_and_an_empty_integer_tensor(torch):
    x = profundo.tensor([1.0, 2.0])
    with pytest.raises(TypeError) as e:
        profundo.median(x, keepdim=True)
    assert is_checked(e.value) and "Pista" in str(e.value)
    with pytest.raises(TypeError):
        torch.median(torch.tensor([1.0, 2.0]), keepdim=True)
    with pytest.raises(RuntimeError) as e:  # torch returns an arbitrary number here
        profundo.median(profundo.tensor([], dtype=profundo.int64))
    assert is_checked(e.value)
    assert np.isnan(profundo.median(profundo.tensor([])).item())
    assert np.isnan(torch.median(torch.tensor([])).item())


# ---------------------------------------------------------------- cummax / cummin
@pytest.mark.parametrize("name", ["cummax", "cummin"])
@pytest.mark.parametrize("values", [
    [1.0, 3.0, 2.0, 3.0, NAN, 5.0, NAN, 0.0],          # ties: torch takes the latest; NaN sticks, each NaN new
    [3.0, 1.0, 2.0, 1.0, 0.5, 0.5, -INF, INF],
    [[2.0, 2.0, 2.0, 1.0], [0.0, -0.0, 0.0, 0.0]],
    [[NAN, 1.0, 2.0], [1.0, 1.0, NAN]],
])
def test_cummax_cummin_ties_and_nan_like_torch(torch, name, values):
    assert_like_torch(torch, lambda T, x: tuple(getattr(T, name)(x, -1)), values)
    assert_like_torch(torch, lambda T, x: tuple(getattr(T, name)(x, 0)), values)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_integers_and_bools_like_torch(torch, name):
    rng = np.random.default_rng(3)
    for a in [rng.integers(-3, 3, (4, 12)), rng.integers(0, 255, (3, 7)).astype(np.uint8), rng.random((3, 6)) < 0.5]:
        ours = getattr(profundo, name)(profundo.tensor(a), 1)
        ref = getattr(torch, name)(torch.tensor(a), 1)
        assert ours.values.dtype.name == str(ref.values.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())


# ---------------------------------------------------------------- logcumsumexp
def test_logcumsumexp_is_stable_for_large_and_infinite_values():
    a = np.array([1000.0, -1000.0, 3.0, 1000.0, -np.inf, 80.0, 90.0], np.float32)
    y = profundo.logcumsumexp(profundo.tensor(a), 0).numpy()
    a64 = a.astype(np.float64)
    expected = [np.logaddexp.reduce(a64[: i + 1]) for i in range(len(a))]  # float64, one prefix at a time
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    x = profundo.tensor([-INF, -INF, 0.0])
    assert profundo.logcumsumexp(x, 0).tolist() == [-INF, -INF, 0.0]


@pytest.mark.parametrize("values", [
    [[-INF, 0.0, -INF, 1.0, INF, 2.0]], [[-INF, -INF, 1.0]], [[1.0, NAN, 1.0]], [[1000.0, -1000.0, 3.0]],
    [[0.5, -0.2, 40.0, -40.0, 0.0]],
])
def test_logcumsumexp_gradients_at_infinities_like_torch(torch, values):
    assert_like_torch(torch, lambda T, x: T.logcumsumexp(x, 1), values)
    assert_like_torch(torch, lambda T, x: T.logcumsumexp(x, 1), values, dtype="float32")


def test_logcumsumexp_double_backward_like_torch(torch):
    a = np.array([[0.3, -1.2, 2.0, 0.7], [1.0, 1.0, -3.0, 0.2]])
    u = np.array([[1.0, -2.0, 0.5, 0.3], [0.0, 1.5, -1.0, 2.0]])
    out = []
    for T in (profundo, torch):
        x = T.tensor(a, requires_grad=True)
        (g,) = T.autograd.grad(T.logcumsumexp(x, 1), x, T.tensor(u), create_graph=True)
        (gg,) = T.autograd.grad((g * g).sum(), x)
        out.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-10)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- unique
def test_unique_has_no_derivative_like_torch(torch):
    x = profundo.tensor([2.0, 1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError) as e:
        profundo.unique(x).sum().backward()
    assert is_checked(e.value) and "Pista" in str(e.value)
    with pytest.raises(NotImplementedError):
        torch.unique(torch.tensor([2.0, 1.0, 2.0], requires_grad=True)).sum().backward()


def test_unique_keeps_every_nan_and_counts_them_like_torch(torch):
    a = np.array([[1.0, NAN], [1.0, NAN], [0.0, 2.0], [0.0, 2.0]])
    for kw in [{}, dict(dim=0), dict(dim=1)]:
        ours = profundo.unique(profundo.tensor(a), return_inverse=True, return_counts=True, **kw)
        ref = torch.unique(torch.tensor(a), return_inverse=True, return_counts=True, **kw)
        for o, r in zip(ours, ref):
            np.testing.assert_array_equal(o.numpy(), r.numpy())


# ---------------------------------------------------------------- meshgrid
def test_meshgrid_without_indexing_warns_and_uses_ij_like_torch(torch):
    x, y = profundo.arange(3), profundo.arange(2)
    with pytest.warns(UserWarning, match="indexing argument") as record:
        gx, gy = profundo.meshgrid(x, y)
    assert record[0].filename == __file__  # points at the caller's line
    with pytest.warns(UserWarning, match="indexing argument"):
        tx, ty = torch.meshgrid(torch.arange(3), torch.arange(2))
    np.testing.assert_array_equal(gx.numpy(), tx.numpy())
    np.testing.assert_array_equal(gy.numpy(), ty.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profundo.meshgrid(x, y, indexing="ij")
        profundo.meshgrid([x, y], indexing="xy")


def test_meshgrid_as_d2l_uses_it():
    """d2l's library does ``meshgrid = torch.meshgrid`` at import, then builds anchor grids with it."""
    import profundo as torch
    meshgrid = torch.meshgrid
    shift_y, shift_x = meshgrid(torch.arange(4) * 0.5, torch.arange(3) * 0.25, indexing="ij")
    assert tuple(shift_x.shape) == (4, 3) and tuple(shift_y.shape) == (4, 3)
    assert shift_x.reshape(-1)[:4].tolist() == [0.0, 0.25, 0.5, 0.0]
    xs, ys = meshgrid(torch.linspace(-1, 1, 5), torch.linspace(-1, 1, 2), indexing="xy")
    assert tuple(xs.shape) == (2, 5)


def test_meshgrid_gradient_counts_the_repetitions():
    a = profundo.tensor([1.0, 2.0], requires_grad=True)
    b = profundo.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = profundo.tensor([0.5, 0.1, 0.2, 0.3], requires_grad=True)
    ga, gb, gc = profundo.meshgrid(a, b, c, indexing="xy")
    assert tuple(ga.shape) == (3, 2, 4)
    (ga * 1.0 + gb * 2.0 + gc * 3.0).sum().backward()
    assert a.grad.tolist() == [12.0, 12.0] and b.grad.tolist() == [16.0] * 3 and c.grad.tolist() == [18.0] * 4


def test_meshgrid_refuses_non_tensors_like_torch(torch):
    from parity import assert_raises_like_torch
    assert_raises_like_torch(lambda: torch.meshgrid([1, 2], indexing="ij"),
                             lambda: profundo.meshgrid([1, 2], indexing="ij"))
    assert_raises_like_torch(lambda: torch.meshgrid(indexing="ij"), lambda: profundo.meshgrid(indexing="ij"))


def test_bincount_weights_like_torch():
    torch = pytest.importorskip("torch")
    idx = [0, 3, 1, 1, 3]
    for w, dt in (([0.5, 1.0, 2.0, 1.0, 4.0], "float32"), ([0.5, 1.0, 2.0, 1.0, 4.0], "float64"),
                  ([1, 2, 3, 4, 5], "int64")):
        weights = profundo.tensor(w, dtype=getattr(profundo, dt))
        got = profundo.bincount(profundo.tensor(idx), weights=weights, minlength=6)
        want = torch.bincount(torch.tensor(idx), weights=torch.tensor(w, dtype=getattr(torch, dt)), minlength=6)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(RuntimeError, match="same length"):
        profundo.bincount(profundo.tensor(idx), weights=profundo.tensor([1.0]))
    w = profundo.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for 'bincount'"):
        profundo.bincount(profundo.tensor([0, 1]), weights=w).sum().backward()

