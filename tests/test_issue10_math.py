"""Issue 10, section 2 (math and creation): the reproductions, each checked
against PyTorch where it is installed (the generic op checks are in
registry_math.py)."""
import numpy as np
import pytest

import profundo
from profundo._errors import is_checked

try:
    import torch
except ImportError:  # the suite also runs without PyTorch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch (the oracle)")


def checked(excinfo):
    """profundo's own error: it names the op and carries a Spanish hint."""
    assert is_checked(excinfo.value) and "Pista:" in str(excinfo.value), str(excinfo.value)
    return str(excinfo.value)


def both(fn):
    """``fn(T)`` for profundo and (when installed) torch."""
    return [fn(T) for T in (profundo, torch) if T is not None]


# ---------------------------------------------------------------- 1. randint
@pytest.mark.parametrize("call", [
    lambda T: T.randint(10, size=(3,)),
    lambda T: T.randint(10, (3,)),
    lambda T: T.randint(2, 10, (3, 2)),
    lambda T: T.randint(2, 10, size=(3,)),
    lambda T: T.randint(low=2, high=10, size=(3,)),
    lambda T: T.randint(high=10, size=(4,)),
    lambda T: T.randint(-5, 5, (100,), dtype=T.int32),
    lambda T: T.randint(10, (3,), dtype=T.float32),
    lambda T: T.randint(0, 2, (3,), dtype=T.bool),
    lambda T: T.randint(10, (3,), generator=T.Generator().manual_seed(1)),
])
def test_randint_forms_like_torch(call):
    out = both(call)
    for t in out:
        assert out[0].dtype.__repr__().split(".")[-1] == repr(t.dtype).split(".")[-1]
        assert tuple(out[0].shape) == tuple(t.shape)
    x = out[0].numpy()
    assert x.dtype == np.bool_ or ((x >= -5) & (x < 10)).all()


def test_randint_keyword_size_was_a_bare_type_error():
    x = profundo.randint(10, size=(1000,))
    assert x.dtype == profundo.int64 and x.shape == (1000,)
    assert x.min().item() >= 0 and x.max().item() <= 9 and len(np.unique(x.numpy())) == 10


@needs_torch
@pytest.mark.parametrize("call", [
    lambda T: T.randint(10),                                      # no size
    lambda T: T.randint(10, 3),                                   # size not a tuple
    lambda T: T.randint(5, 2, (3,)),                              # empty range
    lambda T: T.randint(10, (3,), requires_grad=True),            # integers cannot require grad
    lambda T: T.randint(3, 10, (2,), dtype=T.bool),               # bounds outside the dtype
    lambda T: T.randint(0, 300, (2,), dtype=T.uint8),
    lambda T: T.randint(2.5, (3,)),                               # float bound
    lambda T: T.randint(10, size=(-1,)),                          # negative size
])
def test_randint_errors_like_torch(call):
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(type(ref.value)) as got:
        call(profundo)
    checked(got)


def test_randint_float_dtype_may_require_grad():
    x = profundo.randint(10, (3,), dtype=profundo.float32, requires_grad=True)
    assert x.requires_grad and x.dtype == profundo.float32


# ---------------------------------------------------------------- 2. where
@pytest.mark.parametrize("a,b", [(4, 2), (4.0, 2), (4, 2.5), (True, False), (1.5, 2.5)])
def test_where_with_two_numbers(a, b):
    cond = [True, False, True]
    got = profundo.where(profundo.tensor(cond), a, b)
    assert got.tolist() == [a, b, a]
    if torch is not None:
        ref = torch.where(torch.tensor(cond), a, b)
        assert repr(got.dtype).split(".")[-1] == repr(ref.dtype).split(".")[-1]
        assert got.tolist() == ref.tolist()


def test_where_default_float_and_single_argument_form():
    profundo.set_default_dtype(profundo.float64)
    try:
        assert profundo.where(profundo.tensor([True]), 1.0, 2).dtype == profundo.float64
    finally:
        profundo.set_default_dtype(profundo.float32)
    (idx,) = profundo.where(profundo.tensor([0, 3, 0, 1]))
    assert idx.tolist() == [1, 3] and idx.dtype == profundo.int64
    with pytest.raises(TypeError) as e:
        profundo.where(profundo.tensor([True]), 1)
    checked(e)


