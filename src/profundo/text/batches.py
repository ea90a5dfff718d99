"""Language-model minibatches: each target sequence is its input shifted by one token.

Two ways to cut a long corpus (d2l 2nd edition, section 8.3): random partitioning
(``seq_data_iter_random``: subsequences at random places, adjacent minibatches unrelated) and
sequential partitioning (``seq_data_iter_sequential``: row ``i`` of one minibatch continues row ``i``
of the previous one, so a hidden state can be carried over).  d2l 1.0 instead takes every window
of ``num_steps + 1`` tokens (``lm_windows``) and shuffles them with a DataLoader (``TimeMachine``).
Randomness comes from profundo's generator: ``profundo.manual_seed`` makes them reproducible.
"""
import numbers

import numpy as np

from .._errors import error


def _check(corpus, batch_size, num_steps, op):
    for name, v in (("batch_size", batch_size), ("num_steps", num_steps)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
            raise error(ValueError, op, f"{name} must be a positive int, got {v!r}", f"p. ej. {name}=32")
    if hasattr(corpus, "numpy"):  # a tensor of indices
        corpus = corpus.numpy()
    try:
        corpus = np.asarray(corpus)
    except (TypeError, ValueError):
        corpus = None
    if corpus is None or corpus.ndim != 1 or (corpus.size and corpus.dtype.kind not in "iu"):
        raise error(TypeError, op, "corpus must be a flat list (or 1-D tensor) of token indices",
                    "convierte los tokens con el vocabulario: corpus = vocab[tokens]")
    return corpus.astype(np.int64)


def _tensor(a):
    from ..tensor import Tensor
    return Tensor._make(np.ascontiguousarray(a))


def _randint(high):
    # one integer in [0, high) from profundo's generator
    from ..random import randint
    return int(randint(high, (1,)))


def seq_data_iter_random(corpus, batch_size, num_steps):
    """Minibatches ``(X, Y)`` of shape (batch_size, num_steps) cut at random places (d2l 2nd ed.).

    The corpus starts at a random offset in [0, num_steps); it is cut into subsequences of
    ``num_steps`` tokens, shuffled, and ``batch_size`` of them make a minibatch.
    """
    from ..random import randperm
    corpus = _check(corpus, batch_size, num_steps, "seq_data_iter_random")
    corpus = corpus[_randint(num_steps):]
    num_subseqs = (len(corpus) - 1) // num_steps
    num_batches = num_subseqs // batch_size
    if num_batches == 0:
        raise error(ValueError, "seq_data_iter_random", f"a corpus of {len(corpus)} tokens gives no minibatch of "
                    f"{batch_size} x {num_steps}", "usa un texto más largo o un batch_size/num_steps menor")
    starts = randperm(num_subseqs).numpy() * num_steps
    offsets = np.arange(num_steps)
    for i in range(num_batches):
        rows = starts[i * batch_size:(i + 1) * batch_size, None] + offsets  # (batch_size, num_steps) positions
        yield _tensor(corpus[rows]), _tensor(corpus[rows + 1])


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    """Minibatches ``(X, Y)`` where row ``i`` continues row ``i`` of the previous minibatch (d2l 2nd ed.).

    The corpus starts at a random offset in [0, num_steps], is cut into ``batch_size`` equal rows,
    and each minibatch is the next ``num_steps`` columns.
    """
    corpus = _check(corpus, batch_size, num_steps, "seq_data_iter_sequential")
    offset = _randint(num_steps + 1)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    num_batches = max(num_tokens, 0) // batch_size // num_steps
    if num_batches == 0:
        raise error(ValueError, "seq_data_iter_sequential", f"a corpus of {len(corpus)} tokens gives no minibatch "
                    f"of {batch_size} x {num_steps}", "usa un texto más largo o un batch_size/num_steps menor")
    Xs = corpus[offset: offset + num_tokens].reshape(batch_size, -1)
    Ys = corpus[offset + 1: offset + 1 + num_tokens].reshape(batch_size, -1)
    for i in range(0, num_steps * num_batches, num_steps):
        yield _tensor(Xs[:, i: i + num_steps]), _tensor(Ys[:, i: i + num_steps])


class SeqDataLoader:
    """An iterable over language-model minibatches (d2l 2nd ed.): a new random cut on each pass."""

    def __init__(self, corpus, batch_size, num_steps, use_random_iter=False):
        self.corpus = _check(corpus, batch_size, num_steps, "SeqDataLoader")
        self.batch_size, self.num_steps = batch_size, num_steps
        self.data_iter_fn = seq_data_iter_random if use_random_iter else seq_data_iter_sequential

    def __iter__(self):
        return self.data_iter_fn(self.corpus, self.batch_size, self.num_steps)


def lm_windows(corpus, num_steps):
    """All windows of d2l 1.0's ``TimeMachine``: ``X[i] = corpus[i:i+num_steps]``, ``Y[i] = corpus[i+1:i+num_steps+1]``.

    Returns two int64 tensors of shape (len(corpus) - num_steps, num_steps).
    """
    corpus = _check(corpus, 1, num_steps, "lm_windows")
    if len(corpus) <= num_steps:
        raise error(ValueError, "lm_windows", f"a corpus of {len(corpus)} tokens has no window of num_steps + 1 = "
                    f"{num_steps + 1} tokens", "usa un texto más largo o un num_steps menor")
    rows = np.arange(len(corpus) - num_steps)[:, None] + np.arange(num_steps + 1)
    array = corpus[rows]
    return _tensor(array[:, :-1]), _tensor(array[:, 1:])
