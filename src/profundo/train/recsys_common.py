"""What ``profundo train mf`` and ``profundo train neumf`` share: MovieLens ratings from a folder.

``--data`` names a MovieLens variant (``movielens-100k``, ``-1m``, ``-25m``, ``-32m``), looked for in
``--root`` (default: profundo's data folder, ``$PROFUNDO_DATA`` or ``~/.cache/profundo``) as ``ml-100k``
(the name inside GroupLens' zip) or ``movielens-100k``; or it is a folder holding the ratings file itself
(``u.data``, ``ratings.dat`` or ``ratings.csv``).  Only the ratings file is read.

MovieLens' licence (GroupLens) allows research and teaching use but forbids redistribution, so profundo
never ships it, and these commands never download it unasked: when it is absent the error names the file
and the folder and says how to get it (``--download`` fetches the official zip and checks its md5).
"""
import numpy as np

from .._errors import error

VARIANTS = {"movielens-100k": "100k", "movielens-1m": "1m", "movielens-25m": "25m", "movielens-32m": "32m"}
# variant -> (GroupLens' folder name, the ratings file in it)
_LAYOUT = {"100k": ("ml-100k", "u.data"), "1m": ("ml-1m", "ratings.dat"), "25m": ("ml-25m", "ratings.csv"),
           "32m": ("ml-32m", "ratings.csv")}
_URL = "https://files.grouplens.org/datasets/movielens/"
_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]


def add_data_options(p):
    """``--data``, ``--root`` and ``--download``, as both tasks take them."""
    p.add_argument("--data", default="movielens-100k",
                   help="movielens-100k (default), movielens-1m, movielens-25m, movielens-32m, or a folder "
                        "holding u.data (100K), ratings.dat (1M) or ratings.csv (25M/32M)")
    p.add_argument("--root", help="where the named MovieLens variants are (as ml-100k/ or movielens-100k/; default: "
                                  "$PROFUNDO_DATA or ~/.cache/profundo)")
    p.add_argument("--download", action="store_true",
                   help="download the named variant from GroupLens into --root when it is absent (md5 checked); "
                        "without it nothing is downloaded")


def _ratings_file(folder):
    """The ratings file in ``folder`` and its format, or None."""
    for name in ("u.data", "ratings.dat", "ratings.csv"):
        if (folder / name).is_file():
            return folder / name
    return None


def _missing(op, variant, root):
    top, name = _LAYOUT[variant]
    zip_url = f"{_URL}{top}.zip"
    return error(FileNotFoundError, op,
                 f"MovieLens {variant.upper()} not found: expected {name} in {root / top} (or in "
                 f"{root / ('movielens-' + variant)}).\n"
                 f"MovieLens' licence (GroupLens: research and teaching use, no redistribution) forbids shipping it "
                 f"with profundo, so each user gets it from GroupLens:\n"
                 f"  - add --download to fetch {zip_url} into {root} (its md5 is checked), or\n"
                 f"  - download and unzip {zip_url} into {root} yourself, or\n"
                 f"  - pass --data FOLDER (a folder holding {name}) or --root FOLDER (the folder that holds {top}/)",
                 f"descarga los datos tú mismo (su licencia prohíbe distribuirlos): añade --download, o descomprime "
                 f"{top}.zip en {root}")


