"""``torch.backends.cudnn``: flags for NVIDIA's cuDNN library; without CUDA they have no effect (as in PyTorch)."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: there is no cuDNN without CUDA."""
    return False


def version():
    """None: cuDNN is not there (PyTorch's CPU build answers None)."""
    return None
