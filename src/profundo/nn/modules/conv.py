"""conv layers (Unit 2): filled by issue 12."""
__all__ = []
