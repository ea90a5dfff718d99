"""Random numbers: one NumPy Generator behind ``profundo.manual_seed``.

``profundo.manual_seed(0)`` makes every random function (and ``uniform_``,
``normal_``, dropout masks, DataLoader shuffling...) repeat exactly.  The
streams are NumPy's (PCG64), so the numbers differ from PyTorch's.

Where the numbers are drawn (the device seam): always on the host, by NumPy's
generator, whatever device the tensor goes to; the host array is then handed
to that device's backend, ``backend_of_device(device).asarray(host)``
(``_to_device`` below: the same array on the CPU, one host-to-device copy on a
GPU).  So one seed gives the same numbers on every backend and device: a
lesson's figures, the tests, and a notebook run on a laptop and on a GPU agree,
and the generator's state is one host object that ``get_rng_state`` can save.
(A GPU's own generator, ``cupy.random``, would skip the copy but draw other
streams; for a course, the same numbers everywhere is worth more.)  The other
direction, a tensor's values read on the host (the probabilities that
``multinomial`` samples from), goes through ``_to_host``.  Nothing here uses an
array feature a GPU backend lacks: the host side is NumPy by design, the
device side is the backend's ``xp``.
"""
import json

import numpy as np

from ._backend import backend_of, backend_of_device
from ._dtype import get_default_dtype, to_dtype
from ._errors import check_new_shape, error, memory_error
from ._device import check_device
from .ops.out import factory_out
from .tensor import Tensor

_DEFAULT_SEED = 67280421310721


class Generator:
    """A source of random numbers, like ``torch.Generator``."""

    def __init__(self, device="cpu"):
        check_device(device, "Generator")  # profundo's generators all draw on the CPU
        self._seed = _DEFAULT_SEED
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF  # like torch: negative seeds wrap around
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        seed = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (serializable, like torch)."""
        state = {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}
        return Tensor._make(np.frombuffer(json.dumps(state).encode(), dtype=np.uint8).copy())

    def set_state(self, new_state):
        try:
            state = json.loads(bytes(_to_host(new_state._data).astype(np.uint8)).decode())
            self._seed = state["seed"]
            self._rng.bit_generator.state = state["bit_generator"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise error(RuntimeError, "set_state", "invalid RNG state: expected a tensor returned by get_state()",
                        "pasa exactamente el estado devuelto por get_rng_state()/get_state()") from None
        return self

    @property
    def device(self):
        from .tensor import CPU
        return CPU


default_generator = Generator()


def _rng(generator):
    return (generator or default_generator)._rng


def manual_seed(seed):
    """Seed profundo's default generator (returns it, like torch)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


# ---------------------------------------------------------------- host and device
def _to_device(host, device=None):
    """A host (NumPy) array drawn here, as an array of ``device``'s backend (None: the default device).
    The CPU backends take it as it is; a GPU backend's ``asarray`` copies it to the device."""
    return backend_of_device(device).asarray(host)


def _to_host(a):
    """A device array's values as a host (NumPy) array, for the host-side sampling code.  The CPU
    backends' arrays are NumPy arrays already (no copy); a GPU backend will copy them back here
    (CuPy's ``a.get()``)."""
    return np.asarray(a)


# ---------------------------------------------------------------- arrays (on the host)
def _float_np(dtype):
    dt = to_dtype(dtype).np if dtype is not None else get_default_dtype().np
    if dt.kind != "f":
        raise error(RuntimeError, "random", f"expected a floating point dtype, got {dtype}",
                    "los números aleatorios continuos necesitan dtype flotante")
    return dt


def _fill(draw, shape, np_dt):
    if np_dt in (np.float32, np.float64):
        return draw(shape, np_dt)
    return draw(shape, np.float32).astype(np_dt)


def uniform_array(shape, a, b, np_dt, generator=None):
    rng = _rng(generator)
    u = _fill(lambda s, d: rng.random(s, dtype=d), shape, np.dtype(np_dt) if np.dtype(np_dt).kind == "f"
              else np.dtype(np.float64))
    return (u * (b - a) + a).astype(np_dt, copy=False) if (a, b) != (0.0, 1.0) else u.astype(np_dt, copy=False)


def normal_array(shape, mean, std, np_dt, generator=None):
    rng = _rng(generator)
    z = _fill(lambda s, d: rng.standard_normal(s, dtype=d), shape, np.dtype(np_dt))
    if std != 1:
        z *= std
    if mean != 0:
        z += mean
    return z