# ---------------------------------------------------------------- 3. logaddexp, copysign, shifts
@needs_torch
@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp_special_values_and_gradients_like_torch(name):
    inf, nan = float("inf"), float("nan")
    a = [inf, -inf, inf, -inf, 1.0, nan, 1000.0, -1000.0, 0.0, 88.0]
    b = [inf, -inf, -inf, inf, 2.0, 1.0, 1000.0, -1000.0, 0.0, -88.0]
    for dt in ("float32", "float64"):
        xa, xb = (profundo.tensor(v, dtype=getattr(profundo, dt), requires_grad=True) for v in (a, b))
        ta, tb = (torch.tensor(v, dtype=getattr(torch, dt), requires_grad=True) for v in (a, b))
        y, u = getattr(profundo, name)(xa, xb), getattr(torch, name)(ta, tb)
        np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=1e-6)
        assert y.grad_fn.name() == u.grad_fn.name()
        y.sum().backward()
        u.sum().backward()
        np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy(), rtol=1e-6)


def test_logaddexp_does_not_overflow():
    x = profundo.tensor([1000.0, -1000.0], dtype=profundo.float64)
    np.testing.assert_allclose(profundo.logaddexp(x, x).numpy(), [1000.0 + np.log(2), -1000.0 + np.log(2)])
    with pytest.raises(NotImplementedError) as e:
        profundo.logaddexp(profundo.tensor([1]), profundo.tensor([2]))
    checked(e)


@needs_torch
def test_copysign_gradient_at_zeros_like_torch():
    a = [1.0, -1.0, 0.0, -0.0, 2.0, 0.0, 3.0, float("nan")]
    b = [-1.0, 1.0, -1.0, 1.0, -0.0, 0.0, float("nan"), -1.0]
    xa, xb = (profundo.tensor(v, dtype=profundo.float64, requires_grad=True) for v in (a, b))
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
    y, u = profundo.copysign(xa, xb), torch.copysign(ta, tb)
    np.testing.assert_array_equal(np.signbit(y.detach().numpy()), np.signbit(u.detach().numpy()))
    y.sum().backward()
    u.sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(xb.grad.numpy(), tb.grad.numpy())
    assert profundo.copysign(profundo.tensor([1, 2]), -1).dtype == profundo.float32


@pytest.mark.parametrize("dt", ["uint8", "int8", "int16", "int32", "int64"])
def test_shifts_by_large_and_negative_amounts(dt):
    bits = np.dtype(dt).itemsize * 8
    x = profundo.tensor([1, 3, 5], dtype=getattr(profundo, dt))
    if np.dtype(dt).kind == "i":
        x = profundo.tensor([-8, 3, -1], dtype=getattr(profundo, dt))
    for s in (bits, bits + 1, -1, 300):
        assert (x << s).tolist() == [0, 0, 0]
        assert (x >> s).tolist() == [-1 if v < 0 else 0 for v in x.tolist()]
    if torch is not None:
        t = torch.tensor(x.tolist(), dtype=getattr(torch, dt))
        for s in (0, 1, bits - 1, bits, -1, 300):
            assert (x << s).tolist() == (t << s).tolist() and (x >> s).tolist() == (t >> s).tolist()
        amounts = [0, bits - 1, bits + 2]
        assert (x << profundo.tensor(amounts)).tolist() == (t << torch.tensor(amounts)).tolist()
        assert (x >> profundo.tensor(amounts)).tolist() == (t >> torch.tensor(amounts)).tolist()


