"""The reference backend: every kernel as the plain formula, written to be read.

This is the file to study.  Each method computes one thing, named after what
it computes, in the way you would write it on paper with NumPy.  The ops
(``profundo/ops``) call these kernels for their forward and for the
one-op backward of activations; the fast NumPy backend (``numpy.py``)
subclasses this class and overrides only the kernels it makes faster, so the
difference between the two files is exactly the performance work.

Select it with ``profundo.set_backend("reference")`` or the environment
variable ``PROFUNDO_BACKEND=reference``.
"""
import itertools
import math

import numpy as np

from . import special


#: gate blocks of H rows in a recurrent layer's weights, by mode
_RNN_BLOCKS = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class ReferenceBackend:
    """Plain NumPy formulas.  ``xp`` is the array module: every array function
    an op needs that is not a named kernel here is ``be.xp.<function>``."""

    name = "reference"
    #: the array module (NumPy's API; a CuPy backend puts ``cupy`` here)
    xp = np
    #: the array type of this backend
    ndarray = np.ndarray

    def __init__(self):
        #: the function each op's no-grad fast path calls (``Function.kernel``), by op class, found on first use
        self.op_kernels = {}

    def __repr__(self):
        return f"<profundo backend {self.name!r}>"

    def op_kernel(self, name):
        """The array function named by an op's ``kernel`` (``"add"``, ``"exp"``): ``xp.<name>``,
        or else this backend's own method of that name (``"relu"``, ``"sigmoid"``), called on
        same-dtype floats.  The in-place forms pass ``out=`` (as to a ufunc), so a method named
        as a kernel takes it too.  A backend may return its own."""
        fn = getattr(self.xp, name, None)
        return fn if fn is not None else getattr(self, name)

    # ------------------------------------------------------------ arrays
    def asarray(self, x, dtype=None):
        """``x`` as an array of this backend (no copy when possible)."""
        return self.xp.asarray(x, dtype=dtype)

    def copy(self, a):
        """A new C-contiguous array holding ``a``'s values."""
        return self.xp.array(a, copy=True, order="C")

    def is_writeable(self, a):
        """Can ``a`` be written in place?  ``expand()``/``broadcast_to`` views
        (several elements share one memory location) are read-only in NumPy."""
        return a.flags.writeable

    def owns_data(self, a):
        """``a`` owns a C-contiguous, writeable buffer: no other array sees it,
        so the engine may hand it on (as a leaf's ``.grad``) without a copy."""
        flags = a.flags
        return flags.owndata and flags.writeable and flags.c_contiguous

    def data_ptr(self, a):
        """The address of ``a``'s first element."""
        return a.ctypes.data

    def reshape_view(self, a, shape):
        """``a`` reshaped without copying, or ValueError if that needs a copy."""
        try:
            return self.xp.reshape(a, shape, copy=False)  # NumPy >= 2.1
        except TypeError:  # older NumPy: setting .shape on a view refuses to copy
            v = a.view()
            try:
                v.shape = shape
            except AttributeError as e:
                raise ValueError(str(e)) from None
            return v

    def stack(self, arrays, axis):
        """The arrays (one shape, one dtype) joined along a new axis ``axis``."""
        return self.xp.stack(arrays, axis=axis)

    def sliding_windows(self, a, kernel_size, stride, dilation):
        """A read-only view of the windows of ``a`` over its last ``k = len(kernel_size)``
        dims (convolution and pooling read their inputs through it): shape
        ``a.shape[:-k] + out + kernel_size`` with ``out[i] = (n[i] - dilation[i] * (kernel_size[i] - 1) - 1)
        // stride[i] + 1``.  No copy: every window is the same memory seen through
        other strides (``window[..., o, j] = a[..., o * stride + j * dilation]``)."""
        k = len(kernel_size)
        span = tuple(d * (ks - 1) + 1 for ks, d in zip(kernel_size, dilation))  # a dilated window's extent
        v = self.xp.lib.stride_tricks.sliding_window_view(a, span, axis=tuple(range(a.ndim - k, a.ndim)))
        return v[(...,) + tuple(slice(None, None, s) for s in stride) + tuple(slice(None, None, d) for d in dilation)]

    # ------------------------------------------------------------ reductions
    def reduce_sum(self, a, axis, keepdims=False, dtype=None):
        """The sum of ``a`` over ``axis`` (an int, a tuple of ints or None)."""
        return self.xp.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)

    def row_sum(self, a):
        """The sum of each row (the last axis), kept as a column: ``a.sum(-1, keepdims=True)``."""
        return self.reduce_sum(a, -1, keepdims=True)

    def reduce_max(self, a, axis, keepdims=False):
        return self.xp.max(a, axis=axis, keepdims=keepdims)

    def reduce_min(self, a, axis, keepdims=False):
        return self.xp.min(a, axis=axis, keepdims=keepdims)

    def scatter_add(self, target, index, values):
        """``target[index] += values`` where repeated indices accumulate (a
        plain ``+=`` would keep only the last of them)."""
        self.xp.add.at(target, index, values)

    def one_hot(self, idx, num_classes):
        """``F.one_hot``: int64 rows of ``num_classes`` zeros with a 1 at each index of
        ``idx`` (the indices are checked by the caller), shape ``idx.shape + (num_classes,)``."""
        xp = self.xp
        return (idx[..., None] == xp.arange(num_classes)).astype(xp.int64)

    # ------------------------------------------------------------ linear algebra
    def matmul(self, a, b):
        return self.xp.matmul(a, b)

    def matmul_backward(self, g, a, b, need_a=True, need_b=True):
        """The gradients of ``a @ b`` for the incoming gradient ``g``: ``g @ bᵀ``
        for ``a`` and ``aᵀ @ g`` for ``b`` (None where not needed).  The
        transposes are views: BLAS reads them as transposed operands, no copy."""
        xp = self.xp
        ga = xp.matmul(g, xp.swapaxes(b, -1, -2)) if need_a else None
        gb = xp.matmul(xp.swapaxes(a, -1, -2), g) if need_b else None
        return ga, gb

    # ------------------------------------------------------------ activations
    def exp(self, a):
        return self.xp.exp(a)

    def relu(self, a, out=None):
        """``max(x, 0)``."""
        return self.xp.maximum(a, 0, out=out)

    def relu_backward(self, g, y):
        """The gradient lets ``g`` through where the output ``y = relu(x)`` is
        not zero (``x > 0``, or a NaN, which PyTorch lets through too)."""
        return g * (y != 0)

    def leaky_relu(self, a, negative_slope):
        """``x`` where ``x > 0``, else ``negative_slope * x``."""
        return self.xp.where(a > 0, a, a * negative_slope)

    def leaky_relu_backward(self, g, x, negative_slope):
        """``g`` where ``x > 0``, else ``negative_slope * g``."""
        return self.xp.where(x > 0, g, g * g.dtype.type(negative_slope))

    def sigmoid(self, a, out=None):
        """``1 / (1 + exp(-x))``.  For very negative x, ``exp(-x)`` overflows
        to inf and the result is ``1 / inf = 0``: no NaN for any x."""
        return self.xp.divide(1, 1 + self.xp.exp(-a), out=out)

    def sigmoid_backward(self, g, y):
        """d sigmoid/dx = y (1 - y), with ``y = sigmoid(x)``."""
        return g * y * (1 - y)

    def tanh(self, a):
        return self.xp.tanh(a)

    def tanh_backward(self, g, y):
        """d tanh/dx = 1 - y², with ``y = tanh(x)``."""
        return g * (1 - y * y)

    # ------------------------------------------------------------ special functions and smooth activations
    # Each forward returns what its backward needs again (GELU: Phi(x); ELU: exp(min(x, 0)); SiLU:
    # sigmoid(x)), so the backward never recomputes it.
    def erf(self, a):
        """The error function.  NumPy has none: Cody's rational approximations
        (``special.erf_float64``), computed in float64 and rounded to ``a``'s dtype."""
        return self.xp.asarray(special.erf_float64(a.astype(self.xp.float64)), a.dtype)

    def gelu(self, a):
        """Exact GELU, ``x Phi(x)`` with ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``.  Returns ``(y, Phi(x))``."""
        cdf = 0.5 * (1 + self.erf(a * a.dtype.type(1 / math.sqrt(2))))
        return self.xp.asarray(a * cdf), self.xp.asarray(cdf)

    def gelu_backward(self, g, x, cdf):
        """d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = exp(-x²/2) / sqrt(2 pi) the normal density."""
        pdf = self.xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return self.xp.asarray(g * (cdf + x * pdf), g.dtype)

    # GELU's tanh form, with PyTorch's constants: 0.5 x (1 + tanh(b (x + k x³))), b = sqrt(2 / pi)
    _GELU_B, _GELU_K = math.sqrt(2 / math.pi), 0.044715

    def gelu_tanh(self, a):
        """GELU's tanh approximation.  Returns ``(y, tanh(inner))``."""
        b, k = a.dtype.type(self._GELU_B), a.dtype.type(self._GELU_K)
        th = self.xp.tanh(b * (a + k * a * a * a))
        return self.xp.asarray(0.5 * a * (1 + th), a.dtype), self.xp.asarray(th)

    def gelu_tanh_backward(self, g, x, th):
        """d/dx 0.5 x (1 + th) = 0.5 (1 + th) + 0.5 x (1 - th²) b (1 + 3 k x²)."""
        b, k = self._GELU_B, self._GELU_K
        d = 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * b * (1 + 3 * k * x * x)
        return self.xp.asarray(g * d, g.dtype)

    def softplus(self, a, beta, threshold):
        """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold`` (PyTorch's rule).
        Written ``max(z, 0) + log1p(exp(-|z|))`` with ``z = beta x``: the same value, with no overflow."""
        xp, z = self.xp, a * a.dtype.type(beta)
        y = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / a.dtype.type(beta)
        return xp.asarray(xp.where(z > threshold, a, y), a.dtype)

    def softplus_backward(self, g, x, beta, threshold):
        """``g sigmoid(beta x)``, and ``g`` itself where ``beta x > threshold``."""
        z = x * x.dtype.type(beta)
        return self.xp.asarray(self.xp.where(z > threshold, g, g / (1 + self.xp.exp(-z))), g.dtype)

    def elu(self, a, alpha):
        """``x`` where ``x > 0``, else ``alpha (exp(x) - 1)``.  Returns ``(y, exp(min(x, 0)))``."""
        xp = self.xp
        e = xp.exp(xp.minimum(a, 0))
        y = xp.where(a > 0, a, a.dtype.type(alpha) * xp.expm1(xp.minimum(a, 0)))
        return xp.asarray(y, a.dtype), xp.asarray(e, a.dtype)

    def elu_backward(self, g, x, e, alpha):
        """``g alpha exp(x)`` where ``x <= 0``, else ``g`` (also where x is NaN, as PyTorch)."""
        return self.xp.asarray(self.xp.where(x <= 0, g * x.dtype.type(alpha) * e, g), g.dtype)

    def silu(self, a):
        """``x sigmoid(x)``.  Returns ``(y, sigmoid(x))``."""
        s = 1 / (1 + self.xp.exp(-a))
        return self.xp.asarray(a * s, a.dtype), self.xp.asarray(s, a.dtype)

    def silu_backward(self, g, x, s):
        """d/dx x s(x) = s (1 + x (1 - s))."""
        return self.xp.asarray(g * s * (1 + x * (1 - s)), g.dtype)

    def lgamma(self, a):
        """``log |Gamma(x)|``: Stirling's series after the recurrence ``Gamma(x + 1) = x Gamma(x)``, the
        reflection formula for negative x, a Taylor series near the zeros at 1 and 2
        (``special.lgamma_float64``), computed in float64 and rounded to ``a``'s dtype."""
        return self.xp.asarray(special.lgamma_float64(a.astype(self.xp.float64), self.xp), a.dtype)

    def digamma(self, a):
        """``digamma(x) = d/dx lgamma(x)`` (``special.digamma_float64``: the same three steps), in float64."""
        return self.xp.asarray(special.digamma_float64(a.astype(self.xp.float64), self.xp), a.dtype)

    def trigamma(self, a):
        """``trigamma(x) = d/dx digamma(x)`` (``special.trigamma_float64``), in float64."""
        return self.xp.asarray(special.trigamma_float64(a.astype(self.xp.float64), self.xp), a.dtype)

    # ------------------------------------------------------------ softmax family
    def max_for_shift(self, a, axes, nan_on_posinf=False):
        """The max of ``a`` over ``axes`` (kept), the shift that makes
        ``exp(a - max)`` never overflow; infinities are replaced by 0 so that
        ``a - max`` never computes ``inf - inf``.

        With ``nan_on_posinf`` (softmax, log_softmax) a ``+inf`` max is kept:
        that row's ``a - max`` then holds ``inf - inf = nan``, and the whole row
        comes out NaN, as PyTorch's.
        """
        xp = self.xp
        if not a.size:
            return xp.zeros(tuple(1 if i in axes else s for i, s in enumerate(a.shape)), a.dtype)
        m = self.reduce_max(a, axes, keepdims=True)
        if not xp.isfinite(m).all():
            replace = (m == -xp.inf) if nan_on_posinf else ~xp.isfinite(m)
            m = xp.where(replace, 0, m)
        return m

    def softmax(self, a, axis):
        """``exp(x - max) / sum(exp(x - max))`` along ``axis``."""
        e = self.xp.exp(a - self.max_for_shift(a, (axis,), nan_on_posinf=True))
        return e / self.reduce_sum(e, axis, keepdims=True)

    def softmax_backward(self, g, y, axis):
        """``y * (g - sum(g * y))``, with ``y = softmax(x)``."""
        return y * (g - self.reduce_sum(g * y, axis, keepdims=True))

    def log_softmax(self, a, axis):
        """``(x - max) - log(sum(exp(x - max)))`` along ``axis``.  Returns it
        together with ``softmax(x)``, which its backward needs (so backward
        needs no second exp, the costly pass)."""
        shifted = a - self.max_for_shift(a, (axis,), nan_on_posinf=True)
        e = self.xp.exp(shifted)
        s = self.reduce_sum(e, axis, keepdims=True)
        return shifted - self.xp.log(s), e / s

    def log_softmax_backward(self, g, p, axis):
        """``g - softmax(x) * sum(g)``, with ``p = softmax(x) = exp(y)``."""
        return g - p * self.reduce_sum(g, axis, keepdims=True)

    def cross_entropy(self, x, target):
        """Per row ``i`` of the (N, C) logits ``x``, ``-log_softmax(x)[i, target[i]]``; returned
        with ``softmax(x)``, which the backward needs."""
        logp, p = self.log_softmax(x, 1)
        return -logp[self.xp.arange(len(target)), target], p

    def cross_entropy_backward(self, g, p, target, reduction):
        """``(p - onehot(target)) * g``: the gradient of the cross-entropy of logits whose softmax
        is ``p`` (rows), for class indices ``target``; ``g`` is one number per row for reduction
        ``"none"``, else one number (divided by the row count for ``"mean"``)."""
        xp = self.xp
        onehot = xp.zeros_like(p)
        onehot[xp.arange(len(target)), target] = 1
        scale = g[:, None] if reduction == "none" else g / len(target) if reduction == "mean" else g
        return (p - onehot) * scale

    # ------------------------------------------------------------ pooling and normalization (Unit 2)
    # (max/avg pooling windows, batch/layer/group normalization statistics)
    # Pooling works on the last k dims of ``a`` (k = len(kernel_size)); the leading dims (N, C, or
    # just C for an unbatched input) are "planes" pooled independently.  A max-pool index is the
    # flat position inside its plane of the unpadded input, as PyTorch's ``return_indices``.
    def pool_pad(self, a, kernel_size, stride, padding, dilation, out_size, value):
        """``a`` framed by ``value``: ``padding[i]`` before each pooled dim, and after it at least
        ``padding[i]``, more where ``ceil_mode``'s last window reaches past the padded input."""
        k = len(kernel_size)
        sizes = a.shape[-k:]
        need = [(o - 1) * s + d * (ks - 1) + 1 for o, s, d, ks in zip(out_size, stride, dilation, kernel_size)]
        padded = tuple(max(n + 2 * p, m) for n, p, m in zip(sizes, padding, need))
        if padded == sizes:
            return a
        out = self.xp.full(a.shape[:-k] + padded, value, a.dtype)
        out[(...,) + tuple(slice(p, p + n) for p, n in zip(padding, sizes))] = a
        return out

    def pool_windows(self, a, kernel_size, stride, padding, dilation, out_size, value):
        """The pooling windows of ``a``: a view of shape ``a.shape[:-k] + out_size + kernel_size``
        (``window[..., o, j] = padded[..., o * stride + j * dilation]``)."""
        padded = self.pool_pad(a, kernel_size, stride, padding, dilation, out_size, value)
        w = self.sliding_windows(padded, kernel_size, stride, dilation)
        k = len(kernel_size)
        return w[(...,) + tuple(slice(0, o) for o in out_size) + (slice(None),) * k]

    def window_positions(self, j, in_size, kernel_size, stride, padding, dilation):
        """The flat in-plane position (``h * W + w``) of offset ``j`` (flat, in the window) of every
        window: ``coord = out_index * stride - padding + offset * dilation`` along each dim."""
        xp, k = self.xp, len(kernel_size)
        offsets = xp.unravel_index(j, kernel_size)  # the window offset along each dim
        pos = 0
        for i in range(k):
            o = xp.arange(j.shape[j.ndim - k + i]).reshape((-1,) + (1,) * (k - 1 - i))
            pos = pos * in_size[i] + (o * stride[i] - padding[i] + offsets[i] * dilation[i])
        return pos.astype(xp.int64)

    def max_pool(self, a, kernel_size, stride, padding, dilation, out_size):
        """The largest value of each window and its index (the first maximum at ties, as PyTorch).
        Padding is the lowest value of the dtype, so it never wins."""
        xp, k = self.xp, len(kernel_size)
        low = -xp.inf if a.dtype.kind == "f" else xp.iinfo(a.dtype).min
        w = self.pool_windows(a, kernel_size, stride, padding, dilation, out_size, low)
        rows = w.reshape(w.shape[:-k] + (math.prod(kernel_size),))  # a copy: the K candidates of each window in a row
        j = xp.argmax(rows, axis=-1)  # the first maximum of each row
        values = xp.take_along_axis(rows, j[..., None], axis=-1)[..., 0]
        return values, self.window_positions(j, a.shape[-k:], kernel_size, stride, padding, dilation)

    def plane_scatter(self, g, indices, in_shape, k, overlapping=True):
        """``out[..., indices[..., o]] += g[..., o]`` per plane, ``out`` zeros of ``in_shape``: the
        gradient of a max pool goes to the position that won each window (and to no other)."""
        xp = self.xp
        lead = math.prod(in_shape[:len(in_shape) - k])
        plane = math.prod(in_shape[len(in_shape) - k:])
        per_plane = math.prod(indices.shape[indices.ndim - k:])
        flat = indices.reshape(lead, per_plane) + xp.arange(lead)[:, None] * plane  # position in the whole array
        out = xp.zeros(lead * plane, g.dtype)
        self.scatter_add(out, flat.reshape(-1), g.reshape(-1))  # overlapping windows may share a winner
        return out.reshape(in_shape)

    def plane_gather(self, a, indices, k):
        """``a[..., indices[..., o]]`` per plane: the adjoint of ``plane_scatter`` (a max pool's
        double backward, and ``max_unpool``'s backward)."""
        lead = math.prod(indices.shape[:indices.ndim - k])
        rows = a.reshape(lead, math.prod(a.shape[a.ndim - k:]))
        picked = self.xp.take_along_axis(rows, indices.reshape(lead, math.prod(indices.shape[indices.ndim - k:])), axis=1)
        return picked.reshape(indices.shape)

    def window_max(self, a, positions, k):
        """The max of windows given as the in-plane positions of their candidates (``positions``:
        ``out_size + (K,)``), and the position of each max (the first at ties): adaptive max pooling."""
        xp = self.xp
        lead = a.shape[:a.ndim - k]
        rows = a.reshape(lead + (math.prod(a.shape[a.ndim - k:]),))[..., positions]  # (..., *out_size, K): a copy
        j = xp.argmax(rows, axis=-1)
        values = xp.take_along_axis(rows, j[..., None], axis=-1)[..., 0]
        return values, positions[tuple(xp.indices(positions.shape[:-1])) + (j,)].astype(xp.int64)

    def plane_put(self, x, indices, out_shape, k):
        """A zero array of ``out_shape`` with ``x[..., o]`` written at ``indices[..., o]`` of its plane
        (``max_unpool``; of repeated indices one value is kept, as PyTorch)."""
        xp = self.xp
        lead = math.prod(out_shape[:len(out_shape) - k])
        out = xp.zeros((lead, math.prod(out_shape[len(out_shape) - k:])), x.dtype)
        per_plane = math.prod(x.shape[x.ndim - k:])
        xp.put_along_axis(out, indices.reshape(lead, per_plane), x.reshape(lead, per_plane), axis=1)
        return out.reshape(out_shape)

    def avg_pool(self, a, kernel_size, stride, padding, out_size, divisor):
        """The sum of each window (zero padding) divided by ``divisor`` (an array broadcast
        against the output: the window size, or only its part inside the input)."""
        k = len(kernel_size)
        w = self.pool_windows(a, kernel_size, stride, padding, (1,) * k, out_size, 0)
        return (w.sum(axis=tuple(range(-k, 0))) / divisor).astype(a.dtype, copy=False)

    def avg_pool_backward(self, g, kernel_size, stride, padding, in_shape, divisor):
        """Each output spreads ``g / divisor`` over its window: for every offset inside the window, one
        strided slice of the (padded) gradient gets every output's share at once; the padding is cut."""
        xp, k = self.xp, len(kernel_size)
        share = g / divisor
        out_size = g.shape[-k:]
        sizes = in_shape[-k:]
        padded = [max(n + 2 * p, (o - 1) * s + ks) for n, p, o, s, ks in
                  zip(sizes, padding, out_size, stride, kernel_size)]
        out = xp.zeros(tuple(in_shape[:-k]) + tuple(padded), g.dtype)
        for offset in itertools.product(*(range(ks) for ks in kernel_size)):
            out[(...,) + tuple(slice(j, j + s * (o - 1) + 1, s) for j, s, o in zip(offset, stride, out_size))] += share
        return out[(...,) + tuple(slice(p, p + n) for p, n in zip(padding, sizes))]

    # Normalization: ``xhat = (x - mean) / sqrt(var + eps)`` with the mean and (biased) variance
    # over some axes, then ``y = weight * xhat + bias``.  Batch norm: over every axis but the
    # channels (axis 1); layer norm: over the last dims; group norm: over each group of channels.
    def norm_stats(self, a, axes):
        """The mean and the biased variance of ``a`` over ``axes`` (kept, to broadcast)."""
        mean = a.mean(axis=axes, keepdims=True)
        d = a - mean
        return mean, (d * d).mean(axis=axes, keepdims=True)

    def normalize_backward(self, dxhat, xhat, invstd, axes):
        """The gradient through ``xhat = (x - mean(x)) * invstd``, ``invstd = 1 / sqrt(var(x) + eps)``
        (mean and variance over ``axes``, of n elements), given ``dxhat = dL/dxhat``.  Closed form:
        d mean / dx_i = 1/n and d invstd / dx_i = -invstd xhat_i / n, so
            dL/dx_i = invstd (dxhat_i - mean(dxhat) - xhat_i mean(dxhat * xhat))."""
        return invstd * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                         - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))

    def batch_norm_stats(self, a):
        """Per channel (axis 1) of an (N, C, ...) array: the mean and the biased variance, shape (C,)."""
        axes = (0,) + tuple(range(2, a.ndim))
        mean, var = self.norm_stats(a, axes)
        return mean.reshape(-1), var.reshape(-1)

    def batch_norm(self, a, mean, invstd, weight, bias):
        """``(x - mean) * invstd * weight + bias`` per channel (axis 1); ``weight``/``bias`` may be None."""
        shape = (1, -1) + (1,) * (a.ndim - 2)
        y = (a - mean.reshape(shape)) * invstd.reshape(shape)
        if weight is not None:
            y = y * weight.reshape(shape)
        if bias is not None:
            y = y + bias.reshape(shape)
        return y.astype(a.dtype, copy=False)

    def batch_norm_backward(self, g, a, mean, invstd, weight, training):
        """``(dx, dweight, dbias)`` of ``batch_norm``.  Training: the statistics depend on x
        (``normalize_backward``); eval: they are constants, so ``dx = g * weight * invstd``."""
        shape = (1, -1) + (1,) * (a.ndim - 2)
        axes = (0,) + tuple(range(2, a.ndim))
        xhat = (a - mean.reshape(shape)) * invstd.reshape(shape)
        dbias = g.sum(axis=axes)
        dweight = (g * xhat).sum(axis=axes)
        dxhat = g * weight.reshape(shape) if weight is not None else g
        if training:
            dx = self.normalize_backward(dxhat, xhat, invstd.reshape(shape), axes)
        else:
            dx = dxhat * invstd.reshape(shape)
        return dx.astype(g.dtype, copy=False), dweight, dbias

    # ------------------------------------------------------------ optimizers
    def sgd_step(self, param, d_p, lr):
        """One SGD update of ``param`` in place: ``param -= lr * d_p``."""
        param -= lr * d_p

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
                  bias_correction1, bias_correction2_sqrt):
        """One Adam update of ``param`` in place (moments updated in place too).
        ``max_exp_avg_sq`` is the AMSGrad running maximum, or None."""
        xp = self.xp
        exp_avg += (1 - beta1) * (grad - exp_avg)                      # exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad                        # beta2 v + (1 - beta2) g²
        if max_exp_avg_sq is not None:
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            second = max_exp_avg_sq
        else:
            second = exp_avg_sq
        denom = xp.sqrt(second) / bias_correction2_sqrt + eps
        param -= (lr / bias_correction1) * (exp_avg / denom)

    # ------------------------------------------------------------ convolution (Unit 2)
    # Convolution is a matrix product once every window of the input is laid out as a column
    # ("im2col"): with ``cols[n]`` of shape (C * K, L) (K = prod(kernel_size) kernel offsets, L output
    # positions) and the weight as an (O, C * K) matrix, ``out[n] = W @ cols[n]``: one BLAS call does
    # all the multiply-adds, at BLAS speed.  Shapes: x (N, C, *in), weight (O, C // groups, *kernel_size),
    # out (N, O, *out); ``padding`` is one (left, right) pair of zeros per spatial dim.
    def pad_zeros(self, a, padding):
        """``a`` (N, C, *spatial) framed by ``padding`` zeros: one fresh zero array and one copy into
        its middle."""
        if not any(lo or hi for lo, hi in padding):
            return a
        shape = a.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(a.shape[2:], padding))
        out = self.xp.zeros(shape, a.dtype)
        out[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(a.shape[2:], padding))] = a
        return out

    def crop(self, a, padding):
        """The inverse of ``pad_zeros`` for a gradient: the middle of ``a``, as a new contiguous array."""
        if not any(lo or hi for lo, hi in padding):
            return a
        region = tuple(slice(lo, n - hi) for n, (lo, hi) in zip(a.shape[2:], padding))
        return self.xp.ascontiguousarray(a[(slice(None), slice(None)) + region])

    def im2col(self, x, kernel_size, stride, padding, dilation, out_size=None):
        """The windows of ``x`` (N, C, *in), padded, as columns: ``(N, C * K, L)``, rows ordered
        (channel, kernel offset) like a flattened weight, columns the output positions.  Read
        through the ``sliding_windows`` view (no copy); the one copy is the reshape, which lays
        each window out contiguously for the matmul.  ``out_size`` keeps only the first windows
        along each dim (a transposed convolution's ``output_padding`` leaves extra input rows)."""
        k = len(kernel_size)
        x = self.pad_zeros(x, padding)
        v = self.sliding_windows(x, kernel_size, stride, dilation)     # (N, C, *out, *k)
        if out_size is not None:
            v = v[(...,) + tuple(slice(0, o) for o in out_size) + (slice(None),) * k]
        n, c, out = x.shape[0], x.shape[1], v.shape[2:2 + k]
        # (N, C, *k, *out): the kernel offsets next to the channel and the output positions last, so
        # the copy reads whole rows of outputs (contiguous in x when the stride is 1)
        v = v.transpose((0, 1) + tuple(range(2 + k, 2 + 2 * k)) + tuple(range(2, 2 + k)))
        return v.reshape(n, c * math.prod(kernel_size), math.prod(out))

    def col2im(self, cols, in_shape, kernel_size, stride, padding, dilation, out_size):
        """The adjoint of ``im2col``: each column entry added back to the input position it was read
        from (then the padding cropped).  Windows overlap, so a position receives several entries:
        instead of a scatter per element (``np.add.at``, slow), loop over the K kernel offsets.  The
        entries of offset j of every window land on one strided slice of the input,
        ``x[..., j * d :: s]``, and one vectorized ``+=`` adds them all: K passes over N * C * L
        elements, no Python loop over pixels."""
        n, c = in_shape[0], in_shape[1]
        padded = (n, c) + tuple(m + lo + hi for m, (lo, hi) in zip(in_shape[2:], padding))
        cols = cols.reshape((n, c) + tuple(kernel_size) + tuple(out_size))
        out = self.xp.zeros(padded, cols.dtype)
        for offset in itertools.product(*(range(ks) for ks in kernel_size)):
            region = tuple(slice(j * d, j * d + s * (o - 1) + 1, s)
                           for j, d, s, o in zip(offset, dilation, stride, out_size))
            out[(slice(None), slice(None)) + region] += cols[(slice(None), slice(None)) + offset]
        return self.crop(out, padding)

    def conv_forward(self, x, weight, bias, stride, padding, dilation, groups, out_size=None, keep_cols=False):
        """``out[n, o] = bias[o] + sum_{c, j} weight[o, c, j] x[n, c, window + j]`` (a cross-correlation,
        as in PyTorch): im2col, then one matmul broadcast over the batch and the groups.  Groups split
        the channels: group g's outputs read only group g's input channels.  With ``keep_cols``,
        returns ``(out, cols)``: the weight gradient can reuse the columns instead of copying them
        again (``conv_weight_grad(..., cols=cols)``)."""
        ks = weight.shape[2:]
        cols = self.im2col(x, ks, stride, padding, dilation, out_size)           # (N, C * K, L)
        n, o = x.shape[0], weight.shape[0]
        if out_size is None:
            out_size = tuple((m + lo + hi - d * (k - 1) - 1) // s + 1
                             for m, (lo, hi), k, s, d in zip(x.shape[2:], padding, ks, stride, dilation))
        cols = cols.reshape(n, groups, cols.shape[1] // groups, cols.shape[2])  # (N, G, Cg * K, L)
        w = weight.reshape(groups, o // groups, cols.shape[2])                  # (G, Og, Cg * K)
        out = self.conv_product(w, cols).reshape((n, o) + tuple(out_size))      # (N, G, Og, L)
        if bias is not None:
            out += bias.reshape((o,) + (1,) * len(out_size))  # in place on the fresh result
        return (out, cols) if keep_cols else out

    def conv_product(self, w, cols):
        """``w @ cols[n]`` for every example: ``w`` (G, Og, Cg * K), ``cols`` (N, G, Cg * K, L) ->
        (N, G, Og, L); one matmul broadcast over the batch."""
        return self.xp.matmul(w, cols)

    def conv_input_grad(self, g, weight, in_shape, stride, padding, dilation, groups):
        """The gradient of ``conv_forward`` with respect to its input (of shape ``in_shape``), for
        the output gradient ``g``: each output position sends ``weight^T g`` back to the window it
        read (one matmul, then ``col2im``).  Also the forward of a transposed convolution."""
        n, o, out = g.shape[0], weight.shape[0], g.shape[2:]
        ck = weight.shape[1] * math.prod(weight.shape[2:])
        w = weight.reshape(groups, o // groups, ck)                               # (G, Og, Cg * K)
        gm = g.reshape(n, groups, o // groups, math.prod(out))                    # (N, G, Og, L)
        cols = self.xp.matmul(w.swapaxes(-1, -2), gm)                             # (N, G, Cg * K, L)
        return self.col2im(cols, in_shape, weight.shape[2:], stride, padding, dilation, out)

    def conv_weight_grad(self, x, g, weight_shape, stride, padding, dilation, groups, cols=None):
        """The gradient of ``conv_forward`` with respect to the weight: ``g @ cols^T`` summed over
        the batch (each weight meets every window of every example).  ``cols``: the forward's
        columns (``keep_cols``), else im2col runs again."""
        n, o, out = g.shape[0], weight_shape[0], g.shape[2:]
        if cols is None or cols.shape[-1] != math.prod(out):
            cols = self.im2col(x, weight_shape[2:], stride, padding, dilation, out)   # (N, C * K, L)
        ck = math.prod(weight_shape[1:])                                               # Cg * K
        cols = cols.reshape(n, groups, ck, math.prod(out))                              # (N, G, Cg * K, L)
        gm = g.reshape(n, groups, o // groups, math.prod(out))                         # (N, G, Og, L)
        return self.weight_grad_product(gm, cols).reshape(weight_shape)

    def weight_grad_product(self, gm, cols):
        """``sum_n gm[n] @ cols[n]^T`` for ``gm`` (N, G, Og, L) and ``cols`` (N, G, Cg * K, L).
        Early layers (more output positions L than output channels Og): one product per example,
        then the sum over the batch.  Deep layers (few positions, many channels): that would build
        an (N, G, Og, Cg * K) intermediate (300 MB and 130x slower on ResNet-18's last layer, where
        L = 1), so lay every (example, position) pair side by side instead and let one matrix
        product contract all N * L of them: (G, Og, N * L) @ (G, N * L, Cg * K)."""
        n, g, og, length = gm.shape
        if og <= length:
            return self.xp.matmul(gm, cols.swapaxes(-1, -2)).sum(0)
        a = gm.transpose(1, 2, 0, 3).reshape(g, og, n * length)
        b = cols.transpose(1, 0, 3, 2).reshape(g, n * length, cols.shape[2])
        return self.xp.matmul(a, b)                                                    # (G, Og, Cg * K)

    # ------------------------------------------------------------ more activations (issue 13)
    # Piecewise ones compare with strict inequalities, as PyTorch: at a corner (relu6 at 0 or 6,
    # hardsigmoid at +-3) the gradient is 0.
    def hardtanh(self, a, min_val, max_val):
        """``x`` clipped to ``[min_val, max_val]`` (an integer tensor stays integer, as PyTorch)."""
        t = a.dtype.type
        return self.xp.clip(a, t(min_val), t(max_val))

    def hardtanh_backward(self, g, x, min_val, max_val):
        """``g`` strictly inside ``(min_val, max_val)``, else 0 (0 at a NaN too, as PyTorch's vectorized kernel)."""
        return self.xp.where((x > min_val) & (x < max_val), g, g.dtype.type(0))

    def hardsigmoid(self, a):
        """``min(max(x + 3, 0), 6) / 6``."""
        return self.xp.clip(a + a.dtype.type(3), 0, 6) / a.dtype.type(6)

    def hardsigmoid_backward(self, g, x):
        """``g / 6`` strictly inside ``(-3, 3)``, else 0."""
        return self.xp.where((x > -3) & (x < 3), g / g.dtype.type(6), g.dtype.type(0))

    def hardswish(self, a):
        """``x min(max(x + 3, 0), 6) / 6``."""
        return a * self.xp.clip(a + a.dtype.type(3), 0, 6) / a.dtype.type(6)

    def hardswish_backward(self, g, x):
        """0 for ``x <= -3``, ``g (x / 3 + 1/2)`` for ``-3 < x < 3``, ``g`` above."""
        xp, t = self.xp, g.dtype.type
        return xp.where(x <= -3, t(0), xp.where(x < 3, g * (x / t(3) + t(0.5)), g))

    def mish(self, a):
        """``x tanh(softplus(x))``.  Returns ``(y, tanh(softplus(x)), sigmoid(x))`` for the backward."""
        xp = self.xp
        sp = xp.maximum(a, 0) + xp.log1p(xp.exp(-xp.abs(a)))  # softplus, with no overflow
        t = xp.tanh(sp)
        s = 1 / (1 + xp.exp(-a))
        return xp.asarray(a * t, a.dtype), xp.asarray(t, a.dtype), xp.asarray(s, a.dtype)

    def mish_backward(self, g, x, t, s):
        """d/dx x tanh(sp(x)) = t + x s (1 - t^2), since sp' = sigmoid = s."""
        return self.xp.asarray(g * (t + x * s * (1 - t * t)), g.dtype)

    # ------------------------------------------------------------ embedding (Unit 3)
    # (row gathers and their scatter-add backward, dense and row-sparse)

    def embedding(self, weight, indices):
        """The lookup: ``out[..., :] = weight[indices[...], :]`` (one row of the table per index)."""
        return self.xp.take(weight, indices, axis=0)

    def index_sum_rows(self, rows, values):
        """Add up the rows of ``values`` (shape ``(n, ...)``) that share an index in ``rows``
        (shape ``(n,)``): returns ``(unique indices, ascending; their summed rows)``.  The
        embedding's backward and the coalescing of a row-sparse gradient are both this."""
        xp = self.xp
        uniq, inverse = xp.unique(rows, return_inverse=True)
        sums = xp.zeros((len(uniq),) + values.shape[1:], values.dtype)
        xp.add.at(sums, inverse.reshape(-1), values)  # repeated indices accumulate
        return uniq, sums

    def index_add_rows(self, target, rows, values):
        """In place: ``target[rows[i]] += values[i]``, repeated rows accumulating (a row-sparse
        gradient added to a dense one, or applied by an optimizer step)."""
        self.xp.add.at(target, rows, values)

    def embedding_backward(self, g, indices, num_weights, padding_idx, scale_grad_by_freq):
        """The dense gradient of the lookup, shape ``(num_weights, dim)``: row ``r`` is the sum
        of the rows of ``g`` whose index is ``r`` (divided by how many there were when
        ``scale_grad_by_freq``); the padding row (``padding_idx`` >= 0) gets none."""
        xp = self.xp
        rows = indices.reshape(-1)
        gv = g.reshape(rows.shape[0], g.shape[-1])
        out = xp.zeros((num_weights, g.shape[-1]), g.dtype)
        uniq, sums = self.index_sum_rows(rows, gv)
        if scale_grad_by_freq:
            counts = xp.bincount(rows, minlength=num_weights)[uniq]
            sums = sums / counts[:, None].astype(g.dtype)
        out[uniq] = sums
        if padding_idx >= 0:
            out[padding_idx] = 0
        return out

    def embedding_renorm_(self, weight, indices, max_norm, norm_type):
        """In place: each looked-up row of ``weight`` whose ``norm_type``-norm exceeds ``max_norm``
        is scaled by ``max_norm / (norm + 1e-7)`` (PyTorch's ``embedding_renorm_``)."""
        xp = self.xp
        rows = xp.unique(indices.reshape(-1))
        norms = xp.linalg.norm(weight[rows].astype(xp.float64), ord=norm_type, axis=1)
        big = norms > max_norm
        rows, scale = rows[big], max_norm / (norms[big] + 1e-7)
        weight[rows] = weight[rows] * scale[:, None].astype(weight.dtype)

    # ------------------------------------------------------------ recurrent cells (Unit 3)
    # (the RNN/GRU/LSTM step and its backward through time)
    # The equations and how each gate's gradient is computed are written out once, in the docstring
    # of ops/rnn.py; these kernels are those formulas.  Gate blocks sit side by side along the last
    # axis in PyTorch's order: LSTM (i, f, g, o), GRU (r, z, n).  Shapes: T steps, B sequences,
    # I input features, H hidden units, P = H (or the LSTM's proj_size), G = 1, 4 or 3 blocks of H.
    def rnn_forward(self, mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mask, reverse):
        """One recurrent layer in one direction over a whole sequence.

        ``mode``: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU"; x (T, B, I); h0 (B, P); c0 (B, H) for an
        LSTM (else None); w_ih (G*H, I); w_hh (G*H, P); b_ih, b_hh (G*H,) or None; w_hr (P, H) or None;
        mask (T, B, 1) bool, the real steps of each sequence (packed sequences: the state is carried
        unchanged through padding), or None; reverse: from the last step to the first.

        Returns (out (T, B, P), h_n, c_n or None, cache): ``cache`` holds what the backward needs:
        the carried states of every step and the activated gates."""
        xp = self.xp
        n_steps, batch = x.shape[:2]
        hid = w_hh.shape[0] // _RNN_BLOCKS[mode]
        # the input's share of every gate at every step, in one (T*B, I) @ (I, G*H) product
        # (explicit sizes, not -1: an empty batch cannot infer it)
        xw = self.matmul(x.reshape(n_steps * batch, x.shape[2]), w_ih.T).reshape(n_steps, batch, w_ih.shape[0])
        b_hn = None
        if b_ih is not None:
            xw = xw + b_ih
            if mode == "GRU":  # GRU's b_hn is multiplied by r: it stays with the hidden product
                xw[..., :2 * hid] += b_hh[:2 * hid]
                b_hn = b_hh[2 * hid:]
            else:
                xw = xw + b_hh
        hs = xp.empty((n_steps, batch, h0.shape[-1]), x.dtype)      # the carried state after each step
        cache = {"hs": hs}
        if mode == "LSTM":
            cache.update(cs=xp.empty((n_steps, batch, hid), x.dtype), tcs=xp.empty((n_steps, batch, hid), x.dtype),
                         gates=xp.empty((n_steps, batch, 4 * hid), x.dtype))
            if w_hr is not None:
                cache["hus"] = xp.empty((n_steps, batch, hid), x.dtype)
        elif mode == "GRU":
            cache.update(gates=xp.empty((n_steps, batch, 3 * hid), x.dtype),
                         hns=xp.empty((n_steps, batch, hid), x.dtype))
        h, c = h0, c0
        for t in (range(n_steps - 1, -1, -1) if reverse else range(n_steps)):
            if mode == "LSTM":
                h_new, c_new, cache["gates"][t], cache["tcs"][t], hu = self.lstm_cell(xw[t], h, c, w_hh, w_hr)
                if w_hr is not None:
                    cache["hus"][t] = hu
                if mask is not None:
                    c_new = xp.where(mask[t], c_new, c)
                cache["cs"][t] = c = c_new
            elif mode == "GRU":
                h_new, cache["gates"][t], cache["hns"][t] = self.gru_cell(xw[t], h, w_hh, b_hn)
            else:
                h_new = self.rnn_cell(mode, xw[t], h, w_hh)
            if mask is not None:
                h_new = xp.where(mask[t], h_new, h)
            hs[t] = h = h_new
        out = hs if mask is None else hs * mask      # padding steps output zeros
        return out, h.copy(), None if c is None else c.copy(), cache

    def rnn_cell(self, mode, xw, h, w_hh):
        """An Elman step: ``h' = act(xw + h W_hh^T)`` (``xw`` = x W_ih^T + b_ih + b_hh)."""
        a = xw + self.matmul(h, w_hh.T)
        return self.tanh(a) if mode == "RNN_TANH" else self.relu(a)

    def lstm_cell(self, xw, h, c, w_hh, w_hr):
        """An LSTM step; returns h', c', the activated gates (i, f, g, o side by side), tanh(c') and
        ``o * tanh(c')`` (h' before the projection ``w_hr``, if any)."""
        xp, hid = self.xp, c.shape[-1]
        a = xw + self.matmul(h, w_hh.T)                  # the four gates' pre-activations in one product
        i = self.sigmoid(a[:, :hid])                     # input gate
        f = self.sigmoid(a[:, hid:2 * hid])              # forget gate
        g = self.tanh(a[:, 2 * hid:3 * hid])             # candidate cell
        o = self.sigmoid(a[:, 3 * hid:])                 # output gate
        c_new = f * c + i * g
        tc = self.tanh(c_new)
        hu = o * tc
        h_new = hu if w_hr is None else self.matmul(hu, w_hr.T)
        return h_new, c_new, xp.concatenate([i, f, g, o], axis=-1), tc, hu

    def gru_cell(self, xw, h, w_hh, b_hn):
        """A GRU step; returns h', the activated gates (r, z, n side by side) and
        ``hn = h W_hn^T + b_hn`` (the hidden part of n's pre-activation, before r multiplies it)."""
        xp, hid = self.xp, h.shape[-1]
        hh = self.matmul(h, w_hh.T)                      # the three gates' hidden parts in one product
        r = self.sigmoid(xw[:, :hid] + hh[:, :hid])      # reset gate
        z = self.sigmoid(xw[:, hid:2 * hid] + hh[:, hid:2 * hid])  # update gate
        hn = hh[:, 2 * hid:] if b_hn is None else hh[:, 2 * hid:] + b_hn
        n = self.tanh(xw[:, 2 * hid:] + r * hn)          # candidate state
        h_new = (1 - z) * n + z * h
        return h_new, xp.concatenate([r, z, n], axis=-1), hn

    def rnn_backward(self, mode, cache, gy, ghn, gcn, x, h0, c0, w_ih, w_hh, w_hr, mask, reverse, needs):
        """The backward through time of ``rnn_forward``: one reverse loop that turns the gradients
        of the outputs (gy (T, B, P), ghn (B, P), gcn (B, H) or None) into the gradient of every
        gate's pre-activation at every step (``da``), then a few products after the loop give the
        gradients of the input and the weights at once.  ``needs``: which of (x, h0, c0, w_ih, w_hh,
        b_ih, b_hh, w_hr) need a gradient.  Returns their gradients (None where not needed)."""
        xp = self.xp
        n_steps, batch = gy.shape[:2]
        hs = cache["hs"]
        hid = w_hh.shape[0] // _RNN_BLOCKS[mode]
        order = range(n_steps) if reverse else range(n_steps - 1, -1, -1)   # the forward's steps, backwards
        da = xp.empty((n_steps, batch, w_hh.shape[0]), gy.dtype)   # d loss / d pre-activation of the gates
        da_h = xp.empty_like(da) if mode == "GRU" else da          # ... their hidden-side part (GRU's n differs)
        dhs = xp.empty_like(hs) if w_hr is not None else None      # d loss / d h' (for the projection's weight)
        # the state each step started from: h0, then the previous step's (in the forward's order)
        prev = self._rnn_previous(hs, h0, reverse)
        c_prev = self._rnn_previous(cache["cs"], c0, reverse) if mode == "LSTM" else None
        dh, dc = ghn, gcn
        for t in order:
            dh = dh + (gy[t] if mask is None else gy[t] * mask[t])
            if mask is not None:   # padding: the state passed through unchanged
                dh_keep, dh = dh * ~mask[t], dh * mask[t]
                if mode == "LSTM":
                    dc_keep, dc = dc * ~mask[t], dc * mask[t]
            if mode == "LSTM":
                if w_hr is not None:
                    dhs[t] = dh
                    dh = self.matmul(dh, w_hr)               # to o * tanh(c')
                da[t], dc = self.lstm_cell_backward(dh, dc, cache["gates"][t], cache["tcs"][t], c_prev[t])
                dh = self.matmul(da[t], w_hh)
            elif mode == "GRU":
                da[t], da_h[t], dh_direct = self.gru_cell_backward(dh, cache["gates"][t], cache["hns"][t], prev[t])
                dh = dh_direct + self.matmul(da_h[t], w_hh)
            else:
                da[t] = self.rnn_cell_backward(mode, dh, hs[t])
                dh = self.matmul(da[t], w_hh)
            if mask is not None:
                dh = dh + dh_keep
                if mode == "LSTM":
                    dc = dc + dc_keep
        rows = n_steps * batch  # (explicit sizes below, not -1: an empty batch cannot infer it)
        flat = da.reshape(rows, da.shape[-1])
        flat_h = da_h.reshape(rows, da_h.shape[-1])
        dx = self.matmul(flat, w_ih).reshape(x.shape) if needs[0] else None
        dw_ih = self.matmul(flat.T, x.reshape(rows, x.shape[-1])) if needs[3] else None
        dw_hh = self.matmul(flat_h.T, prev.reshape(rows, prev.shape[-1])) if needs[4] else None
        db_ih = flat.sum(0) if needs[5] else None
        db_hh = flat_h.sum(0) if needs[6] else None
        dw_hr = (self.matmul(dhs.reshape(rows, dhs.shape[-1]).T, cache["hus"].reshape(rows, cache["hus"].shape[-1]))
                 if w_hr is not None and needs[7] else None)
        return dx, dh, dc, dw_ih, dw_hh, db_ih, db_hh, dw_hr

    def _rnn_previous(self, states, first, reverse):
        """(T, B, K) -> the state each step started from: ``first``, then the states of the steps
        before it in the order they ran."""
        if reverse:
            return self.xp.concatenate([states[1:], first[None]], axis=0)
        return self.xp.concatenate([first[None], states[:-1]], axis=0)

    def rnn_cell_backward(self, mode, dh, h_new):
        """Elman: ``da = dh * act'(a)``, read from the output (tanh: 1 - h'^2; relu: h' > 0)."""
        return self.tanh_backward(dh, h_new) if mode == "RNN_TANH" else self.relu_backward(dh, h_new)

    def lstm_cell_backward(self, dhu, dc, gates, tc, c_prev):
        """LSTM: from dL/d(o * tanh c') and dL/dc' (from the next step) to the gates' pre-activation
        gradients (B, 4H) and dL/dc (the previous cell's)."""
        hid = tc.shape[-1]
        i, f, g, o = gates[:, :hid], gates[:, hid:2 * hid], gates[:, 2 * hid:3 * hid], gates[:, 3 * hid:]
        dc = dc + dhu * o * (1 - tc * tc)                # c' reaches the loss directly and through h'
        da = self.xp.concatenate([dc * g * i * (1 - i),          # i: sigmoid' = i (1 - i)
                                  dc * c_prev * f * (1 - f),     # f
                                  dc * i * (1 - g * g),          # g: tanh' = 1 - g^2
                                  dhu * tc * o * (1 - o)], axis=-1)  # o
        return da, dc * f

    def gru_cell_backward(self, dh, gates, hn, h_prev):
        """GRU: from dL/dh' to the pre-activation gradients of (r, z, n) on the input side and on the
        hidden side (n's hidden part was multiplied by r), and dL/dh through ``z * h``."""
        hid = hn.shape[-1]
        r, z, n = gates[:, :hid], gates[:, hid:2 * hid], gates[:, 2 * hid:]
        da_n = dh * (1 - z) * (1 - n * n)                # h' = (1 - z) n + z h
        da_r = da_n * hn * r * (1 - r)                   # n = tanh(xw_n + r * hn)
        da_z = dh * (h_prev - n) * z * (1 - z)
        da_x = self.xp.concatenate([da_r, da_z, da_n], axis=-1)
        da_h = self.xp.concatenate([da_r, da_z, da_n * r], axis=-1)
        return da_x, da_h, dh * z

    # ------------------------------------------------------------ attention (Unit 3)
    # (scaled dot-product attention: scores, masks, softmax, weighted sum)
    # Shapes: q (..., L, E), k (..., S, E), v (..., S, Ev); the leading dims broadcast (batch, heads).
    # ``mask`` is None, a bool array (True = this query may look at this key) or a float array added
    # to the scores (0 or -inf for a plain mask, any number for a bias), broadcast to (..., L, S).
    # ``keep`` is None or dropout's multiplier of the weights (0 or 1 / (1 - p)), shape (..., L, S).
    def attention(self, q, k, v, mask, scale, keep=None, safe=True):
        """``weights = softmax(scale * q @ k^T + mask)`` over the keys, ``out = (weights * keep) @ v``.
        A query whose keys are all masked (every score -inf) gets all-zero weights when ``safe``
        (``F.scaled_dot_product_attention``), else NaN weights (a plain softmax of -inf: the weights
        that ``nn.MultiheadAttention`` returns).  Returns ``(out, weights)``."""
        xp = self.xp
        scores = self.matmul(q, xp.swapaxes(k, -1, -2)) * q.dtype.type(scale)
        if mask is not None:
            scores = xp.where(mask, scores, -xp.inf) if mask.dtype == bool else scores + mask
        weights = self.softmax(scores, -1)
        if safe and mask is not None:
            weights = xp.where((scores == -xp.inf).all(-1, keepdims=True), 0, weights).astype(q.dtype, copy=False)
        dropped = weights if keep is None else weights * keep
        return self.matmul(dropped, v), weights

    def attention_backward(self, g, q, k, v, weights, keep, scale, g_weights=None):
        """The gradients of ``attention`` for the output gradient ``g`` (and ``g_weights``, the
        gradient of the returned weights, or None).  With ``d = weights * keep`` (the dropped weights):
            dv = d^T @ g,  dd = g @ v^T,  dw = dd * keep (+ g_weights)
            ds = weights * (dw - sum(dw * weights))      (softmax's backward, over the keys)
            dq = scale ds @ k,  dk = scale ds^T @ q
        ``ds`` is the gradient of the scores, so also that of a float mask (added to them).
        Returns ``(dq, dk, dv, ds)`` in the broadcast batch shape."""
        xp = self.xp
        dropped = weights if keep is None else weights * keep
        dv = self.matmul(xp.swapaxes(dropped, -1, -2), g)
        dw = self.matmul(g, xp.swapaxes(v, -1, -2))
        if keep is not None:
            dw = dw * keep
        if g_weights is not None:
            dw = dw + g_weights
        ds = self.softmax_backward(dw, weights, -1)
        s = q.dtype.type(scale)  # (a NumPy scalar of q's dtype: float32 stays float32)
        return self.matmul(ds, k) * s, self.matmul(xp.swapaxes(ds, -1, -2), q) * s, dv, ds
