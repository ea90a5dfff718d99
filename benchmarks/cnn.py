"""CNN training step: profundo vs PyTorch (CPU, 1 thread) vs hand-written NumPy, in the same run.

One step = forward, cross-entropy, backward, SGD update (lr 0.01), float32, 1x28x28 images:
- LeNet (ReLU + max pooling, d2l 7.6's variant), batch 256.  Goal: <= 1.5x PyTorch.
- a small ResNet (a 3x3 stem with 32 channels and batch norm, one residual block of 32 channels, one of 64
  channels with stride 2 and a 1x1 shortcut, global average pooling, Linear), batch 64.  Goal: <= 2.0x PyTorch.
The NumPy column is the same step written by hand for this network only (im2col by k*k slice copies and one
matmul per convolution in the (C, N, H, W) layout, pooling fused with the ReLU; see NumpyLeNet); it is the floor a
general framework on NumPy can hope for.  Times are medians of interleaved runs (a noisy moment hits all
columns alike), with the spread (25th-75th percentile); peak memory of one step is traced with tracemalloc
(PyTorch's allocator is not traced: n/a).  Then the share of the profundo step each layer type takes.
Run: PYTHONPATH=src python benchmarks/cnn.py [--rounds N]  (ratio < 1: profundo faster)
"""
import argparse
import time
import tracemalloc

from _common import load_torch

import numpy as np

import profundo

torch = load_torch()