def test_shift_operators_and_in_place():
    x = profundo.tensor([1, 2, 3])
    assert (x << 2).tolist() == [4, 8, 12] and (x >> 1).tolist() == [0, 1, 1]
    assert (1 << x).tolist() == [2, 4, 8] and (16 >> x).tolist() == [8, 4, 2]
    assert profundo.bitwise_left_shift(x, 1).tolist() == x.bitwise_left_shift(1).tolist() == [2, 4, 6]
    y = x
    y <<= 2
    assert y is x and x.tolist() == [4, 8, 12]
    x >>= 1
    assert x.tolist() == [2, 4, 6]
    for bad in (lambda: profundo.tensor([1.0]) << 1, lambda: x >> 1.0,
                lambda: profundo.tensor([True]) << profundo.tensor([True])):
        with pytest.raises(NotImplementedError) as e:
            bad()
        checked(e)


# ---------------------------------------------------------------- 4. scatter_reduce
def _scatter_case(T, dtype):
    inp = T.tensor([[1.0, 2, 3, 4], [5, 6, 7, 8]], dtype=dtype, requires_grad=True)
    src = T.tensor([[10.0, 20, 30, 0.5], [40, 50, 60, 2]], dtype=dtype, requires_grad=True)
    idx = T.tensor([[0, 0, 1, 0], [2, 2, 2, 3]])
    return inp, idx, src


@needs_torch
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients_like_torch(reduce, include_self):
    results = []
    for T in (profundo, torch):
        inp, idx, src = _scatter_case(T, T.float64)
        out = T.scatter_reduce(inp, 1, idx, src, reduce, include_self=include_self)
        out.backward(T.arange(1.0, 9.0, dtype=T.float64).reshape(2, 4))
        results.append((out.detach().numpy(), inp.grad.numpy(), src.grad.numpy(), out.grad_fn.name()))
    for ours, ref in zip(*results):
        if isinstance(ours, str):
            assert ours == ref
        else:
            np.testing.assert_allclose(ours, ref, rtol=1e-12)


@needs_torch
def test_scatter_reduce_ties_share_the_gradient_like_torch():
    for include_self in (True, False):
        results = []
        for T in (profundo, torch):
            inp = T.tensor([3.0, 0.0, 1.0], requires_grad=True)
            src = T.tensor([3.0, 3.0, 1.0, 1.0], requires_grad=True)
            out = T.scatter_reduce(inp, 0, T.tensor([0, 0, 2, 2]), src, "amax", include_self=include_self)
            out.sum().backward()
            results.append((out.tolist(), inp.grad.tolist(), src.grad.tolist()))
        assert results[0] == results[1]


@needs_torch
def test_scatter_reduce_integers_and_legacy_scatter_like_torch():
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            ours, ref = both(lambda T: T.scatter_reduce(T.tensor([1, 2, 3]), 0, T.tensor([0, 0, 2]),
                                                        T.tensor([-5, -6, 7]), reduce, include_self=include_self))
            assert ours.tolist() == ref.tolist() and ours.dtype == profundo.int64
    for reduce in ("add", "multiply"):
        ours, ref = both(lambda T: T.scatter(T.tensor([1.0, 2.0, 3.0]), 0, T.tensor([0, 0]), 2.5, reduce=reduce))
        assert ours.tolist() == ref.tolist()


def test_legacy_scatter_reduce_gradient_is_scatter_reduce_s():
    inp = profundo.tensor([1.0, 2.0, 3.0], requires_grad=True)
    src = profundo.tensor([2.0, 4.0], requires_grad=True)
    profundo.scatter(inp, 0, profundo.tensor([0, 0]), src, reduce="multiply").sum().backward()
    assert inp.grad.tolist() == [8.0, 1.0, 1.0] and src.grad.tolist() == [4.0, 2.0]


