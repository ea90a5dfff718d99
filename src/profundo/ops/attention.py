"""Attention (Unit 3, issue 13): F.scaled_dot_product_attention and the multi-head attention forward."""

__all__ = []
