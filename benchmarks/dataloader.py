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


def epoch_time(loader):
    t0 = time.perf_counter()
    n = sum(len(y) for _, y in loader)
    assert n == N
    return time.perf_counter() - t0


def best_epochs(loaders, rounds):
    """Best epoch time of each loader, alternating between them so noise hits both alike."""
    best = [float("inf")] * len(loaders)
    for _ in range(rounds):
        for i, loader in enumerate(loaders):
            best[i] = min(best[i], epoch_time(loader))
    return best


def cases(T, data):
    tensor_ds = data.TensorDataset(T.from_numpy(IMAGES), T.from_numpy(LABELS))
    per_sample = per_sample_dataset(T, data.Dataset)
    return [
        ("TensorDataset, batch 256, shuffle", data.DataLoader(tensor_ds, batch_size=BATCH, shuffle=True), 5),
        ("per-sample Dataset, batch 256, shuffle", data.DataLoader(per_sample, batch_size=BATCH, shuffle=True), 5),
        ("per-sample Dataset, 2 workers", data.DataLoader(per_sample, batch_size=BATCH, shuffle=True,
                                                          num_workers=2), 3),
    ]


def main():
    ours = cases(profundo, pdata)
    theirs = cases(torch, torch.utils.data) if torch else [None] * len(ours)
    rows = []
    for (name, loader, rounds), ref in zip(ours, theirs):
        times = best_epochs([loader] + ([ref[1]] if ref else []), rounds)
        rows.append((name, times[0], times[1] if ref else None))
    table(f"DataLoader: one epoch of {N:,} 28x28 images (best of a few epochs)", rows, unit="ms", scale=1e3)


if __name__ == "__main__":
    main()
