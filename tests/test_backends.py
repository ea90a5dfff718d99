"""The two CPU backends: selection, their agreement on every op of the
registry, and no process-wide side effects of ``import profundo``."""
import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import profundo
from profundo._backend import BACKENDS, NumpyBackend, ReferenceBackend, backend_of
from registry import OPS, build, samples_of

SRC = str(Path(__file__).resolve().parent.parent / "src")


def run_python(code, **env):
    """Run ``code`` in a fresh interpreter that imports this tree's profundo."""
    full_env = {k: v for k, v in os.environ.items() if k != "PROFUNDO_BACKEND"}
    full_env.update(PYTHONPATH=SRC, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120)


# ---------------------------------------------------------------- selection
def test_set_backend_and_get_backend():
    before = profundo.get_backend()
    try:
        profundo.set_backend("reference")
        assert profundo.get_backend() == "reference"
        assert backend_of(profundo.zeros(2)) is BACKENDS["reference"]
        profundo.set_backend("numpy")
        assert profundo.get_backend() == "numpy"
        assert backend_of(profundo.zeros(2)) is BACKENDS["numpy"]
    finally:
        profundo.set_backend(before)


def test_default_backend_is_numpy():
    r = run_python("import profundo; print(profundo.get_backend())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "numpy"


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown backend 'cupy'.*\n.*Pista:") as e:
        profundo.set_backend("cupy")
    assert "numpy" in str(e.value) and "reference" in str(e.value)
    with pytest.raises(TypeError, match="Pista:"):
        profundo.set_backend(None)
    assert profundo.get_backend() in BACKENDS  # unchanged by the refused calls


def test_environment_variable_selects_the_backend():
    r = run_python("import profundo; print(profundo.get_backend())", PROFUNDO_BACKEND="reference")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "reference"


def test_unknown_backend_in_the_environment_variable_fails_at_import():
    r = run_python("import profundo", PROFUNDO_BACKEND="fast")
    assert r.returncode != 0
    assert "PROFUNDO_BACKEND: unknown backend 'fast'" in r.stderr and "Pista:" in r.stderr


def test_the_numpy_backend_only_overrides_reference_kernels():
    """The difference between the two files is exactly the performance work:
    every public method of NumpyBackend overrides a kernel of the reference,
    and every override says what it buys."""
    for name, fn in vars(NumpyBackend).items():
        if name.startswith("_") or not callable(fn):
            continue
        assert hasattr(ReferenceBackend, name), name
        src = inspect.getsource(fn)
        assert "#" in src or fn.__doc__, f"{name}: say what the override buys"


# ---------------------------------------------------------------- agreement on the registry
def _build(sample, dtype, requires_grad):
    return build(profundo, sample, dtype, requires_grad)


def _run(op, sample, dtype, requires_grad):
    """Outputs and input gradients of one op on one sample, on the selected backend."""
    args, leaves = _build(sample, dtype, requires_grad)
    out = op.fn(profundo, *args, **sample.kwargs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    values = [o.detach().numpy().copy() if isinstance(o, profundo.Tensor) else np.asarray(o) for o in outs]
    grads = []
    if requires_grad:
        diff = [o for o in outs if isinstance(o, profundo.Tensor) and o.requires_grad]
        if diff:
            rng = np.random.default_rng(1)
            ups = [profundo.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype) for o in diff]
            profundo.autograd.backward(diff, ups)
        grads = [None if t.grad is None else t.grad.numpy().copy() for t in leaves]
    return values, grads


def _params():
    for op in OPS:
        for i, sample in enumerate(samples_of(op)):
            yield pytest.param(op, sample, id=f"{op.name}-{i}")


TOL = {np.float32: dict(rtol=1.3e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("op,sample", list(_params()))
def test_backends_agree_on_values_and_gradients(op, sample, dtype):
    before = profundo.get_backend()
    results = {}
    try:
        for name in ("reference", "numpy"):
            profundo.set_backend(name)
            profundo.manual_seed(0)  # random ops (dropout...) draw the same numbers
            results[name] = _run(op, sample, dtype, op.grad and not op.nondeterministic_grad)
    finally:
        profundo.set_backend(before)
    (ref_values, ref_grads), (np_values, np_grads) = results["reference"], results["numpy"]
    assert len(ref_values) == len(np_values)
    for r, n in zip(ref_values, np_values):
        assert r.dtype == n.dtype and r.shape == n.shape
        np.testing.assert_allclose(n, r, equal_nan=True, **TOL[dtype])
    for r, n in zip(ref_grads, np_grads):
        assert (r is None) == (n is None)
        if r is not None:
            np.testing.assert_allclose(n, r, equal_nan=True, **TOL[dtype])


def test_backends_agree_on_the_fast_paths_of_large_arrays():
    """The NumPy backend's einsum row sums and cached zeros only start on
    larger arrays than the registry's samples: compare those too."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 784)).astype(np.float32)
    g = rng.standard_normal((64, 784)).astype(np.float32)
    ref, fast = BACKENDS["reference"], BACKENDS["numpy"]
    for kernel, args in [("relu", (a,)), ("leaky_relu", (a, 0.1)), ("sigmoid", (a,)), ("softmax", (a, 1)),
                         ("softmax_backward", (g, ref.softmax(a, 1), 1)), ("tanh_backward", (g, np.tanh(a))),
                         ("sigmoid_backward", (g, ref.sigmoid(a))), ("relu_backward", (g, ref.relu(a))),
                         ("log_softmax_backward", (g, ref.softmax(a, 1), 1))]:
        np.testing.assert_allclose(getattr(fast, kernel)(*args), getattr(ref, kernel)(*args), rtol=2e-6,
                                   atol=2e-6, err_msg=kernel)
    for kernel, args in [("log_softmax", (a, 1)), ("elu", (a, 1.0)), ("elu", (a, 0.5)), ("silu", (a,))]:
        for r, n in zip(getattr(ref, kernel)(*args), getattr(fast, kernel)(*args)):  # (value, saved array)
            assert n.dtype == r.dtype and n.shape == r.shape, kernel
            np.testing.assert_allclose(n, r, rtol=2e-6, atol=2e-6, err_msg=kernel)
    exact = a.astype(np.float64).sum(-1, keepdims=True)  # two summation orders: both near the exact sums
    for be in (ref, fast):
        np.testing.assert_allclose(be.row_sum(a), exact, rtol=2e-5, atol=2e-5 * np.sqrt(a.shape[-1]))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_against_zeros_of_its_shape_gives_the_same_results_as_against_a_0d_zero(dtype):
    """relu takes max against zeros of x's shape (NumPy's faster loop) from 4096 elements up to 1 MiB,
    a 0-d zero otherwise: the same values either way, signed zeros, NaN and infinities included."""
    fast = BACKENDS["numpy"]
    a = np.random.default_rng(0).standard_normal((64, 128)).astype(dtype)
    a.flat[:8] = [-0.0, 0.0, np.nan, np.inf, -np.inf, 1e-4, -1e-4, 3]
    zeros = fast._zeros_of(a)
    assert zeros.shape == a.shape and zeros.dtype == a.dtype and not zeros.any() and not zeros.flags.writeable
    for small in (a[:2], a.T, np.zeros(((1 << 20) // a.itemsize) + 1, dtype)):  # too small, not contiguous, > 1 MiB
        assert fast._zeros_of(small).shape == ()
    zero = fast._zero(a.dtype)

    def same(got, want):  # equal values, and equal signs of the zeros
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))

    same(fast.relu(a), np.maximum(a, zero))
    x = a.copy()
    assert fast.relu(x, out=x) is x  # the in-place form (x.relu_() under no_grad) writes into x
    same(x, np.maximum(a, zero))


def test_backends_agree_on_an_adam_step():
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((8, 5)).astype(np.float32) for _ in range(4)]
    finals = []
    for name in ("reference", "numpy"):
        param, grad, m, v = (a.copy() for a in start)
        v = np.abs(v)
        mx = v.copy()
        for step in (1, 2, 3):
            BACKENDS[name].adam_step(param, grad, m, v, mx, 1e-2, 0.9, 0.999, 1e-8, 1 - 0.9 ** step,
                                     np.sqrt(1 - 0.999 ** step))
        finals.append((param, m, v, mx))
    for r, n in zip(*finals):
        np.testing.assert_allclose(n, r, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- no process-wide side effects
def test_import_profundo_leaves_numpy_error_state_unchanged():
    for state in ("", "np.seterr(divide='raise', over='warn', under='print', invalid='ignore')\n"):
        r = run_python("import numpy as np\n" + state + "before = np.geterr()\nimport profundo\n"
                       "x = profundo.tensor([1.0, 2.0], requires_grad=True)\n"
                       "(x.exp() / x).sum().backward()\n"
                       "assert np.geterr() == before, (np.geterr(), before)\n")
        assert r.returncode == 0, r.stderr


def test_profundo_is_quiet_on_inf_and_nan_but_the_students_numpy_still_warns():
    """As PyTorch, 1/0 and log(-1) give inf/nan silently inside profundo; a
    NumPy cell of the student's own keeps NumPy's warnings."""
    r = run_python("import numpy as np, profundo\n"
                   "x = profundo.tensor([1.0, -1.0, 0.0], requires_grad=True)\n"
                   "y = (x / 0).sum() + x.log().sum() + x.exp().mul(1e38).sum() + (-x * 100).sigmoid().sum()\n"
                   "y.backward()\n"
                   "with profundo.no_grad():\n"
                   "    z = x / 0, x.log(), x.softmax(0), profundo.tensor([1e38]) * 1e38\n"
                   "print('quiet')\n"
                   "np.array([1.0]) / np.array([0.0])\n", PYTHONWARNINGS="error::RuntimeWarning")
    assert "quiet" in r.stdout, r.stderr
    assert r.returncode != 0 and "RuntimeWarning: divide by zero" in r.stderr


# ---------------------------------------------------------------- the seam stays in place
CORE = Path(SRC) / "profundo"
CORE_FILES = sorted([*CORE.glob("ops/*.py"), *CORE.glob("autograd/*.py"), *CORE.glob("optim/*.py"),
                     *CORE.glob("nn/utils/*.py"), CORE / "nn" / "functional.py", CORE / "nn" / "init.py"])
# host-side code, which stays NumPy whatever the device (as PyTorch keeps these on the CPU)
HOST_SIDE = {"autograd/gradcheck.py": "finite differences in float64 on the host",
             "optim/optimizer.py": "the step counter, a host-side float32 as PyTorch's"}
# features a CuPy backend lacks: only a backend may use them
NUMPY_ONLY = [".flags.writeable", "np.seterr", "__array_interface__", ".ctypes", "frompyfunc"]


def test_the_core_computes_through_the_backend():
    """Ops, the engine, the optimizers, nn.functional, nn.init and nn.utils import
    no NumPy for computation and use no NumPy-only array feature: those
    live in profundo/_backend, so a CuPy backend can replace them."""
    for path in CORE_FILES:
        rel = path.relative_to(CORE).as_posix()
        src = path.read_text()
        if rel not in HOST_SIDE:
            assert "import numpy" not in src, f"{rel}: compute through backend_of(x) / the backend's xp"
        for feature in NUMPY_ONLY:
            assert feature not in src, f"{rel} uses {feature!r}, which only a NumPy backend may"
    assert "frompyfunc" not in (CORE / "_backend" / "reference.py").read_text()  # kernels are vectorized


# Files that may still bind the process-wide ``xp`` (NumPy) at module level, and why.  Everywhere
# else an array call uses the array module of the tensor at hand: ``xp = backend_of(x).xp``.
MODULE_XP = {}
# files that read host-side NumPy (``host_xp``): values a user passes in, not device arrays
HOST_XP = {"ops/_base.py": "a NumPy array or scalar operand from the user",
           "ops/sorting.py": "a NumPy bool passed as a flag"}
XP_FILES = sorted({*CORE_FILES, CORE / "creation.py", CORE / "tensor.py"})


def _xp_binders(fn):
    """Whether function ``fn`` binds the name ``xp`` itself (a parameter or an assignment)."""
    params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]
    return "xp" in params or any(isinstance(n, ast.Name) and n.id == "xp" and isinstance(n.ctx, ast.Store)
                                 for n in ast.walk(fn))


def test_array_calls_use_the_tensors_backend():
    """No op, engine, optimizer, nn.functional or creation code computes with a
    module-level ``xp``: every ``xp.`` is the array module of a tensor's backend,
    bound in the function that uses it, so a CuPy tensor will compute with CuPy."""
    for path in XP_FILES:
        rel = path.relative_to(CORE).as_posix()
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in tree.body:  # module-level imports
            if isinstance(node, ast.ImportFrom):
                names = {a.asname or a.name for a in node.names}
                if rel not in MODULE_XP:
                    assert "xp" not in names, f"{rel}: use xp = backend_of(tensor).xp inside the function"
                if rel not in HOST_XP:
                    assert "host_xp" not in names, f"{rel}: host-side NumPy only where HOST_XP says why"
        if rel in MODULE_XP:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "xp" and isinstance(node.ctx, ast.Load):
                scope = parents.get(node)
                while scope is not None and not (isinstance(scope, ast.FunctionDef) and _xp_binders(scope)):
                    scope = parents.get(scope)
                assert scope is not None, f"{rel}:{node.lineno}: xp used without binding it from a backend"
