"""Registry entries for Unit 3 (issue 13): embed."""
from registry import Sample, _op  # noqa: F401

OPS = []
