"""Recurrent cells (Unit 3, issue 13): the RNN/GRU/LSTM steps and their backward through time.

One op runs one layer in one direction over a whole sequence (``nn.RNN``/``GRU``/``LSTM`` stack
them; the cells ``nn.RNNCell``... run it over one step).  Its forward and backward are two backend
kernels (``rnn_forward``/``rnn_backward``, the readable formulas in ``_backend/reference.py``), so
the graph holds one node per layer and direction, not one per step and gate.

The forward (x_t the input at step t, h the state, ``*`` elementwise, σ the sigmoid)::

    xw_t = x_t W_ih^T + b_ih (+ b_hh)       all steps at once: one (T*B, I) @ (I, G*H) product
    RNN:   h' = tanh(a)  (or relu)           a = xw_t + h W_hh^T
    LSTM:  [a_i, a_f, a_g, a_o] = xw_t + h W_hh^T              (the four gates in one product)
           i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
           c' = f * c + i * g;   h' = o * tanh(c')   (then h' W_hr^T with proj_size)
    GRU:   [h_r, h_z, hn] = h W_hh^T + [b_hr, b_hz, b_hn]
           r = σ(xw_r + h_r);  z = σ(xw_z + h_z);  n = tanh(xw_n + r * hn)
           h' = (1 - z) * n + z * h

The backward through time walks the steps in reverse, carrying ``dh`` (= dL/dh', the gradient
from the output at that step plus what flowed back from the next step) and, for an LSTM, ``dc``.
At each step it finds the gradient of every gate's *pre-activation* (``da``), using
σ'(a) = s (1 - s) and tanh'(a) = 1 - y², read from the saved activated gates::

    RNN:   da   = dh * (1 - h'^2)     (relu: dh * (h' > 0))
    LSTM:  dc  += dh * o * (1 - tanh(c')^2)        c' reaches h' through tanh
           da_i = dc * g * i (1 - i)      da_f = dc * c * f (1 - f)
           da_g = dc * i * (1 - g^2)      da_o = dh * tanh(c') * o (1 - o)
           dc_prev = dc * f
    GRU:   da_n = dh * (1 - z) * (1 - n^2)
           da_r = da_n * hn * r (1 - r)   da_z = dh * (h - n) * z (1 - z)
           dh_prev gets dh * z directly; n's hidden part was multiplied by r, so its
           hidden-side gradient is da_n * r
    then   dh_prev += da_hidden_side @ W_hh      (the state's own path back in time)

``da`` of every step is stored in one (T, B, G*H) array; after the loop, three products give
everything else at once: dx = da @ W_ih, dW_ih = da^T x, dW_hh = da^T h_prev (summed over steps
and batch), and the biases' gradients are sums of da.  With a projection, dW_hr = dh^T (o * tanh c').

Packed sequences (different lengths) run padded with a (T, B, 1) mask: on a padding step the state
passes through unchanged (forward) and so does its gradient (backward), and the output is zero.

Double backward (``create_graph=True``) recomputes the layer with differentiable tensor ops
(``composed_layer``, the same equations step by step) and differentiates that.
"""
from .._backend import backend_of
from ..autograd import grad_mode
from ._base import Op, Tensor

_GRAD = grad_mode.STATE

__all__ = []

# The positions of the tensor arguments of a layer op, for ``needs_input_grad``
_TENSORS = ("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh", "w_hr")


def _arr(t):
    return None if t is None else t._data


class RecurrentLayer(Op):
    """One recurrent layer in one direction over a sequence: ``apply(x, h0, c0, w_ih, w_hh, b_ih,
    b_hh, w_hr, reverse, mask)`` with x (T, B, I) returns (out (T, B, P), h_n (B, P)), plus c_n (B, H)
    for an LSTM.  ``c0``, the biases and ``w_hr`` may be None; ``mask``: a (T, B, 1) bool array of
    the real steps (packed sequences) or None.  Subclasses fix the mode."""

    mode = None

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, mask):
        mode = type(ctx)._forward_cls.mode
        be = backend_of(x)
        out, h_n, c_n, cache = be.rnn_forward(mode, x._data, h0._data, _arr(c0), w_ih._data, w_hh._data,
                                              _arr(b_ih), _arr(b_hh), _arr(w_hr), mask, reverse)
        if mask is None:
            # ``out`` is the states array itself: saved as an output, so an in-place change is caught
            ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, out)
            cache = {k: v for k, v in cache.items() if k != "hs"}
        else:
            ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, None)
        ctx.cache, ctx.reverse, ctx.mask = cache, reverse, mask
        return (out, h_n, c_n) if mode == "LSTM" else (out, h_n)

    @staticmethod
    def backward(ctx, gy, ghn, gcn=None):
        mode = type(ctx)._forward_cls.mode
        saved = ctx.saved_tensors
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, out = saved
        needs = ctx.needs_input_grad[:8]
        if _GRAD.enabled:  # create_graph: differentiate the step-by-step tensor version instead
            return _composed_backward(mode, saved[:8], needs, ctx.reverse, ctx.mask, (gy, ghn, gcn)) + (None, None)
        cache = dict(ctx.cache)
        if out is not None:
            cache["hs"] = out._data
        grads = backend_of(gy).rnn_backward(mode, cache, gy._data, ghn._data, _arr(gcn), x._data, h0._data,
                                            _arr(c0), w_ih._data, w_hh._data, _arr(w_hr), ctx.mask, ctx.reverse,
                                            needs)
        return tuple(Tensor._make(g) if g is not None and need else None
                     for g, need in zip(grads, needs)) + (None, None)


