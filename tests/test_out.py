"""``out=`` (issue 16): writes into the given tensor as PyTorch does -- the same object back, resized
(silently when empty, with PyTorch's warning otherwise), cast by each op's dtype rule, version bumped,
views written through, refused with autograd.  Values per op are in the registry (registry_math.py);
these are the mechanics.  Tests marked with ``torch`` compare with PyTorch and skip without it."""
import inspect
import warnings

import numpy as np
import pytest

import profundo
from profundo.ops.out import OUT_SPECS

GRAD_ERROR = ("functions with out=... arguments don't support automatic differentiation, but one of the "
              "arguments requires grad.")
RESIZE_WARNING = "An output with one or more elements was resized since it had shape"


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def lib_tensors(T, *arrays):
    return [T.tensor(np.asarray(a)) for a in arrays]


A = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5
B = np.linspace(-1, 2, 6, dtype=np.float32).reshape(2, 3)


# ---------------------------------------------------------------- the same object, its version, its memory
@pytest.mark.parametrize("call", [
    lambda T, a, b, out: T.add(a, b, out=out),
    lambda T, a, b, out: T.exp(a, out=out),
    lambda T, a, b, out: T.sum(a, 1, out=out),
    lambda T, a, b, out: T.mm(a, b.T, out=out),
    lambda T, a, b, out: T.cat([a, b], out=out),
    lambda T, a, b, out: T.where(a > 0, a, b, out=out),
])
def test_returns_out_itself_written_and_bumps_its_version_once(call):
    a, b = lib_tensors(profundo, A, B)
    out = profundo.empty(0)
    assert out._version == 0
    assert call(profundo, a, b, out) is out
    assert out._version == 1
    np.testing.assert_allclose(out.numpy(), call(profundo, a, b, profundo.empty(0)).numpy())
    expected = out.numpy().copy()
    assert call(profundo, a, b, out) is out  # now the right shape: written in place
    assert out._version == 2
    np.testing.assert_array_equal(out.numpy(), expected)


def test_values_match_numpy():
    a, b = lib_tensors(profundo, A, B)
    out = profundo.empty(0)
    profundo.mul(a, b, out=out)
    np.testing.assert_allclose(out.numpy(), A * B)
    out = profundo.empty(0)
    profundo.matmul(a, b.T, out=out)
    np.testing.assert_allclose(out.numpy(), A @ B.T, rtol=1e-6)


def test_out_may_be_an_input():
    a, b = lib_tensors(profundo, A, B)
    assert profundo.add(a, b, out=a) is a
    np.testing.assert_allclose(a.numpy(), A + B)
    assert a._version == 1


def test_a_view_of_the_right_shape_writes_through_to_its_base():
    a, b = lib_tensors(profundo, A, B)
    base = profundo.zeros(4, 3)
    view = base[1:3]
    profundo.add(a, b, out=view)
    np.testing.assert_allclose(base.numpy()[1:3], A + B)
    assert not base.numpy()[[0, 3]].any()
    assert base._version == view._version == 1  # one counter for a base and its views


def test_a_non_contiguous_out_keeps_its_strides(torch):
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        base = T.zeros(3, 2)
        out = base.T
        T.add(a, b, out=out)
        assert out.stride() == (1, 2)
        np.testing.assert_allclose(base.numpy(), (A + B).T)
        column = T.zeros(2, 5)[:, 1]  # every fifth element of a bigger tensor
        T.sum(a, 1, out=column)
        assert column.stride() == (5,)
        np.testing.assert_allclose(column.numpy(), A.sum(1), rtol=1e-6)


def test_an_expanded_out_is_refused_like_torch(torch):
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
            T.add(a, b, out=T.zeros(1, 3).expand(2, 3))


# ---------------------------------------------------------------- resizing
def test_an_empty_out_is_resized_silently():
    a, b = lib_tensors(profundo, A, B)
    out = profundo.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        profundo.add(a, b, out=out)
    assert out.shape == (2, 3) and out.is_contiguous()


def test_an_out_with_elements_is_resized_with_torchs_warning(torch):
    messages = []
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        out = T.full((5,), 7.0)
        with pytest.warns(UserWarning, match=RESIZE_WARNING) as record:
            assert T.add(a, b, out=out) is out
        assert tuple(out.shape) == (2, 3)
        np.testing.assert_allclose(out.numpy(), A + B)
        assert out._version == 1
        messages.append(str(record[0].message).split(" (Triggered internally")[0])
        assert record[0].filename == __file__  # points at the caller's line
    assert messages[0] == messages[1]


