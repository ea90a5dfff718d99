"""Recommender metrics (Unit 4): RMSE, MAE, HitRate@k, NDCG@k, AUC, vectorized over users.

Rating metrics compare predicted and true ratings (tensors, arrays or lists of the same shape):

- ``rmse(pred, target)`` = sqrt(mean((pred - target)^2)); ``mae`` = mean(|pred - target|).

Ranking metrics take a ``(users, candidates)`` score matrix (row u: the scores of the items
ranked for user u, e.g. the held-out positive and 99 sampled negatives, or the whole
catalogue) and which candidates are relevant, as one of:

- an integer array ``(users,)``: the column of each user's held-out positive;
- with ``candidates=`` (an integer ``(users, candidates)`` array of item ids, the items scored):
  the positive's *item id* for each user, found in its row;
- a boolean relevance mask ``(users, candidates)`` (several positives per user allowed).

Ties: HitRate@k and NDCG@k rank a relevant item *after* every non-relevant candidate with the
same score (pessimistic: a model that scores everything alike gets no credit for it), so the
positive's rank is the number of candidates scored at least as high.  AUC counts a tied
(positive, negative) pair as one half (the Mann-Whitney statistic; d2l's ``hit_and_auc`` counts
the negatives ranked below the positive in its sorted list, the same without ties).

Each returns the mean over users as a Python float, or with ``reduction="none"`` a float64
NumPy array with one value per user.  These are evaluation metrics: no gradient flows through
them (train with a loss such as MSE or BPR).
"""
import math

import numpy as np

from .._errors import error, shape_str

__all__ = ["rmse", "mae", "hit_rate_at_k", "ndcg_at_k", "auc"]


# ---------------------------------------------------------------- rating metrics
def rmse(pred, target):
    """Root mean squared error of predicted ratings (the metric of explicit feedback, d2l's MF)."""
    p, t = _pair(pred, target, "rmse")
    return math.sqrt(float(np.mean((p - t) ** 2)))


def mae(pred, target):
    """Mean absolute error of predicted ratings."""
    p, t = _pair(pred, target, "mae")
    return float(np.mean(np.abs(p - t)))


def _array(x, op, what):
    if hasattr(x, "detach") and hasattr(x, "numpy"):  # a tensor (profundo's or torch's), with or without grad
        x = x.detach().numpy()
    try:
        a = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise error(TypeError, op, f"{what} must be a tensor or an array of numbers, got {type(x).__name__} ({e})",
                    "pasa un tensor, un arreglo de NumPy o una lista de números") from None
    if a.dtype.kind not in "biuf":
        raise error(TypeError, op, f"{what} must hold numbers, got dtype {a.dtype}",
                    "pasa valores numéricos (float o int)")
    return a


def _pair(pred, target, op):
    p, t = _array(pred, op, "pred").astype(np.float64), _array(target, op, "target").astype(np.float64)
    if p.shape != t.shape:
        raise error(ValueError, op, f"pred and target must have the same shape, got {shape_str(p.shape)} and "
                    f"{shape_str(t.shape)}",
                    "una predicción por calificación: revisa las formas (¿falta .squeeze()?)")
    if p.size == 0:
        raise error(ValueError, op, "pred and target are empty: the mean of no errors is undefined",
                    "evalúa al menos una calificación")
    return p, t


# ---------------------------------------------------------------- ranking metrics
def hit_rate_at_k(scores, target, k=10, *, candidates=None, reduction="mean"):
    """HitRate@k: 1 for a user when a relevant candidate is among its k best-scored, else 0."""
    hits = _ranked_relevance(scores, target, candidates, "hit_rate_at_k")
    k = _check_k(k, "hit_rate_at_k")
    return _reduce(hits[:, :k].any(axis=1).astype(np.float64), reduction, "hit_rate_at_k")


def ndcg_at_k(scores, target, k=10, *, candidates=None, reduction="mean"):
    """NDCG@k: sum over the k best-scored candidates of rel / log2(position + 2) (positions from 0),
    divided by its best possible value (all relevant candidates first); with one positive,
    1 / log2(rank + 2) if its rank is below k, else 0."""
    rel = _ranked_relevance(scores, target, candidates, "ndcg_at_k")
    k = _check_k(k, "ndcg_at_k")
    top = rel[:, :k]
    discount = 1.0 / np.log2(np.arange(top.shape[1]) + 2.0)
    dcg = top @ discount
    n_rel = rel.sum(axis=1).astype(np.int64)
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(n_rel, top.shape[1])]
    return _reduce(dcg / ideal, reduction, "ndcg_at_k")


def auc(scores, target, *, candidates=None, reduction="mean"):
    """Per-user AUC with sampled negatives: the fraction of (relevant, non-relevant) candidate
    pairs that the scores order correctly, a tie counting one half; averaged over users."""
    s, rel = _relevance(scores, target, candidates, "auc")
    n_pos = rel.sum(axis=1)
    n_neg = rel.shape[1] - n_pos
    if (n_neg == 0).any():
        u = int(np.flatnonzero(n_neg == 0)[0])
        raise error(ValueError, "auc", f"user {u} has no non-relevant candidate: its AUC is undefined",
                    "añade negativos muestreados a cada fila de puntuaciones")
    # Mann-Whitney: the sum of the positives' ranks (1-based, ties given their mean rank) minus the
    # least that sum can be counts the (positive, negative) pairs ordered right, ties as 1/2
    rank = _average_ranks(s)
    u_stat = (rank * rel).sum(axis=1) - n_pos * (n_pos + 1) / 2.0
    return _reduce(u_stat / (n_pos * n_neg), reduction, "auc")


