"""profundo vs PyTorch (CPU, 1 thread), in the same run.

1. Per-op overhead: a chain of 100 small elementwise ops + backward.
2. Large ops: forward + backward on 256x784 float32, and the same math
   hand-written in bare NumPy: the gap between the two is profundo's own
   overhead, the gap between NumPy and torch is kernel speed.
3. One kernel, exp, alone: NumPy's against PyTorch's.

Run: python benchmarks/ops.py   (ratio < 1 means profundo is faster)
     python benchmarks/ops.py gelu softplus       (only those large ops)
     python benchmarks/ops.py --ratios [names]    (per-round ratios: steadier on a busy machine)
     python benchmarks/ops.py --cold              (the fixed cost of a large op over its floor)

On a large op profundo's kernels are the floor's own (the same passes, each
giving a fresh array, x.grad included); the rest, tens of microseconds, is
profundo's per-op Python (node recording, the engine, the backward's op),
~12 us on a warm machine but 2-3x that right after a 256x784 kernel, whose
~3 MB of traffic evicts the interpreter's code and objects from L1/L2
(``--cold`` measures it).  The cheap ops (relu, tanh, leaky_relu) feel it most.
``--ratios`` also times, for each activation, the least Python an autograd can
run around the same kernels (``_LeastTensor``, micrograd's design): its ratio to
the floor is what any Python framework pays at the very least on this machine.
"""
import sys

from _common import interleaved, load_torch, ratio_quartiles, round_times, table

import numpy as np

import profundo
from profundo import _backend
from profundo._backend import special as _special

torch = load_torch()


def chain(T, x):
    y = x
    for _ in range(25):  # 4 ops per round: 100 ops
        y = y * 1.01
        y = y + 0.5
        y = y.tanh()
        y = y - x
    return y.sum()


def overhead_rows(size):
    data = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    libs = [profundo] + ([torch] if torch else [])
    cases = []
    for T in libs:
        x = T.tensor(data, requires_grad=True)

        def fwd(T=T, x=x):
            chain(T, x)

        def fwd_bwd(T=T, x=x):
            x.grad = None
            chain(T, x).backward()

        def no_grad(T=T, x=x):
            with T.no_grad():
                chain(T, x)

        cases.append((fwd, fwd_bwd, no_grad))
    labels = ["forward (graph recorded), per op", "forward + backward, per op", "forward in no_grad, per op"]
    rows = []
    for i, label in enumerate(labels):
        times = interleaved([c[i] for c in cases])
        rows.append((f"{label} [{size}]", times[0] / 101, times[1] / 101 if torch else None))
    return rows


def _rowsum(a):
    return np.einsum("ij->i", a)[:, None]  # NumPy's fastest row sum (2.5x np.sum's)


def _floor_softmax(x, g):
    e = x - x.max(axis=1, keepdims=True)
    np.exp(e, out=e)
    e /= _rowsum(e)
    out = g * e
    np.subtract(g, _rowsum(out), out=out)
    out *= e
    return e, out


def _floor_log_softmax(x, g):
    s = x - x.max(axis=1, keepdims=True)
    p = np.exp(s)  # the one exp: softmax is kept for the backward
    total = _rowsum(p)
    s -= np.log(total)
    p /= total
    return s, g - p * _rowsum(g)


def _floor_sigmoid(x, g):
    y = 1.0 / (1.0 + np.exp(-x))
    gy = g * y
    return y, gy - gy * y


def _floor_relu(x, g, zeros):
    y = np.maximum(x, zeros)  # array-array: NumPy's SIMD loop (the scalar 0 is 3x slower)
    mask = np.empty_like(g)
    np.not_equal(y, 0, out=mask, casting="unsafe")  # 0/1 floats in one pass (no bool array)
    mask *= g
    return y, mask


def _floor_amax(x, g):
    m = x.max(axis=1, keepdims=True)
    mask = x == m
    return g[:, None] * mask / mask.sum(axis=1, keepdims=True)


def _floor_var(x, g):
    c = x - x.mean(axis=0, keepdims=True)
    v = (c * c).sum(axis=0) / (x.shape[0] - 1)
    return v, g * c * (2.0 / (x.shape[0] - 1))


def _floor_leaky_relu(x, g, zeros, slope=0.01):
    y = x * np.float32(slope)
    np.maximum(x, y, out=y)  # max(x, slope x) for a slope <= 1
    gx = np.empty_like(g)
    np.greater(x, 0, out=gx, casting="unsafe")  # 0/1 floats
    np.maximum(gx, np.float32(slope), out=gx)  # 1 where x > 0, else the slope (a slope <= 1)
    gx *= g
    return y, gx


