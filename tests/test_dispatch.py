"""One dispatch path (issue 11, item 4) and honest saved tensors (item 5).

Every form of an op -- ``profundo.add(x, y)``, ``x.add(y)``, ``x + y`` and
``x.add_(y)`` -- reaches the op's ``Function.apply`` and gives the same values
and gradients; ``ctx.save_for_backward`` takes only tensors and None, with
PyTorch's TypeError otherwise.  No PyTorch needed (the texts are PyTorch's).
"""
import numpy as np
import pytest

import profundo as pf
from profundo.autograd import Function
from profundo.ops import elementwise as ew

# name: (op class, function form, method form, operator form, in-place form, second operand)
FORMS = {
    "add": (ew.Add, lambda x, y: pf.add(x, y), lambda x, y: x.add(y), lambda x, y: x + y,
            lambda x, y: x.add_(y), "tensor"),
    "add_number": (ew.Add, lambda x, y: pf.add(x, y), lambda x, y: x.add(y), lambda x, y: x + y,
                   lambda x, y: x.add_(y), 0.5),
    "radd": (ew.Add, lambda x, y: pf.add(x, y), lambda x, y: x.add(y), lambda x, y: y + x,
             lambda x, y: x.add_(y), 0.5),
    "sub": (ew.Sub, lambda x, y: pf.sub(x, y), lambda x, y: x.sub(y), lambda x, y: x - y,
            lambda x, y: x.sub_(y), "tensor"),
    "mul": (ew.Mul, lambda x, y: pf.mul(x, y), lambda x, y: x.mul(y), lambda x, y: x * y,
            lambda x, y: x.mul_(y), "tensor"),
    "mul_number": (ew.Mul, lambda x, y: pf.mul(x, y), lambda x, y: x.mul(y), lambda x, y: x * y,
                   lambda x, y: x.mul_(y), 1.5),
    "rmul": (ew.Mul, lambda x, y: pf.mul(x, y), lambda x, y: x.mul(y), lambda x, y: y * x,
             lambda x, y: x.mul_(y), 1.5),
    "div": (ew.Div, lambda x, y: pf.div(x, y), lambda x, y: x.div(y), lambda x, y: x / y,
            lambda x, y: x.div_(y), "tensor"),
    "pow": (ew.Pow, lambda x, y: pf.pow(x, y), lambda x, y: x.pow(y), lambda x, y: x ** y,
            lambda x, y: x.pow_(y), 2.0),
    "neg": (ew.Neg, lambda x, y: pf.neg(x), lambda x, y: x.neg(), lambda x, y: -x, lambda x, y: x.neg_(), None),
    "abs": (ew.Abs, lambda x, y: pf.abs(x), lambda x, y: x.abs(), lambda x, y: abs(x), lambda x, y: x.abs_(), None),
    "exp": (ew.Exp, lambda x, y: pf.exp(x), lambda x, y: x.exp(), None, lambda x, y: x.exp_(), None),
    "tanh": (ew.Tanh, lambda x, y: pf.tanh(x), lambda x, y: x.tanh(), None, lambda x, y: x.tanh_(), None),
    "sigmoid": (ew.Sigmoid, lambda x, y: pf.sigmoid(x), lambda x, y: x.sigmoid(), None,
                lambda x, y: x.sigmoid_(), None),
    "relu": (ew.Relu, lambda x, y: pf.relu(x), lambda x, y: x.relu(), None, lambda x, y: x.relu_(), None),
}

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.3]])
Y = np.array([[1.5, 0.5, -2.0], [0.25, -1.0, 3.0]])


def _operands(second, dtype, requires_grad):
    x = pf.tensor(X, dtype=dtype, requires_grad=requires_grad)
    y = pf.tensor(Y, dtype=dtype, requires_grad=requires_grad) if second == "tensor" else second
    return x, y


def _forms(case):
    _, fn, method, operator, inplace, _ = FORMS[case]
    out = {"function": fn, "method": method}
    if operator is not None:
        out["operator"] = operator
    # in place on a non-leaf copy (a leaf that requires grad refuses in-place ops, as in PyTorch)
    out["in-place"] = lambda x, y: inplace(x.clone(), y)
    return out


