"""Devices: ``profundo.device``, the default device, and the checks every ``device=`` goes through.

A ``device`` only *describes* a place, exactly as ``torch.device`` does, so
``profundo.device("cuda")`` is a valid object even on a machine without a GPU
(it is what ``device = "cuda" if torch.cuda.is_available() else "cpu"``
compares against).  Putting a tensor there is another matter: profundo has one
backend today, the CPU, so ``check_device`` (called by ``tensor(...,
device=)``, ``zeros``, ``x.to(...)``, ``Module.to(...)``...) accepts ``"cpu"``
and refuses every other device with PyTorch's error type and a hint in Spanish.

When a GPU backend exists (see ``_backend.py``), ``check_device`` is the one
place that learns the new device, and ``check_same_device`` -- written and
tested now -- is what ``Function.apply`` calls so an op never mixes devices.
"""
import re

from ._dtype import dtype, to_dtype
from ._errors import error

#: the device types PyTorch's parser knows, in its order (its error message lists them)
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_DEVICE_STRING = re.compile(r"([A-Za-z_]+)(?::(0|[1-9][0-9]*))?\Z")

# Without CUDA PyTorch raises AssertionError("Torch not compiled with CUDA enabled"); profundo's error is
# also a RuntimeError (what it raised before, like PyTorch's other device errors), so either ``except`` works.
CudaUnavailable = type("AssertionError", (AssertionError, RuntimeError), {"__module__": "builtins"})

_CUDA_HINT = ("profundo aún no tiene backend de GPU y calcula en la CPU: elige el dispositivo con "
              "device = 'cuda' if torch.cuda.is_available() else 'cpu' (da 'cpu') y usa .to(device)")


def _invalid_arguments(got):
    return error(TypeError, "device", f"device() received an invalid combination of arguments - got ({got}), but "
                 "expected one of:\n * (torch.device device)\n * (str type, int index = -1)",
                 "p. ej. profundo.device('cpu'), profundo.device('cuda', 0) o profundo.device('cpu:0')")


def no_accelerator(op):
    """PyTorch's error for a bare device index (``device(0)``, ``x.to(0)``) when no accelerator exists."""
    return error(RuntimeError, op, "Cannot access accelerator device when none is available.", _CUDA_HINT)


