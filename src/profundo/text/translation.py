"""English-French translation data (d2l's ``MTFraEng``): preprocessing, tokens with ``<eos>``, padded arrays."""
import re

import numpy as np

from .._errors import error
from .vocab import Vocab


def preprocess_nmt(text):
    """d2l's ``MTFraEng._preprocess``: no-break spaces become spaces, lower case, a space before ``,.!?``."""
    if not isinstance(text, str):
        raise error(TypeError, "preprocess_nmt", f"expected a str, got {type(text).__name__}",
                    "pasa el texto crudo, una línea 'inglés<TAB>francés' por par")
    # U+202F (narrow) and U+00A0 no-break spaces: French puts them before ! and ?
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    # a punctuation mark that follows a character other than a space gets a space before it
    return re.sub(r"(?<=[^ ])([,.!?])", r" \1", text)


def tokenize_nmt(text, max_examples=None):
    """``(src, tgt)``: word tokens of each pair plus ``'<eos>'`` (d2l's ``MTFraEng._tokenize``).

    ``text`` is preprocessed text, one ``source<TAB>target`` pair per line (extra columns, such as
    manythings.org's attribution, are dropped; lines without a tab are skipped).  ``max_examples``
    keeps the first that many pairs (d2l's loop keeps one more: ``i > max_examples``).
    """
    if not isinstance(text, str):
        raise error(TypeError, "tokenize_nmt", f"expected a str, got {type(text).__name__}",
                    "pasa el texto ya preprocesado: tokenize_nmt(preprocess_nmt(texto))")
    src, tgt = [], []
    for line in text.split("\n"):
        if max_examples is not None and len(src) >= max_examples:
            break
        parts = line.split("\t")
        if len(parts) >= 2:
            src.append([t for t in f"{parts[0]} <eos>".split(" ") if t])
            tgt.append([t for t in f"{parts[1]} <eos>".split(" ") if t])
    return src, tgt


def truncate_pad(line, num_steps, padding_token):
    """``line`` cut to ``num_steps`` tokens, or padded with ``padding_token`` up to it."""
    if not isinstance(num_steps, int) or isinstance(num_steps, bool) or num_steps < 1:
        raise error(ValueError, "truncate_pad", f"num_steps must be a positive int, got {num_steps!r}",
                    "p. ej. num_steps=10")
    if len(line) > num_steps:
        return list(line[:num_steps])
    return list(line) + [padding_token] * (num_steps - len(line))


def _tensor(a):
    from ..tensor import Tensor
    return Tensor._make(np.ascontiguousarray(a))


def build_array_nmt(lines, vocab, num_steps):
    """d2l 2nd ed.: token lines -> (indices with ``<eos>`` appended, truncated/padded to ``num_steps``, valid lengths).

    Returns an int64 tensor (len(lines), num_steps) and the int32 count of non-``<pad>`` tokens per row.
    """
    for token in ("<eos>", "<pad>"):
        if token not in vocab.token_to_idx:
            raise error(ValueError, "build_array_nmt", f"the vocabulary has no {token!r} token",
                        "crea el vocabulario con reserved_tokens=['<pad>', '<bos>', '<eos>']")
    pad = vocab["<pad>"]
    rows = [truncate_pad(vocab[list(line)] + [vocab["<eos>"]], num_steps, pad) for line in lines]
    array = np.array(rows, dtype=np.int64).reshape(len(rows), num_steps)
    return _tensor(array), _tensor((array != pad).sum(1).astype(np.int32))


def build_arrays(src, tgt, num_steps, src_vocab=None, tgt_vocab=None, min_freq=2):
    """d2l 1.0's ``MTFraEng._build_arrays`` on tokenized pairs (from ``tokenize_nmt``).

    Each sentence is truncated/padded with ``<pad>`` to ``num_steps``; target sentences get ``<bos>`` in front.
    A vocabulary not given is built from the padded sentences with ``min_freq`` (d2l: 2).  Returns
    ``((src_array, tgt_array[:, :-1], src_valid_len, tgt_array[:, 1:]), src_vocab, tgt_vocab)``: the decoder's
    input starts with ``<bos>`` and its label is the same sentence one step ahead.
    """
    if len(src) != len(tgt):
        raise error(ValueError, "build_arrays", f"{len(src)} source sentences but {len(tgt)} target sentences",
                    "cada frase de origen necesita su traducción")

    def build(sentences, vocab, is_tgt):
        sentences = [truncate_pad(s, num_steps, "<pad>") for s in sentences]
        if is_tgt:
            sentences = [["<bos>"] + s for s in sentences]
        if vocab is None:
            vocab = Vocab(sentences, min_freq=min_freq)
        width = num_steps + is_tgt
        array = np.array(vocab[sentences], dtype=np.int64).reshape(len(sentences), width)
        valid_len = (array != vocab["<pad>"]).sum(1).astype(np.int32)
        return array, vocab, valid_len

    src_array, src_vocab, src_valid_len = build(src, src_vocab, False)
    tgt_array, tgt_vocab, _ = build(tgt, tgt_vocab, True)
    return ((_tensor(src_array), _tensor(tgt_array[:, :-1]), _tensor(src_valid_len), _tensor(tgt_array[:, 1:])),
            src_vocab, tgt_vocab)
