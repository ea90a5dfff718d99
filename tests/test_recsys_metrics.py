"""profundo.recsys metrics (issue 14, Unit 4): RMSE, MAE, HitRate@k, NDCG@k, AUC against values
computed by hand and against straightforward per-user loops written here; ties; errors."""
import math

import numpy as np
import pytest

import profundo
from profundo import recsys
from profundo.recsys import auc, hit_rate_at_k, mae, ndcg_at_k, rmse


# ---------------------------------------------------------------- rating metrics
def test_rmse_mae_by_hand_on_tensors_arrays_and_lists():
    pred, target = [3.0, 4.5, 1.0, 5.0], [4.0, 4.5, 2.0, 3.0]  # errors -1, 0, -1, 2
    assert rmse(pred, target) == pytest.approx(math.sqrt((1 + 0 + 1 + 4) / 4), rel=1e-15)
    assert mae(pred, target) == pytest.approx((1 + 0 + 1 + 2) / 4, rel=1e-15)
    p = profundo.tensor(pred, requires_grad=True)  # a model's output, still in the graph
    assert rmse(p, profundo.tensor(target)) == pytest.approx(math.sqrt(1.5))
    assert mae(np.array(pred, np.float32), np.array(target)) == pytest.approx(1.0)
    assert isinstance(rmse(p, target), float)


def test_rmse_mae_against_a_reference():
    rng = np.random.default_rng(0)
    p, t = rng.uniform(1, 5, (7, 9)), rng.integers(1, 6, (7, 9))
    d = [float(a) - float(b) for a, b in zip(p.ravel(), t.ravel())]
    assert rmse(p, t) == pytest.approx(math.sqrt(sum(x * x for x in d) / len(d)), rel=1e-12)
    assert mae(p, t) == pytest.approx(sum(abs(x) for x in d) / len(d), rel=1e-12)


@pytest.mark.parametrize("fn", [rmse, mae])
def test_rating_metric_errors(fn):
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(3, 1\)") as e:
        fn(np.zeros(3), np.zeros((3, 1)))
    assert "Pista:" in str(e.value) and fn.__name__ in str(e.value)
    with pytest.raises(ValueError, match="empty"):
        fn([], [])
    with pytest.raises(TypeError, match="numbers"):
        fn(["a"], ["b"])


# ---------------------------------------------------------------- ranking metrics: by hand
SCORES = np.array([[0.9, 0.1, 0.5, 0.3],    # positive col 2: rank 1 (0-based)
                   [0.2, 0.8, 0.6, 0.7],    # positive col 1: rank 0
                   [0.4, 0.4, 0.9, 0.4]])   # positive col 0: ties with 1 and 3 -> rank 3 (pessimistic)
POS = np.array([2, 1, 0])


def test_hit_rate_by_hand():
    np.testing.assert_array_equal(hit_rate_at_k(SCORES, POS, 1, reduction="none"), [0, 1, 0])
    np.testing.assert_array_equal(hit_rate_at_k(SCORES, POS, 2, reduction="none"), [1, 1, 0])
    np.testing.assert_array_equal(hit_rate_at_k(SCORES, POS, 3, reduction="none"), [1, 1, 0])
    assert hit_rate_at_k(SCORES, POS, 4) == 1.0
    assert hit_rate_at_k(SCORES, POS, 100) == 1.0  # k above the candidates: all of them
    assert hit_rate_at_k(SCORES, POS, k=2) == pytest.approx(2 / 3)


def test_ndcg_by_hand():
    np.testing.assert_allclose(ndcg_at_k(SCORES, POS, 4, reduction="none"),
                               [1 / math.log2(3), 1.0, 1 / math.log2(5)], rtol=1e-15)
    np.testing.assert_allclose(ndcg_at_k(SCORES, POS, 2, reduction="none"), [1 / math.log2(3), 1.0, 0.0])
    assert ndcg_at_k(SCORES, POS, 1) == pytest.approx(1 / 3)


def test_auc_by_hand_with_a_tie_as_half():
    # user 0: beats 0.1 and 0.3, loses to 0.9 -> 2/3; user 1: beats all -> 1;
    # user 2: loses to 0.9, ties 0.4 twice -> (0 + 0.5 + 0.5) / 3
    np.testing.assert_allclose(auc(SCORES, POS, reduction="none"), [2 / 3, 1.0, 1 / 3], rtol=1e-15)
    assert auc(SCORES, POS) == pytest.approx((2 / 3 + 1 + 1 / 3) / 3)


def test_relevance_mask_with_several_positives_by_hand():
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])
    mask = np.array([[False, True, False, True, False]])  # ranks 1 and 3
    assert hit_rate_at_k(scores, mask, 1) == 0.0 and hit_rate_at_k(scores, mask, 2) == 1.0
    dcg, idcg = 1 / math.log2(3) + 1 / math.log2(5), 1 + 1 / math.log2(3)
    assert ndcg_at_k(scores, mask, 5) == pytest.approx(dcg / idcg, rel=1e-15)
    assert ndcg_at_k(scores, mask, 2) == pytest.approx((1 / math.log2(3)) / idcg, rel=1e-15)
    assert auc(scores, mask) == pytest.approx(3 / 6)  # pairs won: (0.8>0.7, 0.8>0.5, 0.6>0.5) of 6