@pytest.mark.parametrize("dtype", [pf.float32, pf.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", list(FORMS))
def test_every_form_gives_the_same_values_and_gradients(case, dtype):
    second = FORMS[case][5]
    results = {}
    for form, f in _forms(case).items():
        x, y = _operands(second, dtype, True)
        out = f(x, y)
        assert out.dtype == dtype and out.grad_fn is not None
        out.backward(pf.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=dtype))
        grads = [x.grad.numpy()] + ([y.grad.numpy()] if isinstance(y, pf.Tensor) else [])
        with pf.no_grad():
            x0, y0 = _operands(second, dtype, False)
            plain = f(x0, y0)
        results[form] = (out.detach().numpy(), plain.numpy(), grads)
    ref_out, ref_plain, ref_grads = results["function"]
    np.testing.assert_array_equal(ref_out, ref_plain)  # recorded and no-grad forward: the same values
    for form, (out, plain, grads) in results.items():
        np.testing.assert_array_equal(out, ref_out, err_msg=form)
        np.testing.assert_array_equal(plain, ref_plain, err_msg=form)
        for g, r in zip(grads, ref_grads):
            np.testing.assert_array_equal(g, r, err_msg=form)


@pytest.mark.parametrize("recorded", [False, True], ids=["no_grad", "recorded"])
@pytest.mark.parametrize("case", list(FORMS))
def test_every_form_reaches_the_ops_apply(case, recorded, monkeypatch):
    op = FORMS[case][0]
    calls = []
    original = op.__dict__.get("apply", None)
    apply = op.apply.__func__

    def spy(cls, *args, **kwargs):
        calls.append(cls)
        return apply(cls, *args, **kwargs)

    monkeypatch.setattr(op, "apply", classmethod(spy))
    second = FORMS[case][5]
    forms = _forms(case)
    for form, f in forms.items():
        calls.clear()
        x, y = _operands(second, pf.float32, recorded)
        if recorded:
            f(x, y)
        else:
            with pf.no_grad():
                f(x, y)
        assert calls == [op], f"{case}: the {form} form did not go through {op.__name__}.apply"
    assert original is None  # the spy replaced the inherited Function.apply only


def test_no_grad_fast_path_keeps_the_forward_semantics():
    # what the forward does beyond the kernel: dtype promotion, integer true division, broadcasting errors
    i = pf.tensor([1, 2, 3])
    assert (i / 2).dtype == pf.float32 and (i + 0.5).dtype == pf.float32
    assert (pf.ones(2, dtype=pf.float16) * 1e5).dtype == pf.float16
    assert (pf.ones(2, dtype=pf.float32) + pf.ones(2, dtype=pf.float64)).dtype == pf.float64
    assert (pf.tensor(2.0) * pf.tensor(3.0)).shape == ()  # a 0-d result stays a tensor
    assert isinstance((pf.tensor(2.0) * 3.0)._data, np.ndarray)
    with pytest.raises(RuntimeError, match="must match the size"):
        pf.ones(2) + pf.ones(3)
    with pytest.raises(TypeError, match="unsupported operand"):
        pf.ones(2) + "a"
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        -pf.tensor([True])


# ------------------------------------------------------------ item 5: saved tensors
class SavesTuple(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward((x, y))  # a tuple: PyTorch refuses it
        return x * y

    @staticmethod
    def backward(ctx, g):
        ((x, y),) = ctx.saved_tensors
        return g * y, g * x


def test_save_for_backward_refuses_a_tuple_like_torch():
    # before issue 11 the tuple was taken for an internal record and the gradient was silently wrong
    x = pf.tensor([1.0, 2.0], requires_grad=True)
    y = pf.tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 0 is of type "
                                        "tuple") as e:
        SavesTuple.apply(x, y)
    assert "Pista" in str(e.value)


@pytest.mark.parametrize("value,name", [(3.0, "float"), (2, "int"), ([1.0], "list"),
                                        (np.ones(2), "numpy.ndarray")])
def test_save_for_backward_names_the_argument_and_type(value, name):
    class F(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, None, value)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = pf.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=f"argument 2 is of type {name}$|argument 2 is of type {name}\n"):
        F.apply(x)
    with pf.no_grad():  # nothing recorded, nothing checked (as in PyTorch)
        assert F.apply(x).item() == 2.0


