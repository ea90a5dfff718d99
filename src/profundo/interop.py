"""A two-way bridge to PyTorch (issue 15): tensors through DLPack, modules and state dicts both ways.

torch is optional: it is imported only when a function here needs it."""
__all__ = []
