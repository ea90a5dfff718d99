"""Attention training step: profundo vs PyTorch (CPU, 1 thread), in the same run.

- Transformer encoder classifier step: 2 ``nn.TransformerEncoderLayer`` (d_model 64, 4 heads, feed-forward 128,
  batch_first, post-norm), sequences of 32 float32 vectors, batch 32, mean over the positions, Linear(64, 10),
  cross-entropy, backward, Adam.  With dropout 0.1 (the layers' default) and 0.0.  Goal: <= 1.3x PyTorch.
- ``F.scaled_dot_product_attention`` forward + backward on (32, 4, 32, 16) (the encoder's shapes), causal, with a
  NumPy column: the same computation written by hand (the floor a framework on NumPy can hope for).
Times are medians of interleaved runs (a noisy moment hits all columns alike), with the spread (25th-75th
percentile); a sdpa sample is 10 calls.  Then the profundo step's time by kernel / source file.
Run: PYTHONPATH=src python benchmarks/attention.py [--rounds N]  (ratio < 1: profundo faster)
"""
import argparse
import math

from _common import load_torch

import numpy as np
from cnn import interleaved_median, time_by_file

import profundo

torch = load_torch()

D_MODEL, HEADS, FF, SEQ, BATCH, CLASSES = 64, 4, 128, 32, 32, 10


def encoder_classifier(T, dropout):
    nn = T.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=dropout, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(D_MODEL, CLASSES)

        def forward(self, x):
            return self.head(self.encoder(x).mean(1))

    return Classifier()


def make_step(T, dropout, X, Y):
    T.manual_seed(0)
    model = encoder_classifier(T, dropout)
    opt = T.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = T.nn.CrossEntropyLoss()
    x, y = T.tensor(X), T.tensor(Y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def make_sdpa(T, Q, K, V, G):
    q, k, v = (T.tensor(a, requires_grad=True) for a in (Q, K, V))
    g = T.tensor(G)

    def run():
        q.grad = k.grad = v.grad = None
        T.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True).backward(g)
    return run


def numpy_sdpa(Q, K, V, G):
    """Causal attention forward and backward by hand, in place where it can be."""
    scale = np.float32(1 / math.sqrt(Q.shape[-1]))
    masked = ~np.tril(np.ones((Q.shape[-2], K.shape[-2]), bool))

    def run():
        s = Q @ K.swapaxes(-1, -2)
        s *= scale
        s[..., masked] = -np.inf
        s -= s.max(-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(-1, keepdims=True)                      # the weights p
        out = s @ V
        dv = s.swapaxes(-1, -2) @ G
        dp = G @ V.swapaxes(-1, -2)
        dp -= np.einsum("...ij,...ij->...i", dp, s)[..., None]
        dp *= s                                             # ds = p (dp - sum(dp p))
        dp *= scale
        return out, dp @ K, dp.swapaxes(-1, -2) @ Q, dv
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((BATCH, SEQ, D_MODEL)).astype(np.float32)
    Y = rng.integers(0, CLASSES, BATCH)
    print(f"float32, 1 thread, median of {args.rounds} interleaved runs [25th-75th percentile]")
    print(f"{'case':<44} {'profundo':>22} {'torch':>22} {'numpy':>22} {'ratio':>7} {'goal':>6}")

    def row(name, fns, goal, calls=1):
        """One table row; each timed sample runs ``calls`` calls (a short call alone is at the
        mercy of one preemption on a loaded machine)."""
        looped = [(lambda f=f: [f() for _ in range(calls)]) for f in fns.values()]
        res = {k: tuple(t / calls for t in r) for k, r in zip(fns, interleaved_median(looped, args.rounds))}

        def cell(k):
            if k not in res:
                return f"{'-':>22}"
            m, lo, hi = (v * 1e3 for v in res[k])
            return f"{m:7.2f} [{lo:5.2f}-{hi:5.2f}] ms"
        ratio = res["profundo"][0] / res["torch"][0] if "torch" in res else float("nan")
        g = f"{goal:5.1f}x" if goal else f"{'':>6}"
        print(f"{name:<44} {cell('profundo')} {cell('torch')} {cell('numpy')} {ratio:6.2f}x {g}")
        if "numpy" in res:
            print(f"{'':<44} profundo / numpy floor {res['profundo'][0] / res['numpy'][0]:.2f}x")

    steps = {}
    for dropout in (0.1, 0.0):
        fns = {"profundo": make_step(profundo, dropout, X, Y)}
        if torch is not None:
            fns["torch"] = make_step(torch, dropout, X, Y)
        steps[dropout] = fns["profundo"]
        row(f"encoder step (2 layers, Adam), dropout {dropout}", fns, 1.3)
    Q, K, V, G = (rng.standard_normal((BATCH, HEADS, SEQ, D_MODEL // HEADS)).astype(np.float32) for _ in range(4))
    fns = {"profundo": make_sdpa(profundo, Q, K, V, G)}
    if torch is not None:
        fns["torch"] = make_sdpa(torch, Q, K, V, G)
    fns["numpy"] = numpy_sdpa(Q, K, V, G)
    row("sdpa fwd+bwd (32, 4, 32, 16), causal", fns, None, calls=10)
    files = sorted(time_by_file(steps[0.1]).items(), key=lambda kv: -kv[1])[:10]
    print("\nprofundo step (dropout 0.1) by kernel / source file (cProfile, own time): "
          + ", ".join(f"{k} {v:.0%}" for k, v in files))


if __name__ == "__main__":
    main()
