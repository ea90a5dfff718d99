"""``Vocab``: tokens to indices and back (d2l 1.0's ``d2l.Vocab``)."""
import collections
import numbers

from .._errors import error


def _flatten(tokens):
    # d2l flattens a list of token lists (one per line) into one list of tokens
    if tokens and isinstance(tokens[0], (list, tuple)):
        return [token for line in tokens for token in line]
    return tokens


class Vocab:
    """Vocabulary for text: ``vocab[token]`` / ``vocab[[tokens]]`` -> indices, ``vocab.to_tokens(indices)``.

    As d2l 1.0: the index list is ``sorted({'<unk>'} | reserved_tokens | tokens seen at least min_freq times})``
    (so ``<unk>`` is not always 0: use ``vocab.unk``), ``token_freqs`` is the frequency table, most frequent
    first, and an unknown token maps to ``vocab.unk``.
    """

    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):  # noqa: B006 - d2l's signature; never mutated
        # d2l's 2nd edition defaults both to None (meaning none)
        tokens = [] if tokens is None else tokens
        reserved_tokens = [] if reserved_tokens is None else reserved_tokens
        if isinstance(tokens, str) or not hasattr(tokens, "__iter__"):
            what = "one str" if isinstance(tokens, str) else f"a {type(tokens).__name__}"
            raise error(TypeError, "Vocab", f"tokens is {what}; expected a list of tokens (or of token lists)",
                        "tokeniza primero: Vocab(list(texto)) para caracteres, Vocab(texto.split()) para palabras")
        if not isinstance(min_freq, numbers.Real) or isinstance(min_freq, bool):
            raise error(TypeError, "Vocab", f"min_freq must be a number, got {type(min_freq).__name__}",
                        "p. ej. min_freq=2 descarta los tokens que aparecen una sola vez")
        if isinstance(reserved_tokens, str) or not all(isinstance(t, str) for t in reserved_tokens):
            raise error(TypeError, "Vocab", f"reserved_tokens must be a list of str, got {reserved_tokens!r}",
                        "p. ej. reserved_tokens=['<pad>', '<bos>', '<eos>']")
        counter = collections.Counter(_flatten(list(tokens)))
        bad = [t for t in counter if not isinstance(t, str)]
        if bad:
            raise error(TypeError, "Vocab", f"tokens must be str (or lists of str), found {type(bad[0]).__name__} "
                        f"{bad[0]!r}", "tokeniza el texto en cadenas: list(texto) o texto.split()")
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = sorted(set(["<unk>"] + list(reserved_tokens) +
                                       [token for token, freq in self.token_freqs if freq >= min_freq]))
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        """Index of a token (``unk`` when unknown), or the nested list of indices of (nested) lists of tokens."""
        if isinstance(tokens, (list, tuple)):
            get, unk = self.token_to_idx.get, self.unk
            if all(type(token) is str for token in tokens):  # a flat list: one dict lookup per token
                return [get(token, unk) for token in tokens]
            return [self[token] for token in tokens]
        if not isinstance(tokens, str):
            raise error(TypeError, "Vocab.__getitem__", f"expected a token (str) or a list of tokens, got "
                        f"{type(tokens).__name__}", "vocab['a'] o vocab[['a', 'b']]; de índices a tokens: "
                        "vocab.to_tokens(indices)")
        return self.token_to_idx.get(tokens, self.unk)

    def to_tokens(self, indices):
        """Token of an index, or the (nested) list of tokens of a list / tensor / array of indices."""
        if hasattr(indices, "tolist"):  # a tensor or a NumPy array (0-d gives an int)
            indices = indices.tolist()
        if isinstance(indices, (list, tuple)):
            return [self.to_tokens(i) for i in indices]
        if not isinstance(indices, numbers.Integral) or isinstance(indices, bool):
            raise error(TypeError, "Vocab.to_tokens", f"expected integer indices, got {type(indices).__name__} "
                        f"{indices!r}", "pasa índices enteros (int, lista o tensor de enteros)")
        if not -len(self) <= indices < len(self):
            raise error(IndexError, "Vocab.to_tokens", f"index {indices} is out of range for a vocabulary of "
                        f"{len(self)} tokens", f"los índices van de 0 a {len(self) - 1}")
        return self.idx_to_token[indices]

    @property
    def unk(self):
        """Index of the unknown token ``<unk>``."""
        return self.token_to_idx["<unk>"]

    def __repr__(self):
        shown = ", ".join(repr(t) for t in self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, tokens=[{shown}{', ...' if len(self) > 8 else ''}])"
