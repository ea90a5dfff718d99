"""Registry entries for nn.functional added with issue 10: pad, normalize, losses' legacy arguments, inplace=, ...."""
from registry import Sample, _op, binary, unary  # noqa: F401

OPS = [
]