def test_saved_none_and_tensors_come_back_in_order():
    seen = []

    class F(Function):
        @staticmethod
        def forward(ctx, x, w):
            y = x * w
            ctx.save_for_backward(None, w, y, x)
            return y

        @staticmethod
        def backward(ctx, g):
            saved = ctx.saved_tensors
            seen.append(saved)
            none, w, y, x = saved
            return g * w, g * x

    x = pf.tensor([1.0, 2.0], requires_grad=True)
    w = pf.tensor([3.0, 5.0], requires_grad=True)
    F.apply(x, w).sum().backward()
    none, w2, y, x2 = seen[0]
    assert none is None and w2 is w and x2 is x
    np.testing.assert_array_equal(y.detach().numpy(), [3.0, 10.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_saved_values_are_explicit_records():
    from profundo.autograd.function import SavedOutput, SavedTensor
    x = pf.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()           # saves its output
    z = x * 3.0           # the recorded kernel path: the inputs as given, with their versions
    w = x.clamp(0.0, 1.5)  # a forward that saves an input: packed as a record
    assert [type(s) for s in y.grad_fn._saved] == [SavedOutput]
    assert z.grad_fn._saved[0] is x and z.grad_fn._saved[1] == 3.0 and z.grad_fn._versions == (0, None)
    assert SavedTensor in [type(s) for s in w.grad_fn._saved]
    (out,) = y.grad_fn.saved_tensors
    assert out.grad_fn is y.grad_fn and np.array_equal(out.detach().numpy(), y.detach().numpy())


# ------------------------------------------------------------ discoverable methods
def test_every_public_op_function_and_method_has_a_docstring():
    import pydoc

    from profundo.ops import _METHODS, FUNCTIONS
    assert [n for n, f in FUNCTIONS.items() if not (getattr(pf, n).__doc__ or "").strip()] == []
    methods = [n for n, f in _METHODS.items() if not n.startswith("__") and not isinstance(f, property)]
    assert [n for n in methods if not (getattr(pf.Tensor, n).__doc__ or "").strip()] == []
    for obj in (pf.sum, pf.Tensor.sum):
        text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
        assert "sum(input, dim=None, keepdim=False, *, dtype=None" in text  # the function adds out=None
        assert "Returns the sum of all elements" in text


def _stub_names(text):
    import ast
    tree = ast.parse(text)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor"]
    names = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
    return names


def test_the_tensor_stub_is_in_sync_with_the_class():
    from profundo import _stubgen
    text = _stubgen.stub_path().read_text(encoding="utf-8")
    assert text == _stubgen.generate(), "src/profundo/tensor.pyi is out of date: run python -m profundo._stubgen"
    names = _stub_names(text)
    public = {n for n in vars(pf.Tensor) if not n.startswith("_") or (n.startswith("__") and n.endswith("__"))}
    public -= {"__dict__", "__weakref__", "__module__", "__qualname__", "__doc__"}
    assert public <= names
    assert {"sum", "exp", "view", "add_", "__add__", "T", "grad", "backward"} <= names


def test_the_stub_check_fails_when_a_method_is_added(monkeypatch):
    from profundo import _stubgen

    def brand_new(self):
        """A method added without regenerating the stub."""

    monkeypatch.setattr(pf.Tensor, "brand_new", brand_new, raising=False)
    text = _stubgen.generate()
    assert "def brand_new(self):" in text
    assert text != _stubgen.stub_path().read_text(encoding="utf-8")
    assert _stubgen.main(["--check"]) == 1


def _kernel_ops():
    from profundo.autograd.function import Function as Base
    found, todo = [], list(Base.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__dict__.get("kernel") is not None:
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def _kernel_cases(op, dtype):
    import inspect
    n = len(inspect.signature(op.forward).parameters) - 1
    if op.__name__ in ("Mm", "Bmm"):  # matrix products: 2-D (and batched) operands, no numbers
        rng = np.random.default_rng(0)
        shape_a, shape_b = ((3, 4), (4, 2)) if op.__name__ == "Mm" else ((2, 3, 4), (2, 4, 2))
        return [(pf.from_numpy(rng.standard_normal(shape_a).astype(dtype)),
                 pf.from_numpy(rng.standard_normal(shape_b).astype(dtype)))]
    a = pf.from_numpy(np.array([0.25, 1.5, 2.0, 3.5], dtype=dtype))
    return [(a,)] if n == 1 else [(a, pf.from_numpy(np.array([2.0, 0.5, -1.0, 4.0], dtype=dtype))), (a, 0.75)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=["f32", "f64", "f16"])
@pytest.mark.parametrize("op", _kernel_ops(), ids=lambda c: c.__name__)
def test_the_no_grad_kernel_is_exactly_the_forward(op, dtype):
    """An op that names a ``kernel`` promises that its forward, on same-dtype
    floats, is that NumPy function: the no-grad fast path and the forward agree."""
    for args in _kernel_cases(op, dtype):
        with pf.no_grad():
            fast = op.apply(*args)
        slow = op.forward(op._backward_cls(), *args)
        assert fast.dtype.name == np.dtype(dtype).name
        np.testing.assert_array_equal(fast.numpy(), np.asarray(slow))
        assert np.asarray(slow).dtype == fast.numpy().dtype


def _values(items):
    return [x.detach().numpy() if isinstance(x, pf.Tensor) else np.asarray(x) for x in items]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("op", [c for c in _kernel_ops() if c.kernel_saves is not None], ids=lambda c: c.__name__)
def test_the_recorded_kernel_path_saves_what_the_forward_saves(op, dtype):
    """``kernel_saves`` lets a recorded call take the kernel path too: it must
    give the forward's result and save what the forward saves."""
    assert op.kernel_saves in ("nothing", "inputs", "output")
    for args in _kernel_cases(op, dtype):
        args = tuple(a.detach().requires_grad_() if isinstance(a, pf.Tensor) else a for a in args)
        fast = op.apply(*args)
        ctx = op._backward_cls()
        slow = op.forward(ctx, *args)
        np.testing.assert_array_equal(fast.detach().numpy(), np.asarray(slow))
        saved_slow = ctx._saved or ()
        saved_fast = fast.grad_fn.saved_tensors
        assert len(saved_fast) == len(saved_slow)
        for f, s in zip(_values(saved_fast), _values(saved_slow)):
            np.testing.assert_array_equal(f, s)
        for f, s in zip(saved_fast, saved_slow):  # the inputs themselves, not copies
            if any(s is a for a in args):
                assert f is s


def test_the_recorded_kernel_path_checks_the_versions_it_saw():
    """The kernel path keeps the inputs themselves and the versions they had when
    the op ran: a weight updated in place before the op is fine, one updated
    after it (before backward) raises PyTorch's error, as with packed records."""
    x = pf.tensor([[1.0, 2.0]])
    w = pf.nn.Parameter(pf.tensor([[0.5], [0.25]]))
    with pf.no_grad():
        w.add_(1.0)
        w.mul_(2.0)  # version 2 before the product
    y = x @ w
    assert y.grad_fn._versions == (0, 2)
    y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0], [2.0]])
    with pf.no_grad():
        w.sub_(1.0)
    with pytest.raises(RuntimeError, match="is at version 3; expected version 2"):
        y.sum().backward()
    b = pf.tensor([1.0, -2.0], requires_grad=True) * 1
    z = b * 3.0  # a number operand: no version to check
    assert z.grad_fn._versions == (0, None)
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        z.sum().backward()


