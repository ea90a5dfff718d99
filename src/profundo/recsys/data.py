"""Interaction data for recommenders (Unit 4): splits, explicit/implicit views, negative sampling.

Everything here is host-side NumPy (like ``profundo.datasets``): a data pipeline
that prepares integer ids before they reach ``nn.Embedding``.

- ``as_interactions`` turns a MovieLens object, a DataFrame or arrays into
  ``Interactions`` (``user``, ``item``, ``rating``, ``timestamp`` arrays).
- ``split_interactions`` splits them at random, or sequence-aware (each user's
  latest interaction held out, as d2l's ``split_data_ml100k``).
- ``Interactions.explicit()`` is the ratings view (a ``TensorDataset``);
  ``Interactions.implicit()`` is the interactions view, ``UserItemSets``: each
  user's seen items as one CSR-like pair of arrays (``indptr``, ``items``).
- ``sample_negatives`` draws unseen items uniformly, ``negative_sampling``
  builds (user, positive, negative) triples for BPR/NeuMF, and
  ``ranking_candidates`` gives each test interaction the items to rank.

Uniform sampling over a user's *unseen* items needs no rejection loop: the
``r``-th unseen item of a user whose sorted seen items are ``s_0 < s_1 < ...``
is ``r + m``, where ``m`` counts the seen items with ``s_j - j <= r``
(``s_j - j`` is how many unseen items lie below ``s_j``).  Drawing a rank
``r`` in ``[0, num_unseen)`` and mapping it this way (one ``searchsorted`` for
all users) is exact and vectorized.
"""
from collections import namedtuple
from dataclasses import dataclass

import numpy as np

from .._errors import error

__all__ = ["Interactions", "as_interactions", "split_interactions", "UserItemSets", "sample_negatives",
           "negative_sampling", "Candidates", "ranking_candidates"]

_MODES = ("random", "seq-aware")


# ---------------------------------------------------------------- interactions
@dataclass
class Interactions:
    """One row per interaction: int64 ``user``/``item`` ids (``0..n-1``), optional float32 ``rating`` and
    int64 ``timestamp`` (None when absent), and the sizes of the id spaces."""
    user: np.ndarray
    item: np.ndarray
    rating: object
    timestamp: object
    num_users: int
    num_items: int

    def __len__(self):
        return len(self.user)

    def subset(self, index):
        """The interactions at ``index`` (integer array or boolean mask), same id spaces."""
        pick = (lambda a: None if a is None else a[index])
        return Interactions(self.user[index], self.item[index], pick(self.rating), pick(self.timestamp),
                            self.num_users, self.num_items)

    def explicit(self, dtype=None):
        """The explicit (ratings) view: ``TensorDataset(user, item, rating)``, int64 ids, float32 ratings."""
        if self.rating is None:
            raise error(ValueError, "Interactions.explicit", "these interactions have no ratings",
                        "la vista explícita necesita la columna 'rating'; usa .implicit() para interacciones")
        from .._dtype import float32
        from ..creation import tensor
        from ..utils.data import TensorDataset
        return TensorDataset(tensor(self.user), tensor(self.item), tensor(self.rating, dtype=dtype or float32))

    def implicit(self):
        """The implicit view: every interaction is a positive; each user's items as ``UserItemSets``."""
        return UserItemSets.from_interactions(self)

    def to_frame(self):
        """A pandas DataFrame with columns user, item (and rating, timestamp when present)."""
        import pandas as pd
        cols = {"user": self.user, "item": self.item}
        if self.rating is not None:
            cols["rating"] = self.rating
        if self.timestamp is not None:
            cols["timestamp"] = self.timestamp
        return pd.DataFrame(cols)

    def __repr__(self):
        return f"Interactions({len(self):,} rows, {self.num_users:,} users, {self.num_items:,} items)"


