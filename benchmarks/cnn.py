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
    for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(prof).stats.items():
        total += tottime
        key = filename.split("profundo/")[-1] if "profundo/" in filename else "numpy/python"
        by_file[key] = by_file.get(key, 0.0) + tottime
    return {k: v / total for k, v in by_file.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    cases = [("LeNet, batch 256", lenet, 256, numpy_lenet_step, 1.5),
             ("small ResNet 32/64, batch 64", small_resnet, 64, None, 2.0)]
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
        files = sorted(time_by_file(ours).items(), key=lambda kv: -kv[1])[:6]
        print(f"{'':<30} profundo step by source file (cProfile): "
              + ", ".join(f"{k} {v:.0%}" for k, v in files))


if __name__ == "__main__":
    main()
