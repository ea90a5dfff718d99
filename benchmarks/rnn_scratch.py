"""d2l's RNN from scratch, one training step: profundo vs PyTorch (CPU, 1 thread), in the same run.

The character language model of d2l 9.5: one-hot inputs (vocab 28), ``RNNScratch`` (hidden 32,
``tanh(X W_xh + H W_hh + b_h)`` once per time step), the output layer ``H W_hq + b_q`` per step
and ``torch.stack``, cross-entropy, backward, d2l's gradient clipping (``clip_gradients`` with
``grad_clip_val=1``) and SGD (lr 1), on a batch of 32 sequences of 35 steps.  Hundreds of tiny
ops per step: the per-op overhead of the framework decides the time (issue 13's goal: <= 1.0x).

The model is written inline as the book writes it (``torch.matmul``, ``torch.tanh``,
``torch.stack``, ``F.one_hot``, ``for X in inputs``), once for both libraries.  The NumPy floor
row is the same step hand-written for this network (forward, backpropagation through time,
clipping, update), the least a framework on NumPy could do.

Run: python benchmarks/rnn_scratch.py   (ratio < 1: profundo faster)
"""
import statistics
import time

from _common import load_torch, round_times, table

import numpy as np

import profundo

torch = load_torch()
VOCAB, HIDDEN, STEPS, BATCH, SIGMA, LR, CLIP = 28, 32, 35, 32, 0.01, 1.0, 1.0
rng = np.random.default_rng(0)
TOKENS = rng.integers(0, VOCAB, (BATCH, STEPS + 1))
W0 = {"W_xh": rng.standard_normal((VOCAB, HIDDEN)) * SIGMA, "W_hh": rng.standard_normal((HIDDEN, HIDDEN)) * SIGMA,
      "b_h": np.zeros(HIDDEN), "W_hq": rng.standard_normal((HIDDEN, VOCAB)) * SIGMA, "b_q": np.zeros(VOCAB)}
W0 = {k: v.astype(np.float32) for k, v in W0.items()}