def test_scatter_reduce_src_larger_than_index_gets_zero_gradient_outside():
    inp = profundo.zeros(2, 3, requires_grad=True)
    src = profundo.ones(3, 3, requires_grad=True)
    out = profundo.scatter_reduce(inp, 1, profundo.tensor([[0, 0], [2, 2]]), src, "mean", include_self=False)
    assert out.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    out.sum().backward()
    assert src.grad.tolist() == [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize("call,exc", [
    (lambda T: T.scatter_reduce(T.zeros(3), 0, T.tensor([0]), T.ones(1), "average"), RuntimeError),
    (lambda T: T.scatter(T.zeros(3), 0, T.tensor([0]), T.ones(1), reduce="mean"), RuntimeError),
    (lambda T: T.scatter(T.zeros(3), 0, T.tensor([0]), T.ones(1), reduce="typo"), RuntimeError),
    (lambda T: T.scatter_reduce(T.zeros(3), 0, T.tensor([0]), T.ones(1, dtype=T.float64), "sum"), RuntimeError),
    (lambda T: T.scatter_reduce(T.zeros(3), 0, T.tensor([5]), T.ones(1), "sum"), RuntimeError),
])
def test_scatter_reduce_errors(call, exc):
    with pytest.raises(exc) as e:
        call(profundo)
    checked(e)
    if torch is not None:
        with pytest.raises(exc):
            call(torch)


def test_scatter_reduce_is_vectorized():
    """One ufunc.at pass: a million values reduce in well under a second (a Python loop takes ~1 s)."""
    import time
    n = 1_000_000
    idx = profundo.randint(0, 1000, (n,))
    src = profundo.rand(n)
    start = time.perf_counter()
    out = profundo.zeros(1000).scatter_reduce(0, idx, src, "amax")
    assert time.perf_counter() - start < 0.5
    np.testing.assert_allclose(out.numpy(), [src.numpy()[idx.numpy() == k].max(initial=0) for k in range(1000)])


# ---------------------------------------------------------------- 5. roll
@pytest.mark.parametrize("args", [(1,), (-4,), ((2,),), (1, None), ((1, 1), (0, 0)), (1, [0]), ([1], 0)])
def test_roll_without_dims_flattens(args):
    a = profundo.arange(6).reshape(2, 3)
    flat = np.arange(6).reshape(2, 3)
    got = profundo.roll(a, *args).numpy()
    if len(args) == 1 or args[1] is None:
        s = args[0][0] if isinstance(args[0], tuple) else args[0]
        np.testing.assert_array_equal(got, np.roll(flat, s))
    if torch is not None:
        np.testing.assert_array_equal(got, torch.roll(torch.arange(6).reshape(2, 3), *args).numpy())


@pytest.mark.parametrize("args,exc", [(((1, 2), 0), RuntimeError), (((1, 2),), RuntimeError),
                                      ((1, (0, 1)), RuntimeError), (((), ()), RuntimeError), ((1, 2), IndexError),
                                      ((1.5,), TypeError)])
def test_roll_mismatched_shifts_and_dims(args, exc):
    with pytest.raises(exc) as e:
        profundo.roll(profundo.ones(2, 3), *args)
    checked(e)
    if torch is not None:
        with pytest.raises(exc):
            torch.roll(torch.ones(2, 3), *args)


# ---------------------------------------------------------------- 6. rounding division
def test_div_unknown_rounding_mode_is_a_runtime_error():
    with pytest.raises(RuntimeError) as e:
        profundo.div(profundo.ones(2), 2, rounding_mode="typo")
    checked(e)
    if torch is not None:
        with pytest.raises(RuntimeError):
            torch.div(torch.ones(2), 2, rounding_mode="typo")


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_rounding_division_stays_in_the_graph(mode):
    results = []
    for T in (t for t in (profundo, torch) if t is not None):
        x = T.tensor([1.5, -2.5, 7.0], requires_grad=True)
        y = T.tensor([2.0, 0.7, -2.0], requires_grad=True)
        q = T.div(x, y, rounding_mode=mode)
        assert q.requires_grad and q.grad_fn.name() == "DivBackward2"
        (q * 3).sum().backward()
        results.append((q.tolist(), x.grad.tolist(), y.grad.tolist()))
    assert results[0][1] == results[0][2] == [0.0, 0.0, 0.0]
    assert all(r == results[0] for r in results)


def test_floor_divide_is_recorded_without_a_derivative_like_torch():
    x = profundo.tensor([1.5, -2.5], requires_grad=True)
    q = x // 2
    assert q.requires_grad and q.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError) as e:
        q.sum().backward()
    assert "floor_divide" in checked(e)
    if torch is not None:
        t = torch.tensor([1.5, -2.5], requires_grad=True) // 2
        assert type(t.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError):
            t.sum().backward()
    r = profundo.remainder(x, 2)
    r.sum().backward()
    assert r.grad_fn.name() == "RemainderBackward0" and x.grad.tolist() == [1.0, 1.0]


