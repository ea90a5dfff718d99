"""profundo.d2l: sequence."""
__all__ = []
