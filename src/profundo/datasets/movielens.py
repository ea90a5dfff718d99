"""MovieLens ratings (GroupLens): 100K, 1M, 25M and 32M, for the recommender-systems unit.

``load_movielens("100k")`` downloads the official zip, verifies its md5,
extracts it safely, and parses it with pandas.  User and item ids are
re-indexed to ``0..n-1`` (columns ``user`` and ``item``; the original ids stay
in ``user_id`` and ``item_id``), ready for ``nn.Embedding``.

GroupLens' licence allows research and teaching use but not redistribution:
each user downloads the data, and profundo never ships it.
"""
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._errors import error
from ._files import RemoteFile, check_file, data_home, extract_zip, fetch

_BASE = "https://files.grouplens.org/datasets/movielens/"
_LICENCE = "https://grouplens.org/datasets/movielens/ (research and teaching use; no redistribution)"

# variant: (zip md5, folder, {extracted file: sha256} we can check without the zip)
_VARIANTS = {
    "100k": ("0e33842e24a9c977be4e0107933c0723", "ml-100k", {
        "u.data": "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
        "u.item": "553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
        "u.user": "f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c"}),
    "1m": ("c4d9eecfca2ab87c1945afe126590906", "ml-1m", {}),
    "25m": ("6b51fb2759a8657d3bfcbfc42b592ada", "ml-25m", {}),
    # GroupLens publishes ml-32m.zip.md5 next to the zip; see _remote() for how it is used
    "32m": (None, "ml-32m", {}),
}
_VERIFIED = ".verified"  # written into the extracted folder after a verified extraction


@dataclass
class MovieLens:
    """A MovieLens variant: ``ratings``, ``items`` and ``users`` DataFrames and their sizes."""
    variant: str
    ratings: object
    items: object
    users: object
    num_users: int
    num_items: int

    def to_dataset(self, dtype=None):
        """``TensorDataset(user, item, rating)``: int64 ids and float32 ratings, one row per rating."""
        from ..creation import tensor
        from ..utils.data import TensorDataset
        r = self.ratings
        return TensorDataset(tensor(r["user"].to_numpy()), tensor(r["item"].to_numpy()),
                             tensor(r["rating"].to_numpy(), dtype=dtype or _float32()))

    def __repr__(self):
        return (f"MovieLens({self.variant}: {len(self.ratings):,} ratings, {self.num_users:,} users, "
                f"{self.num_items:,} items)")


def _float32():
    from .._dtype import float32
    return float32


def _remote(variant, folder, download):
    md5, top, _ = _VARIANTS[variant]
    name = f"{top}.zip"
    if md5 is None:
        md5 = _published_md5(name, Path(folder), download)
    return RemoteFile(name, (_BASE + name,), f"md5:{md5}", note=_LICENCE)


def _md5_in(text):
    """The md5 in a ``<zip>.md5`` file's text (``<md5>  name`` or BSD's ``MD5 (name) = <md5>``), or None."""
    found = re.search(r"\b[0-9a-fA-F]{32}\b", text)
    return found.group(0).lower() if found else None


def _published_md5(name, folder, download):
    """The md5 GroupLens publishes in ``<zip>.md5``: read from ``folder``, else downloaded (only if allowed).

    The zip cannot be verified without it, so when it is missing or unreadable
    the error says which files to put where.
    """
    local = folder / f"{name}.md5"
    url = _BASE + name + ".md5"
    problem = None
    if local.is_file():
        md5 = _md5_in(local.read_text(encoding="ascii", errors="replace"))
        if md5 is not None:
            return md5
        problem = f"{local} holds no md5 (32 hex digits)"
    if download:
        import http.client
        import urllib.request
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                text = r.read(200).decode("ascii", "replace")
        except (OSError, ValueError, http.client.HTTPException) as e:
            problem = (problem + "; " if problem else "") + f"downloading {url} failed ({e})"
        else:
            md5 = _md5_in(text)
            if md5 is not None:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = folder / f".{name}.md5.part"
                tmp.write_text(text)
                os.replace(tmp, local)  # atomic: the real name never holds a half-written file
                return md5
            problem = (problem + "; " if problem else "") + f"{url} holds no md5 (32 hex digits): {text[:60]!r}"
    elif problem is None:
        problem = f"{local} not found, and download=False never uses the network"
    zip_state = "found, but it cannot be verified without its md5" if (folder / name).is_file() else "not found"
    raise error(RuntimeError, "load_movielens",
                f"cannot verify {name}: {problem}.\nThe files needed in {folder}:\n"
                f"  {name}.md5: get it from {url}\n  {name}: {zip_state}; get it from {_BASE + name}\n"
                f"To fix it: {'connect to the internet and try again, or ' if download else 'pass download=True, or '}"
                f"copy those files into {folder} (a damaged {name}.md5 can be deleted: it is downloaded again)",
                f"sin internet, copia {name} y {name}.md5 en {folder} y vuelve a ejecutar")