def _ids(op, name, values, size):
    a = np.asarray(values)
    if a.ndim != 1:
        raise error(ValueError, op, f"{name} must be 1-D, got shape {a.shape}",
                    f"pasa un vector de ids para '{name}'")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        if not (np.issubdtype(a.dtype, np.floating) and np.all(a == np.round(a))):
            raise error(TypeError, op, f"{name} ids must be integers, got dtype {a.dtype}",
                        "los ids de usuario e ítem son enteros 0..n-1 (p. ej. las columnas 'user'/'item')")
    a = a.astype(np.int64)
    if a.size and a.min() < 0:
        raise error(ValueError, op, f"{name} ids must be >= 0, got {int(a.min())}",
                    "re-indexa los ids a 0..n-1 (load_movielens ya lo hace en 'user'/'item')")
    if size is not None and a.size and a.max() >= size:
        raise error(ValueError, op, f"{name} id {int(a.max())} is out of range for num_{name}s={size}",
                    f"num_{name}s debe ser mayor que el id más grande")
    return a


def as_interactions(data, num_users=None, num_items=None):
    """``Interactions`` from a ``MovieLens`` object, a DataFrame with columns ``user``, ``item`` (optional
    ``rating``, ``timestamp``), a dict of such arrays, a tuple ``(user, item[, rating[, timestamp]])`` or
    ``Interactions`` (returned as is).  ``num_users``/``num_items`` default to the data's (or max id + 1)."""
    op = "as_interactions"
    if isinstance(data, Interactions):
        if (num_users not in (None, data.num_users)) or (num_items not in (None, data.num_items)):
            raise error(ValueError, op, f"num_users/num_items ({num_users}, {num_items}) differ from the "
                        f"interactions' ({data.num_users}, {data.num_items})",
                        "no pases num_users/num_items con un objeto Interactions")
        return data
    if hasattr(data, "ratings") and hasattr(data, "num_users"):  # a datasets.MovieLens
        num_users = data.num_users if num_users is None else num_users
        num_items = data.num_items if num_items is None else num_items
        data = data.ratings
    if isinstance(data, (tuple, list)):
        if not 2 <= len(data) <= 4:
            raise error(ValueError, op, f"a tuple must be (user, item[, rating[, timestamp]]), got {len(data)} "
                        "arrays", "p. ej. as_interactions((usuarios, items, notas))")
        data = dict(zip(("user", "item", "rating", "timestamp"), data))
    try:
        columns = set(data.keys())
    except AttributeError:
        raise error(TypeError, op, f"expected a MovieLens object, a DataFrame, a dict or a tuple of arrays, "
                    f"got {type(data).__name__}", "p. ej. as_interactions(load_movielens('100k'))") from None
    missing = {"user", "item"} - columns
    if missing:
        raise error(ValueError, op, f"the data lacks the column(s) {sorted(missing)}; it has {sorted(columns)}",
                    "hacen falta las columnas 'user' e 'item' (ids 0..n-1)")
    user = _ids(op, "user", data["user"], num_users)
    item = _ids(op, "item", data["item"], num_items)
    rating = None if "rating" not in columns else np.asarray(data["rating"], dtype=np.float32)
    timestamp = None if "timestamp" not in columns else np.asarray(data["timestamp"]).astype(np.int64)
    for name, a in (("item", item), ("rating", rating), ("timestamp", timestamp)):
        if a is not None and a.shape != user.shape:
            raise error(ValueError, op, f"{name} has {a.shape[0] if a.ndim else 0} rows but user has "
                        f"{len(user)}", "todas las columnas deben tener la misma longitud")
    num_users = int(num_users if num_users is not None else (user.max() + 1 if user.size else 0))
    num_items = int(num_items if num_items is not None else (item.max() + 1 if item.size else 0))
    return Interactions(user, item, rating, timestamp, num_users, num_items)


def _rng(op, seed, generator):
    """A NumPy Generator: from ``seed``, from a profundo ``Generator``, or profundo's default one."""
    if seed is not None and generator is not None:
        raise error(ValueError, op, "pass either seed or generator, not both",
                    "usa seed=entero o generator=torch.Generator().manual_seed(...)")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise error(TypeError, op, f"seed must be a non-negative integer, got {seed!r}",
                        "p. ej. seed=0; para un generador usa generator=torch.Generator().manual_seed(0)")
        return np.random.default_rng(int(seed))
    from ..random import _rng as profundo_rng
    return profundo_rng(generator)


