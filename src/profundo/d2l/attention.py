"""profundo.d2l: attention."""
__all__ = []
