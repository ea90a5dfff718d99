"""Recommender metrics (Unit 4): RMSE, MAE, HitRate@k, NDCG@k, AUC, vectorized over users."""

__all__ = []