# ---------------------------------------------------------------- splits
def split_interactions(data, mode="random", test_ratio=None, seed=None, generator=None,
                       num_users=None, num_items=None):
    """Split interactions into ``(train, test)`` ``Interactions``.

    ``mode="random"``: exactly ``round(len * test_ratio)`` rows (``test_ratio`` defaults to 0.1) drawn
    without replacement go to test (d2l draws a Bernoulli mask per row; an exact count is easier to check);
    both parts keep the original row order.  Reproducible with ``seed`` or ``generator`` (else profundo's
    default generator, so ``manual_seed`` fixes it).

    ``mode="seq-aware"``: each user's latest interaction (largest timestamp; among ties the first row, as
    d2l's ``split_data_ml100k``) is held out; train is sorted by (user, timestamp).  Deterministic, so
    ``test_ratio``, ``seed`` and ``generator`` are refused.  Every user must have an interaction.
    """
    op = "split_interactions"
    if mode not in _MODES:
        raise error(ValueError, op, f"unknown mode {mode!r}; choose one of {list(_MODES)}",
                    "mode='random' (al azar) o mode='seq-aware' (la última interacción de cada usuario)")
    data = as_interactions(data, num_users, num_items)
    n = len(data)
    if mode == "seq-aware":
        if test_ratio is not None or seed is not None or generator is not None:
            raise error(ValueError, op, "mode='seq-aware' holds out each user's latest interaction: "
                        "test_ratio, seed and generator do not apply",
                        "quita test_ratio/seed/generator, o usa mode='random'")
        if data.timestamp is None:
            raise error(ValueError, op, "mode='seq-aware' needs timestamps; these interactions have none",
                        "incluye la columna 'timestamp'")
        counts = np.bincount(data.user, minlength=data.num_users)
        empty = np.flatnonzero(counts == 0)
        if empty.size:
            raise error(ValueError, op, f"{empty.size} user(s) have no interactions (first ids: "
                        f"{empty[:5].tolist()}), so none can be held out",
                        "quita esos usuarios y re-indexa, o pasa el num_users correcto")
        # sort by (user, timestamp, -row): each user's last row is the latest, the first row among ties
        order = np.lexsort((-np.arange(n), data.timestamp, data.user))
        last = np.cumsum(counts) - 1                  # position of each user's last row in `order`
        held = np.zeros(n, dtype=bool)
        held[last] = True
        return data.subset(order[~held]), data.subset(order[held])
    ratio = 0.1 if test_ratio is None else test_ratio
    if not (isinstance(ratio, (int, float, np.floating)) and 0 < ratio < 1):
        raise error(ValueError, op, f"test_ratio must be in (0, 1), got {ratio!r}",
                    "p. ej. test_ratio=0.1 para un 10 % de prueba")
    n_test = int(round(n * ratio))
    if not 0 < n_test < n:
        raise error(ValueError, op, f"test_ratio={ratio} of {n} interactions gives {n_test} test rows; "
                    "both parts must be non-empty", "usa más datos o un test_ratio más equilibrado")
    rng = _rng(op, seed, generator)
    test = np.zeros(n, dtype=bool)
    test[rng.permutation(n)[:n_test]] = True
    return data.subset(~test), data.subset(test)


# ---------------------------------------------------------------- implicit view
def _unique(keys):
    """Sorted unique values by one sort (NumPy 2's ``np.unique`` hashes int64: ~40x slower at 2M keys)."""
    s = np.sort(keys, kind="stable")
    return s[np.concatenate([[True], s[1:] != s[:-1]])] if s.size else s


def _search(sorted_keys, queries, side="left"):
    """``searchsorted`` with the queries visited in order: random queries into millions of keys miss the
    cache at every step (2M queries: 2.4 s plain, 0.55 s sorted first)."""
    q = queries.ravel()
    if q.size < 4096:
        return np.searchsorted(sorted_keys, queries, side=side)
    order = np.argsort(q, kind="stable")
    out = np.empty(q.shape, dtype=np.int64)
    out[order] = np.searchsorted(sorted_keys, q[order], side=side)
    return out.reshape(queries.shape)


