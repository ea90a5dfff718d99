"""Optimizer steps on a large embedding table (Unit 4): a 1,000,000 x 32 float32 table and a
batch of 8,192 indices (repeats included), profundo vs PyTorch (1 thread):

- ``optim.SparseAdam`` on the row-sparse gradient of ``nn.Embedding(sparse=True)``: touches only
  the batch's rows, O(batch x dim);
- dense ``optim.Adam`` on the same gradient made dense: touches the whole table, O(table x dim);
- a whole training step (lookup, backward, SparseAdam step).

The gradient is made once and kept (the optimizers do not consume it), so the first two rows time
the optimizer step alone.

    PYTHONPATH=src python benchmarks/sparse_optim.py

Measured (two runs on a shared, busy 2-core machine; ms per step, profundo / torch):
SparseAdam step 18.4 / 17.9 and 24.8 / 33.5; dense Adam step 389 / 723 and 481 / 658;
lookup + backward + SparseAdam 23.9 / 21.9 and 5.7 / 11.8.  The sparse step is bound by
random row access into three 128 MB arrays (parameter, two moments): about 20x less than a
dense Adam step, which reads and writes the whole table.
"""
import numpy as np

from _common import interleaved, load_torch, table

import profundo

torch = load_torch()
ROWS, DIM, BATCH = 1_000_000, 32, 8_192


def setup(lib, seed=0):
    rng = np.random.default_rng(seed)
    emb = lib.nn.Embedding(ROWS, DIM, sparse=True)
    with lib.no_grad():
        emb.weight.copy_(lib.tensor(rng.standard_normal((ROWS, DIM)).astype(np.float32) * 0.1))
    idx = lib.tensor(rng.integers(0, ROWS, BATCH))
    up = lib.tensor(rng.standard_normal((BATCH, DIM)).astype(np.float32))
    return emb, idx, up


def optimizer_step(lib, dense):
    emb, idx, up = setup(lib)
    emb(idx).backward(up)
    if dense:
        emb.weight.grad = emb.weight.grad.to_dense()
        opt = lib.optim.Adam(emb.parameters(), lr=1e-3)
    else:
        opt = lib.optim.SparseAdam(emb.parameters(), lr=1e-3)
    return opt.step


def training_step(lib):
    emb, idx, up = setup(lib)
    opt = lib.optim.SparseAdam(emb.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        emb(idx).backward(up)
        opt.step()
    return step


def main():
    cases = [("SparseAdam step (sparse grad)", lambda lib: optimizer_step(lib, dense=False)),
             ("Adam step (dense grad)", lambda lib: optimizer_step(lib, dense=True)),
             ("lookup + backward + SparseAdam step", training_step)]
    rows = []
    for name, make in cases:
        fns = [make(profundo)] + ([make(torch)] if torch else [])
        times = interleaved(fns, rounds=3)
        rows.append((name, times[0], times[1] if torch else None))
    table(f"{ROWS:,} x {DIM} float32 table, batch {BATCH:,} (ms per step)", rows, unit="ms", scale=1e3)
    print(f"\nprofundo dense Adam / profundo SparseAdam: {rows[1][1] / rows[0][1]:.0f}x")


if __name__ == "__main__":
    main()