class device:
    """Where a tensor lives, like ``torch.device``: a type (``'cpu'``, ``'cuda'``, ...) and an optional index.

        >>> profundo.device("cuda:1")
        device(type='cuda', index=1)

    Any of PyTorch's device types can be named; only ``'cpu'`` can hold tensors in profundo
    today (see ``profundo.cuda.is_available()``).  Used as a context manager
    (``with profundo.device("cpu"):``) it is the default device inside the block.
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type=None, index=None):
        if isinstance(type, device):
            if index is not None:
                raise error(TypeError, "device", "device(): argument 'type' (position 1) must be str, not "
                            "torch.device", "pasa el tipo como texto: profundo.device('cuda', 1)")
            self._type, self._index = type._type, type._index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            raise no_accelerator("device")  # device(0) means "accelerator 0"
        if not isinstance(type, str):
            raise _invalid_arguments(type.__class__.__name__ if type is not None or index is not None else "")
        m = _DEVICE_STRING.match(type)
        if m is None:
            raise error(RuntimeError, "device", f"Invalid device string: {type!r}",
                        "escribe 'tipo' o 'tipo:índice', p. ej. 'cpu' o 'cuda:0'")
        if m.group(1) not in DEVICE_TYPES:
            raise error(RuntimeError, "device", f"Expected one of {', '.join(DEVICE_TYPES)} device type at start "
                        f"of device string: {type}", "el tipo va en minúsculas: 'cpu', 'cuda' o 'mps'")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise error(TypeError, "device", "device(): argument 'index' (position 2) must be int, not "
                            f"{index.__class__.__name__}", "el índice es un entero: profundo.device('cuda', 0)")
            if m.group(2) is not None:
                raise error(RuntimeError, "device", "type (string) must not include an index because index was "
                            f"passed explicitly: {type}", "da el índice una sola vez: device('cuda', 1) o "
                            "device('cuda:1')")
            if index < 0:
                raise error(RuntimeError, "device", "Device index must not be negative",
                            "los índices de dispositivo empiezan en 0")
        elif m.group(2) is not None:
            index = int(m.group(2))
        self._type, self._index = m.group(1), index

    # read-only, as in PyTorch
    type = property(lambda self: self._type, doc="The device type: 'cpu', 'cuda', 'mps', ...")
    index = property(lambda self: self._index, doc="The device index, or None when none was given.")

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __format__(self, spec):
        return format(str(self), spec)

    def __eq__(self, other):
        # like torch: a device never equals a string (``x.device == "cpu"`` is False; compare x.device.type)
        if not isinstance(other, device):
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        previous = _DEFAULT[0]
        set_default_device(self)
        _ENTERED.append(previous)
        return self

    def __exit__(self, *exc):
        if _ENTERED:  # ``with`` blocks nest: restore the default of the enclosing one
            _DEFAULT[0] = _ENTERED.pop()


CPU = device("cpu")
_PARSED = {"cpu": CPU}  # device strings already parsed: X.to("cpu") runs once per batch in a training loop


def _parse(text):
    d = device(text)
    if len(_PARSED) < 64:
        _PARSED[text] = d
    return d


def check_device(dev, op):
    """The device ``dev`` (a ``device``, a string or an index) if profundo can put tensors there,
    else PyTorch's error for it.  ``None`` means the CPU.  Every ``device=`` argument goes through here."""
    if dev is None or dev is CPU:
        return CPU
    if isinstance(dev, str):
        dev = _PARSED.get(dev) or _parse(dev)
    elif isinstance(dev, int) and not isinstance(dev, bool):
        raise no_accelerator(op)
    elif not isinstance(dev, device):
        raise error(TypeError, op, f"{op}(): argument 'device' must be torch.device, not {dev.__class__.__name__}",
                    "pasa device='cpu' o un profundo.device")
    if dev._type == "cpu":
        return dev
    if dev._type in ("cuda", "xpu"):
        name = "CUDA" if dev._type == "cuda" else "XPU"
        raise error(CudaUnavailable, op, f"Torch not compiled with {name} enabled (device {str(dev)!r}): profundo "
                    "has no GPU backend yet, its tensors live on the CPU", _CUDA_HINT)
    # PyTorch raises NotImplementedError for most backends it lacks (a RuntimeError for a few): this is both
    what = "profundo is not linked with support for mps devices (no Apple GPU backend)" if dev._type == "mps" \
        else f"profundo has no {dev._type!r} backend"
    raise error(NotImplementedError, op, f"{what} (device {str(dev)!r}): profundo's tensors live on the CPU",
                "profundo calcula en la CPU: elige el dispositivo con torch.cuda.is_available() y "
                "torch.backends.mps.is_available() (dan False) y usa .to(device)")


# [True] once tensors may live on more than one device in this process.  Until then every tensor is on
# the CPU and ``Function.apply`` skips ``check_same_device`` (~1 us an op) for one list read.  Set by
# ``several_devices``: a Tensor subclass that reports its own ``device`` (tests fake a CUDA tensor so) and,
# when a GPU backend exists, ``check_device`` accepting a GPU device.
SEVERAL = [False]


def several_devices():
    """From now on, every op compares the devices of its tensors (``check_same_device``)."""
    SEVERAL[0] = True


def check_same_device(op, tensors):
    """PyTorch's error when the tensors an op receives live on different devices.

    Called by ``Function.apply`` for every op once tensors may live on two devices (see ``SEVERAL``);
    it costs one ``.device`` read per input."""
    first = None
    for t in tensors:
        d = getattr(t, "device", None)
        if not isinstance(d, device):
            continue  # numbers and other non-tensors
        if first is None:
            first = d
        elif d != first:
            raise error(RuntimeError, op, "Expected all tensors to be on the same device, but found at least two "
                        f"devices, {first} and {d}!", "mueve todo al mismo dispositivo antes de operar: "
                        "x = x.to(device); y = y.to(device)  (y el modelo con model.to(device))")


_DEFAULT = [None]  # the device set by set_default_device (None: the CPU)
_ENTERED = []  # the defaults to restore when the ``with device(...)`` blocks end, innermost last


def set_default_device(device):
    """Like ``torch.set_default_device``.  ``"cpu"`` (with or without an index) and ``None`` are
    accepted; a device profundo cannot use is refused right away (PyTorch refuses at the first tensor)."""
    if device is None:
        _DEFAULT[0] = None
        return
    _DEFAULT[0] = check_device(device, "set_default_device")


