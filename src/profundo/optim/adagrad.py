"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from .._backend import backend_of
from .._errors import error
from .optimizer import Optimizer, check


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check("Adagrad", lr >= 0, f"Invalid learning rate: {lr}", "la tasa de aprendizaje lr debe ser >= 0")
        check("Adagrad", lr_decay >= 0, f"Invalid lr_decay value: {lr_decay}", "lr_decay debe ser >= 0")
        check("Adagrad", weight_decay >= 0, f"Invalid weight_decay value: {weight_decay}", "weight_decay >= 0")
        check("Adagrad", initial_accumulator_value >= 0,
              f"Invalid initial_accumulator_value value: {initial_accumulator_value}", "debe ser >= 0")
        check("Adagrad", eps >= 0, f"Invalid epsilon value: {eps}", "eps debe ser >= 0")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))

    def _update(self, param, grad, state, group):
        step = self._step(state)
        state_sum = self._buffer(state, "sum", param, group["initial_accumulator_value"])
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum += grad * grad
        param -= clr * (grad / (backend_of(param).xp.sqrt(state_sum) + group["eps"]))

    def _sparse_update(self, param, grad, state, group):
        """A row-sparse gradient, PyTorch's sparse Adagrad: the sum of squares and the parameter
        change only on its rows (its repeated rows summed first)."""
        if group["weight_decay"]:
            raise error(RuntimeError, "Adagrad", "weight_decay option is not compatible with sparse gradients",
                        "quita weight_decay, o usa nn.Embedding(sparse=False)")
        p = param._data
        step = self._step(state)
        state_sum = self._buffer(state, "sum", p, group["initial_accumulator_value"])
        if group["maximize"]:
            grad = -grad
        grad = grad.coalesce()
        rows, values = grad._rows, grad._vals
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state_sum[rows] += values * values
        p[rows] -= clr * (values / (backend_of(p).xp.sqrt(state_sum[rows]) + group["eps"]))
