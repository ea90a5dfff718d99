"""``profundo.cuda``: PyTorch's ``torch.cuda`` as it answers on a machine without CUDA.

profundo has no GPU backend yet, so ``is_available()`` is False and ``device_count()`` is 0: the usual
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks ``"cpu"`` and the rest of a GPU
script runs on the CPU.  Every function answers exactly as PyTorch's CPU-only build does: seeding is
a silent no-op (there is no CUDA generator to seed), the memory counters are 0, and what needs a real
GPU (``synchronize``, ``get_device_name``, ``current_device``...) raises PyTorch's
``AssertionError("Torch not compiled with CUDA enabled")`` (also a RuntimeError) with a hint in Spanish.
"""
from ._device import CudaUnavailable, _CUDA_HINT
from ._errors import error


def _unavailable(op):
    return error(CudaUnavailable, f"cuda.{op}", "Torch not compiled with CUDA enabled: profundo has no GPU backend "
                 "yet (profundo.cuda.is_available() is False)", _CUDA_HINT)


def is_available():
    """False: profundo has no CUDA backend yet."""
    return False


def device_count():
    """0: no CUDA device is usable."""
    return 0


def is_initialized():
    return False


def init():
    raise _unavailable("init")


# Seeding: PyTorch seeds the CUDA generators lazily and, without CUDA, does nothing at all (but the seed
# must still be a number: it runs int(seed), so manual_seed("a") raises ValueError as there).
def _check_seed(seed, op):
    try:
        int(seed)
    except (TypeError, ValueError) as e:
        raise error(type(e), f"cuda.{op}", f"the seed must be an integer, got {seed!r} ({e})",
                    "usa un entero, p. ej. torch.cuda.manual_seed(0)") from None


def manual_seed(seed):
    """A no-op without CUDA (as in PyTorch); seed the CPU with ``profundo.manual_seed``."""
    _check_seed(seed, "manual_seed")


def manual_seed_all(seed):
    """A no-op without CUDA (as in PyTorch); seed the CPU with ``profundo.manual_seed``."""
    _check_seed(seed, "manual_seed_all")


def seed():
    """A no-op without CUDA (as in PyTorch)."""


def seed_all():
    """A no-op without CUDA (as in PyTorch)."""


def initial_seed():
    raise _unavailable("initial_seed")


def get_rng_state(device="cuda"):
    raise _unavailable("get_rng_state")


def set_rng_state(new_state, device="cuda"):
    raise _unavailable("set_rng_state")


def synchronize(device=None):
    raise _unavailable("synchronize")


def current_device():
    raise _unavailable("current_device")


def set_device(device):
    raise _unavailable("set_device")


def get_device_name(device=None):
    raise _unavailable("get_device_name")


def get_device_capability(device=None):
    raise _unavailable("get_device_capability")


def get_device_properties(device=None):
    raise _unavailable("get_device_properties")


def is_bf16_supported(including_emulation=True):
    return False


def empty_cache():
    """A no-op: there is no CUDA cache to free."""


# The memory counters read PyTorch's allocator statistics, all 0 when CUDA never started.
def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0
