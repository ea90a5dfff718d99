"""Recurrent language-model training step: profundo vs PyTorch (CPU, 1 thread) vs hand-written NumPy, in one run.

One step = one-hot inputs (vocab 28, d2l's character model), a recurrent layer (hidden 256), a Linear head
over every step, cross-entropy, backward, gradient clipping (max norm 1) and an SGD update (lr 1), float32,
sequence 35, batch 32, zero initial state.  Rows: LSTM (goal <= 1.5x PyTorch), GRU and RNN (tanh).
The NumPy column is the LSTM step written by hand for this network only (the same fused-gate formulas, no
framework): the floor a framework on NumPy can hope for.  Times are medians of interleaved runs (a noisy
moment hits all columns alike), with the spread (25th-75th percentile).
Run: PYTHONPATH=src python benchmarks/rnn.py [--rounds N]  (ratio < 1: profundo faster)
"""
import argparse
import time

from _common import load_torch

import numpy as np

import profundo

torch = load_torch()

VOCAB, HIDDEN, STEPS, BATCH = 28, 256, 35, 32


def make_step(T, layer, X, Y):
    """d2l's RNNModel (concise): one-hot -> layer -> Linear, cross-entropy over every step."""
    T.manual_seed(0)
    rnn = getattr(T.nn, layer)(VOCAB, HIDDEN)
    head = T.nn.Linear(HIDDEN, VOCAB)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = T.optim.SGD(params, lr=1.0)
    loss_fn = T.nn.CrossEntropyLoss()
    x, y = T.tensor(X), T.tensor(Y)

    def step():
        inputs = T.nn.functional.one_hot(x.T, VOCAB).float()    # (STEPS, BATCH, VOCAB)
        out, _ = rnn(inputs)
        loss = loss_fn(head(out.reshape(-1, HIDDEN)), y.T.reshape(-1))
        opt.zero_grad()
        loss.backward()
        T.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    return step


# ------------------------------------------------------------------------------- hand-written NumPy LSTM
def numpy_lstm_step(X, Y):
    rng = np.random.default_rng(0)
    b = 1 / np.sqrt(HIDDEN)
    u = lambda *s: rng.uniform(-b, b, s).astype(np.float32)  # noqa: E731
    p = {"w_ih": u(VOCAB, 4 * HIDDEN), "w_hh": u(HIDDEN, 4 * HIDDEN), "b": u(4 * HIDDEN),
         "w_out": u(HIDDEN, VOCAB), "b_out": u(VOCAB)}
    xs, ys = X.T, Y.T.reshape(-1)
    H = HIDDEN

    def sigmoid(a, out):
        np.negative(a, out=out)
        np.exp(out, out=out)
        out += 1
        np.reciprocal(out, out=out)

    def step(lr=1.0):
        onehot = np.zeros((STEPS, BATCH, VOCAB), np.float32)
        onehot[np.arange(STEPS)[:, None], np.arange(BATCH)[None, :], xs] = 1
        xw = (onehot.reshape(-1, VOCAB) @ p["w_ih"] + p["b"]).reshape(STEPS, BATCH, 4 * H)
        gates = np.empty_like(xw)
        hs = np.empty((STEPS + 1, BATCH, H), np.float32)
        cs = np.empty((STEPS + 1, BATCH, H), np.float32)
        tcs = np.empty((STEPS, BATCH, H), np.float32)
        hs[0] = cs[0] = 0
        for t in range(STEPS):
            a = xw[t] + hs[t] @ p["w_hh"]
            g = gates[t]
            sigmoid(a, g)                                          # i, f, (g), o: g overwritten below
            np.tanh(a[:, 2 * H:3 * H], out=g[:, 2 * H:3 * H])
            cs[t + 1] = g[:, H:2 * H] * cs[t] + g[:, :H] * g[:, 2 * H:3 * H]
            np.tanh(cs[t + 1], out=tcs[t])
            np.multiply(g[:, 3 * H:], tcs[t], out=hs[t + 1])
        out = hs[1:].reshape(-1, H)
        z = out @ p["w_out"] + p["b_out"]
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        dz = e / e.sum(1, keepdims=True)
        dz[np.arange(len(ys)), ys] -= 1
        dz /= len(ys)
        grads = {"w_out": out.T @ dz, "b_out": dz.sum(0)}
        dhs = (dz @ p["w_out"].T).reshape(STEPS, BATCH, H)
        da = np.empty_like(gates)
        dh = np.zeros((BATCH, H), np.float32)
        dc = np.zeros((BATCH, H), np.float32)
        for t in range(STEPS - 1, -1, -1):
            dh += dhs[t]
            g, tc = gates[t], tcs[t]
            i, f, gg, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            dc += dh * o * (1 - tc * tc)
            d = da[t]
            np.multiply(dc * gg, i * (1 - i), out=d[:, :H])
            np.multiply(dc * cs[t], f * (1 - f), out=d[:, H:2 * H])
            np.multiply(dc * i, 1 - gg * gg, out=d[:, 2 * H:3 * H])
            np.multiply(dh * tc, o * (1 - o), out=d[:, 3 * H:])
            dc *= f
            dh = d @ p["w_hh"].T
        flat = da.reshape(-1, 4 * H)
        grads["w_ih"] = onehot.reshape(-1, VOCAB).T @ flat
        grads["w_hh"] = hs[:-1].reshape(-1, H).T @ flat
        grads["b"] = 2 * flat.sum(0)            # b_ih and b_hh, both (kept as one here: same gradient)
        norm = np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads.values()))
        coef = min(1.0, 1.0 / (norm + 1e-6))
        for k in p:
            p[k] -= (lr * coef) * grads[k]
    return step


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    X = rng.integers(0, VOCAB, (BATCH, STEPS))
    Y = rng.integers(0, VOCAB, (BATCH, STEPS))
    print(f"language-model training step (one-hot {VOCAB}, hidden {HIDDEN}, seq {STEPS}, batch {BATCH}, SGD + "
          f"clipping), float32, 1 thread, backend {profundo.get_backend()!r}, median of {args.rounds} interleaved runs "
          "[25th-75th percentile]")
    print(f"{'case':<10} {'profundo':>24} {'torch':>24} {'numpy':>24} {'ratio':>7} {'goal':>6}")
    for layer, goal in [("LSTM", 1.5), ("GRU", None), ("RNN", None)]:
        fns, labels = [make_step(profundo, layer, X, Y)], ["profundo"]
        if torch is not None:
            fns.append(make_step(torch, layer, X, Y))
            labels.append("torch")
        if layer == "LSTM":
            fns.append(numpy_lstm_step(X, Y))
            labels.append("numpy")
        res = dict(zip(labels, interleaved_median(fns, args.rounds)))

        def cell(k):
            if k not in res:
                return f"{'-':>24}"
            m, lo, hi = (v * 1e3 for v in res[k])
            return f"{m:7.2f} [{lo:6.2f}-{hi:6.2f}] ms"
        ratio = res["profundo"][0] / res["torch"][0] if "torch" in res else float("nan")
        g = f"{goal:5.1f}x" if goal else f"{'-':>6}"
        print(f"{layer:<10} {cell('profundo')} {cell('torch')} {cell('numpy')} {ratio:6.2f}x {g}")


if __name__ == "__main__":
    main()
