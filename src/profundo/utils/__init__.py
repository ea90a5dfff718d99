"""Utilities with PyTorch's names: ``profundo.utils.data`` (datasets and loaders)."""
from . import data  # noqa: F401
