"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""
from .._backend import backend_of
from .._errors import error
from ..tensor import Tensor
from .optimizer import Optimizer, check


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check("SGD", lr >= 0, f"Invalid learning rate: {lr}", "la tasa de aprendizaje lr debe ser >= 0")
        check("SGD", momentum >= 0, f"Invalid momentum value: {momentum}", "momentum debe ser >= 0")
        check("SGD", weight_decay >= 0, f"Invalid weight_decay value: {weight_decay}", "weight_decay debe ser >= 0")
        check("SGD", not nesterov or (momentum > 0 and dampening == 0),
              "Nesterov momentum requires a momentum and zero dampening", "usa momentum > 0 y dampening=0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def _update(self, param, grad, state, group):
        d_p = grad
        if group["weight_decay"]:
            d_p = d_p + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:  # the first step: the buffer is the gradient itself
                buf = state["momentum_buffer"] = Tensor._make(backend_of(param).copy(d_p))
            else:
                buf._data *= momentum
                dampening = group["dampening"]
                if dampening:
                    buf._data += (1 - dampening) * d_p
                else:  # the usual case: (1 - 0) * d_p would be a full pass and a temporary for nothing
                    buf._data += d_p
            d_p = d_p + momentum * buf._data if group["nesterov"] else buf._data
        backend_of(param).sgd_step(param, d_p, group["lr"])  # param -= lr * d_p

    def _sparse_update(self, param, grad, state, group):
        """A row-sparse gradient: only its rows move, ``param[rows] -= lr * values`` (a repeated row
        takes each of its values).  With momentum the buffer decays on every row, so it is kept dense: the same
        values as PyTorch's sparse buffer, at the cost of a dense step."""
        if group["weight_decay"]:
            raise error(RuntimeError, "SGD", "weight_decay is not supported with sparse gradients (PyTorch: "
                        "add(sparse, dense) is not supported)",
                        "quita weight_decay, o usa nn.Embedding(sparse=False)")
        if group["maximize"]:
            grad = -grad
        if group["momentum"]:
            self._update(param._data, grad.to_dense()._data, state, group)
            return
        if grad._nnz():  # linear in the gradient: repeated rows need no summing first, only a scatter-add
            vals = grad._vals
            backend_of(vals).index_add_rows(param._data, grad._rows, vals * vals.dtype.type(-group["lr"]))
