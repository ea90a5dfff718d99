"""profundo.d2l: base."""
__all__ = []
