"""``torch.backends.mps``: Apple's Metal GPU backend, which profundo does not have."""


def is_available():
    """False: profundo has no MPS backend."""
    return False


def is_built():
    """False: profundo was not built with MPS support."""
    return False