def _floor_elu(x, g, zeros, alpha=1.0):  # (alpha = 1, the benchmark's)
    e = np.minimum(x, zeros)
    np.exp(e, out=e)  # exp(min(x, 0)): never overflows
    y = e - 1.0  # (times alpha: 1 here)
    y += np.maximum(x, zeros)
    gx = e * g  # alpha = 1: e = exp(min(x, 0)) is the derivative itself (exactly 1 where x > 0)
    return y, gx


def _floor_silu(x, g):
    s = np.negative(x)
    np.exp(s, out=s)
    s += 1.0
    np.reciprocal(s, out=s)
    y = x * s
    gx = 1.0 - s  # s (1 + x (1 - s))
    gx *= x
    gx += 1.0
    gx *= s
    gx *= g
    return y, gx


def _floor_tanh(x, g):
    y = np.tanh(x)
    gx = y * y
    np.subtract(1.0, gx, out=gx)
    gx *= g
    return y, gx


def _floor_gelu(x, g):  # profundo's own kernels: the fewest NumPy passes found for this math
    y, cdf = _special.gelu(x)
    return y, _special.gelu_backward(g, x, cdf)


def _floor_gelu_tanh(x, g):
    y, th = _special.gelu_tanh(x)
    return y, _special.gelu_tanh_backward(g, x, th)


def _floor_softplus(x, g):
    return _special.softplus(x), _special.softplus_backward(g, x)


_ZEROS = np.zeros((256, 784), np.float32)

# name: (profundo/torch expression, hand-written NumPy forward + backward: the floor)
LARGE = {
    "matmul 256x784 @ 784x256": (lambda T, x, W: x @ W, lambda x, W, g: (x @ W, g @ W.T, x.T @ g)),
    "softmax(dim=1) 256x784": (lambda T, x, W: T.softmax(x, dim=1), lambda x, W, g: _floor_softmax(x, g)),
    "log_softmax(dim=1) 256x784": (lambda T, x, W: T.log_softmax(x, dim=1),
                                   lambda x, W, g: _floor_log_softmax(x, g)),
    "sum(dim=1) 256x784": (lambda T, x, W: x.sum(dim=1),
                           lambda x, W, g: (_rowsum(x), np.broadcast_to(g[:, None], x.shape).copy())),
    "mean() 256x784": (lambda T, x, W: x.mean(), lambda x, W, g: (x.mean(), np.full(x.shape, g / x.size))),
    "amax(dim=1) 256x784": (lambda T, x, W: x.amax(dim=1), lambda x, W, g: _floor_amax(x, g)),
    "var(dim=0) 256x784": (lambda T, x, W: x.var(dim=0), lambda x, W, g: _floor_var(x, g)),
    "relu 256x784": (lambda T, x, W: x.relu(), lambda x, W, g: _floor_relu(x, g, _ZEROS)),
    "sigmoid 256x784": (lambda T, x, W: x.sigmoid(), lambda x, W, g: _floor_sigmoid(x, g)),
    "leaky_relu 256x784": (lambda T, x, W: T.nn.functional.leaky_relu(x),
                           lambda x, W, g: _floor_leaky_relu(x, g, _ZEROS)),
    "elu 256x784": (lambda T, x, W: T.nn.functional.elu(x), lambda x, W, g: _floor_elu(x, g, _ZEROS)),
    "gelu 256x784": (lambda T, x, W: T.nn.functional.gelu(x), lambda x, W, g: _floor_gelu(x, g)),
    "gelu(approximate='tanh') 256x784": (lambda T, x, W: T.nn.functional.gelu(x, approximate="tanh"),
                                         lambda x, W, g: _floor_gelu_tanh(x, g)),
    "silu 256x784": (lambda T, x, W: T.nn.functional.silu(x), lambda x, W, g: _floor_silu(x, g)),
    "tanh 256x784": (lambda T, x, W: x.tanh(), lambda x, W, g: _floor_tanh(x, g)),
    "softplus 256x784": (lambda T, x, W: T.nn.functional.softplus(x), lambda x, W, g: _floor_softplus(x, g)),
    "x * x + exp(x) 256x784": (lambda T, x, W: x * x + x.exp(), lambda x, W, g: (x * x + np.exp(x),
                                                                                  g * 2 * x + g * np.exp(x))),
}


