"""The course's corpora as text, from an explicit source, and d2l 1.0's data modules built on them.

``source`` says where the text comes from, and nothing else is tried:

- ``"bundled"`` (default): the copy shipped in ``profundo/text/data`` (offline; see its README for
  origin and license: the whole Time Machine, the first 2,000 English-French pairs);
- ``"cache"``: ``profundo.datasets``' download cache (``root``; downloaded only with ``download=True``);
- a path (str or ``pathlib.Path``): that file, checked like a download (d2l's Time Machine by its hash;
  the pairs by their ``English<TAB>French`` format).  Any other text file: ``read_text``.
"""
from pathlib import Path

from .._errors import error

DATA = Path(__file__).resolve().parent / "data"
BUNDLED = {"time_machine": DATA / "timemachine.txt", "fra_eng": DATA / "fra-eng-head.txt"}
SOURCES = ("bundled", "cache")


def read_text(path):
    """The text of a UTF-8 file, with a clear error when it is missing, empty or not text."""
    from ..datasets.text import _read_text
    if not isinstance(path, (str, Path)):
        raise error(TypeError, "read_text", f"expected a path (str or pathlib.Path), got {type(path).__name__}",
                    "p. ej. read_text('mi_texto.txt')")
    path = Path(path)
    if path.is_dir():
        raise error(IsADirectoryError, "read_text", f"{path} is a folder, not a text file",
                    "indica un archivo de texto")
    return _read_text(path, "read_text")


def _source(source, op):
    if isinstance(source, Path) or (isinstance(source, str) and source not in SOURCES):
        return Path(source)
    if source in SOURCES:
        return source
    raise error(TypeError, op, f"source must be 'bundled', 'cache' or a path, got {type(source).__name__}",
                "p. ej. source='bundled' (la copia incluida) o source='datos/timemachine.txt'")


def time_machine(source="bundled", root=None, download=False):
    """*The Time Machine* as one string, from ``source`` (see the module's docstring)."""
    from .. import datasets
    src = _source(source, "time_machine")
    if src == "bundled":
        return read_text(BUNDLED["time_machine"])
    if src == "cache":
        return datasets.load_time_machine(root=root, download=download)
    return datasets.load_time_machine(path=src)


def fra_eng(source="bundled", root=None, download=False):
    """The English-French pairs as raw text (one ``English<TAB>French`` line per pair), from ``source``.

    The bundled copy holds the first 2,000 pairs; ``source="cache"`` the whole of d2l's ``fra-eng.zip``.
    """
    from .. import datasets
    src = _source(source, "fra_eng")
    if src == "bundled":
        return read_text(BUNDLED["fra_eng"])
    if src == "cache":
        return datasets.load_fra_eng(root=root, download=download)
    return datasets.load_fra_eng(path=src)


def _tensor_loader(tensors, train, indices, batch_size):
    # d2l's DataModule.get_tensorloader: the training split is shuffled
    from ..utils.data import DataLoader, TensorDataset
    return DataLoader(TensorDataset(*(t[indices] for t in tensors)), batch_size, shuffle=train)


def _positive(op, **values):
    for name, v in values.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise error(ValueError, op, f"{name} must be a positive int, got {v!r}", f"p. ej. {name}=32")


class TimeMachine:
    """d2l 1.0's ``TimeMachine``: character windows of *The Time Machine* for a language model.

    ``X[i]`` holds ``num_steps`` character indices and ``Y[i]`` the same window one character ahead;
    the first ``num_train`` windows train, the next ``num_val`` validate.
    """

    def __init__(self, batch_size, num_steps, num_train=10000, num_val=5000, source="bundled", root=None,
                 download=False):
        from .batches import lm_windows
        _positive("TimeMachine", batch_size=batch_size, num_steps=num_steps, num_train=num_train)
        self.batch_size, self.num_steps, self.num_train, self.num_val = batch_size, num_steps, num_train, num_val
        self.corpus, self.vocab = self.build(time_machine(source, root, download))
        self.X, self.Y = lm_windows(self.corpus, num_steps)

    def _preprocess(self, text):
        from .tokenize import preprocess_time_machine
        return preprocess_time_machine(text)

    def _tokenize(self, text):
        return list(text)

    def build(self, raw_text, vocab=None):
        """``(corpus, vocab)``: the character indices of ``raw_text`` (a new vocabulary unless given)."""
        from .vocab import Vocab
        tokens = self._tokenize(self._preprocess(raw_text))
        if vocab is None:
            vocab = Vocab(tokens)
        return vocab[tokens], vocab

    def get_dataloader(self, train):
        idx = slice(0, self.num_train) if train else slice(self.num_train, self.num_train + self.num_val)
        return _tensor_loader((self.X, self.Y), train, idx, self.batch_size)

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)


def load_data_time_machine(batch_size, num_steps, use_random_iter=False, max_tokens=10000, source="bundled"):
    """d2l 2nd ed.: ``(data_iter, vocab)`` over the first ``max_tokens`` characters (-1: all) of the book."""
    from .batches import SeqDataLoader
    tm = TimeMachine.__new__(TimeMachine)
    corpus, vocab = tm.build(time_machine(source))
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return SeqDataLoader(corpus, batch_size, num_steps, use_random_iter), vocab


class MTFraEng:
    """d2l 1.0's ``MTFraEng``: English-French pairs as padded index arrays for seq2seq.

    ``arrays`` is ``(src, tgt_input, src_valid_len, tgt_label)`` (see ``build_arrays``); the first
    ``num_train`` pairs train and the next ``num_val`` validate.
    """

    def __init__(self, batch_size, num_steps=9, num_train=512, num_val=128, source="bundled", root=None,
                 download=False):
        _positive("MTFraEng", batch_size=batch_size, num_steps=num_steps, num_train=num_train)
        self.batch_size, self.num_steps, self.num_train, self.num_val = batch_size, num_steps, num_train, num_val
        self.arrays, self.src_vocab, self.tgt_vocab = self._build_arrays(fra_eng(source, root, download))
        have = len(self.arrays[0])
        if have < num_train + num_val:
            raise error(ValueError, "MTFraEng", f"the text has {have} pairs, fewer than num_train + num_val = "
                        f"{num_train + num_val}", "usa menos ejemplos, o un texto con más pares (source=...)")

    def _preprocess(self, text):
        from .translation import preprocess_nmt
        return preprocess_nmt(text)

    def _tokenize(self, text, max_examples=None):
        from .translation import tokenize_nmt
        return tokenize_nmt(text, max_examples)

    def _build_arrays(self, raw_text, src_vocab=None, tgt_vocab=None):
        from .translation import build_arrays
        # d2l's loop stops at line index > max_examples, so the book's data set has num_train + num_val + 1
        # pairs (the validation split one more): kept, so that vocabularies and arrays are the book's
        src, tgt = self._tokenize(self._preprocess(raw_text), self.num_train + self.num_val + 1)
        return build_arrays(src, tgt, self.num_steps, src_vocab, tgt_vocab)

    def get_dataloader(self, train):
        idx = slice(0, self.num_train) if train else slice(self.num_train, None)
        return _tensor_loader(self.arrays, train, idx, self.batch_size)

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def build(self, src_sentences, tgt_sentences):
        """Arrays of new sentence pairs with this data set's vocabularies (to translate them)."""
        raw_text = "\n".join(src + "\t" + tgt for src, tgt in zip(src_sentences, tgt_sentences))
        arrays, _, _ = self._build_arrays(raw_text, self.src_vocab, self.tgt_vocab)
        return arrays
