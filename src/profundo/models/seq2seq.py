"""Sequence to sequence (Unit 3, issue 13): encoder-decoder, attention (Bahdanau), Transformer."""

__all__ = []
