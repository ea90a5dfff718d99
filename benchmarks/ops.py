"""profundo vs PyTorch (CPU, 1 thread), in the same run.

1. Per-op overhead: a chain of 100 small elementwise ops + backward.
2. Large ops: forward + backward on 256x784 float32.

Run: python benchmarks/ops.py   (ratio < 1 means profundo is faster)
"""
from _common import interleaved, load_torch, table

import numpy as np

import profundo

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


def large_rows():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((256, 784)).astype(np.float32)
    w = rng.standard_normal((784, 256)).astype(np.float32) * 0.05
    cases = {
        "matmul 256x784 @ 784x256": lambda T, x, W: x @ W,
        "softmax(dim=1) 256x784": lambda T, x, W: T.softmax(x, dim=1),
        "log_softmax(dim=1) 256x784": lambda T, x, W: T.log_softmax(x, dim=1),
        "sum(dim=1) 256x784": lambda T, x, W: x.sum(dim=1),
        "mean() 256x784": lambda T, x, W: x.mean(),
        "amax(dim=1) 256x784": lambda T, x, W: x.amax(dim=1),
        "var(dim=0) 256x784": lambda T, x, W: x.var(dim=0),
        "relu 256x784": lambda T, x, W: x.relu(),
        "x * y + exp(x) 256x784": lambda T, x, W: x * x + x.exp(),
    }
    rows = []
    for name, f in cases.items():
        runs = []
        for T in [profundo] + ([torch] if torch else []):
            x = T.tensor(a, requires_grad=True)
            W = T.tensor(w, requires_grad=True)
            out0 = f(T, x, W)
            up = T.tensor(rng.standard_normal(tuple(out0.shape)).astype(np.float32))

            def run(T=T, x=x, W=W, up=up, f=f):
                x.grad = None
                W.grad = None
                f(T, x, W).backward(up)

            runs.append(run)
        times = interleaved(runs, rounds=3)
        rows.append((name + " fwd+bwd", times[0], times[1] if torch else None))
    return rows


if __name__ == "__main__":
    table("Per-op overhead: 100-op elementwise chain (lower is better)",
          overhead_rows(16) + overhead_rows(1024))
    table("Large ops, forward + backward", large_rows())
