"""MLP training step: profundo vs PyTorch (CPU, 1 thread), in the same run.

784-256-256-10 with ReLU, batch 256, cross-entropy, SGD (momentum 0.9):
one step = forward + backward + update.  Also the forward alone and the
step with Adam.  Then the wall time of `profundo train mlp` on digits.
Run: python benchmarks/mlp.py  (ratio < 1: profundo faster)
     python benchmarks/mlp.py --ratios   (median of per-round ratios, with quartiles:
                                          steadier than best-of times on a busy machine)
"""
import sys

from _common import interleaved, load_torch, round_ratios, table

import numpy as np

import profundo

torch = load_torch()
rng = np.random.default_rng(0)
X = rng.standard_normal((256, 784)).astype(np.float32)
Y = rng.integers(0, 10, 256)


def make(T, optimizer):
    model = T.nn.Sequential(T.nn.Linear(784, 256), T.nn.ReLU(), T.nn.Linear(256, 256), T.nn.ReLU(),
                            T.nn.Linear(256, 10))
    opt = (T.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if optimizer == "sgd"
           else T.optim.Adam(model.parameters(), lr=1e-3))
    loss_fn = T.nn.CrossEntropyLoss()
    x, y = T.tensor(X), T.tensor(Y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def forward():
        with T.no_grad():
            model(x)
    return step, forward


def numpy_floor(optimizer):
    """The same step written by hand in NumPy for this network only (the floor a framework on NumPy can
    hope for): fused bias adds, ReLU masks reused in backward, the softmax-cross-entropy gradient in one
    expression, in-place momentum/Adam updates with scratch buffers."""
    r = np.random.default_rng(1)
    sizes = [(784, 256), (256, 256), (256, 10)]
    params = []
    for fan_in, fan_out in sizes:
        bound = 1 / np.sqrt(fan_in)
        params += [r.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                   r.uniform(-bound, bound, fan_out).astype(np.float32)]
    state = [np.zeros_like(p) for p in params] + [np.zeros_like(p) for p in params]
    t = [0]

    def forward(x):
        h1 = x @ params[0].T
        h1 += params[1]
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ params[2].T
        h2 += params[3]
        np.maximum(h2, 0, out=h2)
        z = h2 @ params[4].T
        z += params[5]
        return h1, h2, z

    def step():
        h1, h2, z = forward(X)
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        e /= e.sum(1, keepdims=True)
        e[np.arange(len(Y)), Y] -= 1  # d loss / d logits (mean over the batch below)
        e /= len(Y)
        grads = [None] * 6
        grads[4], grads[5] = e.T @ h2, e.sum(0)
        g2 = e @ params[4]
        g2 *= h2 > 0
        grads[2], grads[3] = g2.T @ h1, g2.sum(0)
        g1 = g2 @ params[2]
        g1 *= h1 > 0
        grads[0], grads[1] = g1.T @ X, g1.sum(0)
        t[0] += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if optimizer == "sgd":  # momentum 0.9, lr 0.01
                buf = state[i]
                buf *= 0.9
                buf += g
                p -= 0.01 * buf
            else:  # Adam, lr 1e-3
                m, v = state[i], state[6 + i]
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                denom = np.sqrt(v / (1 - 0.999 ** t[0]))
                denom += 1e-8
                p -= (1e-3 / (1 - 0.9 ** t[0])) * (m / denom)

    return step, lambda: forward(X)


CASES = [("train step, SGD momentum", "sgd", 0), ("train step, Adam", "adam", 0), ("forward only (no_grad)", "sgd", 1)]


def main():
    libs = [profundo] + ([torch] if torch else [])
    rows, floor_rows = [], []
    for name, opt, which in CASES:
        fns = [make(T, opt)[which] for T in libs] + [numpy_floor(opt)[which]]
        times = interleaved(fns)
        rows.append((name, times[0], times[1] if torch else None))
        floor_rows.append((name, times[0], times[-1]))
    table("MLP 784-256-256-10, batch 256, float32", rows, unit="ms", scale=1e3)
    table("the same against hand-written NumPy (numpy_floor)", floor_rows, unit="ms", scale=1e3, ref="numpy")
    if torch:
        print("NumPy floor / torch: " + ", ".join(f"{r[0]} {f[2] / r[2]:.2f}x" for r, f in zip(rows, floor_rows)))
    train_command_time()


def ratios(rounds=25):
    """The median of per-round ratios (profundo / torch, profundo / floor) and their quartiles."""
    print(f"\nMLP: median of {rounds} interleaved rounds [quartiles]")
    for name, opt, which in CASES:
        fns = [make(profundo, opt)[which]] + ([make(torch, opt)[which]] if torch else []) + [numpy_floor(opt)[which]]
        found = round_ratios(fns, rounds)
        text = f"{name:<26}"
        if torch:
            text += "  vs torch {:5.2f}x [{:.2f}-{:.2f}]".format(*found[0])
        print(text + "  vs floor {:5.2f}x [{:.2f}-{:.2f}]".format(*found[-1]))
        sys.stdout.flush()


def train_command_time():
    """Wall time of the main job, `profundo train mlp` (digits, default settings), in this process."""
    import argparse
    import tempfile
    import time

    from profundo.train import run
    with tempfile.TemporaryDirectory() as out:
        args = argparse.Namespace(model="mlp", data="digits", epochs=20, batch_size=64, lr=0.05, optimizer="sgd",
                                  hidden=[256], dropout=0.2, seed=0, out=out, root=None, resume=False, quiet=True)
        start = time.perf_counter()
        result = run.train(args)
        seconds = time.perf_counter() - start
    print(f"\nprofundo train mlp (digits, 20 epochs): test accuracy {result['accuracy']:.4f} in {seconds:.1f} s "
          "(target: >= 0.97 in under 30 s)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--ratios"]:
        ratios()
    else:
        main()