def _extracted_ok(folder, files):
    """An extracted folder we can trust: made by us from a verified zip, or with known file hashes."""
    if (folder / _VERIFIED).is_file():
        return True
    if files and all((folder / f).is_file() for f in files):
        return all(check_file(folder / f, RemoteFile(f, (), "sha256:" + h)) is None for f, h in files.items())
    return False


def load_movielens(variant="100k", root=None, download=True):
    """The MovieLens ``variant`` ("100k", "1m", "25m" or "32m") as a ``MovieLens`` object."""
    import pandas as pd
    variant = str(variant).lower()
    if variant not in _VARIANTS:
        raise error(ValueError, "load_movielens", f"unknown variant {variant!r}; choose one of {list(_VARIANTS)}",
                    "p. ej. load_movielens('100k')")
    root = data_home(root)
    _, top, files = _VARIANTS[variant]
    folder = root / top
    if not _extracted_ok(folder, files):
        (zip_path,) = fetch([_remote(variant, root, download)], root, dataset="load_movielens", download=download)
        extract_zip(zip_path, root, top)
        (folder / _VERIFIED).write_text(zip_path.name + "\n")
    ratings, items, users = _PARSERS[variant](folder, pd)
    return _reindex(variant, ratings, items, users)


def _read(op, path, **kw):
    import pandas as pd
    try:
        frame = pd.read_csv(path, **kw)
    except (FileNotFoundError, pd.errors.EmptyDataError, pd.errors.ParserError, ValueError, OverflowError) as e:
        raise error(ValueError, op, f"cannot parse {path}: {e}",
                    "el archivo falta o está dañado: borra la carpeta extraída y vuelve a cargar") from None
    if frame.empty:
        raise error(ValueError, op, f"{path} has no rows", "el archivo está vacío: bórralo y vuelve a cargar")
    return frame


# ids, ratings and timestamps are integers in 100K and 1M: parsing them as int64 turns text, gaps or
# decimals in a file into an error that names the file (not a failure later, far from its cause)
_INT_COLUMNS = {"user_id": np.int64, "item_id": np.int64, "rating": np.int64, "timestamp": np.int64}


def _parse_100k(folder, pd):
    op = "load_movielens"
    ratings = _read(op, folder / "u.data", sep="\t", names=["user_id", "item_id", "rating", "timestamp"],
                    dtype=_INT_COLUMNS)
    items = _read(op, folder / "u.item", sep="|", header=None, encoding="latin-1", dtype={0: np.int64}).iloc[:, :5]
    items.columns = ["item_id", "title", "release_date", "video_release_date", "imdb_url"]
    users = _read(op, folder / "u.user", sep="|", names=["user_id", "age", "gender", "occupation", "zip_code"],
                  dtype={"user_id": np.int64})
    return ratings, items, users


def _parse_1m(folder, pd):
    op, kw = "load_movielens", {"sep": "::", "engine": "python", "encoding": "latin-1", "header": None}
    ratings = _read(op, folder / "ratings.dat", names=["user_id", "item_id", "rating", "timestamp"],
                    dtype=_INT_COLUMNS, **kw)
    items = _read(op, folder / "movies.dat", names=["item_id", "title", "genres"], dtype={"item_id": np.int64}, **kw)
    users = _read(op, folder / "users.dat", names=["user_id", "gender", "age", "occupation", "zip_code"],
                  dtype={"user_id": np.int64}, **kw)
    return ratings, items, users


def _parse_csv(folder, pd):
    op = "load_movielens"
    ratings = _read(op, folder / "ratings.csv", dtype={"userId": np.int64, "movieId": np.int64,
                                                         "rating": np.float32, "timestamp": np.int64})
    ratings = ratings.rename(columns={"userId": "user_id", "movieId": "item_id"})
    items = _read(op, folder / "movies.csv", dtype={"movieId": np.int64}).rename(columns={"movieId": "item_id"})
    users = pd.DataFrame({"user_id": np.unique(ratings["user_id"].to_numpy())})  # no user file in 25M/32M
    return ratings, items, users


_PARSERS = {"100k": _parse_100k, "1m": _parse_1m, "25m": _parse_csv, "32m": _parse_csv}


def _reindex(variant, ratings, items, users):
    """Add dense ``user``/``item`` ids 0..n-1 (sorted by original id) to every frame."""
    op = "load_movielens"
    for col in ("user_id", "item_id", "rating"):
        if ratings[col].isna().any():
            raise error(ValueError, op, f"the ratings have missing values in {col!r}",
                        "el archivo está dañado: borra la carpeta extraída y vuelve a cargar")
    user_ids = np.union1d(users["user_id"].to_numpy(), ratings["user_id"].to_numpy())
    item_ids = np.union1d(items["item_id"].to_numpy(), ratings["item_id"].to_numpy())
    ratings = ratings.assign(user=np.searchsorted(user_ids, ratings["user_id"].to_numpy()),
                             item=np.searchsorted(item_ids, ratings["item_id"].to_numpy()))
    users = users.assign(user=np.searchsorted(user_ids, users["user_id"].to_numpy()))
    items = items.assign(item=np.searchsorted(item_ids, items["item_id"].to_numpy()))
    return MovieLens(variant, ratings, items, users, len(user_ids), len(item_ids))