class UserItemSets:
    """Each user's set of items, CSR-like: user ``u``'s sorted items are ``items[indptr[u]:indptr[u+1]]``.

    ``keys`` is the sorted array of ``user * num_items + item``, so membership of many (user, item) pairs
    is one ``searchsorted`` (``contains``).  Repeated interactions count once.
    """

    def __init__(self, keys, num_users, num_items):
        self.num_users, self.num_items = int(num_users), int(num_items)
        self.keys = keys                                   # sorted, unique int64
        owner = keys // self.num_items if self.num_items else keys
        self.items = keys - owner * self.num_items
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=self.num_users))])
        # s_j - j per user (unseen items below s_j), offset by the user: sorted, for the rank -> item map
        self._below = owner * self.num_items + self.items - (np.arange(len(keys)) - self.indptr[owner])

    @classmethod
    def from_interactions(cls, data, num_users=None, num_items=None):
        data = as_interactions(data, num_users, num_items)
        return cls(_unique(data.user * data.num_items + data.item), data.num_users, data.num_items)

    @property
    def counts(self):
        """How many distinct items each user has."""
        return np.diff(self.indptr)

    def items_of(self, user):
        return self.items[self.indptr[user]:self.indptr[user + 1]]

    def contains(self, users, items):
        """Boolean array: whether each ``(users[i], items[i])`` is in the sets (broadcasting)."""
        q = np.asarray(users, dtype=np.int64) * self.num_items + np.asarray(items, dtype=np.int64)
        pos = np.minimum(_search(self.keys, q), max(len(self.keys) - 1, 0))
        return (self.keys[pos] == q) if len(self.keys) else np.zeros(q.shape, dtype=bool)

    def union(self, other):
        if (self.num_users, self.num_items) != (other.num_users, other.num_items):
            raise error(ValueError, "UserItemSets.union", f"id spaces differ: ({self.num_users}, "
                        f"{self.num_items}) vs ({other.num_users}, {other.num_items})",
                        "une conjuntos construidos con los mismos num_users y num_items")
        return UserItemSets(_unique(np.concatenate([self.keys, other.keys])), self.num_users, self.num_items)

    def unseen_item(self, users, ranks):
        """The ``ranks``-th (0-based) item each user has not seen, in increasing item order."""
        users = np.asarray(users, dtype=np.int64)
        ranks = np.asarray(ranks, dtype=np.int64)
        users = users.reshape(users.shape + (1,) * (ranks.ndim - users.ndim))  # one user per row of ranks
        below = _search(self._below, users * self.num_items + ranks, side="right")
        return ranks + below - self.indptr[users]

    def __len__(self):
        return len(self.keys)

    def __repr__(self):
        return f"UserItemSets({len(self):,} pairs, {self.num_users:,} users, {self.num_items:,} items)"


def _as_sets(op, seen):
    if isinstance(seen, UserItemSets):
        return seen
    try:
        return UserItemSets.from_interactions(seen)
    except TypeError:
        raise error(TypeError, op, f"seen must be UserItemSets or interactions, got {type(seen).__name__}",
                    "p. ej. seen = train.implicit()") from None


