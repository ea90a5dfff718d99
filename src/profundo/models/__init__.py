"""The course's models, readable and book-shaped.  ``MODELS`` names those the CLI can train."""
from .mlp import MLP, SoftmaxRegression, Standardize  # noqa: F401

MODELS = {"mlp": MLP, "softmax": SoftmaxRegression}
