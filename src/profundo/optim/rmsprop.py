"""RMSprop: divide by a running root-mean-square of the gradients."""
from .._backend import backend_of
from .optimizer import Optimizer, check


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check("RMSprop", lr >= 0, f"Invalid learning rate: {lr}", "la tasa de aprendizaje lr debe ser >= 0")
        check("RMSprop", eps >= 0, f"Invalid epsilon value: {eps}", "eps debe ser >= 0")
        check("RMSprop", momentum >= 0, f"Invalid momentum value: {momentum}", "momentum debe ser >= 0")
        check("RMSprop", weight_decay >= 0, f"Invalid weight_decay value: {weight_decay}", "weight_decay >= 0")
        check("RMSprop", alpha >= 0, f"Invalid alpha value: {alpha}", "alpha debe ser >= 0")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    def _update(self, param, grad, state, group):
        alpha, eps, wd, momentum = group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        self._step(state)
        square_avg = self._buffer(state, "square_avg", param)
        if wd:
            grad = grad + wd * param
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        xp = backend_of(param).xp
        if group["centered"]:
            grad_avg = self._buffer(state, "grad_avg", param)
            grad_avg += (grad - grad_avg) * (1 - alpha)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = xp.sqrt(square_avg) + eps
        if momentum > 0:
            buf = self._buffer(state, "momentum_buffer", param)
            buf *= momentum
            buf += grad / avg
            param -= group["lr"] * buf
        else:
            param -= group["lr"] * (grad / avg)