def test_a_resized_reduction_points_the_warning_at_the_caller():
    a, = lib_tensors(profundo, A)
    with pytest.warns(UserWarning, match=RESIZE_WARNING) as record:
        profundo.sum(a, 1, out=profundo.zeros(3, 3))  # (through the axis=/keepdims= wrapper too)
    assert record[0].filename == __file__


def test_resizing_gives_out_a_new_array_and_leaves_its_old_views_alone():
    a, b = lib_tensors(profundo, A, B)
    out = profundo.zeros(4)
    old_view = out[:2]
    with pytest.warns(UserWarning):
        profundo.add(a, b, out=out)
    assert out.shape == (2, 3) and isinstance(out, profundo.Tensor)
    assert old_view.tolist() == [0.0, 0.0]


def test_a_view_of_another_shape_is_refused_with_an_explanation():
    # PyTorch re-strides such a view inside its base's storage; NumPy views cannot, so profundo refuses.
    a, b = lib_tensors(profundo, A, B)
    base = profundo.zeros(4, 3)
    with pytest.raises(RuntimeError, match="view") as info:
        profundo.add(a, b, out=base[1:2])
    assert "Pista:" in str(info.value)
    assert not base.numpy().any() and base._version == 0


# ---------------------------------------------------------------- dtypes
def test_a_result_is_cast_to_a_wider_out_dtype(torch):
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        out = T.empty(0, dtype=T.float64)
        T.add(a, b, out=out)
        assert out.dtype == T.float64
        ints = T.tensor([[1, 2, 3], [4, 5, 6]])
        T.mul(ints, 2, out=out)
        assert out.tolist() == [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]]
        flags = T.empty(0)
        T.gt(a, 0, out=flags)  # bool into float
        assert flags.dtype == T.float32 and flags.numpy().tolist() == (A > 0).astype(np.float32).tolist()


def test_a_float_result_into_an_integer_out_is_refused_with_torchs_message(torch):
    texts = []
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        out = T.zeros(2, 3, dtype=T.int64)
        with pytest.raises(RuntimeError) as info:
            T.add(a, b, out=out)
        texts.append(str(info.value))
        assert out.tolist() == [[0] * 3] * 2 and out._version == 0
    assert texts[1] in texts[0] and "Pista:" in texts[0]  # "result type Float can't be cast to ... Long"


def test_matrix_products_want_outs_of_their_own_dtype(torch):
    texts = []
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        with pytest.raises(RuntimeError) as info:
            T.mm(a, b.T, out=T.empty(0, dtype=T.float64))
        texts.append(str(info.value))
    assert texts[1] in texts[0]  # "Expected out tensor to have dtype float, but got double instead"


def test_sum_computes_in_outs_dtype_like_torch(torch):
    results = []
    for T in (profundo, torch):
        x = T.tensor([[0.6, 0.6, 1.7]])
        out = T.empty(0, dtype=T.int64)
        T.sum(x, 1, out=out)
        results.append(out.tolist())
        with pytest.raises(RuntimeError):
            T.sum(x, 1, dtype=T.float32, out=T.empty(0, dtype=T.float64))
    assert results[0] == results[1] == [1]  # 0 + 0 + 1: the values are cast first


