"""Text for the course's Unit 3 (issue 13): tokenizers, vocabularies, language-model batches, translation, BLEU.

d2l's semantics (``d2l.Vocab``, ``TimeMachine``, ``MTFraEng``, ``truncate_pad``, ``bleu``, and the 2nd
edition's ``seq_data_iter_random`` / ``seq_data_iter_sequential``), with PyTorch tensors as results.
The corpora come from an explicit ``source``: the bundled copy (default, offline), the download cache,
or a file of yours (see ``corpora``).
"""
from .bleu import bleu
from .batches import SeqDataLoader, lm_windows, seq_data_iter_random, seq_data_iter_sequential
from .corpora import MTFraEng, TimeMachine, fra_eng, load_data_time_machine, read_text, time_machine
from .tokenize import (char_tokenize, preprocess_time_machine, read_time_machine_lines, tokenize,
                       word_tokenize)
from .translation import build_array_nmt, build_arrays, preprocess_nmt, tokenize_nmt, truncate_pad
from .vocab import Vocab

__all__ = ["Vocab", "bleu", "tokenize", "char_tokenize", "word_tokenize", "preprocess_time_machine",
           "read_time_machine_lines", "seq_data_iter_random", "seq_data_iter_sequential", "SeqDataLoader",
           "lm_windows", "preprocess_nmt", "tokenize_nmt", "truncate_pad", "build_array_nmt", "build_arrays",
           "time_machine", "fra_eng", "read_text", "TimeMachine", "MTFraEng", "load_data_time_machine"]
