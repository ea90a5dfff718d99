"""Adam and AdamW (decoupled weight decay)."""
import math

import numpy as np

from .optimizer import Optimizer, check


def _check_adam(name, lr, betas, eps, weight_decay):
    check(name, lr >= 0, f"Invalid learning rate: {lr}", "la tasa de aprendizaje lr debe ser >= 0")
    check(name, eps >= 0, f"Invalid epsilon value: {eps}", "eps debe ser >= 0")
    check(name, 0 <= betas[0] < 1, f"Invalid beta parameter at index 0: {betas[0]}", "betas[0] va de 0 a 1")
    check(name, 0 <= betas[1] < 1, f"Invalid beta parameter at index 1: {betas[1]}", "betas[1] va de 0 a 1")
    check(name, weight_decay >= 0, f"Invalid weight_decay value: {weight_decay}", "weight_decay debe ser >= 0")


class Adam(Optimizer):
    decoupled = False  # AdamW: the weight decay shrinks the parameter, not the gradient

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
        # the same math as PyTorch, written with one scratch array instead of a temporary per operation
        tmp = np.subtract(grad, exp_avg)
        tmp *= 1 - beta1
        exp_avg += tmp                                      # exp_avg.lerp_(grad, 1 - beta1)
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += tmp                                   # exp_avg_sq * beta2 + (1 - beta2) grad²
        bias_correction1 = 1 - beta1 ** step
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        if group["amsgrad"]:
            max_sq = self._buffer(state, "max_exp_avg_sq", param)
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            np.sqrt(max_sq, out=tmp)
        else:
            np.sqrt(exp_avg_sq, out=tmp)
        tmp /= bias_correction2_sqrt
        tmp += eps                                          # denom
        np.divide(exp_avg, tmp, out=tmp)
        tmp *= lr / bias_correction1
        param -= tmp


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
