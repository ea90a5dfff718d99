"""Recurrent language-model training step: profundo vs PyTorch (CPU, 1 thread) vs hand-written NumPy, in one run.

One step = one-hot inputs (vocab 28, d2l's character model), a recurrent layer (hidden 256), a Linear head
over every step, cross-entropy, backward, gradient clipping (max norm 1) and an SGD update (lr 1), float32,
sequence 35, batch 32, zero initial state.  Rows: LSTM (goal <= 1.5x PyTorch), GRU and RNN (tanh).
The NumPy column is the LSTM step written by hand for this network only (the same formulas and layout tricks
as profundo's NumPy kernels, no framework, and the one-hot product as a gather): the floor a framework on NumPy
can hope for.  Times are medians of interleaved runs (a noisy
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
    """The LSTM step by hand: feature-major (4H, B) gates (contiguous gate blocks), in-place elementwise
    work, sigmoid as 0.5 tanh(a / 2) + 0.5, one weight-gradient product per weight after the loop; the
    one-hot input projection is a row gather of W_ih's columns."""
    rng = np.random.default_rng(0)
    b = 1 / np.sqrt(HIDDEN)
    H, G, T, B = HIDDEN, 4 * HIDDEN, STEPS, BATCH
    p = {"w_ih": rng.uniform(-b, b, (G, VOCAB)), "w_hh": rng.uniform(-b, b, (G, H)), "b": rng.uniform(-b, b, (G, 1)),
         "w_out": rng.uniform(-b, b, (VOCAB, H)), "b_out": rng.uniform(-b, b, (VOCAB, 1))}
    p = {k: v.astype(np.float32) for k, v in p.items()}
    xs, ys = X.T, Y.T                                              # (T, B) tokens
    onehot = np.eye(VOCAB, dtype=np.float32)[xs.reshape(-1)]        # (T * B, V), for W_ih's gradient
    half, one = np.float32(0.5), np.float32(1)

    def sig_(a):
        a *= half
        np.tanh(a, out=a)
        a *= half
        a += half

    def step(lr=1.0, grads_out=None):
        w_ih, w_hh = p["w_ih"], p["w_hh"]
        gates = np.empty((T, G, B), np.float32)                    # one-hot @ W_ih^T is a gather of W_ih's columns
        np.add(w_ih.T[xs].transpose(0, 2, 1), p["b"], out=gates)
        hs = np.zeros((T + 1, H, B), np.float32)
        cs = np.zeros((T + 1, H, B), np.float32)
        tcs = np.empty((T, H, B), np.float32)
        tmp, ig = np.empty((G, B), np.float32), np.empty((H, B), np.float32)
        for t in range(T):
            a = gates[t]
            np.matmul(w_hh, hs[t], out=tmp)
            a += tmp
            sig_(a[:2 * H])
            sig_(a[3 * H:])
            np.tanh(a[2 * H:3 * H], out=a[2 * H:3 * H])
            np.multiply(a[H:2 * H], cs[t], out=cs[t + 1])
            np.multiply(a[:H], a[2 * H:3 * H], out=ig)
            cs[t + 1] += ig
            np.tanh(cs[t + 1], out=tcs[t])
            np.multiply(a[3 * H:], tcs[t], out=hs[t + 1])
        z = p["w_out"] @ hs[1:].transpose(1, 0, 2).reshape(H, T * B) + p["b_out"]   # (V, T * B)
        z -= z.max(0)
        e = np.exp(z)
        dz = e / e.sum(0)
        dz[ys.reshape(-1), np.arange(T * B)] -= 1
        dz /= T * B
        grads = {"w_out": dz @ hs[1:].transpose(1, 0, 2).reshape(H, T * B).T, "b_out": dz.sum(1, keepdims=True)}
        dhs = (p["w_out"].T @ dz).reshape(H, T, B)
        da = np.empty((G, T, B), np.float32)
        dh, dc = np.zeros((H, B), np.float32), np.zeros((H, B), np.float32)
        t1, sd = np.empty((H, B), np.float32), np.empty((G, B), np.float32)
        for t in range(T - 1, -1, -1):
            dh += dhs[:, t]
            a, tc, d = gates[t], tcs[t], da[:, t]
            np.multiply(tc, tc, out=t1)
            np.subtract(one, t1, out=t1)
            t1 *= a[3 * H:]
            t1 *= dh
            dc += t1
            np.subtract(one, a, out=sd)
            sd *= a
            np.multiply(a[2 * H:3 * H], a[2 * H:3 * H], out=sd[2 * H:3 * H])
            np.subtract(one, sd[2 * H:3 * H], out=sd[2 * H:3 * H])
            np.multiply(dc, a[2 * H:3 * H], out=d[:H])
            np.multiply(dc, cs[t], out=d[H:2 * H])
            np.multiply(dc, a[:H], out=d[2 * H:3 * H])
            np.multiply(dh, tc, out=d[3 * H:])
            d *= sd
            dc *= a[H:2 * H]
            np.matmul(w_hh.T, d, out=dh)
        flat = da.reshape(G, T * B)
        grads["w_hh"] = flat @ hs[:-1].transpose(0, 2, 1).reshape(T * B, H)
        grads["w_ih"] = flat @ onehot                              # (G, V)
        grads["b"] = flat.sum(1, keepdims=True)
        norm = np.sqrt(sum(float(np.einsum("i,i->", g.ravel(), g.ravel(), dtype=np.float64)) for g in grads.values()))
        coef = min(1.0, 1.0 / (norm + 1e-6))
        if grads_out is not None:  # (for checking this step against the frameworks)
            grads_out.update(grads, params=p)
        for k in p:
            p[k] -= np.float32(lr * coef) * grads[k]
    return step


# ------------------------------------------------------------------------------- measuring
def interleaved_median(fns, rounds):
    """Per-call seconds of each function, measured one call at a time in alternation: (median, p25, p75) of
    the wall-clock time, and the median CPU time of the process (less disturbed by other jobs on a shared
    machine: waiting for a core does not count)."""
    for f in fns:
        f()  # warm up
    times, cpu = [[] for _ in fns], [[] for _ in fns]
    for _ in range(rounds):
        for i, f in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            f()
            times[i].append(time.perf_counter() - t0)
            cpu[i].append(time.process_time() - c0)
    return [tuple(np.percentile(t, [50, 25, 75])) + (float(np.median(c)),) for t, c in zip(times, cpu)]


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
    print(f"{'case':<10} {'profundo':>24} {'torch':>24} {'numpy':>24} {'ratio':>7} {'goal':>6} {'CPU-time ratio':>15}")
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
            m, lo, hi = (v * 1e3 for v in res[k][:3])
            return f"{m:7.2f} [{lo:6.2f}-{hi:6.2f}] ms"
        ratio = res["profundo"][0] / res["torch"][0] if "torch" in res else float("nan")
        cpu_ratio = res["profundo"][3] / res["torch"][3] if "torch" in res else float("nan")
        g = f"{goal:5.1f}x" if goal else f"{'-':>6}"
        print(f"{layer:<10} {cell('profundo')} {cell('torch')} {cell('numpy')} {ratio:6.2f}x {g} {cpu_ratio:14.2f}x")


if __name__ == "__main__":
    main()
