"""Neural-network ops fused into one graph node each, as PyTorch's
``AddmmBackward0``, ``NllLossBackward0`` and ``BinaryCrossEntropyBackward0``.

``Addmm`` is ``x @ W^T + b``; ``NllLoss`` picks ``-logp[i, target[i]]``, with
class weights, ``ignore_index`` and the reduction; ``BinaryCrossEntropy`` is
the elementwise BCE on probabilities; ``LeakyRelu`` is leaky_relu.  Their backwards are written with
profundo ops, so they are differentiable too (``create_graph=True``).
"""
from .._backend import zeros_like_readonly
from ._base import Op, Tensor, xp


class Addmm(Op):
    """``x @ weight.T + bias`` for x of shape (..., in) and weight (out, in)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = x._data @ weight._data.T
        if bias is not None:
            out += bias._data  # in place on the fresh result: no temporary
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        gx = g @ weight if nx else None
        g2 = g.reshape(-1, g.shape[-1])
        gw = g2.mT @ x.reshape(-1, x.shape[-1]) if nw else None
        gb = g2.sum(0) if nb else None
        return gx, gw, gb


class NllLoss(Op):
    """Mean/sum/none of ``-w[t_i] * logp[i, t_i]`` over rows i of a (M, C) input whose target is not ignored."""

    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        t = target._data
        keep = t != ignore_index
        safe = xp.where(keep, t, 0)
        rows = xp.arange(len(t))
        w = keep.astype(logp._data.dtype)
        if weight is not None:
            w *= weight._data[safe]
        ctx.rows, ctx.safe, ctx.w, ctx.shape, ctx.reduction = rows, safe, w, logp._data.shape, reduction
        losses = -logp._data[rows, safe] * w
        if reduction == "none":
            return losses
        total = losses.sum(dtype=logp._data.dtype)
        if reduction == "mean":
            ctx.denom = w.sum(dtype=logp._data.dtype)
            return xp.asarray(total / ctx.denom, dtype=logp._data.dtype)
        return xp.asarray(total, dtype=logp._data.dtype)

    @staticmethod
    def backward(ctx, g):
        scale = Tensor._make(-ctx.w)  # d loss_i / d logp[i, t_i]
        if ctx.reduction == "mean":
            scale = scale / Tensor._make(ctx.denom)
        per_row = scale * g
        index = Tensor._make(ctx.safe.reshape(-1, 1))
        zeros = Tensor._make(xp.zeros(ctx.shape, per_row._data.dtype))
        return zeros.scatter(1, index, per_row.reshape(-1, 1)), None, None, None, None


class BinaryCrossEntropy(Op):
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``, each log clamped at -100 (PyTorch's rule).

    One op so that its gradient is PyTorch's ``(p - t) / max(p (1 - p), 1e-12)``:
    finite even at p = 0 or 1, where the clamped logs alone would give 0 * inf.
    """

    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        log_p = xp.maximum(xp.log(p._data), -100)
        log_1p = xp.maximum(xp.log1p(-p._data), -100)
        return -(t._data * log_p + (1 - t._data) * log_1p)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved_tensors
        gp = g * (p - t) / (p * (1 - p)).clamp(min=1e-12)
        gt = g * ((1 - p).log().clamp(min=-100) - p.log().clamp(min=-100)) if ctx.needs_input_grad[1] else None
        return gp, gt


class LeakyRelu(Op):
    """``x`` where x > 0, else ``negative_slope * x``, computed as
    ``max(x, 0) + slope * min(x, 0)``: branch-free, since NumPy's where()
    tests each element with a branch and is ~10x slower on mixed signs."""

    @staticmethod
    def forward(ctx, x, negative_slope):
        a = x._data
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        zeros = zeros_like_readonly(a)
        y = xp.minimum(a, zeros)
        y *= negative_slope
        y += xp.maximum(a, zeros)
        return y

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return LeakyReluGrad.apply(g, x, ctx.negative_slope), None


class LeakyReluGrad(Op):
    """``g`` where x > 0, else ``negative_slope * g``: leaky_relu's backward (linear in g)."""

    node_name = "LeakyReluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, negative_slope):
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        positive = (x._data > 0).astype(g._data.dtype)
        w = 1.0 - positive  # the weight: 1 where x > 0, else the slope (exactly)
        w *= negative_slope
        w += positive
        w *= g._data
        return w

    @staticmethod
    def backward(ctx, gg):
        (x,) = ctx.saved_tensors
        return LeakyReluGrad.apply(gg, x, ctx.negative_slope), None, None
