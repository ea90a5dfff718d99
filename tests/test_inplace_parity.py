"""Every in-place form against PyTorch's (issue 11, item 4): the value written,
the version counter, the gradient through an in-place op on a non-leaf, the
error for a leaf that requires grad, and the dtype rule (an integer tensor:
PyTorch's result or PyTorch's error type).  The forms are tests/inplace_cases.py."""
import numpy as np
import pytest

import profundo as pf
from inplace_cases import CASES, DOMAINS, NOT_OPS, SHIFTS, W, build_args

torch = pytest.importorskip("torch")

IDS = [c.name for c in CASES]
# PyTorch has no derivative for these in place (NotImplementedError); profundo's is the out-of-place one
NO_TORCH_INPLACE_DERIVATIVE = {"asinh_", "arcsinh_", "acosh_", "arccosh_", "atanh_", "arctanh_"}


def _x(T, case, dtype=None, requires_grad=False):
    return T.tensor(DOMAINS[case.domain], dtype=dtype or T.float64, requires_grad=requires_grad)


def _check_random(case, values):
    if case.random == "normal":
        assert np.isfinite(values).all() and values.std() > 0
    elif case.random == "uniform":
        assert ((0 <= values) & (values < 1)).all()
    elif case.random == "bernoulli":
        assert set(np.unique(values)) <= {0.0, 1.0}
    elif case.random == "exponential":
        assert (values >= 0).all()
    else:
        assert ((0 <= values) & (values < 10)).all() and (values == np.round(values)).all()


