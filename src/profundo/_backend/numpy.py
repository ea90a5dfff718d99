"""The NumPy backend (the default): the reference formulas, made fast.

``NumpyBackend`` subclasses ``ReferenceBackend`` and overrides only the
kernels it makes faster; everything else is inherited unchanged.  Each
override computes the same values as the reference (up to float rounding; a
test compares the two backends on every op) and says what it buys, measured
on 256x784 float32 (benchmarks/ops.py's size) on one core, or per call on
small arrays where the gain is Python overhead (best of 21 interleaved
runs, NumPy 2.4).  The tricks: in-place arithmetic (fewer temporary arrays),
``einsum`` row sums (vectorized across rows), calling ufuncs directly (no
Python-level argument handling), no Python scalars on small arrays, and
scratch buffers.
"""
import itertools
import math

from . import special
from .reference import ReferenceBackend


# A one-element axis tuple is passed to a ufunc's reduce as an int, which
# NumPy takes ~1 us faster.
def _axis(axis):
    return axis[0] if axis.__class__ is tuple and len(axis) == 1 else axis


def _rows_for_einsum(a, axis):
    """Sums of contiguous float rows of 64 to 4096 elements, in a large array:
    ``np.einsum("...i->...")`` vectorizes them 2.5x faster than
    ``np.add.reduce`` (``softmax``, ``sum(dim=-1)``), and rows this short keep
    its lane-wise sums about as accurate as NumPy's pairwise ones."""
    return (a.ndim and (axis == a.ndim - 1 or axis == -1) and a.dtype.kind == "f" and a.size >= 4096
            and 64 <= a.shape[-1] <= 4096 and a.strides[-1] == a.itemsize)