# ------------------------------------------------------------------------------- the networks, for any T
def lenet(T):
    nn = T.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def small_resnet(T):
    nn, F = T.nn, T.nn.functional

    class Residual(nn.Module):  # d2l's block (profundo.models.Residual), written once for both libraries
        def __init__(self, cin, cout, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.Conv2d(cout, cout, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2d(cin, cout, kernel_size=1, stride=strides) if use_1x1conv else None
            self.bn1, self.bn2 = nn.BatchNorm2d(cout), nn.BatchNorm2d(cout)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3 is not None:
                X = self.conv3(X)
            return F.relu(Y + X)

    return nn.Sequential(
        nn.Conv2d(1, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        Residual(32, 32), Residual(32, 64, use_1x1conv=True, strides=2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(64, 10))


def make_step(T, build, X, Y):
    T.manual_seed(0)
    model = build(T)
    opt = T.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = T.nn.CrossEntropyLoss()
    x, y = T.tensor(X), T.tensor(Y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step, model


# ------------------------------------------------------------------------------- hand-written NumPy
# Layout (C, N, H, W), channels first and then the batch (Caffe's im2col layout): the patches of a convolution are a
# (C * k * k, N * Ho * Wo) matrix built by k * k slice copies whose rows are contiguous runs of Wo pixels, the
# output of W (O, C * k * k) @ patches is already (O, N, Ho, Wo), and col2im is k * k slice-adds of the same shape.
# (Tried first: channels last, (N * Ho * Wo, k * k * C) patches from a sliding_window_view: the copy gathers runs of
# C floats and col2im adds runs of C floats, 2x slower on LeNet, whose C is 1 and 6.)
def im2col(x, k, pad=0):
    """(C, N, H, W) -> (C * k * k, N * Ho * Wo) patches (stride 1)."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    c, n, h, w = x.shape
    ho, wo = h - k + 1, w - k + 1
    cols = np.empty((c, k, k, n, ho, wo), x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = x[:, :, i:i + ho, j:j + wo]
    return cols.reshape(c * k * k, n * ho * wo)


def col2im(dcols, shape, k):
    """The adjoint of im2col (no padding): add each kernel offset's slice back (k * k slice-adds)."""
    c, n, h, w = shape
    ho, wo = h - k + 1, w - k + 1
    d = dcols.reshape(c, k, k, n, ho, wo)
    dx = np.zeros(shape, dcols.dtype)
    for i in range(k):
        for j in range(k):
            dx[:, :, i:i + ho, j:j + wo] += d[:, i, j]
    return dx


def pool_relu(z):
    """relu(2x2 max pooling) of (C, N, H, W) -- equal to pooling after the ReLU (both are monotone), on 4x fewer
    numbers -- and the mask of the first maximum of each window (PyTorch's choice on ties)."""
    q = [z[:, :, a::2, b::2] for a in (0, 1) for b in (0, 1)]
    m = np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))
    taken, masks = np.zeros(m.shape, bool), []
    for qi in q:
        hit = (qi == m) & ~taken
        taken |= hit
        masks.append(hit)
    return np.maximum(m, 0), masks


def unpool_relu(g, out, masks, shape):
    g = g * (out > 0)
    dz = np.empty(shape, g.dtype)
    for (a, b), mask in zip(((0, 0), (0, 1), (1, 0), (1, 1)), masks):
        dz[:, :, a::2, b::2] = g * mask
    return dz


class NumpyLeNet:
    """LeNet (ReLU + max pooling), forward and backward by hand, plain SGD."""

    def __init__(self, rng):
        def u(fan_in, *shape):
            b = 1 / np.sqrt(fan_in)
            return rng.uniform(-b, b, shape).astype(np.float32)
        # convolution weights as (O, C * k * k), Linear weights as (in, out)
        self.p = {"w1": u(25, 6, 25), "b1": u(25, 6, 1), "w2": u(150, 16, 150), "b2": u(150, 16, 1),
                  "w3": u(400, 400, 120), "b3": u(400, 120), "w4": u(120, 120, 84), "b4": u(120, 84),
                  "w5": u(84, 84, 10), "b5": u(84, 10)}

    def step(self, x, y, lr=0.01):
        p = self.p
        n = x.shape[1]
        c1 = im2col(x, 5, pad=2)                                      # (25, N*28*28)
        z1 = (p["w1"] @ c1 + p["b1"]).reshape(6, n, 28, 28)
        a1, m1 = pool_relu(z1)                                        # (6, N, 14, 14)
        c2 = im2col(a1, 5)                                            # (150, N*10*10)
        z2 = (p["w2"] @ c2 + p["b2"]).reshape(16, n, 10, 10)
        a2, m2 = pool_relu(z2)                                        # (16, N, 5, 5)
        f = a2.transpose(1, 0, 2, 3).reshape(n, 400)
        h3 = np.maximum(f @ p["w3"] + p["b3"], 0)
        h4 = np.maximum(h3 @ p["w4"] + p["b4"], 0)
        z = h4 @ p["w5"] + p["b5"]
        z = z - z.max(1, keepdims=True)
        e = np.exp(z)
        dz = e / e.sum(1, keepdims=True)                              # softmax, then its cross-entropy gradient
        dz[np.arange(n), y] -= 1
        dz /= n
        g = {"w5": h4.T @ dz, "b5": dz.sum(0)}
        dh4 = (dz @ p["w5"].T) * (h4 > 0)
        g["w4"], g["b4"] = h3.T @ dh4, dh4.sum(0)
        dh3 = (dh4 @ p["w4"].T) * (h3 > 0)
        g["w3"], g["b3"] = f.T @ dh3, dh3.sum(0)
        da2 = (dh3 @ p["w3"].T).reshape(n, 16, 5, 5).transpose(1, 0, 2, 3)
        dz2 = unpool_relu(da2, a2, m2, z2.shape).reshape(16, -1)
        g["w2"], g["b2"] = dz2 @ c2.T, dz2.sum(1, keepdims=True)
        da1 = col2im(p["w2"].T @ dz2, a1.shape, 5)
        dz1 = unpool_relu(da1, a1, m1, z1.shape).reshape(6, -1)
        g["w1"], g["b1"] = dz1 @ c1.T, dz1.sum(1, keepdims=True)     # the input needs no gradient
        for k in p:
            p[k] -= lr * g[k]


def numpy_lenet_step(X, Y):
    net = NumpyLeNet(np.random.default_rng(0))
    x = np.ascontiguousarray(X.transpose(1, 0, 2, 3))
    return lambda: net.step(x, Y)


class Conv:
    """A convolution (stride, padding) in the (C, N, H, W) layout, keeping its patches for the backward."""

    def __init__(self, rng, cin, cout, k, stride=1, pad=0):
        b = 1 / np.sqrt(cin * k * k)
        self.w = rng.uniform(-b, b, (cout, cin * k * k)).astype(np.float32)
        self.b = rng.uniform(-b, b, (cout, 1)).astype(np.float32)
        self.k, self.s, self.p = k, stride, pad

    def forward(self, x):
        k, s, p = self.k, self.s, self.p
        self.shape = x.shape
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        c, n, h, w = x.shape
        ho, wo = (h - k) // s + 1, (w - k) // s + 1
        cols = np.empty((c, k, k, n, ho, wo), x.dtype)
        for i in range(k):
            for j in range(k):
                cols[:, i, j] = x[:, :, i:i + s * ho:s, j:j + s * wo:s]
        self.cols = cols.reshape(c * k * k, -1)
        return (self.w @ self.cols + self.b).reshape(-1, n, ho, wo)

    def backward(self, dy, lr, need_dx=True):
        d = dy.reshape(dy.shape[0], -1)
        dx = None
        if need_dx:
            k, s, p = self.k, self.s, self.p
            c, n, h, w = self.shape
            ho, wo = dy.shape[2:]
            dc = (self.w.T @ d).reshape(c, k, k, n, ho, wo)
            dxp = np.zeros((c, n, h + 2 * p, w + 2 * p), dy.dtype)
            for i in range(k):
                for j in range(k):
                    dxp[:, :, i:i + s * ho:s, j:j + s * wo:s] += dc[:, i, j]
            dx = dxp[:, :, p:p + h, p:p + w] if p else dxp
        self.w -= lr * (d @ self.cols.T)
        self.b -= lr * d.sum(1, keepdims=True)
        return dx


class BN:
    """Batch normalization over (N, H, W) for each channel, training mode (running statistics kept too)."""

    def __init__(self, c):
        self.g, self.beta = np.ones((c, 1), np.float32), np.zeros((c, 1), np.float32)
        self.rm, self.rv = np.zeros((c, 1), np.float32), np.ones((c, 1), np.float32)

    def forward(self, z):
        self.shape = z.shape
        z = z.reshape(z.shape[0], -1)
        m = z.shape[1]
        mean = z.mean(1, keepdims=True)
        var = z.var(1, keepdims=True)
        self.rm = 0.9 * self.rm + 0.1 * mean
        self.rv = 0.9 * self.rv + 0.1 * var * (m / (m - 1))
        self.inv = 1 / np.sqrt(var + 1e-5)
        self.xhat = (z - mean) * self.inv
        return (self.g * self.xhat + self.beta).reshape(self.shape)

    def backward(self, dy, lr):
        dy = dy.reshape(dy.shape[0], -1)
        m = dy.shape[1]
        dg, db = (dy * self.xhat).sum(1, keepdims=True), dy.sum(1, keepdims=True)
        dx = (self.g * self.inv / m) * (m * dy - db - self.xhat * dg)
        self.g -= lr * dg
        self.beta -= lr * db
        return dx.reshape(self.shape)


class NumpySmallResNet:
    """The small ResNet of small_resnet(), by hand in the (C, N, H, W) layout, plain SGD."""

    def __init__(self, rng):
        self.stem, self.bn0 = Conv(rng, 1, 32, 3, pad=1), BN(32)
        self.r1 = [Conv(rng, 32, 32, 3, pad=1), BN(32), Conv(rng, 32, 32, 3, pad=1), BN(32)]
        self.r2 = [Conv(rng, 32, 64, 3, 2, 1), BN(64), Conv(rng, 64, 64, 3, pad=1), BN(64)]
        self.short = Conv(rng, 32, 64, 1, 2)
        b = 1 / np.sqrt(64)
        self.w, self.b = rng.uniform(-b, b, (64, 10)).astype(np.float32), rng.uniform(-b, b, 10).astype(np.float32)

    @staticmethod
    def residual_forward(layers, x, shortcut=None):
        c1, b1, c2, b2 = layers
        y1 = np.maximum(b1.forward(c1.forward(x)), 0)
        y = b2.forward(c2.forward(y1)) + (x if shortcut is None else shortcut.forward(x))
        out = np.maximum(y, 0)
        return out, y1

    @staticmethod
    def residual_backward(layers, dout, out, y1, lr, shortcut=None):
        c1, b1, c2, b2 = layers
        dy = dout * (out > 0)
        dy1 = c2.backward(b2.backward(dy, lr), lr) * (y1 > 0)
        dx = c1.backward(b1.backward(dy1, lr), lr)
        return dx + (dy if shortcut is None else shortcut.backward(dy, lr))

    def step(self, x, y, lr=0.01):
        a0 = np.maximum(self.bn0.forward(self.stem.forward(x)), 0)
        a1, h1 = self.residual_forward(self.r1, a0)
        a2, h2 = self.residual_forward(self.r2, a1, self.short)
        c, n = a2.shape[:2]
        f = a2.reshape(c, n, -1).mean(2).T                           # global average pooling: (N, 64)
        z = f @ self.w + self.b
        e = np.exp(z - z.max(1, keepdims=True))
        dz = e / e.sum(1, keepdims=True)
        dz[np.arange(n), y] -= 1
        dz /= n
        df = dz @ self.w.T
        self.w -= lr * (f.T @ dz)
        self.b -= lr * dz.sum(0)
        da2 = np.broadcast_to((df.T / (a2.shape[2] * a2.shape[3]))[:, :, None, None], a2.shape)
        da1 = self.residual_backward(self.r2, da2, a2, h2, lr, self.short)
        da0 = self.residual_backward(self.r1, da1, a1, h1, lr)
        self.stem.backward(self.bn0.backward(da0 * (a0 > 0), lr), lr, need_dx=False)


def numpy_resnet_step(X, Y):
    net = NumpySmallResNet(np.random.default_rng(0))
    x = np.ascontiguousarray(X.transpose(1, 0, 2, 3))
    return lambda: net.step(x, Y)


# ------------------------------------------------------------------------------- measuring
def interleaved_median(fns, rounds):
    """Per-call seconds of each function, measured one call at a time in alternation: (median, p25, p75)."""
    for f in fns:
        f()  # warm up
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            times[i].append(time.perf_counter() - t0)
    return [tuple(np.percentile(t, [50, 25, 75])) for t in times]


def peak_memory(fn):
    fn()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def layer_shares(model, step, rounds=3):
    """Seconds of the forward of each layer type of a profundo model during ``step`` (hooks time each leaf)."""
    spent, starts = {}, {}

    def pre(m, args):
        starts[id(m)] = time.perf_counter()

    def post(m, args, out):
        name = type(m).__name__
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - starts.pop(id(m))
    handles = []
    for m in model.modules():
        if not any(m.children()):
            handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    t0 = time.perf_counter()
    for _ in range(rounds):
        step()
    total = (time.perf_counter() - t0) / rounds
    for h in handles:
        h.remove()
    return total, {k: v / rounds for k, v in spent.items()}


def time_by_file(step, rounds=3):
    """Share of the step's time spent in each source file of profundo (cProfile's own time per function,
    summed by file): which layer's code (ops/conv.py, ops/pooling.py, ...) dominates, forward and backward."""
    import cProfile
    import pstats
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(rounds):
        step()
    prof.disable()
    by_file, total = {}, 0.0
    for (filename, _, func), (_, _, tottime, _, _) in pstats.Stats(prof).stats.items():
        total += tottime
        key = filename.split("profundo/")[-1] if "profundo/" in filename else "numpy/python"
        if key.startswith("_backend/"):  # the kernels: name each one
            key = f"{key[len('_backend/'):]}:{func}"
        by_file[key] = by_file.get(key, 0.0) + tottime
    return {k: v / total for k, v in by_file.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    cases = [("LeNet, batch 256", lenet, 256, numpy_lenet_step, 1.5),
             ("small ResNet 32/64, batch 64", small_resnet, 64, numpy_resnet_step, 2.0)]
    print(f"one training step (forward, cross-entropy, backward, SGD), float32, 1 thread, median of {args.rounds} "
          "interleaved runs [25th-75th percentile]")
    print(f"{'case':<30} {'profundo':>22} {'torch':>22} {'numpy':>22} {'ratio':>7} {'goal':>6}")
    for name, build, batch, numpy_step, goal in cases:
        X = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        Y = rng.integers(0, 10, batch)
        ours, model = make_step(profundo, build, X, Y)
        fns, labels = [ours], ["profundo"]
        if torch is not None:
            fns.append(make_step(torch, build, X, Y)[0])
            labels.append("torch")
        if numpy_step is not None:
            fns.append(numpy_step(X, Y))
            labels.append("numpy")
        res = dict(zip(labels, interleaved_median(fns, args.rounds)))
        mem = {k: peak_memory(f) for k, f in zip(labels, fns) if k != "torch"}

        def cell(k):
            if k not in res:
                return f"{'-':>22}"
            m, lo, hi = (v * 1e3 for v in res[k])
            return f"{m:7.1f} [{lo:5.1f}-{hi:5.1f}] ms"
        ratio = res["profundo"][0] / res["torch"][0] if "torch" in res else float("nan")
        print(f"{name:<30} {cell('profundo')} {cell('torch')} {cell('numpy')} {ratio:6.2f}x {goal:5.1f}x")
        print(f"{'':<30} peak memory (tracemalloc): " + ", ".join(f"{k} {v / 2 ** 20:.1f} MiB" for k, v in mem.items())
              + ("" if "numpy" not in res else f"; profundo / numpy floor {res['profundo'][0] / res['numpy'][0]:.2f}x"))
        total, shares = layer_shares(model, ours)
        forward = sum(shares.values())
        top = sorted(shares.items(), key=lambda kv: -kv[1])
        print(f"{'':<30} forward by layer type ({forward / total:.0%} of the step; the rest is backward + update): "
              + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in top))
        files = sorted(time_by_file(ours).items(), key=lambda kv: -kv[1])[:8]
        print(f"{'':<30} profundo step by kernel / source file (cProfile, own time): "
              + ", ".join(f"{k} {v:.0%}" for k, v in files))


if __name__ == "__main__":
    main()
