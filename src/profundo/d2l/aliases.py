"""profundo.d2l: aliases."""
__all__ = []
