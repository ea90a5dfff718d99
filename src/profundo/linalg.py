"""``profundo.linalg``: norms (like ``torch.linalg``)."""
from .ops.linalg import linalg_norm as norm, matrix_norm, vector_norm  # noqa: F401
from .ops.linalg import matmul  # noqa: F401
from .ops.shape import diagonal  # noqa: F401

__all__ = ["norm", "vector_norm", "matrix_norm", "matmul", "diagonal"]
