"""Adam and AdamW (decoupled weight decay)."""
import math

from .._backend import backend_of
from .optimizer import Optimizer, check


def _check_adam(name, lr, betas, eps, weight_decay):
    check(name, lr >= 0, f"Invalid learning rate: {lr}", "la tasa de aprendizaje lr debe ser >= 0")
    check(name, eps >= 0, f"Invalid epsilon value: {eps}", "eps debe ser >= 0")
    check(name, 0 <= betas[0] < 1, f"Invalid beta parameter at index 0: {betas[0]}", "betas[0] va de 0 a 1")
    check(name, 0 <= betas[1] < 1, f"Invalid beta parameter at index 1: {betas[1]}", "betas[1] va de 0 a 1")
    check(name, weight_decay >= 0, f"Invalid weight_decay value: {weight_decay}", "weight_decay debe ser >= 0")


class Adam(Optimizer):
    decoupled = False  # AdamW: the weight decay shrinks the parameter, not the gradient
    _sparse_message = "Adam does not support sparse gradients, please consider SparseAdam instead"  # (AdamW too)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        _check_adam(type(self).__name__, lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        step = self._step(state)
        exp_avg = self._buffer(state, "exp_avg", param)
        exp_avg_sq = self._buffer(state, "exp_avg_sq", param)
        if wd:
            if self.decoupled:
                param *= 1 - lr * wd
            else:
                grad = grad + wd * param
        max_sq = self._buffer(state, "max_exp_avg_sq", param) if group["amsgrad"] else None
        # the same math as PyTorch (see the backend's adam_step)
        backend_of(param).adam_step(param, grad, exp_avg, exp_avg_sq, max_sq, lr, beta1, beta2, eps,
                                    1 - beta1 ** step, math.sqrt(1 - beta2 ** step))


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
