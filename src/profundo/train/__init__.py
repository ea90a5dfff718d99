"""``profundo.train``: the Trainer (fit/evaluate/predict), metrics, early stopping and checkpoints."""
from .metrics import accuracy  # noqa: F401
from .trainer import EarlyStopping, Trainer  # noqa: F401
