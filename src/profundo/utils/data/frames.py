"""From a pandas DataFrame to a ``TensorDataset`` (features and a target column).

pandas and scikit-learn already do the preprocessing well (``fillna``,
``pd.get_dummies``, ``StandardScaler``); this helper only checks that the
result is ready for a network and turns it into tensors, with an error that
says which columns still need work.
"""

import numpy as np

from ..._dtype import float32, int64, to_dtype
from ..._errors import error
from ...creation import tensor
from .dataset import TensorDataset


def dataset_from_dataframe(df, target, *, features=None, dtype=float32, target_dtype=None):
    """``TensorDataset(X, y)`` from the columns of ``df``.

    ``target`` is the name of the label column; ``features`` the input columns
    (default: all the others).  Features become ``dtype`` (float32).  The target
    becomes int64 when its column holds integers (class labels, ready for
    ``cross_entropy``) and ``dtype`` otherwise, unless ``target_dtype`` is given.
    Non-numeric or missing values raise an error naming the columns.
    """
    import pandas as pd

    op = "dataset_from_dataframe"
    if not isinstance(df, pd.DataFrame):
        raise error(TypeError, op, f"expected a pandas DataFrame, got {type(df).__name__}",
                    "pasa un DataFrame, p. ej. pd.read_csv('datos.csv')")
    if isinstance(target, (list, set, dict)) or not _hashable(target):
        raise error(TypeError, op, f"target must be one column name, got {type(target).__name__} {target!r}",
                    "pasa el nombre de una sola columna, p. ej. target='precio'")
    if target not in df.columns:
        raise error(KeyError, op, f"target column {target!r} is not in the DataFrame (columns: {list(df.columns)})",
                    "revisa el nombre de la columna objetivo")
    if features is not None and (isinstance(features, (str, bytes)) or not _iterable(features)):
        raise error(TypeError, op, f"features must be a list of column names, got {type(features).__name__} "
                    f"{features!r}", f"p. ej. features=[{features!r}]")
    features = [c for c in df.columns if c != target] if features is None else list(features)
    missing = [c for c in features if not _hashable(c) or c not in df.columns]
    if missing or not features:
        raise error(KeyError, op, f"feature columns {missing} are not in the DataFrame" if missing
                    else "no feature columns", "revisa la lista features")
    # a name shared by several columns selects all of them: more inputs than names, or a 2-D target
    dup_columns = _repeated(df.columns)
    used = [c for c in dup_columns if c == target or c in features]
    if used:
        raise error(ValueError, op, f"the DataFrame has several columns named {used}; each name must select one "
                    "column: rename them (df.columns = [...]) or drop the copies "
                    "(df.loc[:, ~df.columns.duplicated()])",
                    "renómbralas con df.columns = [...] o, si son copias, quítalas con "
                    "df.loc[:, ~df.columns.duplicated()]")
    repeated = _repeated(features)
    if repeated:
        raise error(ValueError, op, f"features lists the columns {repeated} more than once; each would become a "
                    "separate (identical) input", "quita los nombres repetidos de features")
    if target in features:
        raise error(ValueError, op, f"the target column {target!r} is also in features: the network would see "
                    "the answer it must predict", "quita la columna objetivo de features")
    frame = df[features]
    # categories first: pd.get_dummies(..., dummy_na=True) also takes care of their missing values
    text_cols = [str(c) for c, t in frame.dtypes.items()
                 if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))]
    if text_cols:
        raise error(TypeError, op, f"columns {text_cols} are not numeric; a network needs numbers",
                    "conviértelas con pd.get_dummies(df, columns=[...], dummy_na=True) o elimínalas con "
                    "df.drop(columns=[...])")
    complex_cols = [str(c) for c, t in frame.dtypes.items() if pd.api.types.is_complex_dtype(t)]
    if complex_cols:
        raise error(TypeError, op, f"columns {complex_cols} hold complex numbers; a network needs real numbers "
                    "(the imaginary part would be lost)", "sepáralas en dos columnas: np.real(...) y np.imag(...)")
    nan_cols = [str(c) for c in frame.columns[frame.isna().any().to_numpy()]]
    if nan_cols:
        raise error(ValueError, op, f"columns {nan_cols} have missing values (NaN); a network cannot use them",
                    "rellénalos antes, p. ej. df[cols] = df[cols].fillna(df[cols].mean())")
    X = tensor(frame, dtype=dtype)
    inf_cols = [str(c) for c in frame.columns[~np.isfinite(X._data).all(axis=0)]]
    if inf_cols:
        raise error(ValueError, op, f"columns {inf_cols} have infinite values (inf) as {to_dtype(dtype)}; a network "
                    "cannot use them", "reemplázalos, p. ej. df[cols] = df[cols].replace([np.inf, -np.inf], np.nan) "
                    "y luego fillna")
    y_col = df[target]
    if pd.api.types.is_complex_dtype(y_col.dtype):
        raise error(TypeError, op, f"target column {target!r} holds complex numbers",
                    "el objetivo debe ser real: usa np.real(...) o np.abs(...)")
    if y_col.isna().any():
        raise error(ValueError, op, f"target column {target!r} has missing values (NaN)",
                    "elimina esas filas con df.dropna(subset=[objetivo])")
    if target_dtype is None:
        target_dtype = int64 if pd.api.types.is_integer_dtype(y_col.dtype) else to_dtype(dtype)
    y = tensor(y_col, dtype=target_dtype)  # a text target gets tensor()'s named-column error
    return TensorDataset(X, y)


def _hashable(x):
    try:
        hash(x)
    except TypeError:
        return False
    return True


def _iterable(x):
    try:
        iter(x)
    except TypeError:
        return False
    return True


def _repeated(names):
    """The names that appear more than once, in order of first appearance."""
    seen, out = set(), []
    for n in names:
        if n in seen and n not in out:
            out.append(n)
        seen.add(n)
    return out
