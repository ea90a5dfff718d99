"""Recommender models of Unit 4 (issue 14): matrix factorization, AutoRec, BPR, NeuMF, FM."""

__all__ = []