# ---------------------------------------------------------------- negative sampling
def sample_negatives(seen, users, num_negatives=1, replacement=True, seed=None, generator=None):
    """For each of ``users``, ``num_negatives`` items drawn uniformly among the items that user has not
    seen: an int64 array of shape ``(len(users), num_negatives)``.

    ``seen``: ``UserItemSets`` (or interactions).  ``replacement=False`` makes each row's items distinct
    (then a user needs at least ``num_negatives`` unseen items).  Reproducible with ``seed``/``generator``.
    """
    op = "sample_negatives"
    seen = _as_sets(op, seen)
    if isinstance(num_negatives, bool) or not isinstance(num_negatives, (int, np.integer)) or num_negatives < 1:
        raise error(ValueError, op, f"num_negatives must be a positive integer, got {num_negatives!r}",
                    "p. ej. num_negatives=4 negativos por positivo")
    k = int(num_negatives)
    users = _ids(op, "user", users, seen.num_users)
    unseen = seen.num_items - seen.counts[users]
    need = k if not replacement else 1
    short = np.flatnonzero(unseen < need)
    if short.size:
        u = int(users[short[0]])
        raise error(ValueError, op, f"user {u} has {int(unseen[short[0]])} unseen item(s) of {seen.num_items}, "
                    f"fewer than the {need} needed ({k} negatives, replacement={replacement})",
                    "pide menos negativos, usa replacement=True, o quita los usuarios que lo han visto todo")
    rng = _rng(op, seed, generator)
    if replacement:
        ranks = np.floor(rng.random((len(users), k)) * unseen[:, None]).astype(np.int64)
    else:
        # Floyd's algorithm, vectorized over users (a loop over the k columns): k distinct ranks in [0, unseen)
        ranks = np.empty((len(users), k), dtype=np.int64)
        for c in range(k):
            top = unseen - k + c                                  # draw in [0, top]
            t = np.floor(rng.random(len(users)) * (top + 1)).astype(np.int64)
            taken = (ranks[:, :c] == t[:, None]).any(axis=1)
            ranks[:, c] = np.where(taken, top, t)
        ranks = np.take_along_axis(ranks, np.argsort(rng.random(ranks.shape), axis=1), axis=1)  # random order
    return seen.unseen_item(users, ranks)


def negative_sampling(data, num_negatives=1, seen=None, seed=None, generator=None):
    """Training triples for implicit feedback (BPR, NeuMF): ``(users, positives, negatives)``, 1-D int64
    arrays of length ``len(data) * num_negatives``; every interaction is a positive, repeated once per
    negative, and each negative is an item that user has not seen (in ``seen``, by default ``data``)."""
    data = as_interactions(data)
    seen = data.implicit() if seen is None else _as_sets("negative_sampling", seen)
    neg = sample_negatives(seen, data.user, num_negatives, seed=seed, generator=generator)
    return np.repeat(data.user, num_negatives), np.repeat(data.item, num_negatives), neg.reshape(-1)


Candidates = namedtuple("Candidates", ["users", "items", "labels", "indptr"])
Candidates.__doc__ = """Items to rank for each test interaction.  Sampled: ``items``/``labels`` of shape
``(n, k + 1)``, the held-out positive in column 0, ``indptr`` None.  All unseen items: ragged, row ``i``'s
items are ``items[indptr[i]:indptr[i+1]]`` and ``labels`` marks the held-out positive."""


def ranking_candidates(seen, test, num_negatives=None, seed=None, generator=None):
    """The candidates to rank for each test interaction ``(u, i)``: with ``num_negatives=None``, every
    item ``u`` did not see in training (``seen``, e.g. ``train.implicit()``), as d2l's evaluation; with
    ``num_negatives=k``, the positive and ``k`` distinct items ``u`` saw neither in training nor in test."""
    op = "ranking_candidates"
    seen = _as_sets(op, seen)
    test = as_interactions(test, seen.num_users, seen.num_items)
    already = seen.contains(test.user, test.item)
    if already.any():
        j = int(np.flatnonzero(already)[0])
        raise error(ValueError, op, f"the test interaction (user {int(test.user[j])}, item {int(test.item[j])}) "
                    "was already seen in training, so it cannot be ranked among unseen items",
                    "usa un split que no repita pares (usuario, ítem) entre train y test")
    if num_negatives is None:
        if seed is not None or generator is not None:
            raise error(ValueError, op, "num_negatives=None ranks all unseen items: seed/generator do not apply",
                        "quita seed/generator, o pasa num_negatives=k para muestrear")
        sizes = seen.num_items - seen.counts[test.user]
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        row = np.repeat(np.arange(len(test)), sizes)
        items = seen.unseen_item(test.user[row], np.arange(indptr[-1]) - indptr[row])
        return Candidates(test.user, items, items == test.item[row], indptr)
    exclude = seen.union(UserItemSets.from_interactions(test))
    neg = sample_negatives(exclude, test.user, num_negatives, replacement=False, seed=seed, generator=generator)
    items = np.concatenate([test.item[:, None], neg], axis=1)
    labels = np.zeros(items.shape, dtype=bool)
    labels[:, 0] = True
    return Candidates(test.user, items, labels, None)
