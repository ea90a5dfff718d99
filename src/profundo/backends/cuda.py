"""``torch.backends.cuda``: CUDA build flags; profundo is not built with CUDA."""


class _MatmulFlags:
    """``torch.backends.cuda.matmul.allow_tf32``: settable, no effect on the CPU (as in PyTorch)."""

    __slots__ = ("allow_tf32",)  # an unknown flag is an AttributeError, as in PyTorch

    def __init__(self):
        self.allow_tf32 = False


matmul = _MatmulFlags()


def is_built():
    """False: profundo has no CUDA backend."""
    return False