def large_rows(only=()):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 784)).astype(np.float32)
    w = rng.standard_normal((784, 256)).astype(np.float32) * 0.05
    rows, floors, vs_floor = [], [], []
    for name, (f, floor) in LARGE.items():
        if only and not any(name.startswith(o) for o in only):
            continue
        runs = []
        up_np = None
        for T in [profundo] + ([torch] if torch else []):
            x = T.tensor(a, requires_grad=True)
            W = T.tensor(w, requires_grad=True)
            out0 = f(T, x, W)
            if up_np is None:
                up_np = rng.standard_normal(tuple(out0.shape)).astype(np.float32)
            up = T.tensor(up_np)

            def run(T=T, x=x, W=W, up=up, f=f):
                x.grad = None
                W.grad = None
                f(T, x, W).backward(up)

            runs.append(run)
        runs.append(lambda floor=floor, up_np=up_np: floor(a, w, up_np))
        times = interleaved(runs, rounds=3)
        rows.append((name + " fwd+bwd", times[0], times[1] if torch else None))
        floors.append((name + " (NumPy floor vs torch)", times[-1], times[1] if torch else None))
        vs_floor.append((name + " (profundo vs floor)", times[0], times[-1]))
    return rows, floors, vs_floor


def cold_rows(rounds=15):
    """Where profundo's fixed cost over the floor on a large op goes: its per-op Python (recording the
    node, the backward engine, the backward's own op) is measured on a 4x4 relu forward + backward, as
    it runs on a warm machine and right after a 4 MB NumPy pass, which evicts the interpreter's code and
    objects from L1/L2 as every 256x784 kernel does (~3 MB of traffic).  The floor's few lines of
    Python are measured the same way.  Prints the medians of interleaved rounds."""
    import time
    small = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    x, up = profundo.tensor(small, requires_grad=True), profundo.tensor(small.copy())
    big = np.zeros(1 << 20, np.float32)  # 4 MB
    zeros = np.zeros_like(small)

    def evict():
        np.add(big, 1, out=big)

    def framework():
        x.grad = None
        x.relu().backward(up)

    def floor():
        _floor_relu(small, up._data, zeros)

    cases = {"evict": evict, "profundo": framework, "floor": floor,
             "evict+profundo": lambda: (evict(), framework()), "evict+floor": lambda: (evict(), floor())}
    times = {k: [] for k in cases}
    for r in range(rounds):
        for k in (list(cases) if r % 2 else list(cases)[::-1]):
            fn, runs = cases[k], []
            for _ in range(20):
                t0 = time.perf_counter()
                fn()
                runs.append(time.perf_counter() - t0)
            times[k].append(np.median(runs))
    m = {k: float(np.median(v)) for k, v in times.items()}
    return [("relu 4x4 fwd+bwd: Python per op, warm caches", m["profundo"], m["floor"]),
            ("... right after a 4 MB pass (as after a large op)", m["evict+profundo"] - m["evict"],
             m["evict+floor"] - m["evict"])]


def kernel_rows():
    """NumPy's own float32 exp against PyTorch's, forward only: the pass that
    softmax and log_softmax cannot avoid."""
    a = np.random.default_rng(0).standard_normal((256, 784)).astype(np.float32)
    out = np.empty_like(a)
    runs = [lambda: np.exp(a, out=out)]
    if torch:
        ta, tout = torch.from_numpy(a), torch.empty(256, 784)
        runs.append(lambda: torch.exp(ta, out=tout))
    times = interleaved(runs)
    return [("np.exp vs torch.exp 256x784 float32", times[0], times[1] if torch else None)]


class _LeastTensor:
    """The least Python any autograd must run for one op: micrograd's design (the output keeps a
    closure that turns its gradient into its input's), calling profundo's own kernels.  No graph
    walk, no checks, no hooks, version counters, anomaly mode or create_graph.  Its time over the
    floor is what the Python around two kernels costs at the very least; profundo's over it is the
    price of PyTorch's autograd semantics (``--ratios`` prints both)."""

    __slots__ = ("data", "grad", "grad_fn")

    def __init__(self, data, grad_fn=None):
        self.data, self.grad, self.grad_fn = data, None, grad_fn

    def backward(self, g):
        x, gx = self.grad_fn(g)
        x.grad = gx if x.grad is None else x.grad + gx