def _average_ranks(s):
    """Row by row, the 1-based rank of each score in ascending order, tied scores sharing the
    mean of their ranks (vectorized: the first and last position of each run of equal sorted values)."""
    users, n = s.shape
    order = np.argsort(s, axis=1, kind="stable")
    sv = np.take_along_axis(s, order, axis=1)
    pos = np.broadcast_to(np.arange(n), (users, n))
    new_run = np.ones((users, n), bool)
    new_run[:, 1:] = sv[:, 1:] != sv[:, :-1]
    first = np.maximum.accumulate(np.where(new_run, pos, 0), axis=1)
    run_end = np.ones((users, n), bool)
    run_end[:, :-1] = new_run[:, 1:]
    last = np.minimum.accumulate(np.where(run_end, pos, n - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((users, n))
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=1)
    return ranks


def _ranked_relevance(scores, target, candidates, op):
    """The relevance of each user's candidates in ranked order (best score first; among equal
    scores the non-relevant candidates first), as a float64 ``(users, candidates)`` array."""
    s, rel = _relevance(scores, target, candidates, op)
    # lexsort: the last key is the primary one: descending score, then non-relevant (False) first
    order = np.lexsort((rel, -s), axis=1)
    return np.take_along_axis(rel, order, axis=1).astype(np.float64)


def _relevance(scores, target, candidates, op):
    s = _array(scores, op, "scores").astype(np.float64)
    if s.ndim != 2 or s.shape[1] == 0:
        raise error(ValueError, op, f"scores must be a (users, candidates) matrix, got shape {shape_str(s.shape)}",
                    "una fila por usuario, una columna por candidato (p. ej. el positivo y 99 negativos)")
    if np.isnan(s).any():
        raise error(ValueError, op, "scores contain NaN: the ranking is undefined",
                    "revisa el modelo: alguna predicción es NaN")
    users, n = s.shape
    t = _array(target, op, "target")
    if t.dtype == bool:
        if candidates is not None:
            raise error(ValueError, op, "candidates= goes with item ids as target, not with a relevance mask",
                        "pasa la máscara sola, o los ids de los positivos con candidates=")
        if t.shape != s.shape:
            raise error(ValueError, op, f"a relevance mask must have the shape of scores {shape_str(s.shape)}, got "
                        f"{shape_str(t.shape)}", "una máscara booleana (usuarios, candidatos)")
        rel = t
    else:
        if t.dtype.kind not in "iu":
            raise error(TypeError, op, f"target must be integer positions/ids (users,) or a bool mask, got dtype "
                        f"{t.dtype}", "usa enteros (la columna del positivo) o una máscara booleana")
        if t.shape != (users,):
            raise error(ValueError, op, f"target must give one positive per user, shape ({users},), got "
                        f"{shape_str(t.shape)}", "un índice por fila de scores")
        if candidates is not None:
            c = _array(candidates, op, "candidates")
            if c.shape != s.shape:
                raise error(ValueError, op, f"candidates must have the shape of scores {shape_str(s.shape)}, got "
                            f"{shape_str(c.shape)}", "los ids de los ítems puntuados, uno por columna")
            rel = c == t[:, None]
            missing = ~rel.any(axis=1)
            if missing.any():
                u = int(np.flatnonzero(missing)[0])
                raise error(ValueError, op, f"the positive item {int(t[u])} of user {u} is not among its candidates",
                            "incluye el ítem positivo en la fila de candidatos de cada usuario")
        else:
            if ((t < 0) | (t >= n)).any():
                bad = int(t[(t < 0) | (t >= n)][0])
                raise error(IndexError, op, f"positive position {bad} is out of range for {n} candidates",
                            "target da la columna del positivo, de 0 a candidatos - 1 (o usa candidates=)")
            rel = np.zeros(s.shape, bool)
            rel[np.arange(users), t] = True
    if not rel.any(axis=1).all():
        u = int(np.flatnonzero(~rel.any(axis=1))[0])
        raise error(ValueError, op, f"user {u} has no relevant candidate: the metric is undefined",
                    "cada fila de la máscara necesita al menos un positivo (o quita ese usuario)")
    return s, rel


def _check_k(k, op):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise error(TypeError, op, f"k must be an int, got {type(k).__name__}", "k es cuántos candidatos mirar: 10")
    if k < 1:
        raise error(ValueError, op, f"k must be at least 1, got {k}", "usa k >= 1 (p. ej. k=10)")
    return int(k)  # a k above the number of candidates takes them all


def _reduce(values, reduction, op):
    if reduction == "mean":
        return float(values.mean())
    if reduction == "none":
        return values
    raise error(ValueError, op, f"reduction must be 'mean' or 'none', got {reduction!r}",
                "usa reduction='mean' (promedio) o 'none' (uno por usuario)")
