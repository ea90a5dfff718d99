"""profundo.d2l: cnn."""
__all__ = []
