"""Numerical gradient checks, with PyTorch's defaults: compare autograd's
gradients with central finite differences in float64."""
import numpy as np

from ..tensor import Tensor


class GradcheckError(RuntimeError):
    """Autograd's gradient does not match the finite-difference one."""


def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _diff_inputs(inputs):
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor)]


def _numerical_jacobian(func, inputs, i, out_index, eps):
    """Rows: entries of input i; columns: entries of output out_index."""
    flat = inputs[i]._data.flat  # perturbs the input in place, whatever its memory layout
    out = _outputs(func, inputs)[out_index]
    jac = np.zeros((inputs[i]._data.size, out._data.size))
    for k in range(len(jac)):
        orig = flat[k]
        flat[k] = orig + eps
        plus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1).copy()
        flat[k] = orig - eps
        minus = _outputs(func, inputs)[out_index]._data.astype(np.float64).reshape(-1).copy()
        flat[k] = orig
        jac[k] = (plus - minus) / (2 * eps)
    return jac


def _analytical_jacobian(func, inputs, idx, out_index):
    from .engine import grad as autograd_grad
    out = _outputs(func, inputs)[out_index]
    n_out = out._data.size
    jacs = [np.zeros((inputs[i]._data.size, n_out)) for i in idx]
    if not out.requires_grad:
        return jacs
    for j in range(n_out):
        g = np.zeros(out._data.size, out._data.dtype)
        g[j] = 1
        grads = autograd_grad(out, [inputs[i] for i in idx], Tensor._make(g.reshape(out._data.shape)),
                              retain_graph=True, allow_unused=True)
        for col, gr in zip(jacs, grads):
            if gr is not None:
                col[:, j] = gr._data.reshape(-1)
    return jacs


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """True if ``func``'s autograd gradients match finite differences.

    ``inputs``: a tensor or tuple; the ones with ``requires_grad=True`` are
    checked.  Use float64 inputs: float32 is too coarse for ``eps=1e-6``."""
    inputs = _as_tuple(inputs)
    idx = _diff_inputs(inputs)
    for i in idx:
        if inputs[i].dtype.name != "float64":
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point.\nPista: usa dtype=profundo.float64 en gradcheck", UserWarning, stacklevel=2)
    n_outputs = len(_outputs(func, inputs))
    for o in range(n_outputs):
        analytical = _analytical_jacobian(func, inputs, idx, o)
        for i, a in zip(idx, analytical):
            n = _numerical_jacobian(func, inputs, i, o, eps)
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"Jacobian mismatch for output {o} with respect to input {i},\n"
                    f"numerical:{n}\nanalytical:{a}\n"
                    "Pista: el backward de alguna operación no coincide con las diferencias finitas")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **unused):
    """Check second derivatives: gradcheck of the function that maps
    (inputs, grad_outputs) to autograd's gradients (built with create_graph)."""
    from .engine import grad as autograd_grad
    inputs = _as_tuple(inputs)
    idx = _diff_inputs(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor._make(rng.standard_normal(o._data.shape)).requires_grad_() for o in outs
                             if o.requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(func, ins) if o.requires_grad]
        grads = autograd_grad(outs, [ins[i] for i in idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
