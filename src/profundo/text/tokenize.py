"""Tokenizers of d2l's chapter 9: The Time Machine's preprocessing, and word- or character-level tokens."""
import re

from .._errors import error

TOKEN_KINDS = ("word", "char")


def _check_text(text, op):
    if not isinstance(text, str):
        raise error(TypeError, op, f"expected a str, got {type(text).__name__}",
                    "pasa el texto como una cadena (str), p. ej. el resultado de time_machine()")


def preprocess_time_machine(text):
    """d2l's ``TimeMachine._preprocess``: every run of non-letters becomes one space, then lower case."""
    _check_text(text, "preprocess_time_machine")
    return re.sub("[^A-Za-z]+", " ", text).lower()


def read_time_machine_lines(text):
    """The book's older ``read_time_machine``: one cleaned line per line of ``text`` (letters, spaces)."""
    _check_text(text, "read_time_machine_lines")
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in text.splitlines()]


def char_tokenize(text):
    """Character tokens of a string: ``list(text)`` (d2l's ``TimeMachine._tokenize``)."""
    _check_text(text, "char_tokenize")
    return list(text)


def word_tokenize(text):
    """Word tokens of a string: split at spaces, empty tokens dropped."""
    _check_text(text, "word_tokenize")
    return text.split()


def tokenize(text, token="char"):
    """Tokens of a string, or of each line of a list of strings (then a list of token lists).

    ``token`` is ``"char"`` (characters, as d2l 1.0's Time Machine) or ``"word"``.
    """
    if token not in TOKEN_KINDS:
        raise error(ValueError, "tokenize", f"unknown token kind {token!r}; expected one of {list(TOKEN_KINDS)}",
                    "usa token='char' (caracteres) o token='word' (palabras)")
    split = char_tokenize if token == "char" else word_tokenize
    if isinstance(text, (list, tuple)):
        for i, line in enumerate(text):
            if not isinstance(line, str):
                raise error(TypeError, "tokenize", f"line {i} is a {type(line).__name__}, not a str",
                            "pasa una cadena o una lista de cadenas (una por línea)")
        return [split(line) for line in text]
    if not isinstance(text, str):
        raise error(TypeError, "tokenize", f"expected a str or a list of str, got {type(text).__name__}",
                    "pasa una cadena o una lista de cadenas (una por línea)")
    return split(text)