class RNNTanhLayer(RecurrentLayer):
    mode = "RNN_TANH"
    node_name = "RnnTanhBackward0"


class RNNReluLayer(RecurrentLayer):
    mode = "RNN_RELU"
    node_name = "RnnReluBackward0"


class LSTMLayer(RecurrentLayer):
    mode = "LSTM"
    node_name = "LstmBackward0"


class GRULayer(RecurrentLayer):
    mode = "GRU"
    node_name = "GruBackward0"


LAYERS = {"RNN_TANH": RNNTanhLayer, "RNN_RELU": RNNReluLayer, "LSTM": LSTMLayer, "GRU": GRULayer}


def recurrent_layer(mode, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, reverse=False, mask=None):
    """Run one layer of ``mode`` ("RNN_TANH", "RNN_RELU", "LSTM", "GRU") in one direction over x
    (T, B, I): (out, h_n) or, for an LSTM, (out, h_n, c_n)."""
    return LAYERS[mode].apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, mask)


# ------------------------------------------------------------------ the step-by-step version
def composed_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, mask):
    """The same layer written with ordinary tensor ops, one step at a time (the "from scratch"
    RNN of d2l): slow, but every op is differentiable, so its gradient can be differentiated again."""
    from . import shape as _shape
    from .. import sigmoid, tanh, relu, where
    n_steps = x.shape[0]
    hid = w_hh.shape[0] // {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode]
    xw = x.matmul(w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
        if mode != "GRU":
            xw = xw + b_hh
    m = None if mask is None else Tensor._make(mask)
    h, c, outs = h0, c0, [None] * n_steps
    for t in (range(n_steps - 1, -1, -1) if reverse else range(n_steps)):
        if mode == "LSTM":
            a = xw[t] + h.matmul(w_hh.t())
            i, f, o = sigmoid(a[:, :hid]), sigmoid(a[:, hid:2 * hid]), sigmoid(a[:, 3 * hid:])
            c_new = f * c + i * tanh(a[:, 2 * hid:3 * hid])
            h_new = o * tanh(c_new)
            if w_hr is not None:
                h_new = h_new.matmul(w_hr.t())
            if m is not None:
                c_new = where(m[t], c_new, c)
            c = c_new
        elif mode == "GRU":
            hh = h.matmul(w_hh.t())
            if b_hh is not None:
                hh = hh + b_hh
            r = sigmoid(xw[t][:, :hid] + hh[:, :hid])
            z = sigmoid(xw[t][:, hid:2 * hid] + hh[:, hid:2 * hid])
            n = tanh(xw[t][:, 2 * hid:] + r * hh[:, 2 * hid:])
            h_new = (1 - z) * n + z * h
        else:
            a = xw[t] + h.matmul(w_hh.t())
            h_new = tanh(a) if mode == "RNN_TANH" else relu(a)
        if m is not None:
            h_new = where(m[t], h_new, h)
        outs[t] = h_new if m is None else h_new * m[t]
        h = h_new
    out = _shape.stack(outs, 0)
    return (out, h, c) if mode == "LSTM" else (out, h)


def _composed_backward(mode, inputs, needs, reverse, mask, grads):
    from ..autograd import grad as _grad
    outs = composed_layer(mode, *inputs, reverse, mask)
    wanted = [t for t, need in zip(inputs, needs) if need]
    got = iter(_grad(outs, wanted, grad_outputs=grads[:len(outs)], create_graph=True, allow_unused=True))
    return tuple(next(got) if need else None for need in needs)
