"""Unit 2 layers, forward + backward, profundo vs PyTorch (1 thread) vs a hand-written NumPy floor:
max_pool2d 2x2/2 (LeNet's), max_pool2d 3x3/2 pad 1 (ResNet's stem), avg_pool2d 2x2/2 and
batch_norm in training mode (the small ResNet's shapes).

    PYTHONPATH=src python benchmarks/pool_norm.py
"""
import numpy as np

from _common import interleaved, load_torch

import profundo
from profundo.nn import functional as F

torch = load_torch()


def numpy_max_pool_2x2(x, g):
    """The floor: max of the four strided views, first-max masks for the backward."""
    n, c, h, w = x.shape
    v = x.reshape(n, c, h // 2, 2, w // 2, 2)
    views = [v[:, :, :, i, :, j] for i in range(2) for j in range(2)]
    m = np.maximum(np.maximum(views[0], views[1]), np.maximum(views[2], views[3]))
    gx = np.empty_like(x).reshape(v.shape)
    taken = np.zeros(m.shape, bool)
    for t, vw in enumerate(views):
        hit = (vw == m) & ~taken
        taken |= hit
        gx[:, :, :, t // 2, :, t % 2] = g * hit
    return m, gx


def numpy_batch_norm(x, g, eps=1e-5):
    """The floor: the closed-form training batch norm over (N, H, W) per channel, no affine."""
    n, c = x.shape[:2]
    x3 = x.reshape(n, c, -1)
    m = x3.shape[0] * x3.shape[2]
    mean = np.einsum("ncm->c", x3) / m
    xc = x3 - mean[:, None]
    var = np.einsum("ncm,ncm->c", xc, xc) / m
    inv = 1 / np.sqrt(var + eps)
    y = xc * inv[:, None]
    g3 = g.reshape(n, c, -1)
    db = np.einsum("ncm->c", g3)
    dw = np.einsum("ncm,ncm->c", g3, y)
    dx = (g3 - db[:, None] / m - y * (dw[:, None] / m)) * inv[:, None]
    return y, dx


def case(name, shape, ours_fn, torch_fn, floor_fn):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    xo = profundo.tensor(x, requires_grad=True)

    def ours():
        y = ours_fn(profundo, xo)
        y.backward(profundo.ones_like(y))
        xo.grad = None
    fns = [ours]
    if torch is not None:
        xt = torch.tensor(x, requires_grad=True)

        def theirs():
            y = torch_fn(torch, xt)
            y.backward(torch.ones_like(y))
            xt.grad = None
        fns.append(theirs)
    if floor_fn is not None:
        g = np.ones_like(ours_fn(profundo, xo).detach().numpy())
        fns.append(lambda: floor_fn(x, g))
    times = interleaved(fns)
    return name, times


def main():
    rows = []
    for name, shape, fn, floor in [
        ("max_pool2d 2x2/2 (256, 6, 28, 28)", (256, 6, 28, 28), lambda T, x: T.nn.functional.max_pool2d(x, 2),
         numpy_max_pool_2x2),
        ("max_pool2d 2x2/2 (256, 16, 10, 10)", (256, 16, 10, 10), lambda T, x: T.nn.functional.max_pool2d(x, 2),
         numpy_max_pool_2x2),
        ("max_pool2d 3x3/2 pad 1 (64, 32, 28, 28)", (64, 32, 28, 28),
         lambda T, x: T.nn.functional.max_pool2d(x, 3, 2, 1), None),
        ("avg_pool2d 2x2/2 (256, 6, 28, 28)", (256, 6, 28, 28), lambda T, x: T.nn.functional.avg_pool2d(x, 2), None),
        ("batch_norm train (64, 32, 28, 28)", (64, 32, 28, 28),
         lambda T, x: T.nn.functional.batch_norm(x, None, None, training=True), numpy_batch_norm),
        ("batch_norm train (64, 64, 14, 14)", (64, 64, 14, 14),
         lambda T, x: T.nn.functional.batch_norm(x, None, None, training=True), numpy_batch_norm),
    ]:
        label, times = case(name, shape, fn, fn, floor)
        rows.append((label, times, floor is not None))
    print(f"\n{'forward + backward':<44} {'profundo':>10} {'torch':>10} {'numpy':>10} {'vs torch':>9} {'vs numpy':>9}")
    for label, t, has_floor in rows:
        ours = t[0]
        th = t[1] if torch is not None else None
        fl = t[-1] if has_floor else None
        fmt = lambda v: f"{v * 1e3:8.2f}ms" if v else f"{'-':>10}"  # noqa: E731
        print(f"{label:<44} {fmt(ours)} {fmt(th)} {fmt(fl)} "
              f"{(f'{ours / th:8.2f}x' if th else '       -')} {(f'{ours / fl:8.2f}x' if fl else '       -')}")


if __name__ == "__main__":
    main()