def test_item_ids_with_candidates_and_tensors():
    cand = np.array([[10, 42, 7], [3, 5, 42]])
    scores = profundo.tensor([[0.1, 0.9, 0.3], [0.5, 0.2, 0.4]])
    ids = profundo.tensor([42, 42])  # positives by item id: columns 1 and 2
    np.testing.assert_array_equal(hit_rate_at_k(scores, ids, 1, candidates=cand, reduction="none"), [1, 0])
    np.testing.assert_array_equal(hit_rate_at_k(scores, np.array([1, 2]), 1, reduction="none"), [1, 0])
    assert auc(scores, ids, candidates=cand) == pytest.approx((1.0 + 0.5) / 2)


# ---------------------------------------------------------------- against straightforward loops
def reference(scores, mask, k):
    """Per user, with Python loops: the ranked list (score descending, non-relevant first among
    equal scores), its hit and NDCG at k, and the AUC over all (positive, negative) pairs."""
    hr, nd, au = [], [], []
    for s, m in zip(scores.tolist(), mask.tolist()):
        ranked = sorted(range(len(s)), key=lambda j: (-s[j], m[j], j))
        rel = [m[j] for j in ranked]
        hr.append(float(any(rel[:k])))
        dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(rel[:k]) if r)
        idcg = sum(1 / math.log2(i + 2) for i in range(min(k, sum(m))))
        nd.append(dcg / idcg)
        pairs = [(1.0 if s[a] > s[b] else 0.5 if s[a] == s[b] else 0.0)
                 for a in range(len(s)) if m[a] for b in range(len(s)) if not m[b]]
        au.append(sum(pairs) / len(pairs))
    return np.array(hr), np.array(nd), np.array(au)


@pytest.mark.parametrize("seed,k", [(0, 1), (1, 5), (2, 10), (3, 30)])
def test_against_reference_loops(seed, k):
    rng = np.random.default_rng(seed)
    users, n = 40, 25
    scores = rng.integers(0, 6, (users, n)).astype(np.float64)  # few values: many ties
    pos = rng.integers(0, n, users)
    one = np.zeros((users, n), bool)
    one[np.arange(users), pos] = True
    many = rng.random((users, n)) < 0.2
    many[np.arange(users), pos] = True  # at least one positive
    many[:, 0] = False  # at least one negative
    for target, mask in ((pos, one), (one, one), (many, many)):
        hr, nd, au = reference(scores, mask, k)
        np.testing.assert_array_equal(hit_rate_at_k(scores, target, k, reduction="none"), hr)
        np.testing.assert_allclose(ndcg_at_k(scores, target, k, reduction="none"), nd, rtol=1e-13)
        np.testing.assert_allclose(auc(scores, target, reduction="none"), au, rtol=1e-13)
        assert hit_rate_at_k(scores, target, k) == pytest.approx(hr.mean())
        assert ndcg_at_k(scores, target, k) == pytest.approx(nd.mean())
        assert auc(scores, target) == pytest.approx(au.mean())


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("fn", [hit_rate_at_k, ndcg_at_k])
def test_k_errors(fn):
    with pytest.raises(ValueError, match="k must be at least 1, got 0") as e:
        fn(SCORES, POS, 0)
    assert "Pista:" in str(e.value)
    with pytest.raises(TypeError, match="k must be an int"):
        fn(SCORES, POS, 2.5)


@pytest.mark.parametrize("fn", [hit_rate_at_k, ndcg_at_k, auc])
def test_ranking_errors(fn):
    with pytest.raises(ValueError, match=r"\(users, candidates\) matrix, got shape \(4,\)"):
        fn(SCORES[0], POS)
    with pytest.raises(ValueError, match=r"one positive per user, shape \(3,\), got \(2,\)"):
        fn(SCORES, POS[:2])
    with pytest.raises(ValueError, match=r"relevance mask must have the shape of scores \(3, 4\)"):
        fn(SCORES, np.ones((3, 5), bool))
    with pytest.raises(IndexError, match="positive position 4 is out of range for 4 candidates"):
        fn(SCORES, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="user 1 has no relevant candidate"):
        fn(SCORES, np.array([[True, False, False, False], [False] * 4, [True] * 2 + [False] * 2]))
    with pytest.raises(ValueError, match="the positive item 9 of user 0 is not among its candidates"):
        fn(SCORES, np.array([9, 1, 2]), candidates=np.arange(12).reshape(3, 4) % 4)
    with pytest.raises(ValueError, match="NaN"):
        fn(np.where(SCORES > 0.8, np.nan, SCORES), POS)
    with pytest.raises(TypeError, match="integer positions/ids"):
        fn(SCORES, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'none'"):
        fn(SCORES, POS, reduction="sum")


def test_auc_needs_a_negative():
    with pytest.raises(ValueError, match="user 0 has no non-relevant candidate"):
        auc(np.ones((1, 3)), np.ones((1, 3), bool))


def test_star_import_names():
    assert set(recsys.metrics.__all__) == {"rmse", "mae", "hit_rate_at_k", "ndcg_at_k", "auc"}
    assert all(getattr(recsys, n) is getattr(recsys.metrics, n) for n in recsys.metrics.__all__)
