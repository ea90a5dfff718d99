"""Embedding lookups (Unit 3, issue 13): F.embedding, F.embedding_bag, their gradients (dense and row-sparse)."""

__all__ = []