def _same_values(case, got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    if case.random:
        _check_random(case, got)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("grad_enabled", [False, True], ids=["no_grad", "grad_mode"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_and_version_like_torch(case, grad_enabled):
    results = {}
    for T in (pf, torch):
        with T.set_grad_enabled(grad_enabled):
            x = _x(T, case)
            v0 = x._version
            out = case.call(x, *build_args(T, case))
        assert out is x
        results[T] = (x.numpy(), x._version - v0)
    (got, bumps), (want, torch_bumps) = results[pf], results[torch]
    _same_values(case, got, torch.tensor(want).numpy())
    assert bumps == torch_bumps == 1


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_through_inplace_on_a_non_leaf_like_torch(case):
    results = {}
    for T in (pf, torch):
        a = _x(T, case, requires_grad=True)
        args = build_args(T, case, requires_grad=True)
        x = a * 1.0  # a non-leaf: in-place ops on it are recorded
        if T is torch and case.name in NO_TORCH_INPLACE_DERIVATIVE:
            with pytest.raises(NotImplementedError, match="derivative for 'inplace version of"):
                case.call(x * 1.0, *args).sum().backward()
            x = getattr(x, case.name[:-1])()  # the reference: PyTorch's out-of-place gradient
        else:
            out = case.call(x, *args)
            assert out is x
        assert x.grad_fn is not None and x.requires_grad
        value = x.detach().numpy().copy()
        if case.diff:
            (x * T.tensor(W)).sum().backward()
        grads = [t.grad for t in [a] + args if isinstance(t, T.Tensor) and t.requires_grad]
        results[T] = value, [None if g is None else g.numpy() for g in grads]
    (got, got_grads), (want, want_grads) = results[pf], results[torch]
    _same_values(case, got, want)
    assert [g is None for g in got_grads] == [g is None for g in want_grads]
    for g, w in zip(got_grads, want_grads):
        if g is not None:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_inplace_on_a_leaf_that_requires_grad_raises_like_torch(case):
    errors = {}
    for T in (pf, torch):
        a = _x(T, case, requires_grad=True)
        with pytest.raises(Exception) as info:
            case.call(a, *build_args(T, case))
        errors[T] = info.value
        assert a._version == 0 and a.grad_fn is None  # refused before writing
        v = _x(T, case, requires_grad=True)[:]  # a view of such a leaf
        with pytest.raises(Exception) as info:
            case.call(v, *build_args(T, case))
        errors[(T, "view")] = info.value
    assert type(errors[torch]) is RuntimeError and isinstance(errors[pf], RuntimeError)
    assert "leaf Variable that requires grad" in str(errors[pf])
    assert type(errors[(torch, "view")]) is RuntimeError and isinstance(errors[(pf, "view")], RuntimeError)


@pytest.mark.parametrize("case", CASES + SHIFTS, ids=[c.name for c in CASES + SHIFTS])
def test_integer_tensor_follows_torchs_dtype_rule(case):
    """On an int64 tensor an in-place op writes its result when PyTorch can cast it
    to int64 (values equal to PyTorch's) and raises PyTorch's error type otherwise."""
    outcome = {}
    for T in (pf, torch):
        x = T.tensor(np.round(DOMAINS[case.domain] * 3), dtype=T.int64)
        v0 = x._version
        try:
            case.call(x, *build_args(T, case))
        except Exception as e:  # noqa: BLE001 - the type is compared with PyTorch's
            outcome[T] = (e, x._version - v0)
        else:
            outcome[T] = (x.numpy().copy(), x._version - v0)
    got, want = outcome[pf], outcome[torch]
    if isinstance(want[0], Exception):
        assert isinstance(got[0], type(want[0])), f"{case.name}: PyTorch raises {want[0]!r}, profundo gave {got[0]!r}"
        assert got[1] == want[1] == 0
    else:
        assert not isinstance(got[0], Exception), f"{case.name}: PyTorch writes the result, profundo raised {got[0]!r}"
        _same_values(case, got[0], want[0])
        assert got[1] == want[1] == 1


def test_every_inplace_method_has_a_case():
    methods = {n for n in dir(pf.Tensor) if n.endswith("_") and not n.startswith("_")} - NOT_OPS
    assert methods - {c.name for c in CASES + SHIFTS} == set()
    for name in methods:
        assert hasattr(torch.Tensor, name), f"{name} is no PyTorch method"


def test_a_saved_tensor_modified_by_any_inplace_form_raises_like_torch():
    """``b = a * a`` saves ``a``; changing ``a`` in place (any form) makes backward raise."""
    for case in CASES:
        if case.random or case.domain != "any":
            continue
        for T in (pf, torch):
            leaf = _x(T, case, requires_grad=True)
            a = leaf * 1.0
            b = a * a
            case.call(a, *build_args(T, case))
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                b.sum().backward()


def test_setitem_casts_like_torch_whatever_the_path():
    """A basic index is a copy_ into a view (any dtype is cast) whether or not the
    assignment is recorded; an advanced index needs the value's dtype (PyTorch's error)."""
    for T in (pf, torch):
        v = T.tensor([1.5, 2.5], dtype=T.float64, requires_grad=True)
        y = T.zeros(2, 2)  # float32, no grad: recorded only because v requires grad
        y[0] = v
        (y * 2).sum().backward()
        assert y.dtype == T.float32 and y.tolist() == [[1.5, 2.5], [0.0, 0.0]] and v.grad.tolist() == [2.0, 2.0]
        z = T.zeros(2, 2)
        with pytest.raises(RuntimeError, match="Index put requires the source and destination dtypes match"):
            z[T.tensor([0])] = v
        z[T.tensor([[True, False], [False, False]])] = T.tensor(7.0, dtype=T.float64)  # one masked value: cast
        assert z.tolist() == [[7.0, 0.0], [0.0, 0.0]]


def test_fill_and_copy_shape_errors_like_torch():
    for T in (pf, torch):
        x = T.zeros(3)
        with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
            x.fill_(T.ones(2))
        with pytest.raises(RuntimeError):
            x.copy_(T.ones(2))
        with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[1, 3\]"):
            x.copy_(T.ones(1, 3))
        y = T.zeros(2, 3)
        y[0] = T.ones(1, 1, 3)  # extra leading size-1 dims are dropped
        assert y.tolist() == [[1.0] * 3, [0.0] * 3]
        assert x._version == 0 and y._version == 1


WITH_TENSOR_ARGS = [c for c in CASES if any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in c.args)]


@pytest.mark.parametrize("case", WITH_TENSOR_ARGS, ids=[c.name for c in WITH_TENSOR_ARGS])
def test_inplace_on_a_plain_tensor_records_when_an_operand_requires_grad(case):
    """``y = zeros(...); y.add_(w)`` with ``w`` requiring grad: ``y`` gets the op's node and
    ``w`` its gradient (the old code wrote the values but recorded nothing: no w.grad)."""
    results = {}
    for T in (pf, torch):
        x = _x(T, case)  # a leaf that does not require grad
        args = build_args(T, case, requires_grad=True)
        case.call(x, *args)
        assert x.requires_grad and x.grad_fn is not None
        value = x.detach().numpy().copy()
        if case.diff:
            (x * T.tensor(W)).sum().backward()
        results[T] = value, [None if a.grad is None else a.grad.numpy() for a in args if isinstance(a, T.Tensor)
                             and a.requires_grad]
    (got, got_grads), (want, want_grads) = results[pf], results[torch]
    _same_values(case, got, want)
    assert [g is None for g in got_grads] == [g is None for g in want_grads]
    for g, w in zip(got_grads, want_grads):
        if g is not None:
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


HOOKED = [c for c in CASES if c.diff and c.name not in NO_TORCH_INPLACE_DERIVATIVE]


@pytest.mark.parametrize("case", HOOKED, ids=[c.name for c in HOOKED])
def test_hooks_and_retain_grad_around_an_inplace_op_like_torch(case):
    """A hook registered before the in-place op sees the gradient of the old value, one
    registered after (and retain_grad) the gradient of the new one, as in PyTorch."""
    results = {}
    for T in (pf, torch):
        a = _x(T, case, requires_grad=True)
        x = a * 2.0
        seen = []
        x.register_hook(lambda g: seen.append(("before", g.numpy().copy())))
        case.call(x, *build_args(T, case))
        x.register_hook(lambda g: seen.append(("after", g.numpy().copy())))
        x.retain_grad()
        (x * T.tensor(W)).sum().backward()
        results[T] = seen, x.grad.numpy(), a.grad.numpy()
    (seen, xg, ag), (tseen, txg, tag) = results[pf], results[torch]
    assert [s for s, _ in seen] == [s for s, _ in tseen]
    for (_, g), (_, t) in zip(seen, tseen):
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xg, txg, rtol=1e-12)
    np.testing.assert_allclose(ag, tag, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", HOOKED, ids=[c.name for c in HOOKED])
def test_changing_the_result_of_an_inplace_op_again_like_torch(case):
    """``x.exp_()`` saves its result, which is ``x``: a second in-place op on ``x`` makes
    backward raise (PyTorch's error); an op that saved no output keeps its gradient."""
    results = {}
    for T in (pf, torch):
        a = _x(T, case, requires_grad=True)
        x = a * 2.0
        case.call(x, *build_args(T, case))
        x.mul_(3.0)
        try:
            (x * T.tensor(W)).sum().backward()
        except RuntimeError as e:
            assert "modified by an inplace operation" in str(e)
            results[T] = None
        else:
            results[T] = a.grad.numpy()
    if results[torch] is None:
        assert results[pf] is None, f"{case.name}: PyTorch raises, profundo computed a gradient"
    else:
        np.testing.assert_allclose(results[pf], results[torch], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", HOOKED, ids=[c.name for c in HOOKED])
def test_inplace_on_a_view_rewrites_its_base_like_torch(case):
    """The form on ``base[1]`` (a view): the base's values, version and gradient (CopySlices)."""
    results = {}
    w = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)
    for T in (pf, torch):
        a = T.tensor(np.stack([DOMAINS[case.domain], DOMAINS[case.domain][::-1]]), requires_grad=True)
        base = a * 1.0
        view = base[1]
        case.call(view, *build_args(T, case, requires_grad=True))
        (base * T.tensor(w)).sum().backward()
        results[T] = base.detach().numpy().copy(), base._version, a.grad.numpy()
    (got, gv, gg), (want, wv, wg) = results[pf], results[torch]
    if case.random:
        np.testing.assert_array_equal(got[0], want[0])  # the rest of the base is untouched
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert gv == wv
    np.testing.assert_allclose(gg, wg, rtol=1e-10, atol=1e-12)


def test_index_fill_errors_like_torch():
    for T in (pf, torch):
        x = T.zeros(2, 3)
        with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 3"):
            x.index_fill_(1, T.tensor([5]), 1.0)
        with pytest.raises(IndexError, match=r"index_fill_\(\): Expected dtype int64 for index"):
            x.index_fill_(1, T.tensor([1.0]), 1.0)
        with pytest.raises(IndexError, match="Dimension out of range"):
            x.index_fill_(3, T.tensor([1]), 1.0)
        assert x._version == 0
        assert x.index_fill_(-1, T.tensor([-1]), 1.0).tolist() == [[0.0, 0.0, 1.0]] * 2