@pytest.mark.parametrize("name", ["relu", "sigmoid"])
def test_a_kernel_named_after_a_backend_method(name):
    """Relu and Sigmoid name kernels NumPy lacks: ``op_kernel`` gives the backend's own
    method, which the no-grad in-place form calls with ``out=`` the tensor's own array."""
    from profundo._backend import backend_of
    x = pf.tensor([-1.5, 0.0, 2.0, -0.25])
    be = backend_of(x)
    assert be.op_kernel(name) == getattr(be, name)
    expected = getattr(x, name)().numpy()  # the out-of-place form
    with pf.no_grad():
        y = x.clone()
        ptr = y.data_ptr()
        getattr(y, name + "_")()
    assert y.data_ptr() == ptr and y._version == 1
    np.testing.assert_array_equal(y.numpy(), expected)
    reference = {"relu": np.maximum(x.numpy(), 0), "sigmoid": 1 / (1 + np.exp(-x.numpy()))}[name]
    np.testing.assert_allclose(expected, reference, rtol=1e-6)


def test_no_grad_kernel_comes_from_the_tensors_backend(monkeypatch):
    # the fast path asks the tensor's backend for the op's kernel (a CuPy backend brings its own)
    from profundo._backend import backend_of
    x = pf.tensor([0.5, 1.0])
    be = backend_of(x)
    seen = []

    def op_kernel(name):
        seen.append(name)
        f = getattr(np, name)
        return lambda *a, **k: f(*a, **k) * 0 + 7  # a marker: not NumPy's own result

    monkeypatch.setattr(be, "op_kernel", op_kernel)
    monkeypatch.setattr(be, "op_kernels", {})
    with pf.no_grad():
        assert x.exp().tolist() == [7.0, 7.0]
        y = x.clone()
        y.mul_(2.0)  # the in-place form asks the same backend
    assert seen == ["exp", "multiply"]


