"""Attention layers (Unit 3, issue 13): nn.MultiheadAttention and the Transformer family."""

__all__ = []