def test_integer_trunc_division_is_exact():
    big = 2 ** 62 + 1  # a float round trip would lose the last digits
    got = profundo.div(profundo.tensor([big, -big]), 3, rounding_mode="trunc").tolist()
    assert got == [big // 3, -(big // 3)]


# ---------------------------------------------------------------- 7. 0 ** 0
@needs_torch
def test_pow_gradients_at_zero_like_torch():
    def grads(T, f, *vals):
        xs = [T.tensor(v, dtype=T.float64, requires_grad=True) for v in vals]
        f(T, *xs).sum().backward()
        return [x.grad.tolist() for x in xs]

    cases = [
        (lambda T, x: x ** 0, [0.0, 1.0, -1.0]),
        (lambda T, x, y: x ** y, [0.0, 0.0, 0.0, 0.0, 2.0], [0.0, 1.0, -1.0, 0.5, 0.0]),
        (lambda T, y: 0.0 ** y, [0.0, 1.0, -1.0, 0.5]),
        (lambda T, x: T.pow(x, T.zeros(2, dtype=T.float64)), [0.0, 1.0]),
    ]
    for f, *vals in cases:
        ours, ref = grads(profundo, f, *vals), grads(torch, f, *vals)
        assert ours == ref, (ours, ref)
        assert not any(np.isnan(v).any() for v in ours)


def test_pow_zero_exponent_gradient_ignores_an_infinite_upstream():
    x = profundo.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).backward(profundo.tensor([float("inf"), 1.0]))
    assert x.grad.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- 8. inner
@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 3)), ((2, 5, 3), (4, 3)), ((3,), (4, 3)), ((2, 3), (3,)),
                                   ((2, 3), ()), ((3,), (3,))])
