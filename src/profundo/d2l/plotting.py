"""profundo.d2l: plotting."""
__all__ = []
