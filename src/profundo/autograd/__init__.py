"""Reverse-mode automatic differentiation (``profundo.autograd``)."""
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,  # noqa: F401  (first: tensor.py needs it)
                        set_grad_enabled, is_inference_mode_enabled)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .function import Function, Node, once_differentiable  # noqa: F401
from .engine import backward, grad  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from . import function  # noqa: F401
