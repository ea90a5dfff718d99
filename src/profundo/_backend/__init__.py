"""Backends: where every kernel lives.

A backend is an object holding the array module (``be.xp``, NumPy for the CPU)
and the named kernels the ops call (``be.relu``, ``be.softmax``,
``be.reduce_sum``, ``be.scatter_add``, ``be.adam_step``, ...).  Two CPU
backends exist:

- ``reference`` (``reference.py``): the plain formulas, written to be read;
- ``numpy`` (``numpy.py``, the default): subclasses ``reference`` and
  overrides only the kernels it makes faster.

Ops, the engine, the optimizers and ``nn.functional`` reach kernels through
``backend_of(tensor)`` (the backend of the tensor's device) and never import
NumPy for computation; their plain array calls (``xp.where``, ...) use the
tensor's array module too (``xp = backend_of(x).xp`` at the top of a forward
or backward; ``backend_of_device(device)`` in the creation functions, which
have no tensor yet).  Select the CPU backend with
``profundo.set_backend("reference" | "numpy")`` or the environment variable
``PROFUNDO_BACKEND`` (read at import).

The backend belongs to the device: today every tensor is on the CPU, so
``backend_of(t)`` returns the selected CPU backend.  A GPU device will map to a
CuPy backend, a third subclass of ``ReferenceBackend``.  What it will need:

- the array module swap: ``xp = cupy``, ``ndarray = cupy.ndarray``.  The
  ops reach both the named kernels and plain array calls through
  ``backend_of(x)`` (~0.05 us per op); ``tests/test_backends.py`` checks
  that no core module binds NumPy for computation and lists the host-side
  uses (``host_xp`` below: NumPy values a user passes in);
- ``backend_of`` must then pick the backend by the tensor's device (or the
  array's type), and ``backend_of_device`` by the device.  ``Function.apply``
  tests ``out.__class__ is _STATE.cpu.ndarray`` for the common case and falls
  back to ``backend_of`` for any other array, so it needs no change; its
  cache of 0-d arrays for number operands (``autograd.function.scalar_array``)
  holds CPU arrays only and must be keyed by backend too;
- ``check_device`` accepting a GPU device must call
  ``_device.several_devices()``: from then on every op compares the devices
  of its tensors (PyTorch's "Expected all tensors to be on the same device");
- ``is_writeable``: CuPy arrays have no ``flags.writeable``; a broadcast view
  is writeable there, so it must test for zero strides instead;
- ``owns_data``: CuPy has ``flags.owndata`` and ``c_contiguous`` but no
  ``writeable`` flag (return ``owndata and c_contiguous``);
- ``data_ptr``: ``a.data.ptr`` instead of ``a.ctypes.data``;
- ``scatter_add``: ``cupyx.scatter_add`` (or ``cupy.add.at`` in recent CuPy);
- no ``np.frompyfunc`` (Python functions per element): every kernel must be a
  vectorized formula (``erf`` included, see ``_special.py``);
- no NumPy floating-point warnings to silence (see ``_quiet_numpy_warnings``);
- moving data: ``cupy.asarray`` / ``.get()`` in ``Tensor.to``;
- random numbers: drawn on the host by NumPy's generator (``profundo/random.py``:
  one seed gives the same numbers on every device) and handed over with
  ``asarray``; ``random._to_host`` needs the backend's way back (``a.get()``)
  where ``multinomial`` reads probabilities on the host;
- the tuning of ``numpy.py`` (in-place chains, ``einsum`` row sums, direct
  ``ufunc.reduce`` calls) is not inherited, since it subclasses the
  reference; a GPU wants its own (fused ``cupy.ElementwiseKernel`` kernels).
"""
import os
import warnings

import numpy as np

from .._errors import error
from .numpy import NumpyBackend, _rows_for_einsum  # noqa: F401  (_rows_for_einsum: tests)
from .reference import ReferenceBackend

#: every CPU backend, by name
BACKENDS = {"reference": ReferenceBackend(), "numpy": NumpyBackend()}
DEFAULT = "numpy"


class _State:
    __slots__ = ("cpu",)


_STATE = _State()
_STATE.cpu = BACKENDS[DEFAULT]


def _lookup(name, where):
    if not isinstance(name, str):
        raise error(TypeError, where, f"the backend must be a name (str), got {type(name).__name__}",
                    'elige el backend por su nombre: "numpy" o "reference"')
    be = BACKENDS.get(name.strip().lower())
    if be is None:
        raise error(ValueError, where, f"unknown backend {name!r}; expected one of {sorted(BACKENDS)}",
                    'los backends son "numpy" (rápido, por defecto) y "reference" (las fórmulas para leer)')
    return be


def set_backend(name):
    """Select the CPU backend: ``"numpy"`` (the default, fast) or
    ``"reference"`` (the plain formulas, to read and compare against).

    Process-wide, like ``torch.set_default_dtype``.  Tensors keep their
    arrays (both CPU backends use NumPy arrays); the next op computes with
    the new backend's kernels.  ``PROFUNDO_BACKEND=reference`` selects it at
    import instead."""
    _STATE.cpu = _lookup(name, "set_backend")


def get_backend():
    """The name of the selected CPU backend (``"numpy"`` or ``"reference"``),
    as ``matplotlib.get_backend()``; ``profundo._backend.current()`` gives the
    backend object."""
    return _STATE.cpu.name


def current():
    """The selected CPU backend object."""
    return _STATE.cpu


def backend_of(tensor):
    """The backend that computes on ``tensor`` (a tensor, or one of its arrays:
    the optimizers pass arrays): its device's backend.  Every tensor is on the
    CPU today, so this is the selected CPU backend; a GPU device will map to a
    CuPy backend here (by ``tensor.device``, or by the array's type)."""
    return _STATE.cpu


def backend_of_device(device=None):
    """The backend that allocates on ``device`` (None: the default device),
    for the creation functions, which have no tensor to ask.  Every device is
    the CPU today (``check_device`` refuses the others): the selected CPU
    backend."""
    return _STATE.cpu


def _quiet_numpy_warnings():
    """Like PyTorch, a division by zero or a log of a negative number gives
    inf/nan silently inside profundo (anomaly mode finds them).

    NumPy's error state is left alone (``np.seterr`` would silence the
    student's own NumPy and pandas cells too, and ``np.errstate`` around each
    op costs ~1.4 us, half an op's overhead).  Instead NumPy's
    ``RuntimeWarning`` is ignored when it is raised from profundo's own
    modules only: NumPy attributes a floating-point warning to the Python
    frame that called the ufunc.  Free on the common path (nothing is
    checked until NumPy has a warning to give).

    Limits: a student who asks NumPy to raise (``np.seterr(all="raise")``)
    gets ``FloatingPointError`` from profundo's ops too; code that imports
    profundo inside ``warnings.catch_warnings()`` (pytest's collection does)
    loses the filter when the block ends, so pyproject.toml states it again
    for the test suite."""
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"profundo(\.|$)")


_quiet_numpy_warnings()

if os.environ.get("PROFUNDO_BACKEND"):
    _STATE.cpu = _lookup(os.environ["PROFUNDO_BACKEND"], "PROFUNDO_BACKEND")


# ---------------------------------------------------------------- host side
# NumPy itself, for host-side type checks of values a user passes in (a NumPy
# array or scalar operand, a NumPy bool flag): ``from .._backend import xp as host_xp``.
xp = np
