"""Embedding layers (Unit 3, issue 13): nn.Embedding, nn.EmbeddingBag."""

__all__ = []