def test_inner_contracts_the_last_dims(sa, sb):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    x, y = profundo.tensor(a, requires_grad=True), profundo.tensor(b, requires_grad=True)
    out = profundo.inner(x, y)
    expected = np.inner(a, b)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    g = rng.standard_normal(expected.shape)
    out.backward(profundo.tensor(g))
    if torch is not None:
        ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        torch.inner(ta, tb).backward(torch.tensor(g))
        np.testing.assert_allclose(x.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(y.grad.numpy(), tb.grad.numpy(), rtol=1e-12)


def test_inner_errors():
    with pytest.raises(RuntimeError) as e:
        profundo.inner(profundo.ones(2, 3), profundo.ones(4, 2))
    assert "last dimension" in checked(e)
    with pytest.raises(RuntimeError) as e:
        profundo.inner(profundo.ones(3, dtype=profundo.int64), profundo.ones(3))
    checked(e)


# ---------------------------------------------------------------- 9. integer // and % by zero
@pytest.mark.parametrize("call", [
    lambda T: T.tensor([3]) // 0,
    lambda T: T.tensor([3]) % 0,
    lambda T: T.tensor([3, 4]) // T.tensor([1, 0]),
    lambda T: T.tensor([3, 4]) % T.tensor([1, 0]),
    lambda T: 3 // T.tensor([0]),
    lambda T: 3 % T.tensor([0]),
    lambda T: T.div(T.tensor([3]), 0, rounding_mode="floor"),
    lambda T: T.div(T.tensor([3]), 0, rounding_mode="trunc"),
    lambda T: T.fmod(T.tensor([3]), 0),
    lambda T: T.tensor([3], dtype=T.uint8) // 0,
    lambda T: T.tensor([3], dtype=T.int32) % T.tensor([0], dtype=T.int32),
])
def test_integer_division_by_zero_raises(call):
    with pytest.raises(ZeroDivisionError) as e:
        call(profundo)
    checked(e)
    assert isinstance(e.value, RuntimeError)  # PyTorch raises RuntimeError("ZeroDivisionError")
    if torch is not None:
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call(torch)


def test_float_division_by_zero_unchanged():
    for T in (t for t in (profundo, torch) if t is not None):
        assert (T.tensor([3.0, -3.0, 0.0]) // 0).tolist()[:2] == [float("inf"), float("-inf")]
        assert np.isnan((T.tensor([3.0]) % 0).tolist()[0])
        assert (T.tensor([3]) / 0).tolist() == [float("inf")]
        assert (T.tensor([3]) // 0.0).tolist() == [float("inf")]


# ---------------------------------------------------------------- 10. negative sizes
@pytest.mark.parametrize("call", [
    lambda T: T.randperm(-1), lambda T: T.randn(-2), lambda T: T.rand(2, -2), lambda T: T.zeros(-1),
    lambda T: T.empty(-1), lambda T: T.ones(3, -1), lambda T: T.full((-1,), 2.0), lambda T: T.eye(-1),
    lambda T: T.eye(2, -1), lambda T: T.randint(3, (-1,)), lambda T: T.normal(0.0, 1.0, size=(-1,)),
    lambda T: T.linspace(0, 1, -1),
])
def test_negative_sizes_raise_runtime_error(call):
    with pytest.raises(RuntimeError) as e:
        call(profundo)
    checked(e)
    if torch is not None:
        with pytest.raises(RuntimeError):
            call(torch)


def test_negative_size_messages_match_torch():
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[-1\]"):
        profundo.randperm(-1)
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        profundo.eye(-1)


# ---------------------------------------------------------------- 11. complex data and uint64 frames
@pytest.mark.parametrize("call", [
    lambda: profundo.tensor(1 + 2j, dtype=profundo.float32),
    lambda: profundo.tensor(1 + 0j, dtype=profundo.float32),
    lambda: profundo.tensor([1 + 2j]),
    lambda: profundo.tensor([1, 2 + 0j]),
    lambda: profundo.tensor(np.array([1 + 2j]), dtype=profundo.float32),
    lambda: profundo.as_tensor(np.array([1 + 2j]), dtype=profundo.float32),
    lambda: profundo.from_numpy(np.array([1 + 2j])),
    lambda: profundo.tensor(np.array([1, 2j], dtype=object)),
    lambda: profundo.full((2,), 1 + 2j),
])
def test_complex_values_are_refused_not_truncated(call):
    with pytest.raises(TypeError) as e:
        call()
    checked(e)


def test_complex_dataframe_column_refused():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0], "z": [1 + 2j, 3 - 1j]})
    with pytest.raises(TypeError) as e:
        profundo.tensor(df)
    assert "'z'" in checked(e)


def test_uint64_dataframe_values_that_do_not_fit_int64_are_refused():
    pd = pytest.importorskip("pandas")
    big = pd.DataFrame({"id": np.array([1, 2 ** 64 - 1], dtype=np.uint64), "x": [0.5, 1.5]})
    ok = pd.DataFrame({"id": np.array([1, 2 ** 63 - 1], dtype=np.uint64)})
    with pytest.raises(OverflowError) as e:
        profundo.tensor(big[["id"]])
    assert "'id'" in checked(e)
    assert profundo.tensor(ok).tolist() == [[1], [2 ** 63 - 1]]
    assert profundo.tensor(big).dtype == profundo.float32  # with a float column, floats: no wrap around
    assert profundo.tensor(big)[1, 0].item() > 1e19


