"""The NumPy backend (the default): the reference formulas, made fast.

``NumpyBackend`` subclasses ``ReferenceBackend`` and overrides only the
kernels it makes faster; everything else is inherited unchanged.  Each
override computes the same values as the reference (up to float rounding; a
test compares the two backends on every op) and says what it buys, measured
on 256x784 float32 (benchmarks/ops.py's size) on one core, or per call on
small arrays where the gain is Python overhead.  The tricks: in-place
arithmetic (fewer temporary arrays, fewer passes over memory), NumPy's SIMD
loops (an array operand instead of a scalar, ``einsum`` row sums), calling
ufuncs directly (no Python-level argument handling), read-only cached
constants and scratch buffers.
"""
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

    def __init__(self):
        self._zeros = {}  # (shape, dtype) -> read-only zeros, most recently added last

    # ------------------------------------------------------------ arrays
    def copy(self, a):
        # copyto into a new array: 1.5x faster than np.array(copy=True) for broadcast views
        out = self.xp.empty(a.shape, a.dtype)
        self.xp.copyto(out, a)
        return out

    def zeros_like_readonly(self, a, max_bytes=1 << 22, keep=8):
        """A read-only array of zeros shaped like ``a``, reused between calls.

        ``np.maximum(a, zeros)`` runs NumPy's SIMD loop, 3x faster than
        ``np.maximum(a, 0)``, and reusing the zeros saves filling them each
        time.  Only arrays of at most ``max_bytes`` are kept, ``keep`` shapes
        at most.  (Read-only: no op may write into the shared zeros.)
        """
        if a.nbytes > max_bytes:
            return self.xp.zeros_like(a)
        key = (a.shape, a.dtype)
        z = self._zeros.get(key)
        if z is None:
            if len(self._zeros) >= keep:
                self._zeros.pop(next(iter(self._zeros)))
            z = self._zeros[key] = self.xp.zeros(a.shape, a.dtype)
            z.flags.writeable = False
        return z

    # ------------------------------------------------------------ reductions
    # The ufunc's reduce directly: np.sum/np.max add ~3 us of Python-level
    # argument handling per call (~2.5x faster on a 4x4 array), which small
    # tensors feel.
    def reduce_sum(self, a, axis, keepdims=False, dtype=None):
        axis = _axis(axis)
        if dtype is None and _rows_for_einsum(a, axis):
            out = self.xp.einsum("...i->...", a)  # 2.5x faster row sums (see _rows_for_einsum)
            return out[..., None] if keepdims else out
        return self.xp.add.reduce(a, axis, dtype, None, keepdims)

    def reduce_max(self, a, axis, keepdims=False):
        return self.xp.maximum.reduce(a, _axis(axis), None, None, keepdims)

    def reduce_min(self, a, axis, keepdims=False):
        return self.xp.minimum.reduce(a, _axis(axis), None, None, keepdims)

    # ------------------------------------------------------------ activations
    def relu(self, a):
        # against an array of zeros: NumPy's SIMD loop, 3x faster than against the scalar 0
        return self.xp.maximum(a, self.zeros_like_readonly(a))

    def relu_backward(self, g, y):
        # 0/1 floats, then an in-place multiply: a plain float loop instead of
        # float * bool casting, 1.6x faster
        out = (y != 0).astype(g.dtype)
        out *= g
        return out

    def leaky_relu(self, a, negative_slope):
        # max(x, 0) + slope * min(x, 0): branch-free, ~10x faster than where()
        # on mixed signs (NumPy's where() tests each element with a branch)
        zeros = self.zeros_like_readonly(a)
        y = self.xp.minimum(a, zeros)
        y *= negative_slope
        y += self.xp.maximum(a, zeros)
        return y

    def sigmoid(self, a):
        # the reference's 1 / (1 + exp(-x)) in place, in one buffer: 4 passes
        # and no temporaries, 1.7x faster
        xp = self.xp
        y = xp.negative(a, out=xp.empty_like(a))
        xp.exp(y, out=y)
        y += 1.0
        xp.reciprocal(y, out=y)
        return y

    def sigmoid_backward(self, g, y):
        # g y - g y²: no Python scalar (NumPy is ~2x slower on small arrays with
        # one) and one temporary fewer, 1.4x faster
        gy = g * y
        return gy - gy * y

    def tanh_backward(self, g, y):
        # g - g y², in place and without a Python scalar: 1.6x faster
        gyy = g * y
        gyy *= y
        return g - gyy

    # ------------------------------------------------------------ softmax family
    def softmax(self, a, axis):
        # in place in one buffer (and einsum row sums): 1.8x faster
        e = a - self.max_for_shift(a, (axis,), nan_on_posinf=True)
        self.xp.exp(e, out=e)
        e /= self.reduce_sum(e, axis, True)
        return e

    def softmax_backward(self, g, y, axis):
        # four passes over the data, one new array: 1.5x faster
        out = g * y
        s = self.reduce_sum(out, axis, True)
        self.xp.subtract(g, s, out=out)
        out *= y
        return out

    def log_softmax(self, a, axis):
        # the shifted copy and the exp are reused in place: 1.3x faster
        xp = self.xp
        shifted = a - self.max_for_shift(a, (axis,), nan_on_posinf=True)
        p = xp.exp(shifted)
        s = self.reduce_sum(p, axis, True)
        shifted -= xp.log(s)
        p /= s
        return shifted, p

    def log_softmax_backward(self, g, p, axis):
        # in place in one new array: 1.3x faster
        out = p * self.reduce_sum(g, axis, True)
        self.xp.subtract(g, out, out=out)
        return out

    # ------------------------------------------------------------ optimizers
    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps,
                  bias_correction1, bias_correction2_sqrt):
        # the same math written with one scratch array instead of a temporary
        # per operation: 1.6x faster
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
