"""MLP training step: profundo vs PyTorch (CPU, 1 thread), in the same run.

784-256-256-10 with ReLU, batch 256, cross-entropy, SGD (momentum 0.9):
one step = forward + backward + update.  Also the forward alone and the
step with Adam.  Then the wall time of `profundo train mlp` on digits.
Run: python benchmarks/mlp.py  (ratio < 1: profundo faster)
"""
from _common import interleaved, load_torch, table

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


def main():
    libs = [profundo] + ([torch] if torch else [])
    rows = []
    for name, opt, which in [("train step, SGD momentum", "sgd", 0), ("train step, Adam", "adam", 0),
                             ("forward only (no_grad)", "sgd", 1)]:
        fns = [make(T, opt)[which] for T in libs]
        times = interleaved(fns)
        rows.append((name, times[0], times[1] if torch else None))
    table("MLP 784-256-256-10, batch 256, float32", rows, unit="ms", scale=1e3)
    train_command_time()


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
    main()
