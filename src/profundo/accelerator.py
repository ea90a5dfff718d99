"""``profundo.accelerator``: PyTorch's device-agnostic accelerator API (PyTorch 2.6+), on a CPU-only machine.

profundo has no accelerator backend yet: ``is_available()`` is False and ``current_accelerator()`` is None,
so ``torch.accelerator.current_accelerator() if torch.accelerator.is_available() else "cpu"`` picks the CPU.
What needs an accelerator raises PyTorch's RuntimeError.
"""
from ._device import no_accelerator


def is_available():
    """False: profundo computes on the CPU."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator (PyTorch returns None on a CPU-only build)."""
    return None


def device_count():
    return 0


def current_device_index():
    raise no_accelerator("accelerator.current_device_index")


def set_device_index(device):
    raise no_accelerator("accelerator.set_device_index")


def synchronize(device=None):
    raise no_accelerator("accelerator.synchronize")