def test_inplace_no_grad_errors_and_versions():
    x = pf.zeros(3)
    v = x._version
    with pf.no_grad():
        x.add_(pf.ones(3))
        x += 1
        x.exp_()
    assert x._version == v + 3 and np.allclose(x.numpy(), np.exp(2.0))
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        pf.zeros(3).add_(pf.ones(2, 3))
    with pytest.raises(RuntimeError, match="more than one element"):
        pf.zeros(1).expand(3).add_(1.0)
    with pytest.raises(RuntimeError, match="can't be cast"):
        pf.zeros(3, dtype=pf.int64).add_(0.5)
    i = pf.tensor([4, 6])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.div_(2)
    d = pf.zeros(3, dtype=pf.float64)
    d.add_(pf.ones(3, dtype=pf.float32))  # a float32 operand into float64: promoted, written
    assert d.dtype == pf.float64 and d.tolist() == [1.0, 1.0, 1.0]


def test_inplace_update_of_a_parameter_writes_into_its_array():
    # d2l's hand-written SGD: p -= lr * p.grad under no_grad keeps p's array (no out-of-place copy)
    p = pf.nn.Parameter(pf.ones(3))
    arr = p._data
    with pf.no_grad():
        p -= 0.5 * pf.ones(3)
        p.mul_(pf.nn.Parameter(pf.full((3,), 2.0)))
    assert p._data is arr and p.tolist() == [1.0, 1.0, 1.0] and p.requires_grad


def test_no_grad_numbers_keep_their_sign_and_dtype():
    # the fast path reuses 0-d arrays of numbers; -0.0 and 0.0 must stay apart, dtypes too
    x = pf.tensor([1.0, -2.0])
    with pf.no_grad():
        for _ in range(2):
            assert np.signbit((x * 0.0).numpy()).tolist() == [False, True]
            assert np.signbit((x * -0.0).numpy()).tolist() == [True, False]
            assert (x.double() * 1.1).dtype == pf.float64 and (x * 1.1).dtype == pf.float32
            assert (x.double() * 1.1).tolist() == [1.1, -2.2]
            assert np.isnan((x * float("nan")).numpy()).all()


# ---------------------------------------------------------------- every in-place form (tests/inplace_cases.py)
from inplace_cases import CASES as INPLACE_CASES, DOMAINS, SHIFTS, build_args  # noqa: E402


def _inplace_operand(case, recorded):
    if case in SHIFTS:
        return pf.tensor(np.round(DOMAINS["any"] * 3), dtype=pf.int64), build_args(pf, case)
    x = pf.tensor(DOMAINS[case.domain], dtype=pf.float64, requires_grad=recorded)
    return (x * 1.0 if recorded else x), build_args(pf, case, requires_grad=recorded)


@pytest.mark.parametrize("recorded", [False, True], ids=["no_grad", "recorded"])
@pytest.mark.parametrize("case", INPLACE_CASES + SHIFTS, ids=[c.name for c in INPLACE_CASES + SHIFTS])
def test_every_inplace_form_is_its_ops_apply_with_out(case, recorded, monkeypatch):
    """``x.<op>_(...)`` (and ``x[i] = v``, ``x += y``) is ``Op.apply(x, ..., out=x)``: one call
    of the in-place path of apply (``_apply_into``) writes into x (or, for ``x[i] = v``, into the
    view ``x[i]``), whatever grad mode says, so every form gets the same checks."""
    from profundo.autograd import function

    calls = []
    into = function._apply_into

    def spy(cls, args, out):
        calls.append((cls.__name__, out))
        return into(cls, args, out)

    monkeypatch.setattr(function, "_apply_into", spy)
    x, args = _inplace_operand(case, recorded and case not in SHIFTS)
    v = x._version
    assert case.call(x, *args) is x
    into_x = [name for name, out in calls if np.shares_memory(out._data, x._data)]
    assert into_x == [case.op], f"{case.name}: {calls}"
    assert x._version == v + 1