def test_the_dtype_rules_match_torch_for_every_function(torch):
    """Each function of OUT_SPECS with outs of five dtypes, inputs with and without grad: the same
    outcome as torch (refused with the same error type, or the same values, dtype, shape and version)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "torch.ger is deprecated")
        mismatches = [m for name in OUT_SPECS for m in _compare_with_torch(torch, name)]
    assert not mismatches, "\n".join(mismatches)


# the few places where profundo is more lenient than torch: nansum of integers, cumsum/cumprod of bools
_LENIENT = {("nansum", "int64"), ("nansum", "bool"), ("cumsum", "bool"), ("cumprod", "bool")}
_PAIRS = {"max", "min", "sort", "topk", "kthvalue", "median", "cummax", "cummin"}
_LISTS = {"cat", "concat", "concatenate", "stack", "hstack", "vstack"}


def _call(T, name, a, b, out):
    f = getattr(T, name)
    if name in _LISTS:
        return f([a, b], out=out)
    special = {
        "bmm": lambda: f(a[None], b[None], out=out), "mv": lambda: f(a, b[0], out=out),
        "outer": lambda: f(a[0], b[0], out=out), "ger": lambda: f(a[0], b[0], out=out),
        "dot": lambda: f(a[0], b[0], out=out), "lerp": lambda: f(a, b, 0.5, out=out),
        "where": lambda: f(a > 1, a, b, out=out), "kthvalue": lambda: f(a, 1, 1, out=out),
        "topk": lambda: f(a, 2, out=out), "norm": lambda: f(a, dim=1, out=out),
    }
    if name in special:
        return special[name]()
    params = inspect.signature(getattr(profundo, name)).parameters
    second = list(params)[1] if len(params) > 1 else None
    if second in ("other", "exponent", "mat2", "end"):
        return f(a, b, out=out)
    if second in ("min", "max"):
        return f(a, 1.0, out=out)
    if second in ("dim",):
        return f(a, 1, out=out)
    return f(a, out=out)


def _compare_with_torch(torch, name):
    rng = np.random.default_rng(0)
    x, y = (rng.uniform(0.5, 2, (3, 3)).astype(np.float32) for _ in range(2))
    for dtype in ("float32", "float64", "int64", "bool", "float16"):
        for requires_grad in (False, True):
            outcomes = []
            for T in (torch, profundo):
                a, b = T.tensor(x), T.tensor(y)
                a.requires_grad_(requires_grad)
                dt = getattr(T, dtype)
                out = (T.empty(0, dtype=dt), T.empty(0, dtype=T.int64)) if name in _PAIRS else T.empty(0, dtype=dt)
                try:
                    result = _call(T, name, a, b, out)
                except Exception as e:  # noqa: BLE001  (the error type is compared)
                    outcomes.append(type(e))
                    continue
                outs = out if name in _PAIRS else (out,)
                assert all(r is o for r, o in zip(result if name in _PAIRS else (result,), outs))
                outcomes.append([(o.detach().numpy().astype(np.float64), str(o.dtype).split(".")[-1], o._version)
                                 for o in outs])
            ref, ours = outcomes
            if (name, dtype) in _LENIENT:
                continue
            if isinstance(ref, type) or isinstance(ours, type):
                if not (isinstance(ref, type) and isinstance(ours, type) and issubclass(ours, ref)):
                    yield f"{name} out={dtype} requires_grad={requires_grad}: torch {ref}, profundo {ours}"
                continue
            for (rv, rd, rver), (ov, od, over) in zip(ref, ours):
                if rd != od or rver != over or rv.shape != ov.shape or not np.allclose(rv, ov, 1e-3, 1e-3, equal_nan=True):
                    yield f"{name} out={dtype}: torch {rd}{rv.shape} v{rver}, profundo {od}{ov.shape} v{over}"


def test_every_listed_function_takes_out_and_the_methods_do_not():
    for name, (torch_name, rule, _) in OUT_SPECS.items():
        fn = getattr(profundo, name)
        assert fn._out_rule == rule and "out" in inspect.signature(fn).parameters, name
    a, b = lib_tensors(profundo, A, B)
    with pytest.raises(TypeError):
        a.add(b, out=profundo.empty(0))  # torch's methods take no out= either
    with pytest.raises(TypeError):
        a.sum(1, out=profundo.empty(0))


# ---------------------------------------------------------------- autograd
@pytest.mark.parametrize("name,call", [
    ("add", lambda T, a, b, out: T.add(a, b, out=out)),
    ("sub", lambda T, a, b, out: T.subtract(a, b, out=out)),
    ("exp", lambda T, a, b, out: T.exp(a, out=out)),
    ("mm", lambda T, a, b, out: T.mm(a, b.T, out=out)),
    ("cat", lambda T, a, b, out: T.cat([b, a], out=out)),
    ("sum", lambda T, a, b, out: T.sum(a, 0, out=out)),
    ("linalg_vector_norm", lambda T, a, b, out: T.norm(a, dim=0, out=out)),
])
def test_inputs_or_out_that_require_grad_are_refused_with_torchs_message(name, call):
    a, b = lib_tensors(profundo, A, B)
    a.requires_grad_()
    with pytest.raises(RuntimeError) as info:
        call(profundo, a, b, profundo.empty(0))
    assert str(info.value).startswith(f"{name}(): {GRAD_ERROR}") and "Pista:" in str(info.value)
    out = profundo.empty(0, requires_grad=True)
    with pytest.raises(RuntimeError, match="out=..."):
        call(profundo, a.detach(), b, out)
    with profundo.no_grad():  # out of the graph: allowed, and nothing is recorded
        assert call(profundo, a, b, out) is out
    assert out.requires_grad and out.grad_fn is None and out._version == 1


def test_non_differentiable_functions_accept_inputs_that_require_grad(torch):
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        a.requires_grad_()
        idx = T.empty(0, dtype=T.int64)
        T.argmax(a, 1, out=idx)
        assert idx.tolist() == A.argmax(1).tolist()
        T.eq(a, b, out=T.empty(0, dtype=T.bool))


# ---------------------------------------------------------------- tuple outs
def test_max_with_dim_writes_a_values_indices_pair(torch):
    for T in (profundo, torch):
        a, = lib_tensors(T, A)
        values, indices = T.empty(0), T.empty(0, dtype=T.int64)
        result = T.max(a, 1, out=(values, indices))
        assert result.values is values and result.indices is indices and result[0] is values
        assert values.tolist() == A.max(1).tolist() and indices.tolist() == A.argmax(1).tolist()
        assert values._version == indices._version == 1
        with pytest.raises(RuntimeError):  # indices must be int64
            T.max(a, 1, out=(T.empty(0), T.empty(0)))
        with pytest.raises(TypeError):  # two results need two tensors
            T.max(a, 1, out=T.empty(0))
        with pytest.raises(RuntimeError):  # a wrong second out: nothing is written into the first
            T.max(a, 1, out=(values, T.empty(0)))
        assert values._version == 1


def test_sort_and_topk_write_pairs(torch):
    got = []
    for T in (profundo, torch):
        a, = lib_tensors(T, A)
        pair = (T.empty(0), T.empty(0, dtype=T.int64))
        T.sort(a, 1, descending=True, out=pair)
        top = (T.empty(0), T.empty(0, dtype=T.int64))
        T.topk(a, 2, 0, out=top)
        got.append([t.tolist() for t in pair + top])
    assert got[0] == got[1]


def test_out_must_be_a_tensor(torch):
    for T in (profundo, torch):
        a, b = lib_tensors(T, A, B)
        for bad in ([1.0], A.copy()):
            with pytest.raises(TypeError, match="out"):
                T.add(a, b, out=bad)
    with pytest.raises(TypeError, match="out"):  # (torch writes into a temporary tensor made of it)
        profundo.add(*lib_tensors(profundo, A, B), out=3.0)


def test_vector_times_matrix_into_out_matches_torch(torch):
    # (not in the registry: torch's kernel bumps out's version twice for this shape)
    for T in (profundo, torch):
        v, m = T.tensor(A[0]), T.tensor(B.T)
        out = T.empty(0)
        T.matmul(v, m, out=out)
        np.testing.assert_allclose(out.numpy(), A[0] @ B.T, rtol=1e-6)


# ---------------------------------------------------------------- factories
@pytest.mark.parametrize("name,call,expected", [
    ("zeros", lambda T, out: T.zeros(2, 3, out=out), np.zeros((2, 3))),
    ("ones", lambda T, out: T.ones((2, 3), out=out), np.ones((2, 3))),
    ("full", lambda T, out: T.full((2, 3), 2.5, out=out), np.full((2, 3), 2.5)),
    ("arange", lambda T, out: T.arange(1, 4, out=out), np.arange(1, 4)),
    ("empty", lambda T, out: T.empty(2, 3, out=out), None),
    ("rand", lambda T, out: T.rand(2, 3, out=out), None),
    ("randn", lambda T, out: T.randn(2, 3, out=out), None),
])
def test_factories_write_into_out_in_its_dtype(name, call, expected):
    out = profundo.full((5,), 7.0, dtype=profundo.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the resize warning: tested above)
        assert call(profundo, out) is out
    assert out.dtype == profundo.float64 and out._version == 1
    assert out.shape == (expected.shape if expected is not None else (2, 3))
    if expected is not None:
        np.testing.assert_array_equal(out.numpy(), expected)
    if name == "rand":
        assert ((out.numpy() >= 0) & (out.numpy() < 1)).all()


def test_factory_out_follows_torch(torch):
    for T in (profundo, torch):
        out = T.empty(0, dtype=T.int64)
        T.full((2,), 1.5, out=out)  # cast into out's dtype
        assert out.tolist() == [1, 1]
        with pytest.raises(RuntimeError, match="does not match dtype of out parameter"):
            T.zeros(2, dtype=T.float64, out=T.empty(0))
        grad_out = T.empty(0)
        T.zeros(2, out=grad_out, requires_grad=True)
        assert grad_out.requires_grad and grad_out.is_leaf


def test_random_factories_into_out_draw_what_they_would_return():
    profundo.manual_seed(3)
    expected = profundo.randn(2, 3)
    profundo.manual_seed(3)
    out = profundo.empty(0)
    profundo.randn(2, 3, out=out)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_writing_into_a_tensor_saved_for_backward_makes_that_backward_refuse(torch):
    for T in (profundo, torch):
        x = T.tensor(A, requires_grad=True)
        y = x.exp()  # exp saves its output for the backward
        with T.no_grad():
            T.add(y, 1.0, out=y)  # allowed out of grad mode, and it bumps y's version
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