# ---------------------------------------------------------------- 12. allocations too large for memory
@pytest.mark.parametrize("call,op", [
    (lambda: profundo.zeros(10 ** 12), "zeros"),
    (lambda: profundo.zeros(2 ** 64), "zeros"),
    (lambda: profundo.ones(10 ** 7, 10 ** 7), "ones"),
    (lambda: profundo.empty(2 ** 40, 2 ** 40), "empty"),
    (lambda: profundo.full((10 ** 12,), 1.0), "full"),
    (lambda: profundo.randn(10 ** 12), "randn"),
    (lambda: profundo.rand(2 ** 70), "rand"),
    (lambda: profundo.randint(0, 5, (10 ** 13,)), "randint"),
    (lambda: profundo.randperm(10 ** 13), "randperm"),
    (lambda: profundo.eye(10 ** 7), "eye"),
    (lambda: profundo.arange(10 ** 13), "arange"),
    (lambda: profundo.arange(0, 1e13, 1.0), "arange"),
    (lambda: profundo.zeros_like(profundo.ones(1).expand(10 ** 12)), "zeros"),
    (lambda: profundo.ones(10 ** 6)[:, None] * profundo.ones(10 ** 7)[None, :], "mul"),
    (lambda: profundo.ones(10 ** 6)[:, None] + profundo.ones(10 ** 7, requires_grad=True)[None, :], "add"),
    (lambda: profundo.ones(1).expand(10 ** 12).exp(), "exp"),
    (lambda: profundo.ones(1).expand(10 ** 12).contiguous(), "clone"),
])
def test_allocations_larger_than_memory_raise_profundos_error(call, op):
    with pytest.raises(MemoryError) as e:
        call()
    text = checked(e)
    assert text.startswith(op + ":") and "bytes" in text and "shape (" in text
    assert isinstance(e.value, RuntimeError)  # PyTorch's type for a failed allocation


# ---------------------------------------------------------------- 13. register_hook results
@pytest.mark.parametrize("leaf", [True, False])
def test_hook_returning_a_non_tensor_is_a_type_error(leaf):
    for bad in ("str", 3.0, (1,), np.ones(3, np.float32)):
        x = profundo.ones(3, requires_grad=True)
        y = x if leaf else x * 2
        y.register_hook(lambda g, bad=bad: bad)
        with pytest.raises(TypeError) as e:
            (y * 1).sum().backward()
        assert type(bad).__name__ in checked(e)
    if torch is not None:
        t = torch.ones(3, requires_grad=True)
        t.register_hook(lambda g: "str")
        with pytest.raises(TypeError):
            t.sum().backward()


@pytest.mark.parametrize("leaf", [True, False])
def test_hook_results_like_torch(leaf):
    for T in (t for t in (profundo, torch) if t is not None):
        x = T.ones(3, requires_grad=True)
        y = x if leaf else x * 2
        y.register_hook(lambda g: None)
        y.register_hook(lambda g: g * 10)
        (y * 1).sum().backward()
        assert x.grad.tolist() == ([10.0] * 3 if leaf else [20.0] * 3)
        for bad in (lambda g: T.ones(2), lambda g: T.ones(1, 3), lambda g: T.ones(3, dtype=T.float64)):
            x = T.ones(3, requires_grad=True)
            y = x if leaf else x * 2
            y.register_hook(bad)
            with pytest.raises(RuntimeError, match="has changed the (size|type) of value") as e:
                (y * 1).sum().backward()
            if T is profundo:
                checked(e)


def test_gather_and_scatter_reduce_with_a_negative_dim_accept_a_longer_index_along_it():
    a = profundo.arange(12.0).reshape(3, 4)
    idx = profundo.tensor([[0, 3, 3, 1, 0, 2]] * 3)
    assert profundo.gather(a, -1, idx).tolist() == profundo.gather(a, 1, idx).tolist()
    src = profundo.ones(3, 6)
    assert profundo.scatter_reduce(a, -1, idx, src, "sum").tolist() == \
        profundo.scatter_reduce(a, 1, idx, src, "sum").tolist()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_factory_out_is_honoured_not_ignored(name):
    out = profundo.full((2,), 7.0)  # (refused with NotImplementedError until issue 16; see test_out.py)
    assert getattr(profundo, name)(2, out=out) is out
    if name != "empty":
        assert out.tolist() == ([0.0, 0.0] if name == "zeros" else [1.0, 1.0])
