"""Interaction data for recommenders (Unit 4): splits, explicit/implicit views, negative sampling."""

__all__ = []
