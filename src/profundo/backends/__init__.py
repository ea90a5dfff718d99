"""``profundo.backends``: PyTorch's ``torch.backends`` flags as a CPU-only build reports them.

``backends.mps.is_available()`` is False (no Apple GPU backend), ``backends.cudnn.is_available()`` is False;
the cuDNN and TF32 switches scripts set (``torch.backends.cudnn.benchmark = True``) exist and, as in
PyTorch without a GPU, change nothing.  (Not to be confused with profundo's array backends.)
"""
from . import cuda, cudnn, mps  # noqa: F401