def integers_array(shape, low, high, np_dt, generator=None):
    return _rng(generator).integers(low, high, size=shape).astype(np_dt, copy=False)


# ---------------------------------------------------------------- tensors
def _shape(size, op, np_dtype):
    """The checked shape of a new random tensor (no negative size, fits in memory)."""
    from .ops._base import as_shape
    shape = as_shape(size, op)
    check_new_shape(op, shape, np.dtype(np_dtype))
    return shape


def _draw(op, fill, shape, np_dtype):
    """``fill()``; NumPy's MemoryError becomes profundo's error naming the op and the size."""
    try:
        return fill()
    except MemoryError:
        raise memory_error(op, shape, np.dtype(np_dtype).itemsize, str(np.dtype(np_dtype))) from None


def _finish(arr, requires_grad, device=None):
    """The new tensor: the host array ``arr`` handed to ``device``'s backend."""
    t = Tensor._make(_to_device(arr, device))
    if requires_grad:
        t.requires_grad_(True)
    return t


def rand(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1).  ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``."""
    device = check_device(device, "rand")
    dt = _float_np(dtype)
    shape = _shape(sizes if size is None else (size,), "rand", dt)
    return _finish(_draw("rand", lambda: uniform_array(shape, 0.0, 1.0, dt, generator), shape, dt), requires_grad,
                   device)


def randn(*sizes, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples.  ``randn(2, 3)``, ``randn((2, 3))`` or ``randn(size=(2, 3))``."""
    device = check_device(device, "randn")
    dt = _float_np(dtype)
    shape = _shape(sizes if size is None else (size,), "randn", dt)
    return _finish(_draw("randn", lambda: normal_array(shape, 0.0, 1.0, dt, generator), shape, dt), requires_grad,
                   device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers in [low, high): ``randint(high, size)``, ``randint(low, high, size)``
    (or with keywords: ``randint(10, size=(3,))``, ``randint(low=2, high=9, size=(3,))``)."""
    device = check_device(device, "randint")
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size)
    elif size is None and high is not None:
        raise error(TypeError, "randint", f"randint(): argument 'size' must be tuple of ints, not "
                    f"{type(high).__name__}", f"escribe la forma como tupla: profundo.randint({low}, ({high},))")
    elif high is None:
        low, high = 0, low  # randint(high, size=...)
    if size is None:
        raise error(TypeError, "randint", "randint() missing the required argument 'size' (a tuple of ints)",
                    "p. ej. profundo.randint(0, 10, (3,)) o profundo.randint(10, size=(3,))")
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, Tensor):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise error(TypeError, "randint", f"randint(): argument '{name}' must be int, not {type(v).__name__}",
                        "los límites de randint son enteros")
    low, high = int(low), int(high)
    if isinstance(size, (int, np.integer)):
        raise error(TypeError, "randint", "randint(): argument 'size' must be tuple of ints, not int",
                    f"escribe la forma como tupla: size=({size},)")
    if high <= low:
        raise error(RuntimeError, "randint", f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                    f"to={high}", "el límite superior (excluido) debe ser mayor que el inferior")
    d = to_dtype(dtype, "randint") if dtype is not None else None
    dt = d.np if d is not None else np.dtype(np.int64)
    if dt.kind in "iub":  # the bounds must fit the dtype, as in torch
        info = np.iinfo(dt) if dt.kind != "b" else None
        lo_ok = 0 if info is None else info.min
        hi_ok = 1 if info is None else info.max
        ctype = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short",
                 "int32": "int", "int64": "long"}[str(dt)]
        if not lo_ok <= low <= hi_ok:
            raise error(RuntimeError, "randint", f"from is out of bounds for {ctype}",
                        f"los límites deben caber en el tipo {dt}")
        if not lo_ok <= high - 1 <= hi_ok:
            raise error(RuntimeError, "randint", f"to - 1 is out of bounds for {ctype}",
                        f"los límites deben caber en el tipo {dt}")
    if requires_grad and dt.kind != "f":
        raise error(RuntimeError, "randint", "Only Tensors of floating point and complex dtype can require "
                    f"gradients (randint's dtype is {dt})", "pasa dtype=profundo.float32 si necesitas gradientes")
    shape = _shape((size,), "randint", dt)
    return _finish(_draw("randint", lambda: integers_array(shape, low, high, dt, generator), shape, dt),
                   requires_grad, device)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    device = check_device(device, "rand_like") if device is not None else input.device
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator,
                device=device)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None):
    device = check_device(device, "randn_like") if device is not None else input.device
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator,
                 device=device)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, generator=None):
    device = check_device(device, "randint_like") if device is not None else input.device
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, generator=generator, device=device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    device = check_device(device, "randperm")
    dt = to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    n = int(n)
    shape = _shape((n,), "randperm", np.int64)
    if requires_grad and dt.kind != "f":
        raise error(RuntimeError, "randperm", "Only Tensors of floating point and complex dtype can require "
                    f"gradients (randperm's dtype is {dt})", "pasa dtype=profundo.float32 si necesitas gradientes")
    perm = _draw("randperm", lambda: _rng(generator).permutation(n), shape, np.int64)
    return _finish(perm.astype(dt), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: ``normal(mean, std, size)`` with numbers, or elementwise
    with tensor ``mean``/``std`` (then the result has their broadcast shape)."""
    device = check_device(device, "normal")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        t = mean if isinstance(mean, Tensor) else std  # the samples go to its device
        xp = backend_of(t).xp
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if bool(xp.any(xp.asarray(s) < 0)):
            raise error(RuntimeError, "normal", "normal expects all elements of std >= 0.0",
                        "la desviación estándar no puede ser negativa")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))  # (shapes: host-side tuples)
        dt = t._data.dtype
        z = _to_device(normal_array(shape, 0.0, 1.0, dt, generator), t.device)
        return _finish((z * s + m).astype(dt, copy=False), requires_grad, t.device)
    if std < 0:
        raise error(RuntimeError, "normal", f"normal expects std >= 0.0, but found std {std}",
                    "la desviación estándar no puede ser negativa")
    if size is None:
        raise error(TypeError, "normal", "normal() with number mean and std needs a size",
                    "p. ej. profundo.normal(0, 1, size=(3, 4))")
    dt = _float_np(dtype)
    shape = _shape((size,), "normal", dt)
    return _finish(_draw("normal", lambda: normal_array(shape, mean, std, dt, generator), shape, dt), requires_grad,
                   device)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability ``input`` (or ``p``), else 0; same shape and dtype as input."""
    xp = backend_of(input).xp
    probs = input._data if p is None else p
    if bool(xp.any((xp.asarray(probs) < 0) | (xp.asarray(probs) > 1))):
        raise error(RuntimeError, "bernoulli", "Expected p_in >= 0 && p_in <= 1 to be true",
                    "las probabilidades deben estar entre 0 y 1")
    u = _to_device(uniform_array(input._data.shape, 0.0, 1.0, np.float64, generator), input.device)
    return Tensor._make((u < probs).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Sample category indices with probabilities proportional to the rows of ``input``.
    Sampled on the host (the probabilities are read there); the indices go to ``input``'s device."""
    p = _to_host(input._data).astype(np.float64)
    if p.ndim not in (1, 2):
        raise error(RuntimeError, "multinomial", "prob_dist must be 1 or 2 dim",
                    "pasa un vector de probabilidades o una matriz (una fila por distribución)")
    if np.any(p < 0) or not np.all(np.isfinite(p)):
        raise error(RuntimeError, "multinomial", "probability tensor contains either `inf`, `nan` or element < 0",
                    "las probabilidades deben ser finitas y no negativas")
    rows = p.reshape(-1, p.shape[-1])
    sums = rows.sum(axis=1)
    if np.any(sums <= 0):
        raise error(RuntimeError, "multinomial", "invalid multinomial distribution (sum of probabilities <= 0)",
                    "cada fila debe tener alguna probabilidad positiva")
    if not replacement and num_samples > rows.shape[1]:
        raise error(RuntimeError, "multinomial", "cannot sample n_sample > prob_dist.size(-1) samples without "
                    "replacement", "usa replacement=True o pide menos muestras")
    rng = _rng(generator)
    if replacement:  # inverse-CDF sampling, all rows at once: u in [0, sum) falls in category k's interval
        cdf = np.cumsum(rows, axis=1)
        u = rng.random((rows.shape[0], num_samples, 1)) * cdf[:, None, -1:]
        out = np.minimum((cdf[:, None, :] <= u).sum(-1), rows.shape[1] - 1)
    else:
        out = np.stack([rng.choice(rows.shape[1], size=num_samples, replace=False, p=r / s)
                        for r, s in zip(rows, sums)])
    return _finish(out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64), False, input.device)


rand = factory_out(rand, "rand")  # out=: the samples written into a tensor you have (ops/out.py)
randn = factory_out(randn, "randn")