class NumpyBackend(ReferenceBackend):
    name = "numpy"
    _ones = {}  # dtype -> a 0-d array of 1 (tanh_backward)

    # ------------------------------------------------------------ reductions
    # The ufunc's reduce directly: np.sum/np.max add ~1.5 us of Python-level
    # argument handling per call, which small tensors feel (2x faster on 4x4).
    def reduce_sum(self, a, axis, keepdims=False, dtype=None):
        axis = _axis(axis)
        if dtype is None and _rows_for_einsum(a, axis):
            out = self.xp.einsum("...i->...", a)  # row sums of 256x784: 2.5x faster (see _rows_for_einsum)
            return out[..., None] if keepdims else out
        return self.xp.add.reduce(a, axis, dtype, None, keepdims)

    def reduce_max(self, a, axis, keepdims=False):
        return self.xp.maximum.reduce(a, _axis(axis), None, None, keepdims)  # 2x faster on 4x4

    def reduce_min(self, a, axis, keepdims=False):
        return self.xp.minimum.reduce(a, _axis(axis), None, None, keepdims)  # 2x faster on 4x4

    # ------------------------------------------------------------ activations
    # (relu: the reference's np.maximum(x, 0) is already NumPy's SIMD loop;
    # comparing against a cached array of zeros no longer gains with NumPy 2.)
    def relu_backward(self, g, y):
        # the comparison written straight into a float array (0/1; NumPy casts its bools chunk by
        # chunk, in cache), then an in-place multiply: a plain float loop, no bool array and no
        # astype pass: 1.1-1.25x faster than (y != 0).astype(g.dtype) * g, 1.25x than the reference
        out = self.xp.empty_like(g)
        self.xp.not_equal(y, 0, out=out, casting="unsafe")
        out *= g
        return out

    def leaky_relu(self, a, negative_slope):
        # max(x, slope * x) (min for a slope above 1): branch-free, ~10x faster than where() on
        # mixed signs (NumPy's where() tests each element with a branch); two passes and one fresh array
        xp = self.xp
        y = a * a.dtype.type(negative_slope)  # exactly torch's x * slope where x <= 0
        pick = xp.maximum if negative_slope <= 1 else xp.minimum
        return pick(a, y, out=y) if y.__class__ is xp.ndarray else pick(a, y)  # (0-d: y is a scalar)

    def leaky_relu_backward(self, g, x, negative_slope):
        # the weight (1 or the slope, exactly) as max(0/1 float, slope): no where(), three passes:
        # 7x faster than the reference's where(), 1.4x than 0/1 weights w turned into 1 - w, * slope, + w
        xp = self.xp
        if not 0 <= negative_slope <= 1:  # (max(0/1, slope) is the weight only for a slope in [0, 1])
            return super().leaky_relu_backward(g, x, negative_slope)
        w = xp.empty_like(g)
        xp.greater(x, 0, out=w, casting="unsafe")  # 0/1 floats, no bool array (see relu_backward)
        xp.maximum(w, g.dtype.type(negative_slope), out=w)
        w *= g
        return w

    def sigmoid(self, a):
        # the reference's 1 / (1 + exp(-x)) in one buffer: no temporaries, 1.15x faster
        xp = self.xp
        y = xp.negative(a, out=xp.empty_like(a))
        xp.exp(y, out=y)
        y += 1.0
        xp.reciprocal(y, out=y)
        return y

    def sigmoid_backward(self, g, y):
        # g y - g y y, in place and with no Python scalar (NumPy is ~2x slower on
        # small arrays with one): as fast on 256x784, 1.2x faster on 64x64, 2x on 4x4
        gy = g * y
        gy -= gy * y
        return gy

    def tanh_backward(self, g, y):
        # (1 - y²) g in one fresh array, reading y alone first: 1.25x faster on 256x784 than g - g y y,
        # which reads two arrays in every pass; the 1 is a cached 0-d array, as fast as an array
        # operand (a Python scalar costs ~2x on small arrays)
        d = y * y
        if d.__class__ is not self.ndarray or d.dtype != g.dtype:  # 0-d (a scalar) or mixed dtypes
            return g * (1 - d)
        self.xp.subtract(self._one(d.dtype), d, out=d)
        d *= g
        return d

    def _one(self, dtype):
        """A 0-d array holding 1 in ``dtype`` (cached; private, never written)."""
        one = self._ones.get(dtype)
        if one is None:
            one = self._ones[dtype] = self.xp.ones((), dtype)
        return one

    # ------------------------------------------------------------ special functions and smooth activations
    # special.py's kernels count passes over the array (each costs about the same), use no where()
    # (NumPy branches per element: ~10x slower on mixed signs) and avoid float32 log1p/expm1 (not SIMD
    # loops here, 3-5x slower than log/exp).  Gains below: the reference kernel's time over this one's,
    # 256x784 float32, median of 5 interleaved best-of-15 runs.
    def erf(self, a):
        # float32: erf = tanh(x g(x^2)), one branch-free polynomial (0.7 ulp) instead of Cody's three
        # masked float64 ranges: 7.5x
        return special.erf(a)

    def gelu(self, a):
        # float32: Phi(x) through a short tanh form (absolute error 9e-8, what 1 + erf has), not erf: 23x
        return special.gelu(a)

    def gelu_backward(self, g, x, cdf):
        # in place in one buffer: 1.5x
        return special.gelu_backward(g, x, cdf)

    def gelu_tanh(self, a):
        # in place in one buffer, tanh written over its argument: 1.4x
        return special.gelu_tanh(a)

    def gelu_tanh_backward(self, g, x, th):
        # in place in one buffer: 2.0x
        return special.gelu_tanh_backward(g, x, th)

    def softplus(self, a, beta, threshold):
        # no where(); float32 log1p(e) through log (SIMD) with a rounding correction: 1.2x
        return special.softplus(a, beta, threshold)

    def softplus_backward(self, g, x, beta, threshold):
        # one buffer, and the threshold's copy only where it holds (rarely): 2.0x
        return special.softplus_backward(g, x, beta, threshold)

    def elu(self, a, alpha):
        # max(x, 0) + alpha (exp(min(x, 0)) - 1), no where(), float32 exp - 1 instead of expm1: 4.2x
        return special.elu(a, alpha)

    def elu_backward(self, g, x, e, alpha):
        # alpha = 1: e * g, one pass (e is 1 where x > 0): 14x; other alphas: 0/1 weights multiplied,
        # not where(): 4.4x
        return special.elu_backward(g, x, e, alpha)

    def silu_backward(self, g, x, s):
        # in place in one buffer: 1.7x (the forward's in-place version gained 1.04x: not kept)
        return special.silu_backward(g, x, s)

    # ------------------------------------------------------------ softmax family
    def softmax(self, a, axis):
        # in place in one buffer (and einsum row sums): 1.25x faster
        e = a - self.max_for_shift(a, (axis,), nan_on_posinf=True)
        self.xp.exp(e, out=e)
        e /= self.reduce_sum(e, axis, True)
        return e

    def softmax_backward(self, g, y, axis):
        # four passes over the data, one new array: 1.2x faster
        out = g * y
        s = self.reduce_sum(out, axis, True)
        self.xp.subtract(g, s, out=out)
        out *= y
        return out

    def log_softmax(self, a, axis):
        # the shifted copy and the exp are reused in place: 1.9x faster
        xp = self.xp
        shifted = a - self.max_for_shift(a, (axis,), nan_on_posinf=True)
        p = xp.exp(shifted)
        s = self.reduce_sum(p, axis, True)
        shifted -= xp.log(s)
        p /= s
        return shifted, p

    def log_softmax_backward(self, g, p, axis):
        # in place in one new array: 1.5x faster
        out = p * self.reduce_sum(g, axis, True)
        self.xp.subtract(g, out, out=out)
        return out

    # ------------------------------------------------------------ pooling and normalization (Unit 2)
    # Gains: the reference kernel's time over this one's, each kernel alone on the shapes of
    # benchmarks/pool_norm.py (LeNet's and the small ResNet's), float32, best of interleaved runs
    # on a loaded machine (NumPy 2.4).
    def max_pool(self, a, kernel_size, stride, padding, dilation, out_size):
        # No copy of the windows and no argmax over short rows (NumPy loops per row there): one
        # strided view per kernel offset (4 for 2x2), the running maximum over them with SIMD
        # np.maximum, then the first offset that reaches it, counted branch-free (``j`` = how many
        # offsets come before the first one equal to the max).  The positions are a per-window
        # base plus a table lookup of ``j``.  Faster than the reference's copy + argmax: 2x2/2 on
        # (256, 6, 28, 28) 6x, 3x3/2 padding 1 on (64, 32, 28, 28) 4x.
        xp, k = self.xp, len(kernel_size)
        if a.dtype.kind != "f":
            return super().max_pool(a, kernel_size, stride, padding, dilation, out_size)
        w = self.pool_windows(a, kernel_size, stride, padding, dilation, out_size, -xp.inf)
        offsets = list(itertools.product(*(range(ks) for ks in kernel_size)))
        views = [w[(...,) + off] for off in offsets]
        m = views[0].copy() if len(views) == 1 else xp.maximum(views[0], views[1])
        for v in views[2:]:
            xp.maximum(m, v, out=m)
        if len(views) > 1 and xp.isnan(m).any():  # NaN never equals the max: the reference's argmax
            return super().max_pool(a, kernel_size, stride, padding, dilation, out_size)
        step = xp.int8 if len(views) < 127 else xp.int64
        found = views[0] == m
        j = xp.logical_not(found).view(xp.int8).astype(step) if len(views) > 1 else xp.zeros(m.shape, step)
        for v in views[1:-1]:
            found |= v == m
            j += xp.logical_not(found).view(xp.int8)
        # in-plane position = (window start) + (offset j inside the window), both as h * W + w
        in_size = a.shape[-k:]
        table = xp.zeros(len(offsets), xp.int64)
        base = xp.zeros((1,) * k, xp.int64)
        plane_stride = 1
        for i in reversed(range(k)):
            table += xp.asarray([off[i] for off in offsets]) * (dilation[i] * plane_stride)
            o = xp.arange(out_size[i]).reshape((-1,) + (1,) * (k - 1 - i))
            base = base + (o * stride[i] - padding[i]) * plane_stride
            plane_stride *= in_size[i]
        pos = table.take(j)
        pos += base
        return m, pos

    def plane_scatter(self, g, indices, in_shape, k, overlapping=True):
        # Windows that share no input: every input position wins at most one window, so a plain
        # assignment (``put``) is exact, with no accumulation: 1.5-2.5x faster than np.add.at on
        # LeNet's 2x2/2.  Overlapping windows keep the reference's np.add.at (NumPy 2's add.at is
        # 3-5x faster than np.bincount, which sums in float64, on ResNet's 3x3/2).
        if overlapping:
            return super().plane_scatter(g, indices, in_shape, k, overlapping)
        xp = self.xp
        lead = math.prod(in_shape[:len(in_shape) - k])
        plane = math.prod(in_shape[len(in_shape) - k:])
        per_plane = math.prod(indices.shape[indices.ndim - k:])
        flat = indices.reshape(lead, per_plane) + xp.arange(0, lead * plane, plane)[:, None]
        out = xp.zeros(lead * plane, g.dtype)
        out[flat.reshape(-1)] = g.reshape(-1)
        return out.reshape(in_shape)

    def avg_pool(self, a, kernel_size, stride, padding, out_size, divisor):
        # the window sums as one strided view added per kernel offset (SIMD adds) instead of
        # np.sum over the last two axes of the 6-d windows view (a short inner loop per window):
        # 2x2/2 on (256, 6, 28, 28), 10x
        k = len(kernel_size)
        w = self.pool_windows(a, kernel_size, stride, padding, (1,) * k, out_size, 0)
        offsets = itertools.product(*(range(ks) for ks in kernel_size))
        total = None
        for off in offsets:
            v = w[(...,) + off]
            if total is None:
                total = v.copy()
            else:
                total += v
        total /= divisor
        return total

    # (avg_pool_backward: the reference's one strided add per kernel offset is as fast as a
    # broadcast write for 2x2/2; no override)

    # Batch norm on (N, C, M) (M the pixels): the per-channel sums through einsum (SIMD, no
    # temporary; as accurate as np.sum here, see tests/test_norm.py), and the per-channel arithmetic
    # one example at a time against (C, M) blocks that hold each channel's number repeated: the
    # block stays in the cache, and contiguous-by-contiguous arithmetic runs about twice as fast as
    # NumPy's broadcasting of a (C, 1) column over a (N, C, M) array (measured on (64, 32, 784)).
    # Small examples (C * M below _BLOCK) use the broadcast: there the Python loop would cost more.
    _BLOCK = 4096

    def _blocks(self, a):
        """``a`` as (N, C, M), and whether to loop over the N examples (see above)."""
        n, c = a.shape[:2]
        a3 = a.reshape(n, c, -1)
        return a3, a3.shape[1] * a3.shape[2] >= self._BLOCK and n > 1

    def _rows(self, v, a3, dtype):
        """A (C, M) block with ``v[c]`` repeated along each row."""
        out = self.xp.empty(a3.shape[1:], dtype)
        out[...] = v.astype(dtype, copy=False)[:, None]
        return out

    def batch_norm_stats(self, a):
        # mean by einsum, the variance of x - mean per example block: 3.4x faster than the
        # reference's mean/var over axes (0, 2, 3) on (64, 32, 28, 28)
        xp = self.xp
        a3, blocked = self._blocks(a)
        count = a.dtype.type(a3.shape[0] * a3.shape[2])
        mean = xp.einsum("ncm->c", a3) / count
        if not blocked:
            d = a3 - mean[:, None]
            return mean, xp.einsum("ncm,ncm->c", d, d) / count
        rows, d = self._rows(mean, a3, a.dtype), xp.empty(a3.shape[1:], a.dtype)
        var = xp.zeros(a3.shape[1], a.dtype)
        for example in a3:
            xp.subtract(example, rows, out=d)
            var += xp.einsum("cm,cm->c", d, d)
        return mean, var / count

    def batch_norm(self, a, mean, invstd, weight, bias):
        # y = x * scale + shift with per-channel scale = weight * invstd, shift = bias - mean * scale:
        # two passes and one array instead of the reference's four passes: 4x
        xp = self.xp
        scale = invstd if weight is None else weight * invstd
        shift = -mean * scale if bias is None else bias - mean * scale
        a3, blocked = self._blocks(a)
        if not blocked:
            y = a3 * scale.astype(a.dtype, copy=False)[:, None]
            y += shift.astype(a.dtype, copy=False)[:, None]
            return y.reshape(a.shape)
        y = xp.empty(a3.shape, a.dtype)
        scale, shift = self._rows(scale, a3, a.dtype), self._rows(shift, a3, a.dtype)
        for example, out in zip(a3, y):
            xp.multiply(example, scale, out=out)
            out += shift
        return y.reshape(a.shape)

    def batch_norm_backward(self, g, a, mean, invstd, weight, training):
        # The closed form expanded per channel (no xhat array): with S_g = sum g and
        # S_gx = sum g x (einsum), dweight = invstd (S_gx - mean S_g), dbias = S_g and
        #   dx = alpha g - beta x - gamma,  alpha = weight invstd,  beta = alpha invstd dweight / n,
        #   gamma = alpha S_g / n - beta mean
        # (normalize_backward with xhat = (x - mean) invstd written out): 4x faster than the reference
        xp, dt = self.xp, g.dtype
        g3, blocked = self._blocks(g)
        a3 = a.reshape(g3.shape)
        count = g3.shape[0] * g3.shape[2]
        dbias = xp.einsum("ncm->c", g3)
        dweight = (xp.einsum("ncm,ncm->c", g3, a3) - mean * dbias) * invstd
        alpha = invstd if weight is None else weight * invstd
        beta = alpha * invstd * dweight / count
        gamma = alpha * dbias / count - beta * mean
        if not blocked:
            dx = g3 * alpha.astype(dt, copy=False)[:, None]
            if training:
                dx -= a3 * beta.astype(dt, copy=False)[:, None]
                dx -= gamma.astype(dt, copy=False)[:, None]
        else:
            dx = xp.empty(g3.shape, dt)
            alpha, beta, gamma = (self._rows(v, g3, dt) for v in (alpha, beta, gamma))
            tmp = xp.empty(g3.shape[1:], dt)
            for ge, ae, out in zip(g3, a3, dx):
                xp.multiply(ge, alpha, out=out)
                if training:
                    xp.multiply(ae, beta, out=tmp)
                    out -= tmp
                    out -= gamma
        return dx.reshape(g.shape), dweight.astype(dt, copy=False), dbias

    # ------------------------------------------------------------ optimizers
    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
                  bias_correction1, bias_correction2_sqrt):
        # the same math written with one scratch array instead of a temporary
        # per operation: 1.25x faster
        xp = self.xp
        tmp = xp.subtract(grad, exp_avg)
        tmp *= 1 - beta1
        exp_avg += tmp
        xp.multiply(grad, grad, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += tmp
        if max_exp_avg_sq is not None:
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            xp.sqrt(max_exp_avg_sq, out=tmp)
        else:
            xp.sqrt(exp_avg_sq, out=tmp)
        tmp /= bias_correction2_sqrt
        tmp += eps
        xp.divide(exp_avg, tmp, out=tmp)
        tmp *= lr / bias_correction1
        param -= tmp

    # ------------------------------------------------------------ convolution (Unit 2)
    # The forward and the weight gradient keep the reference's formulation (im2col through the window
    # view, one matmul): a "flat" im2col (below) copies in longer runs but multiplies W_pad / W_out
    # more columns and must crop its output, and measured 0.8-0.95x of the reference's speed.  The
    # input gradient gains.  Gains: CPU time of the reference kernel over this one's, float32,
    # 1 thread, median of 7 interleaved runs (benchmarks/conv.py's shapes).
    def _flat_plan(self, in_size, kernel_size, padding, dilation):
        """The geometry of the flat formulation: the padded sizes, the output sizes, each padded
        dim's flat stride, the full-width output length and the zeros that the last window of the
        last plane reaches past its end."""
        padded = tuple(m + lo + hi for m, (lo, hi) in zip(in_size, padding))
        out = tuple(p - d * (k - 1) for p, k, d in zip(padded, kernel_size, dilation))
        strides = tuple(math.prod(padded[i + 1:]) for i in range(len(padded)))
        length = out[0] * strides[0]
        extra = sum((k - 1) * d * s for k, d, s in zip(kernel_size[1:], dilation[1:], strides[1:]))
        return padded, out, strides, length, extra

    def conv_input_grad(self, g, weight, in_shape, stride, padding, dilation, groups):
        ks = weight.shape[2:]
        n, c, o = in_shape[0], in_shape[1], weight.shape[0]
        if any(s != 1 for s in stride) or not (g.size and weight.size):
            return super().conv_input_grad(g, weight, in_shape, stride, padding, dilation, groups)
        flip = tuple((d * (k - 1) - lo, d * (k - 1) - hi) for k, d, (lo, hi) in zip(ks, dilation, padding))
        if o <= c and min(min(p) for p in flip) >= 0:
            # As a convolution of g, padded by the kernel's span minus the padding, with the kernel
            # flipped and its in/out channels swapped: im2col of g (O * K rows) and one matmul, instead
            # of a matmul giving C * K rows and K col2im adds.  When O <= C: (64, 32, 28, 28) -> 32,
            # 3x3: 1.5-1.6x; (64, 64, 14, 14) -> 64: 1.85-2.1x (LeNet's conv2, O > C: 0.4x, so not there).
            og, cg = o // groups, c // groups
            w = weight.reshape((groups, og, cg) + ks).swapaxes(1, 2).reshape((c, og) + ks)
            w = self.xp.ascontiguousarray(w[(slice(None), slice(None)) + (slice(None, None, -1),) * len(ks)])
            return self.conv_forward(g, w, None, stride, flip, dilation, groups)
        # col2im over "flat" planes: each (N, C) plane of the padded input gradient is one flat row,
        # and g is spread over the full padded width (zeros in the last d (k - 1) columns of each
        # row).  Then every kernel offset j is one constant shift of the flat plane, and col2im is K
        # contiguous ``+=`` of (N, C, length) slabs (the reference adds in runs of W_out elements:
        # NumPy pays per run).  The zero columns added past a row's or a plane's end change nothing.
        # (256, 6, 14, 14) -> 16, 5x5: 1.2-1.6x; (64, 16, 28, 28) -> 32, 3x3: 1.2x; (64, 32, 28, 28) -> 64:
        # 1.05x.
        xp = self.xp
        padded, out, strides, length, extra = self._flat_plan(in_shape[2:], ks, padding, dilation)
        if tuple(g.shape[2:]) != out:
            return super().conv_input_grad(g, weight, in_shape, stride, padding, dilation, groups)
        if len(out) > 1:
            full = xp.zeros(g.shape[:3] + padded[1:], g.dtype)
            full[(slice(None),) * 3 + tuple(slice(0, m) for m in out[1:])] = g
            g = full
        gm = g.reshape(n, groups, o // groups, length)
        w = weight.reshape(groups, o // groups, weight.size // o)
        cols = xp.matmul(w.swapaxes(-1, -2), gm).reshape(n, c, math.prod(ks), length)   # (N, C, K, length)
        plane = math.prod(padded)
        buf = xp.zeros(n * c * plane + extra, g.dtype)
        it = buf.itemsize
        for j, offset in enumerate(itertools.product(*(range(m) for m in ks))):
            shift = sum(i * d * s for i, d, s in zip(offset, dilation, strides))
            dst = xp.lib.stride_tricks.as_strided(buf[shift:], (n, c, length), (c * plane * it, plane * it, it))
            dst += cols[:, :, j]
        return self.crop(buf[:n * c * plane].reshape((n, c) + padded), padding)

    def conv_product(self, w, cols):
        # Deep layers (few output positions, many channels): a product per example is nearly a
        # matrix-vector product, slow in BLAS; laying the N * L columns side by side makes one
        # matrix-matrix product, (G, Og, Cg * K) @ (G, Cg * K, N * L): 9x on ResNet-18's last layer
        # (L = 1), 1.4-3.7x while Og > L; where L >= Og the batched product is faster.
        n, g, ck, length = cols.shape
        og = w.shape[1]
        if og <= length:
            return super().conv_product(w, cols)
        b = cols.transpose(1, 2, 0, 3).reshape(g, ck, n * length)
        return self.xp.matmul(w, b).reshape(g, og, n, length).transpose(2, 0, 1, 3)

    # ------------------------------------------------------------ embedding (Unit 3)
    # (row gathers and their scatter-add backward, dense and row-sparse)

    def index_sum_rows(self, rows, values):
        """Sort the indices, then one ``np.add.reduceat`` over the runs of equal indices,
        instead of ``np.unique`` + ``np.add.at``: (8192 indices into 943 rows, 32 columns,
        float32) 1.0 ms vs 2.1 ms; with few repeats (8192 into 1,000,000) 2.5 ms vs 2.5 ms."""
        xp = self.xp
        n = rows.shape[0]
        if n == 0:
            return rows[:0], values[:0]
        order = xp.argsort(rows, kind="stable")
        r = rows[order]
        first = xp.empty(n, bool)  # where a run of equal indices starts
        first[0] = True
        xp.not_equal(r[1:], r[:-1], out=first[1:])
        starts = xp.flatnonzero(first)
        return r[starts], xp.add.reduceat(values[order], starts, axis=0)

    def index_add_rows(self, target, rows, values):
        """The rows summed first (``index_sum_rows``, sorted), then one ``+=`` on distinct rows:
        not ``np.add.at`` (same measurements as above: up to 2x faster with repeated rows)."""
        rows, values = self.index_sum_rows(rows, values)
        target[rows] += values

    def embedding_backward(self, g, indices, num_weights, padding_idx, scale_grad_by_freq):
        """A small table (at most 32 rows: a character vocabulary) takes its gradient as one
        matmul, ``one_hot(indices)^T @ g``: (1120 indices, 256 columns, 28 rows, float32)
        0.20 ms vs 0.49 ms sorted and 2.4 ms with ``np.add.at``.  Larger tables: the
        sorted ``index_sum_rows`` (see above) through the reference formula.  (A one-hot matmul
        for all sizes loses: 45 ms vs 2.7 ms for 1120 indices into 10,000 rows.)"""
        # (a NaN or inf in g would reach every row through the zeros of the one-hot matrix)
        if num_weights > 32 or scale_grad_by_freq or not self.xp.isfinite(g).all():
            return super().embedding_backward(g, indices, num_weights, padding_idx, scale_grad_by_freq)
        xp = self.xp
        rows = indices.reshape(-1)
        n = rows.shape[0]
        onehot = xp.zeros((num_weights, n), g.dtype)
        onehot[rows, xp.arange(n)] = 1
        out = onehot @ g.reshape(n, g.shape[-1])
        if padding_idx >= 0:
            out[padding_idx] = 0
        return out

    # ------------------------------------------------------------ recurrent cells (Unit 3)
    # (the RNN/GRU/LSTM step and its backward through time)

    # ------------------------------------------------------------ attention (Unit 3)
    # (scaled dot-product attention: scores, masks, softmax, weighted sum)
