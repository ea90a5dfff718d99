"""From a pandas DataFrame to a ``TensorDataset`` (features and a target column).

pandas and scikit-learn already do the preprocessing well (``fillna``,
``pd.get_dummies``, ``StandardScaler``); this helper only checks that the
result is ready for a network and turns it into tensors, with an error that
says which columns still need work.
"""

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
    if target not in df.columns:
        raise error(KeyError, op, f"target column {target!r} is not in the DataFrame (columns: {list(df.columns)})",
                    "revisa el nombre de la columna objetivo")
    features = [c for c in df.columns if c != target] if features is None else list(features)
    missing = [c for c in features if c not in df.columns]
    if missing or not features:
        raise error(KeyError, op, f"feature columns {missing} are not in the DataFrame" if missing
                    else "no feature columns", "revisa la lista features")
    frame = df[features]
    # categories first: pd.get_dummies(..., dummy_na=True) also takes care of their missing values
    text_cols = [str(c) for c, t in frame.dtypes.items()
                 if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))]
    if text_cols:
        raise error(TypeError, op, f"columns {text_cols} are not numeric; a network needs numbers",
                    "conviértelas con pd.get_dummies(df, columns=[...], dummy_na=True) o elimínalas con "
                    "df.drop(columns=[...])")
    nan_cols = [str(c) for c in frame.columns[frame.isna().any().to_numpy()]]
    if nan_cols:
        raise error(ValueError, op, f"columns {nan_cols} have missing values (NaN); a network cannot use them",
                    "rellénalos antes, p. ej. df[cols] = df[cols].fillna(df[cols].mean())")
    X = tensor(frame, dtype=dtype)
    y_col = df[target]
    if y_col.isna().any():
        raise error(ValueError, op, f"target column {target!r} has missing values (NaN)",
                    "elimina esas filas con df.dropna(subset=[objetivo])")
    if target_dtype is None:
        target_dtype = int64 if pd.api.types.is_integer_dtype(y_col.dtype) else to_dtype(dtype)
    y = tensor(y_col, dtype=target_dtype)  # a text target gets tensor()'s named-column error
    return TensorDataset(X, y)