def make(T):
    """d2l's RNNScratch and RNNLMScratch (sections 9.5.1-9.5.2) and one Trainer step (3.4, 9.5.4)."""
    nn, F = T.nn, T.nn.functional

    class RNNScratch(nn.Module):
        def __init__(self, num_inputs, num_hiddens, sigma=0.01):
            super().__init__()
            self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
            self.W_xh = nn.Parameter(T.tensor(W0["W_xh"]))  # torch.randn(num_inputs, num_hiddens) * sigma
            self.W_hh = nn.Parameter(T.tensor(W0["W_hh"]))
            self.b_h = nn.Parameter(T.tensor(W0["b_h"]))

        def forward(self, inputs, state=None):
            if state is None:
                state = T.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
            else:
                state, = state
            outputs = []
            for X in inputs:  # inputs: (num_steps, batch_size, num_inputs)
                state = T.tanh(T.matmul(X, self.W_xh) + T.matmul(state, self.W_hh) + self.b_h)
                outputs.append(state)
            return outputs, state

    class RNNLMScratch(nn.Module):
        def __init__(self, rnn, vocab_size):
            super().__init__()
            self.rnn, self.vocab_size = rnn, vocab_size
            self.W_hq = nn.Parameter(T.tensor(W0["W_hq"]))
            self.b_q = nn.Parameter(T.tensor(W0["b_q"]))

        def one_hot(self, X):  # output shape: (num_steps, batch_size, vocab_size)
            return F.one_hot(X.T, self.vocab_size).type(T.float32)

        def output_layer(self, rnn_outputs):
            outputs = [T.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
            return T.stack(outputs, 1)

        def forward(self, X, state=None):
            embs = self.one_hot(X)
            rnn_outputs, _ = self.rnn(embs, state)
            return self.output_layer(rnn_outputs)

        def loss(self, Y_hat, Y):  # d2l.Classifier.loss, averaged
            Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
            Y = Y.reshape((-1,))
            return F.cross_entropy(Y_hat, Y, reduction="mean")

    def clip_gradients(grad_clip_val, model):  # d2l.Trainer.clip_gradients
        params = [p for p in model.parameters() if p.requires_grad]
        norm = T.sqrt(sum(T.sum((p.grad ** 2)) for p in params))
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm

    model = RNNLMScratch(RNNScratch(VOCAB, HIDDEN, SIGMA), VOCAB)
    optim = T.optim.SGD(model.parameters(), lr=LR)
    X, Y = T.tensor(TOKENS[:, :-1]), T.tensor(TOKENS[:, 1:])

    def step():  # d2l.Trainer.fit_epoch, one batch
        loss = model.loss(model(X), Y)
        optim.zero_grad()
        with T.no_grad():
            loss.backward()
            clip_gradients(CLIP, model)
            optim.step()
        return loss

    def forward():
        with T.no_grad():
            return model.loss(model(X), Y)
    return step, forward


def numpy_floor():
    """The same step by hand in NumPy: forward through time, softmax cross-entropy, backpropagation
    through time (the tanh derivative from the saved states), d2l's clipping, SGD."""
    p = {k: v.copy() for k, v in W0.items()}
    X, Y = TOKENS[:, :-1].T, TOKENS[:, 1:]  # X (steps, batch); Y (batch, steps)
    eye = np.eye(VOCAB, dtype=np.float32)

    def forward():
        embs = eye[X]  # one-hot (steps, batch, vocab)
        H = np.empty((STEPS, BATCH, HIDDEN), np.float32)
        h = np.zeros((BATCH, HIDDEN), np.float32)
        for t in range(STEPS):
            z = embs[t] @ p["W_xh"]
            z += h @ p["W_hh"]
            z += p["b_h"]
            h = H[t] = np.tanh(z)
        logits = H.reshape(-1, HIDDEN) @ p["W_hq"]  # (steps * batch, vocab), rows in time-major order
        logits += p["b_q"]
        return embs, H, logits

    def step():
        embs, H, z = forward()
        target = Y.T.reshape(-1)  # time-major, as the logits' rows
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        s = e.sum(1, keepdims=True)
        loss = np.log(s[:, 0]).mean() - z[np.arange(len(target)), target].mean()
        e /= s
        e[np.arange(len(target)), target] -= 1
        e /= len(target)
        g = {"W_hq": H.reshape(-1, HIDDEN).T @ e, "b_q": e.sum(0)}
        gH = (e @ p["W_hq"].T).reshape(STEPS, BATCH, HIDDEN)
        gW_xh, gW_hh = np.zeros_like(p["W_xh"]), np.zeros_like(p["W_hh"])
        gb = np.zeros_like(p["b_h"])
        dh = np.zeros((BATCH, HIDDEN), np.float32)
        for t in reversed(range(STEPS)):
            dh += gH[t]
            h = H[t]
            dz = dh * (1 - h * h)
            gW_xh += embs[t].T @ dz
            if t:
                gW_hh += H[t - 1].T @ dz
            gb += dz.sum(0)
            dh = dz @ p["W_hh"].T
        g.update(W_xh=gW_xh, W_hh=gW_hh, b_h=gb)
        norm = np.sqrt(sum((v * v).sum() for v in g.values()))
        scale = CLIP / norm if norm > CLIP else 1.0
        for k in p:
            p[k] -= LR * scale * g[k]
        return loss

    return step, lambda: forward()


def check(steps=3):
    """The two libraries train alike: the same losses over the first steps (float32 tolerance)."""
    if not torch:
        return
    fns = [make(T)[0] for T in (profundo, torch)]
    floor = numpy_floor()[0]
    for i in range(steps):
        a, b = (float(f().detach()) for f in fns)
        c = float(floor())
        assert abs(a - b) < 1e-4 * max(1.0, abs(b)) and abs(c - b) < 1e-4 * max(1.0, abs(b)), (i, a, b, c)


def medians(fns, rounds=7, n=5):
    """Median over ``rounds`` interleaved rounds of each function's best-of-``n`` time (the order
    alternates per round, so that a noisy moment hits all alike), and the per-round spread.
    Times are the process's CPU time (``time.process_time``): a step of several milliseconds is
    often descheduled on a shared machine, and wall time then counts the waits (with one thread
    for BLAS and for PyTorch, CPU time is the step's own cost)."""
    times = round_times(fns, rounds, n, clock=time.process_time)
    return [statistics.median(t) for t in times], times


def main():
    check()
    libs = [profundo] + ([torch] if torch else [])
    rows, floor_rows = [], []
    for name, which in [("train step (fwd, CE, bwd, clip, SGD)", 0), ("forward + loss only (no_grad)", 1)]:
        fns = [make(T)[which] for T in libs] + [numpy_floor()[which]]
        med, times = medians(fns)
        rows.append((name, med[0], med[1] if torch else None))
        floor_rows.append((name, med[0], med[-1]))
        if torch:
            ratios = sorted(a / b for a, b in zip(times[0], times[1]))
            print(f"{name}: profundo/torch per round {ratios[0]:.2f}-{ratios[-1]:.2f}")
    table(f"d2l RNN from scratch: vocab {VOCAB}, hidden {HIDDEN}, {STEPS} steps, batch {BATCH}, float32",
          rows, unit="ms", scale=1e3)
    table("the same against hand-written NumPy (numpy_floor)", floor_rows, unit="ms", scale=1e3, ref="numpy")
    if torch:
        print("NumPy floor / torch: " + ", ".join(f"{r[0]} {f[2] / r[2]:.2f}x" for r, f in zip(rows, floor_rows)))


if __name__ == "__main__":
    main()
