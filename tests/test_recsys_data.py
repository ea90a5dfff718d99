"""profundo.recsys data: splits, explicit/implicit views, negative sampling, ranking candidates."""
import numpy as np
import pandas as pd
import pytest

import profundo
from profundo import datasets, recsys
from profundo._errors import is_checked


def checked(excinfo):
    assert is_checked(excinfo.value), "raise profundo._errors.error(...), not a bare exception"
    assert "Pista:" in str(excinfo.value)
    return str(excinfo.value)


def frame(seed=0, num_users=30, num_items=40, per_user=(2, 12)):
    """Random distinct (user, item) pairs with ratings and timestamps (ties included)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(num_users):
        k = rng.integers(*per_user)
        for i in rng.choice(num_items, size=k, replace=False):
            rows.append((u, i, rng.integers(1, 6), rng.integers(0, 8)))
    f = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])
    return f.sample(frac=1, random_state=seed).reset_index(drop=True)  # users interleaved in the file


# ------------------------------------------------------------------ interactions and views
def test_interactions_from_frame_tuple_and_views():
    f = frame()
    data = recsys.as_interactions(f)
    assert (data.num_users, data.num_items) == (f.user.max() + 1, f.item.max() + 1)
    assert data.user.dtype == np.int64 and data.rating.dtype == np.float32 and len(data) == len(f)
    same = recsys.as_interactions((f.user.to_numpy(), f.item.to_numpy(), f.rating.to_numpy()), num_items=50)
    assert same.num_items == 50 and same.timestamp is None
    np.testing.assert_array_equal(same.item, data.item)
    ds = data.explicit()
    u, i, r = ds[:]
    assert u.dtype == profundo.int64 and r.dtype == profundo.float32 and len(ds) == len(f)
    np.testing.assert_array_equal(r.numpy(), f.rating.to_numpy().astype(np.float32))
    sets = data.implicit()
    assert np.array_equal(sets.counts, f.groupby("user").size().reindex(range(data.num_users)).to_numpy())
    for user in (0, 7, 29):
        np.testing.assert_array_equal(sets.items_of(user), np.sort(f.item[f.user == user].to_numpy()))
    inside = sets.contains(f.user.to_numpy(), f.item.to_numpy())
    assert inside.all()
    pairs = set(zip(f.user, f.item))
    uu, ii = np.meshgrid(np.arange(data.num_users), np.arange(data.num_items), indexing="ij")
    expected = np.array([[(a, b) in pairs for b in range(data.num_items)] for a in range(data.num_users)])
    np.testing.assert_array_equal(sets.contains(uu, ii), expected)
    pd.testing.assert_frame_equal(data.to_frame(), f.astype({"rating": np.float32}), check_dtype=False)


def test_repeated_interactions_count_once_in_the_implicit_view():
    sets = recsys.as_interactions(([0, 0, 1, 0], [3, 3, 1, 2]), num_users=3, num_items=5).implicit()
    np.testing.assert_array_equal(sets.indptr, [0, 2, 3, 3])
    np.testing.assert_array_equal(sets.items, [2, 3, 1])


def test_unseen_item_enumerates_each_users_complement_in_order():
    sets = recsys.as_interactions(([0, 0, 2, 2, 2], [1, 3, 0, 1, 4]), num_users=3, num_items=5).implicit()
    for u in range(3):
        unseen = np.setdiff1d(np.arange(5), sets.items_of(u))
        np.testing.assert_array_equal(sets.unseen_item(np.full(len(unseen), u), np.arange(len(unseen))), unseen)


# ------------------------------------------------------------------ splits
def test_random_split_sizes_partition_and_reproducibility():
    f = frame()
    data = recsys.as_interactions(f)
    train, test = recsys.split_interactions(data, test_ratio=0.2, seed=3)
    assert len(test) == round(0.2 * len(f)) and len(train) + len(test) == len(f)
    keys = lambda d: set(zip(d.user.tolist(), d.item.tolist()))  # noqa: E731
    assert keys(train) | keys(test) == keys(data) and not keys(train) & keys(test)
    assert (train.num_users, train.num_items) == (data.num_users, data.num_items)
    again = recsys.split_interactions(f, test_ratio=0.2, seed=3)[1]
    np.testing.assert_array_equal(again.user, test.user)
    np.testing.assert_array_equal(again.item, test.item)
    other = recsys.split_interactions(f, test_ratio=0.2, seed=4)[1]
    assert keys(other) != keys(test)
    # the default ratio is 0.1, and profundo's generator makes it reproducible
    profundo.manual_seed(0)
    a = recsys.split_interactions(f)[1]
    profundo.manual_seed(0)
    b = recsys.split_interactions(f)[1]
    assert len(a) == round(0.1 * len(f)) and keys(a) == keys(b)
    g = profundo.Generator().manual_seed(5)
    c = recsys.split_interactions(f, generator=g)[1]
    d = recsys.split_interactions(f, generator=profundo.Generator().manual_seed(5))[1]
    assert keys(c) == keys(d)


def test_seq_aware_split_holds_out_each_users_latest_interaction():
    f = frame()
    train, test = recsys.split_interactions(f, mode="seq-aware")
    assert len(test) == f.user.nunique() and len(train) == len(f) - len(test)
    np.testing.assert_array_equal(test.user, np.arange(30))
    for u in range(30):
        rows = f[f.user == u]
        latest = rows.timestamp.max()
        first_latest = rows[rows.timestamp == latest].iloc[0]   # d2l: the first row among ties wins
        assert (test.item[u], test.timestamp[u], test.rating[u]) == (first_latest["item"], latest,
                                                                     first_latest["rating"])
        ts = train.timestamp[train.user == u]
        assert (ts <= latest).all() and (np.diff(ts) >= 0).all()    # train sorted by time per user
    assert (np.diff(train.user) >= 0).all()
    got = set(zip(train.user.tolist(), train.item.tolist())) | set(zip(test.user.tolist(), test.item.tolist()))
    assert got == set(zip(f.user, f.item))


def test_seq_aware_split_of_a_tiny_example_with_a_tie():
    f = pd.DataFrame({"user": [1, 0, 1, 0, 1], "item": [0, 1, 2, 3, 4], "rating": [1, 2, 3, 4, 5],
                      "timestamp": [5, 9, 7, 3, 7]})
    train, test = recsys.split_interactions(f, mode="seq-aware")
    np.testing.assert_array_equal(test.item, [1, 2])          # user 1: items 2 and 4 tie at 7, the first wins
    np.testing.assert_array_equal(train.user, [0, 1, 1])
    np.testing.assert_array_equal(train.item, [3, 0, 4])


def test_split_errors():
    f = frame()
    for bad in (0, 1, 1.5, -0.1, "0.1"):
        with pytest.raises(ValueError) as e:
            recsys.split_interactions(f, test_ratio=bad)
        assert "test_ratio" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.split_interactions(f, mode="temporal")
    assert "seq-aware" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.split_interactions(f, mode="seq-aware", num_users=32)
    assert "2 user(s) have no interactions" in checked(e) and "[30, 31]" in str(e.value)
    with pytest.raises(ValueError) as e:
        recsys.split_interactions(f, mode="seq-aware", test_ratio=0.2)
    checked(e)
    with pytest.raises(ValueError) as e:
        recsys.split_interactions(f[["user", "item"]], mode="seq-aware")
    assert "timestamps" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.split_interactions(f, seed=1, generator=profundo.Generator())
    checked(e)
    for bad in (1.5, -1, "0", np.random.default_rng(0)):
        with pytest.raises(TypeError) as e:
            recsys.split_interactions(f, seed=bad)
        assert "seed" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.split_interactions(f.iloc[:3], test_ratio=0.1)
    assert "non-empty" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.as_interactions(f, num_items=10)
    assert "out of range" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.as_interactions({"user": [0, 1]})
    assert "item" in checked(e)
    with pytest.raises(TypeError) as e:
        recsys.as_interactions(([0.5], [1]))
    checked(e)
    with pytest.raises(ValueError) as e:
        recsys.as_interactions(([0, 1], [1]))
    checked(e)
    with pytest.raises(ValueError) as e:
        recsys.as_interactions(f[["user", "item"]]).explicit()
    checked(e)


# ------------------------------------------------------------------ negative sampling
def test_negatives_are_unseen_uniform_and_reproducible():
    f = frame(num_users=20, num_items=15, per_user=(1, 14))
    sets = recsys.as_interactions(f, num_items=15).implicit()
    users = np.repeat(np.arange(20), 50)
    neg = recsys.sample_negatives(sets, users, num_negatives=6, seed=1)
    assert neg.shape == (1000, 6) and neg.dtype == np.int64
    assert not sets.contains(users[:, None], neg).any()
    assert ((neg >= 0) & (neg < 15)).all()
    np.testing.assert_array_equal(neg, recsys.sample_negatives(sets, users, num_negatives=6, seed=1))
    assert not np.array_equal(neg, recsys.sample_negatives(sets, users, num_negatives=6, seed=2))
    # every unseen item of a user is drawn; roughly uniformly (300 draws per user)
    u = int(np.argmax(sets.counts))
    unseen = np.setdiff1d(np.arange(15), sets.items_of(u))
    got = neg[users == u].ravel()
    np.testing.assert_array_equal(np.unique(got), unseen)
    freq = np.bincount(got, minlength=15)[unseen] / got.size
    assert np.abs(freq - 1 / len(unseen)).max() < 0.12


def test_negatives_without_replacement_are_distinct_per_row():
    f = frame(num_users=10, num_items=12, per_user=(1, 8))
    sets = recsys.as_interactions(f, num_items=12).implicit()
    users = np.repeat(np.arange(10), 20)
    k = 4
    neg = recsys.sample_negatives(sets, users, num_negatives=k, replacement=False, seed=0)
    assert not sets.contains(users[:, None], neg).any()
    assert (np.diff(np.sort(neg, axis=1), axis=1) > 0).all()
    # asking exactly the number of unseen items returns all of them
    u = int(np.argmax(sets.counts))
    n_unseen = 12 - sets.counts[u]
    full = recsys.sample_negatives(sets, [u], num_negatives=int(n_unseen), replacement=False, seed=0)
    np.testing.assert_array_equal(np.sort(full[0]), np.setdiff1d(np.arange(12), sets.items_of(u)))


def test_negative_sampling_triples_and_errors():
    f = frame(num_users=8, num_items=10, per_user=(1, 6))
    data = recsys.as_interactions(f)
    users, pos, neg = recsys.negative_sampling(data, num_negatives=3, seed=0)
    assert users.shape == pos.shape == neg.shape == (3 * len(f),)
    np.testing.assert_array_equal(users, np.repeat(data.user, 3))
    np.testing.assert_array_equal(pos, np.repeat(data.item, 3))
    sets = data.implicit()
    assert sets.contains(users, pos).all() and not sets.contains(users, neg).any()
    profundo.manual_seed(1)
    a = recsys.negative_sampling(data, 2)[2]
    profundo.manual_seed(1)
    np.testing.assert_array_equal(a, recsys.negative_sampling(data, 2)[2])
    full = recsys.as_interactions(([0, 0, 0, 1], [0, 1, 2, 0]), num_items=3).implicit()
    with pytest.raises(ValueError) as e:
        recsys.sample_negatives(full, [1, 0], num_negatives=1)
    assert "user 0 has 0 unseen" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.sample_negatives(full, [1], num_negatives=3, replacement=False)
    assert "user 1 has 2 unseen" in checked(e)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError) as e:
            recsys.sample_negatives(full, [1], num_negatives=bad)
        checked(e)
    with pytest.raises(ValueError) as e:
        recsys.sample_negatives(full, [2], num_negatives=1)
    assert "out of range" in checked(e)


# ------------------------------------------------------------------ ranking candidates
def test_ranking_candidates_all_unseen_and_sampled():
    f = frame(num_users=12, num_items=20, per_user=(2, 9))
    train, test = recsys.split_interactions(f, mode="seq-aware")
    seen = train.implicit()
    c = recsys.ranking_candidates(seen, test)
    assert c.indptr[-1] == len(c.items) == (20 - seen.counts[test.user]).sum()
    for row, u in enumerate(test.user):
        items = c.items[c.indptr[row]:c.indptr[row + 1]]
        np.testing.assert_array_equal(items, np.setdiff1d(np.arange(20), seen.items_of(u)))
        np.testing.assert_array_equal(c.labels[c.indptr[row]:c.indptr[row + 1]], items == test.item[row])
    assert c.labels.sum() == len(test)
    s = recsys.ranking_candidates(seen, test, num_negatives=5, seed=0)
    assert s.items.shape == s.labels.shape == (len(test), 6) and s.indptr is None
    np.testing.assert_array_equal(s.items[:, 0], test.item)
    assert s.labels[:, 0].all() and not s.labels[:, 1:].any()
    assert not seen.contains(test.user[:, None], s.items[:, 1:]).any()
    assert (s.items[:, 1:] != test.item[:, None]).all()
    assert (np.diff(np.sort(s.items, axis=1), axis=1) > 0).all()
    np.testing.assert_array_equal(s.items, recsys.ranking_candidates(seen, test, num_negatives=5, seed=0).items)
    with pytest.raises(ValueError) as e:
        recsys.ranking_candidates(seen, train)
    assert "already seen" in checked(e)
    with pytest.raises(ValueError) as e:
        recsys.ranking_candidates(seen, test, seed=0)
    checked(e)
    with pytest.raises(ValueError) as e:
        recsys.ranking_candidates(seen, test, num_negatives=20)
    assert "unseen" in checked(e)


def test_large_problem_is_vectorized_and_fast():
    rng = np.random.default_rng(0)
    n_users, n_items, n = 20_000, 5_000, 200_000
    data = recsys.as_interactions((rng.integers(0, n_users, n), rng.integers(0, n_items, n),
                                   rng.integers(1, 6, n), rng.integers(0, 10**9, n)), n_users, n_items)
    train, test = recsys.split_interactions(data, test_ratio=0.1, seed=0)
    users, pos, neg = recsys.negative_sampling(train, num_negatives=4, seed=0)
    sets = train.implicit()
    assert sets.contains(users, pos).all() and not sets.contains(users, neg).any()
    # the sorted-query searches agree with plain NumPy on many random pairs
    q = rng.integers(0, n_users, 10_000) * n_items + rng.integers(0, n_items, 10_000)
    np.testing.assert_array_equal(sets.contains(q // n_items, q % n_items), np.isin(q, sets.keys))
    assert len(sets) == len(np.unique(train.user * n_items + train.item))


# ------------------------------------------------------------------ through load_movielens
U_DATA = ("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n"
          "186\t242\t5\t880000000\n22\t377\t1\t878887116\n196\t302\t4\t881251000\n22\t242\t2\t878000000\n")
U_ITEM = "242|A (1995)|01-Jan-1995||x\n302|B (1995)|01-Jan-1995||y\n377|C (1996)|01-Jan-1996||z\n"
U_USER = "22|24|M|technician|85711\n186|53|F|other|94043\n196|30|M|writer|32067\n"


def test_split_and_sample_a_local_movielens_100k_folder(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    for name, text in (("u.data", U_DATA), ("u.item", U_ITEM), ("u.user", U_USER)):
        (folder / name).write_text(text)
    (folder / ".verified").write_text("test\n")  # marks the folder as extracted from a verified zip
    ml = datasets.load_movielens("100k", tmp_path, download=False)
    train, test = recsys.split_interactions(ml, mode="seq-aware")
    assert (train.num_users, train.num_items) == (3, 3)
    # users 22, 186, 196 -> 0, 1, 2; items 242, 302, 377 -> 0, 1, 2; latest: 22->377, 186->302, 196->302
    np.testing.assert_array_equal(test.user, [0, 1, 2])
    np.testing.assert_array_equal(test.item, [2, 1, 1])
    np.testing.assert_array_equal(test.rating, [1, 3, 4])
    assert len(train) == 4
    c = recsys.ranking_candidates(train.implicit(), test)
    # unseen in training: user 0 saw item 0, user 1 item 0, user 2 items 0 and 2
    np.testing.assert_array_equal(c.indptr, [0, 2, 4, 5])
    np.testing.assert_array_equal(c.items, [1, 2, 1, 2, 1])
    np.testing.assert_array_equal(c.labels, [False, True, True, False, True])
    u, i, r = train.explicit()[:]
    assert r.dtype == profundo.float32 and len(u) == 4
