"""``optim.SparseAdam`` (Unit 4, issue 14): Adam that updates only the rows a row-sparse gradient touches.

"Lazy" Adam, as ``torch.optim.SparseAdam``: for the gradient of an ``nn.Embedding(sparse=True)``
(a ``profundo.sparse.RowSparseTensor``), the two moments are dense arrays of the table's shape,
but a step reads and writes them, and the parameter, only at the rows in the gradient (its
repeated rows summed first).  Rows not in the batch keep their moments unchanged (they do not
decay), which is what makes a step cost O(batch x dim) instead of O(table x dim).  The bias
correction uses the parameter's step count, as PyTorch's.  Dense gradients are refused.
"""
import math

from .._backend import backend_of
from .._errors import error
from ..tensor import Tensor
from .optimizer import Optimizer, check


class SparseAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        check("SparseAdam", 0.0 < lr, f"Invalid learning rate: {lr}", "lr debe ser > 0")
        check("SparseAdam", 0.0 < eps, f"Invalid epsilon value: {eps}", "eps debe ser > 0")
        check("SparseAdam", 0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}",
              "betas[0] va de 0 a 1")
        check("SparseAdam", 0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}",
              "betas[1] va de 0 a 1")
        if not isinstance(params, Tensor):  # (the base refuses a lone tensor, as PyTorch)
            params = _refuse_sparse_params(list(params))
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            todo = [p for p in group["params"] if p.grad is not None]
            if any(not getattr(p.grad, "is_sparse", False) for p in todo):  # before any update, as PyTorch
                raise error(RuntimeError, "SparseAdam", "SparseAdam does not support dense gradients, please "
                            "consider Adam instead", "usa optim.Adam, o nn.Embedding(sparse=True) para "
                            "gradientes dispersos")
            for p in todo:
                self._sparse_update(p, p.grad, self.state.setdefault(p, {}), group)
                p._bump_version()
        return loss

    def _sparse_update(self, param, grad, state, group):
        """One lazy Adam step on the rows of ``grad``, in PyTorch's order of operations."""
        p = param._data
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        exp_avg = self._buffer(state, "exp_avg", p)
        exp_avg_sq = self._buffer(state, "exp_avg_sq", p)
        state["step"] = step = state.get("step", 0) + 1  # a Python int, as PyTorch's SparseAdam
        if group["maximize"]:
            grad = -grad
        grad = grad.coalesce()  # the update is non-linear in the gradient: each row once, summed
        rows, g = grad._rows, grad._vals
        if g.size == 0:
            return  # nothing touched this step (the count still advances, as PyTorch)
        # m <- m + (1 - beta1)(g - m) and v <- v + (1 - beta2)(g^2 - v), on the rows only; in place on
        # the gathered rows, in PyTorch's order (the same values): 2.8x faster than a new array for each
        # operation on 600 rows x 30 (a MovieLens-100K batch), 1.5x on 8,150 rows of 1,000,000 x 32
        xp = backend_of(p).xp
        numer, new_v = exp_avg[rows], exp_avg_sq[rows]  # (copies: fancy indexing)
        upd = g - numer
        upd *= 1 - beta1
        numer += upd                      # m + (1 - beta1)(g - m)
        xp.multiply(g, g, out=upd)
        upd -= new_v
        upd *= 1 - beta2
        new_v += upd                      # v + (1 - beta2)(g^2 - v)
        exp_avg[rows] = numer
        exp_avg_sq[rows] = new_v
        denom = xp.sqrt(new_v, out=new_v)
        denom += eps
        step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        numer /= denom
        numer *= -step_size
        p[rows] += numer


def _refuse_sparse_params(groups):
    """PyTorch's ValueError for a sparse tensor given as a parameter (with its [group, index]);
    returns the groups with each group's params as a list (an iterator is read only once)."""
    if groups and not isinstance(groups[0], dict):
        groups = [{"params": groups}]
    out, bad, cplx = [], [], []
    for gi, g in enumerate(groups):
        ps = g.get("params", []) if isinstance(g, dict) else []
        ps = [ps] if isinstance(ps, Tensor) or getattr(ps, "is_sparse", False) else list(ps)
        out.append({**g, "params": ps} if isinstance(g, dict) else g)
        for pi, p in enumerate(ps):
            if getattr(p, "is_sparse", False):
                bad.append([gi, pi])
            elif isinstance(p, Tensor) and p.is_complex():
                cplx.append([gi, pi])
    if bad:
        raise error(ValueError, "SparseAdam", f"Sparse params at indices {bad}: SparseAdam requires dense "
                    "parameter tensors", "optimiza la tabla (nn.Embedding.weight), no su gradiente disperso")
    if cplx:
        raise error(ValueError, "SparseAdam", f"Complex params at indices {cplx}: SparseAdam does not support "
                    "complex parameters", "usa parámetros reales")
    return out
