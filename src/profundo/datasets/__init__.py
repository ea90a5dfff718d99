"""Data sets of the course, with download, checksum, cache and clear offline errors.

- ``Digits``: scikit-learn's real 8x8 digits (no download; the offline default).
- ``MNIST``, ``FashionMNIST``: torchvision's API; files in ``<root>/<Name>/raw``.
- ``load_time_machine``, ``load_fra_eng``: d2l's text corpora.
- ``load_movielens``: MovieLens 100K / 1M / 25M / 32M as pandas frames.
- ``synthetic_data``, ``linear_regression_dataset``, ``noisy_sine``: data with known answers.

The cache folder is ``data_home()``: ``$PROFUNDO_DATA``, else ``~/.cache/profundo``.
"""
from ._files import RemoteFile, data_home, extract_zip, fetch  # noqa: F401
from .idx import read_idx, write_idx  # noqa: F401
from .movielens import MovieLens, load_movielens  # noqa: F401
from .synthetic import linear_regression_dataset, noisy_sine, synthetic_data  # noqa: F401
from .text import fra_eng_pairs, load_fra_eng, load_time_machine  # noqa: F401
from .vision import MNIST, Digits, FashionMNIST  # noqa: F401
