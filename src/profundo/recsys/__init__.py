"""Recommender systems (Unit 4, issue 14): interaction data (splits, implicit feedback, negative
sampling) and ranking/rating metrics.  The models live in ``profundo.models.recsys``."""
from .data import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