def _least(forward):
    """``forward(be, x_array)`` -> (y array, backward(g array) -> x's gradient array)."""
    def op(x):
        y, backward = forward(_backend.current(), x.data)
        return _LeastTensor(y, lambda g: (x, backward(g)))
    return op


def _least_elu(be, x):
    y, e = be.elu(x, 1.0)
    return y, lambda g: be.elu_backward(g, x, e, 1.0)


def _least_silu(be, x):
    y, s = be.silu(x)
    return y, lambda g: be.silu_backward(g, x, s)


def _least_relu(be, x):
    y = be.relu(x)
    return y, lambda g: be.relu_backward(g, y)


def _least_tanh(be, x):
    y = be.tanh(x)
    return y, lambda g: be.tanh_backward(g, y)


def _least_sigmoid(be, x):
    y = be.sigmoid(x)
    return y, lambda g: be.sigmoid_backward(g, y)


def _least_leaky_relu(be, x):
    return be.leaky_relu(x, 0.01), lambda g: be.leaky_relu_backward(g, x, 0.01)


LEAST = {"relu 256x784": _least(_least_relu), "sigmoid 256x784": _least(_least_sigmoid),
         "leaky_relu 256x784": _least(_least_leaky_relu), "elu 256x784": _least(_least_elu),
         "silu 256x784": _least(_least_silu), "tanh 256x784": _least(_least_tanh)}


def ratio_rows(only=(), rounds=25):
    """On a busy machine best-of times swing 2x between runs; the ratio measured
    within each round (profundo, torch and the floor run back to back, in
    alternating order) is steadier.  Prints the median ratio and its quartiles;
    for an activation also the least autograd's (``_LeastTensor``) over the floor."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 784)).astype(np.float32)
    w = rng.standard_normal((784, 256)).astype(np.float32) * 0.05

    def quartiles(ours, ref):
        median, low, high = ratio_quartiles(ours, ref)
        return f"{median:5.2f}x [{low:.2f}-{high:.2f}]"

    print(f"\nMedian of {rounds} interleaved rounds [quartiles]: profundo/torch and profundo/floor")
    for name, (f, floor) in LARGE.items():
        if only and not any(name.startswith(o) for o in only):
            continue
        runs, up_np = [], None
        for T in [profundo] + ([torch] if torch else []):
            x = T.tensor(a, requires_grad=True)
            W = T.tensor(w, requires_grad=True)
            if up_np is None:
                up_np = rng.standard_normal(tuple(f(T, x, W).shape)).astype(np.float32)
            up = T.tensor(up_np)

            def run(T=T, x=x, W=W, up=up, f=f):
                x.grad = None
                W.grad = None
                f(T, x, W).backward(up)

            runs.append(run)
        least = LEAST.get(name)
        if least is not None:
            lx = _LeastTensor(a.copy())

            def least_run(lx=lx, least=least, up_np=up_np):
                lx.grad = None
                least(lx).backward(up_np)

            runs.append(least_run)
        runs.append(lambda floor=floor, up_np=up_np: floor(a, w, up_np))
        times = round_times(runs, rounds)
        text = f"{name:<36} {np.median(times[0]) * 1e6:7.0f}us"
        if torch:
            text += f"  vs torch {quartiles(times[0], times[1])}"
        text += f"  vs floor {quartiles(times[0], times[-1])}"
        if least is not None:
            text += f"  (least autograd vs floor {quartiles(times[-2], times[-1])}"
            text += f", torch vs floor {quartiles(times[1], times[-1])})" if torch else ")"
        print(text)
        sys.stdout.flush()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--ratios"]:  # python benchmarks/ops.py --ratios [gelu softplus ...]
        ratio_rows(tuple(args[1:]))
        sys.exit()
    if args[:1] == ["--cold"]:  # python benchmarks/ops.py --cold: the fixed cost of a large op, explained
        table("Per-op Python, warm and cold (what a large op pays over the floor)", cold_rows(), ref="floor")
        sys.exit()
    only = tuple(args)  # names of large ops to run (their first words), e.g. gelu softplus
    if not only:
        table("Per-op overhead: 100-op elementwise chain (lower is better)",
              overhead_rows(16) + overhead_rows(1024))
    rows, floors, vs_floor = large_rows(only)
    table("Large ops, forward + backward", rows)
    table("The same math hand-written in NumPy (the floor for any NumPy framework)", floors)
    table("profundo against that floor (its own overhead; the goal is <= 1.1x)", vs_floor, ref="floor")
    table("One kernel: exp, which softmax and log_softmax need once per element", kernel_rows())