def load_ratings(data, root=None, download=False, op="profundo train"):
    """``(Interactions, description)``: every rating of ``data`` (see the module's docstring), with dense
    user and item ids ``0..n-1`` in the order of the original ids, float32 ratings and the timestamps."""
    from pathlib import Path

    from ..datasets._files import data_home
    from ..recsys import as_interactions
    if data in VARIANTS:
        variant = VARIANTS[data]
        home = data_home(root)
        top, name = _LAYOUT[variant]
        folders = [home / top, home / f"movielens-{variant}"]
        found = next((f / name for f in folders if (f / name).is_file()), None)
        if found is None:
            if not download:
                raise _missing(op, variant, home)
            from ..datasets import load_movielens
            ml = load_movielens(variant, home, download=True)  # verified against GroupLens' md5
            return as_interactions(ml), f"MovieLens {variant.upper()} ({home / top})"
        path, label = found, f"MovieLens {variant.upper()} ({found.parent})"
    else:
        folder = Path(data).expanduser()
        if download:
            raise error(ValueError, op, f"--download goes with a named variant ({', '.join(VARIANTS)}), not with "
                        f"the folder {data!r}", "quita --download, o usa --data movielens-100k")
        if root is not None:
            raise error(ValueError, op, f"--root {str(root)!r} goes with a named variant ({', '.join(VARIANTS)}): "
                        f"--data {data!r} is a folder, read as it is", "quita --root (o --data ruta/a/ml-100k sin "
                        "--root, o --data movielens-100k --root CARPETA)")
        if not folder.is_dir():
            raise error(FileNotFoundError, op, f"--data {data!r} is neither a MovieLens variant "
                        f"({', '.join(VARIANTS)}) nor a folder", "p. ej. --data movielens-100k o --data ruta/ml-100k")
        path = _ratings_file(folder)
        if path is None:
            raise error(FileNotFoundError, op, f"{folder} holds no MovieLens ratings file: expected u.data (100K: "
                        "user item rating timestamp, tab-separated), ratings.dat (1M: user::item::rating::timestamp) "
                        "or ratings.csv (25M/32M: userId,movieId,rating,timestamp)",
                        "apunta --data a la carpeta descomprimida (p. ej. ml-100k), que contiene u.data")
        label = f"MovieLens ratings ({path})"
    frame = _read_ratings(path, op)
    user_ids, user = np.unique(frame["user_id"].to_numpy(), return_inverse=True)
    item_ids, item = np.unique(frame["item_id"].to_numpy(), return_inverse=True)
    rating = frame["rating"].to_numpy().astype(np.float32)
    if not np.isfinite(rating).all():
        raise error(ValueError, op, f"{path} has ratings that are not finite numbers",
                    "el archivo está dañado: vuelve a descomprimirlo")
    data = as_interactions({"user": user.reshape(-1), "item": item.reshape(-1), "rating": rating,
                            "timestamp": frame["timestamp"].to_numpy()}, len(user_ids), len(item_ids))
    return data, label


def _read_ratings(path, op):
    from ..datasets.movielens import _read
    ints = {"user_id": np.int64, "item_id": np.int64, "timestamp": np.int64}
    if path.name == "u.data":
        return _read(op, path, sep="\t", names=_COLUMNS, dtype={**ints, "rating": np.float64})
    if path.name == "ratings.dat":
        return _read(op, path, sep="::", engine="python", header=None, names=_COLUMNS,
                     dtype={**ints, "rating": np.float64})
    frame = _read(op, path, dtype={"userId": np.int64, "movieId": np.int64, "rating": np.float64,
                                   "timestamp": np.int64})
    missing = {"userId", "movieId", "rating", "timestamp"} - set(frame.columns)
    if missing:
        raise error(ValueError, op, f"{path} lacks the column(s) {sorted(missing)}",
                    "ratings.csv empieza con la cabecera userId,movieId,rating,timestamp")
    return frame.rename(columns={"userId": "user_id", "movieId": "item_id"})


def describe(data):
    return f"{len(data):,} ratings, {data.num_users:,} users, {data.num_items:,} items"


def written_line(out, names, curves_path):
    """The closing 'wrote ...' line, and a note when matplotlib could not draw the curves."""
    import sys
    written = [str(out / n) for n in names]
    if curves_path is not None:
        written.append(str(curves_path))
    print(f"wrote {', '.join(written[:-1])} and {written[-1]}")
    if curves_path is None:
        print(f"{out / 'curves.png'} not written: matplotlib is not installed (pip install -e \".[train]\")",
              file=sys.stderr)
