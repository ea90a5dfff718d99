"""Embedding lookups (Unit 3) and row-sparse gradients (the base of Unit 4's recommenders),
profundo vs PyTorch (1 thread), float32:

- forward + backward of ``F.embedding`` for a character vocabulary (28 x 32), a word vocabulary
  (10,000 x 256), batch 32 x seq 35;
- one training step of matrix factorization (two embedding tables, a dot product, MSE, SGD) with
  dense and with sparse (``sparse=True``) gradients: MovieLens-100K's shape (943 users x 1,682
  items, 30 factors, batch 1,024) and a large table (200,000 users x 50,000 items, 32 factors,
  batch 8,192), where a dense gradient costs O(table) per step and a sparse one O(batch).

    PYTHONPATH=src python benchmarks/embedding.py
"""
import numpy as np

from _common import interleaved, load_torch, table

import profundo

torch = load_torch()


def lookup_case(lib, num, dim, shape, seed=0):
    rng = np.random.default_rng(seed)
    w = lib.tensor(rng.standard_normal((num, dim)).astype(np.float32), requires_grad=True)
    idx = lib.tensor(rng.integers(0, num, shape))
    up = lib.tensor(rng.standard_normal(shape + (dim,)).astype(np.float32))

    def step():
        w.grad = None
        lib.nn.functional.embedding(idx, w).backward(up)
    return step


def mf_case(lib, users, items, factors, batch, sparse, seed=0):
    rng = np.random.default_rng(seed)
    P = lib.nn.Embedding(users, factors, sparse=sparse)
    Q = lib.nn.Embedding(items, factors, sparse=sparse)
    with lib.no_grad():
        P.weight.copy_(lib.tensor(rng.standard_normal((users, factors)).astype(np.float32) * 0.1))
        Q.weight.copy_(lib.tensor(rng.standard_normal((items, factors)).astype(np.float32) * 0.1))
    opt = lib.optim.SGD(list(P.parameters()) + list(Q.parameters()), lr=0.05)
    u = lib.tensor(rng.integers(0, users, batch))
    i = lib.tensor(rng.integers(0, items, batch))
    r = lib.tensor(rng.uniform(1, 5, batch).astype(np.float32))

    def step():
        opt.zero_grad()
        loss = ((P(u) * Q(i)).sum(1) - r).pow(2).mean()
        loss.backward()
        opt.step()
    return step


def main():
    rows = []
    for name, args in [("embedding fwd+bwd 28x32, idx 32x35", (28, 32, (32, 35))),
                       ("embedding fwd+bwd 10000x256, idx 32x35", (10000, 256, (32, 35)))]:
        fns = [lookup_case(profundo, *args)] + ([lookup_case(torch, *args)] if torch else [])
        t = interleaved(fns)
        rows.append((name, t[0], t[1] if torch else None))
    table("F.embedding, forward + backward (dense gradient)", rows)
    rows = []
    for name, args in [("MF step 943x1682x30, batch 1024", (943, 1682, 30, 1024)),
                       ("MF step 200000x50000x32, batch 8192", (200000, 50000, 32, 8192))]:
        for sparse in (False, True):
            fns = [mf_case(profundo, *args, sparse)] + ([mf_case(torch, *args, sparse)] if torch else [])
            t = interleaved(fns, rounds=3)
            rows.append((f"{name}, {'sparse' if sparse else 'dense'}", t[0], t[1] if torch else None))
    table("Matrix factorization, one SGD step", rows, unit="ms", scale=1e3)


if __name__ == "__main__":
    main()
