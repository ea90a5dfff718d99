"""Registry entries for Unit 3 (issue 13): rnn."""
from registry import Sample, _op  # noqa: F401

OPS = []