def get_default_device():
    """The device set by ``set_default_device`` (``device(type='cpu')`` unless changed)."""
    return _DEFAULT[0] or CPU


_TO_SIGNATURES = ("expected one of:\n * (torch.device device = None, torch.dtype dtype = None, bool non_blocking = "
                  "False, bool copy = False, *, torch.memory_format memory_format = None)\n * (torch.dtype dtype, "
                  "bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None)\n"
                  " * (Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format "
                  "memory_format = None)")
_TO_KEYWORDS = frozenset({"device", "dtype", "non_blocking", "copy", "memory_format"})


def _to_invalid(op, args, kwargs):
    got = ", ".join([a.__class__.__name__ for a in args] + [f"{k}={v.__class__.__name__}" for k, v in kwargs.items()])
    return error(TypeError, op, f"to() received an invalid combination of arguments - got ({got}), but "
                 + _TO_SIGNATURES, "usa x.to(device), x.to(dtype), x.to(device, dtype) o x.to(otro_tensor)")


def _to_dtype_or_invalid(d, op, args, kwargs):
    try:
        return to_dtype(d, op)
    except TypeError:
        raise _to_invalid(op, args, kwargs) from None


_TENSOR = []  # [Tensor], filled on first use (tensor.py imports this module)


def parse_to(op, args, kwargs):
    """The arguments of ``Tensor.to`` / ``Module.to``, in PyTorch's three forms
    ``to(device=None, dtype=None, non_blocking=False, copy=False)``, ``to(dtype, non_blocking, copy)`` and
    ``to(tensor, non_blocking, copy)`` (``memory_format`` by keyword).  Returns
    ``(device or None, dtype or None, non_blocking, copy)``; the device is checked with ``check_device``."""
    n = len(args)
    if n == 1 and not kwargs:  # x.to(float64), X.to(device): the common cases, fast
        a = args[0]
        if a.__class__ is dtype:
            return None, a, False, False
        if a.__class__ is str or a.__class__ is device:
            return check_device(a, op), None, False, False
    elif n == 0 and len(kwargs) == 1 and kwargs.get("dtype").__class__ is dtype:  # x.to(dtype=float64)
        return None, kwargs["dtype"], False, False
    if kwargs and not _TO_KEYWORDS.issuperset(kwargs):
        raise _to_invalid(op, args, kwargs)
    if not _TENSOR:
        from .tensor import Tensor
        _TENSOR.append(Tensor)
    dev, dt = kwargs.get("device"), kwargs.get("dtype")
    i = 0  # arguments used so far
    a = args[0] if n else None
    if isinstance(a, _TENSOR[0]):  # to(tensor, non_blocking, copy)
        if "device" in kwargs or "dtype" in kwargs:
            raise _to_invalid(op, args, kwargs)
        dev, dt, i = a.device, a.dtype, 1
    elif n and (a is None or isinstance(a, (str, device, int)) and not isinstance(a, bool)):  # to(device, dtype, ...)
        if "device" in kwargs:
            raise _to_invalid(op, args, kwargs)
        dev, i = a, 1
        if n > 1 and not isinstance(args[1], bool):
            if "dtype" in kwargs:
                raise _to_invalid(op, args, kwargs)
            dt, i = args[1], 2
    elif n and not isinstance(a, bool):  # to(dtype, non_blocking, copy)
        if "device" in kwargs or "dtype" in kwargs:
            raise _to_invalid(op, args, kwargs)
        dt, i = _to_dtype_or_invalid(a, op, args, kwargs), 1
    flags = args[i:]
    if len(flags) > 2 or any(not isinstance(f, bool) for f in flags) or \
            ("non_blocking" in kwargs and len(flags) > 0) or ("copy" in kwargs and len(flags) > 1):
        raise _to_invalid(op, args, kwargs)
    non_blocking = flags[0] if flags else kwargs.get("non_blocking", False)
    copy = flags[1] if len(flags) > 1 else kwargs.get("copy", False)
    if dt is not None and dt.__class__ is not dtype:
        dt = _to_dtype_or_invalid(dt, op, args, kwargs)
    if dev is not None:
        dev = check_device(dev, op)
    return dev, dt, bool(non_blocking), bool(copy)
