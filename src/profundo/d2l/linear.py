"""profundo.d2l: linear."""
__all__ = []
