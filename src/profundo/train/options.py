"""Command-line option types shared by the text tasks (``profundo train charlm|seq2seq``).

Each is an argparse ``type=``: a bad value becomes argparse's one-line error (exit code 2) that says what
was expected and gives a Spanish hint, never a traceback.
"""
import argparse
import math
from pathlib import Path

from .._errors import error


def typed(convert, check, expected, hint):
    """An argparse ``type=`` that converts the text with ``convert`` and accepts it when ``check(value)``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not check(value):
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r} (Pista: {hint})")
        return value
    return parse


POS_INT = typed(int, lambda v: v > 0, "a positive integer", "p. ej. 32")
POS_FLOAT = typed(float, lambda v: math.isfinite(v) and v > 0, "a positive number", "p. ej. 1.0")
NONNEG_FLOAT = typed(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0",
                     "0 elige el carácter más probable; 1 muestrea de la distribución del modelo")
NONNEG_INT = typed(int, lambda v: v >= 0, "an integer >= 0", "p. ej. 50")
DROPOUT = typed(float, lambda v: 0 <= v < 1, "a number in [0, 1)",
                "la probabilidad de apagar cada neurona, p. ej. 0.2 (0 la desactiva)")


def out_dir(path, op):
    """The run folder ``--out`` as a Path; a file there is refused (the folder is created later)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise error(NotADirectoryError, op, f"--out {path} is a file, not a folder",
                    "elige una carpeta con --out (se crea si no existe)")
    return path
