"""DataLoader epoch: profundo vs torch.utils.data, in the same run.

One epoch over 60,000 synthetic 28x28 float32 images with int64 labels,
batch 256, shuffled (like Fashion-MNIST in the course):
1. TensorDataset (the usual case);
2. a map-style Dataset whose __getitem__ returns (image, label) one sample at a
   time, collated by default_collate (the generic path);
3. (2) with 2 worker processes.

Run: python benchmarks/dataloader.py   (ratio < 1 means profundo is faster)
"""
import time

from _common import load_torch, table

import numpy as np

import profundo
import profundo.utils.data as pdata

torch = load_torch()
N, BATCH = 60_000, 256
rng = np.random.default_rng(0)
IMAGES = rng.random((N, 1, 28, 28), dtype=np.float32)
LABELS = rng.integers(0, 10, N)


def per_sample_dataset(T, base):
    class Images(base):
        def __init__(self):
            self.x, self.y = T.from_numpy(IMAGES), T.from_numpy(LABELS)

        def __len__(self):
            return N

        def __getitem__(self, i):
            return self.x[i], self.y[i]
    return Images()


def epoch_time(loader, rounds):
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        n = sum(len(y) for _, y in loader)
        best = min(best, time.perf_counter() - t0)
        assert n == N
    return best


def cases(T, data):
    tensor_ds = data.TensorDataset(T.from_numpy(IMAGES), T.from_numpy(LABELS))
    per_sample = per_sample_dataset(T, data.Dataset)
    return [
        ("TensorDataset, batch 256, shuffle", data.DataLoader(tensor_ds, batch_size=BATCH, shuffle=True), 5),
        ("per-sample Dataset, batch 256, shuffle", data.DataLoader(per_sample, batch_size=BATCH, shuffle=True), 2),
        ("per-sample Dataset, 2 workers", data.DataLoader(per_sample, batch_size=BATCH, shuffle=True,
                                                          num_workers=2), 2),
    ]


def main():
    ours = cases(profundo, pdata)
    theirs = cases(torch, torch.utils.data) if torch else [None] * len(ours)
    rows = []
    for (name, loader, rounds), ref in zip(ours, theirs):
        t_ref = epoch_time(ref[1], rounds) if ref else None
        rows.append((name, epoch_time(loader, rounds), t_ref))
    table(f"DataLoader: one epoch of {N:,} 28x28 images (best of a few epochs)", rows, unit="ms", scale=1e3)


if __name__ == "__main__":
    main()
