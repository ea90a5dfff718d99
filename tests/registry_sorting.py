"""Registry entries for sorting, selection and scans: sort, argsort, topk, kthvalue, median, unique, cummax, cummin, logcumsumexp, meshgrid."""
from registry import Sample, _op, binary, unary  # noqa: F401

OPS = [
]
