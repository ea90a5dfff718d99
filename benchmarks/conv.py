"""Convolution forward + backward: profundo vs PyTorch vs the best hand-written NumPy.

The layer shapes of the issue's two targets (float32, 1 thread):
  LeNet (batch 256, 1x28x28):  conv 1->6 5x5 pad 2, conv 6->16 5x5 (after a 2x2 pool: 14x14);
  small ResNet (batch 64, 1x28x28): a 3x3 stem 1->32, 3x3 convs of 32 (28x28) and 64 (14x14)
  channels, the stride-2 3x3 and 1x1 convs that enter the second stage.
Each case times ``y = conv(x, w, b); y.backward(g)`` (the gradient of x only where a network needs
it: not for the first layer).  "floor" is the same step written directly in NumPy with the fastest
formulation found (below); "ratio" columns are medians over interleaved rounds (each round times
every contender once, best of a few calls, in CPU time), with the min-max spread of the per-round
ratios.

    PYTHONPATH=src python benchmarks/conv.py              # the table
    PYTHONPATH=src python benchmarks/conv.py --formulations  # the formulations that were compared

Formulations compared (``--formulations``: each forward + both gradients, the columns not kept;
CPU ms on a shared 2-core machine, numbers from one run):
  window    im2col through the strided window view (``sliding_windows``), transposed to (N, C*K, L)
            by one reshape copy, one batched matmul; col2im as K strided ``+=`` (the reference
            backend): LeNet conv2 41.9, ResNet 32->32 124.7, 64->64 71.2;
  flat      stride 1: each padded plane as one flat row, outputs computed at every padded column, so
            each kernel offset is a constant shift and im2col copies / col2im adds are contiguous
            runs: 41.5, 103.3, 73.1.  It loses in the forward and the weight gradient (W_pad / W_out
            more matmul columns and a crop: 0.8-0.95x of window's), wins in col2im (1.2-1.6x): the
            NumPy backend keeps it for the input gradient only;
  tensordot ``np.tensordot`` over the window view (NumPy copies in a worse order, output
            (N, OH, OW, O) transposed back): 54.3, 259.3, 131.3;
  einsum    ``np.einsum('nchwkl,ockl->nohw', windows, w, optimize=True)`` (a tensordot inside):
            34.1, 116.6, 67.9; its forward is 1.2-1.4x slower than window's, its weight gradient
            (one GEMM over n, h, w) 1.2x faster when the columns are recomputed, slower than
            window's with the forward's columns kept.
What profundo does (the floor too): window forward, its columns kept for the weight gradient (when
they take at most 64 MiB), and the input gradient as a convolution of g with the flipped kernel
when O <= C (im2col of g: 1.5-2x faster than col2im there), else a flat col2im.
"""
import argparse
import itertools
import statistics
import sys
import time
import tracemalloc

from _common import load_torch  # first: it sets 1 thread for NumPy's BLAS before NumPy loads

import numpy as np  # noqa: E402

import profundo  # noqa: E402
import profundo.nn.functional as F  # noqa: E402

CASES = [  # name, N, C, O, H, k, stride, padding, input needs grad
    ("lenet conv1 1->6 5x5 p2 @28", 256, 1, 6, 28, 5, 1, 2, False),
    ("lenet conv2 6->16 5x5 @14", 256, 6, 16, 14, 5, 1, 0, True),
    ("resnet stem 1->32 3x3 p1 @28", 64, 1, 32, 28, 3, 1, 1, False),
    ("resnet 32->32 3x3 p1 @28", 64, 32, 32, 28, 3, 1, 1, True),
    ("resnet 32->64 3x3 s2 p1 @28", 64, 32, 64, 28, 3, 2, 1, True),
    ("resnet 32->64 1x1 s2 @28", 64, 32, 64, 28, 1, 2, 0, True),
    ("resnet 64->64 3x3 p1 @14", 64, 64, 64, 14, 3, 1, 1, True),
]


def call_time(fn, calls=3):
    """CPU seconds of one call (best of ``calls``): process time, not wall time, so that other
    programs on a shared machine do not count (everything here runs on 1 thread)."""
    best = float("inf")
    for _ in range(calls):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def median_ratios(fns, rounds):
    """Per contender: its median time over ``rounds`` interleaved rounds, and the median and min/max
    of its per-round ratio to contender 0."""
    for f in fns:
        f()  # warm up
    times = [[] for _ in fns]
    for _ in range(rounds):
        for i, f in enumerate(fns):
            times[i].append(call_time(f))
    out = []
    for ts in times:
        ratios = [a / b for a, b in zip(times[0], ts)]  # contender 0's time over this one's
        out.append((statistics.median(ts), statistics.median(ratios), min(ratios), max(ratios)))
    return out


# ---------------------------------------------------------------- the hand-written NumPy floor
def _window_cols(xp, k, s, out):
    """im2col of a padded (N, C, H, W) array through the window view: (N, C * k * k, L)."""
    n, c = xp.shape[:2]
    v = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s]
    return v.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * k * k, out * out)


def _padded(x, pad):
    if not pad:
        return x
    n, c, h, _ = x.shape
    xp = np.zeros((n, c, h + 2 * pad, h + 2 * pad), x.dtype)
    xp[:, :, pad:pad + h, pad:pad + h] = x
    return xp


def floor_step(x, w, b, g, stride, pad, input_grad):
    """Forward + backward of conv2d in plain NumPy, the fastest formulations found: window im2col
    and one matmul forward, the same columns reused for the weight gradient; the input gradient as
    a convolution of g with the flipped kernel when O <= C, else as a flat col2im (stride 1) or a
    strided col2im."""
    n, c, h, _ = x.shape
    o, _, k, _ = w.shape
    out = (h + 2 * pad - k) // stride + 1
    cols = _window_cols(_padded(x, pad), k, stride, out)
    y = (w.reshape(o, -1) @ cols).reshape(n, o, out, out)
    y += b.reshape(o, 1, 1)
    gm = g.reshape(n, o, out * out)
    gw = (gm @ cols.transpose(0, 2, 1)).sum(0)
    gb = g.sum((0, 2, 3))
    if not input_grad:
        return y, gw, gb
    if stride == 1 and o <= c and pad <= k - 1:
        wf = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(c, -1)
        gx = (wf @ _window_cols(_padded(g, k - 1 - pad), k, 1, h)).reshape(n, c, h, h)
        return y, gw, gb, gx
    hp = h + 2 * pad
    if stride == 1:  # flat col2im
        plane, extra, length = hp * hp, k - 1, out * hp
        gf = np.zeros((n, o, out, hp), x.dtype)
        gf[..., :out] = g
        gc = (w.reshape(o, -1).T @ gf.reshape(n, o, length)).reshape(n, c, k * k, length)
        gbuf = np.zeros(n * c * plane + extra, x.dtype)
        it = gbuf.itemsize
        for j, (i1, i2) in enumerate(itertools.product(range(k), range(k))):
            dst = np.lib.stride_tricks.as_strided(gbuf[i1 * hp + i2:], (n, c, length), (c * plane * it, plane * it, it))
            dst += gc[:, :, j]
        gx = gbuf[:n * c * plane].reshape(n, c, hp, hp)[:, :, pad:pad + h, pad:pad + h].copy()
        return y, gw, gb, gx
    gc = (w.reshape(o, -1).T @ gm).reshape(n, c, k, k, out, out)
    gx = np.zeros((n, c, hp, hp), x.dtype)
    for i1, i2 in itertools.product(range(k), range(k)):
        gx[:, :, i1:i1 + stride * (out - 1) + 1:stride, i2:i2 + stride * (out - 1) + 1:stride] += gc[:, :, i1, i2]
    gx = gx[:, :, pad:pad + h, pad:pad + h].copy() if pad else gx
    return y, gw, gb, gx


def flat_step(x, w, b, g, stride, pad, input_grad):
    """The flat formulation everywhere (stride 1; --formulations): forward, weight gradient and
    col2im over flat padded planes."""
    n, c, h, _ = x.shape
    o, _, k, _ = w.shape
    hp = h + 2 * pad
    if stride == 1:  # flat: constant shifts of flat padded planes (see the module docstring)
        out, plane, extra = hp - k + 1, hp * hp, k - 1
        length = out * hp
        buf = np.zeros(n * c * plane + extra, x.dtype)
        buf[:n * c * plane].reshape(n, c, hp, hp)[:, :, pad:pad + h, pad:pad + h] = x
        it = buf.itemsize
        cols = np.lib.stride_tricks.as_strided(buf, (n, c, k, k, length),
                                               (c * plane * it, plane * it, hp * it, it, it)).reshape(n, c * k * k,
                                                                                                      length)
        y = np.ascontiguousarray((w.reshape(o, -1) @ cols).reshape(n, o, out, hp)[..., :out])
        y += b.reshape(o, 1, 1)
        gf = np.zeros((n, o, out, hp), x.dtype)
        gf[..., :out] = g
        gf = gf.reshape(n, o, length)
        gw = (gf @ cols.transpose(0, 2, 1)).sum(0)
        gb = g.sum((0, 2, 3))
        if input_grad:
            gc = (w.reshape(o, -1).T @ gf).reshape(n, c, k * k, length)
            gbuf = np.zeros(n * c * plane + extra, x.dtype)
            for j, (i1, i2) in enumerate(itertools.product(range(k), range(k))):
                dst = np.lib.stride_tricks.as_strided(gbuf[i1 * hp + i2:], (n, c, length),
                                                      (c * plane * it, plane * it, it))
                dst += gc[:, :, j]
            gx = gbuf[:n * c * plane].reshape(n, c, hp, hp)[:, :, pad:pad + h, pad:pad + h].copy()
        return y, gw, gb
    out = (hp - k) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    cols = _window_cols(xp, k, stride, out)
    y = (w.reshape(o, -1) @ cols).reshape(n, o, out, out)
    y += b.reshape(o, 1, 1)
    gm = g.reshape(n, o, out * out)
    gw = (gm @ cols.transpose(0, 2, 1)).sum(0)
    gb = g.sum((0, 2, 3))
    if input_grad:
        gc = (w.reshape(o, -1).T @ gm).reshape(n, c, k, k, out, out)
        gx = np.zeros(xp.shape, x.dtype)
        for i1, i2 in itertools.product(range(k), range(k)):
            gx[:, :, i1:i1 + stride * (out - 1) + 1:stride, i2:i2 + stride * (out - 1) + 1:stride] += gc[:, :, i1, i2]
        gx = gx[:, :, pad:pad + h, pad:pad + h].copy() if pad else gx
    return y, gw, gb


# ---------------------------------------------------------------- other formulations (--formulations)
def tensordot_step(x, w, b, g, stride, pad, input_grad):
    n, c, h, _ = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    v = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    y = np.ascontiguousarray(np.tensordot(v, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2))
    y += b.reshape(o, 1, 1)
    gw = np.tensordot(g, v, axes=([0, 2, 3], [0, 2, 3]))
    if input_grad:
        gc = np.tensordot(g, w, axes=([1], [0]))  # (N, OH, OW, C, k, k)
        gx = np.zeros(xp.shape, x.dtype)
        out = y.shape[2]
        for i1, i2 in itertools.product(range(k), range(k)):
            gx[:, :, i1:i1 + stride * (out - 1) + 1:stride, i2:i2 + stride * (out - 1) + 1:stride] += \
                gc[:, :, :, :, i1, i2].transpose(0, 3, 1, 2)
    return y, gw


def einsum_step(x, w, b, g, stride, pad, input_grad):
    n, c, h, _ = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    v = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::stride, ::stride]
    y = np.einsum("nchwkl,ockl->nohw", v, w, optimize=True)
    gw = np.einsum("nohw,nchwkl->ockl", g, v, optimize=True)
    if input_grad:
        gc = np.einsum("nohw,ockl->nchwkl", g, w, optimize=True)
        gx = np.zeros(xp.shape, x.dtype)
        out = y.shape[2]
        for i1, i2 in itertools.product(range(k), range(k)):
            gx[:, :, i1:i1 + stride * (out - 1) + 1:stride, i2:i2 + stride * (out - 1) + 1:stride] += gc[..., i1, i2]
    return y, gw


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--formulations", action="store_true", help="compare the NumPy formulations")
    args = parser.parse_args()
    torch = load_torch()
    rng = np.random.default_rng(0)
    if args.formulations:
        print(f"\nNumPy formulations, forward + backward, median ms over {args.rounds} interleaved rounds "
              "(ratio: time / window's)")
        print(f"{'case':<32} {'window':>9} {'flat':>9} {'tensordot':>10} {'einsum':>9}")
    else:
        print(f"\nconv2d forward + backward, float32, 1 thread; median ms over {args.rounds} interleaved rounds; "
              "ratios: median [min-max] of the per-round ratios")
        print(f"{'case':<32} {'profundo':>9} {'floor':>8} {'torch':>8} {'/floor':>17} {'/torch':>17} {'peak MB':>8}")
    for name, n, c, o, h, k, stride, pad, input_grad in CASES:
        x = rng.standard_normal((n, c, h, h)).astype(np.float32)
        w = (rng.standard_normal((o, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
        b = rng.standard_normal(o).astype(np.float32)
        out = (h + 2 * pad - k) // stride + 1
        g = rng.standard_normal((n, o, out, out)).astype(np.float32)
        if args.formulations:
            def window():
                be = profundo._backend.BACKENDS["reference"]
                be.conv_forward(x, w, None, (stride,) * 2, ((pad, pad),) * 2, (1, 1), 1)
                be.conv_weight_grad(x, g, w.shape, (stride,) * 2, ((pad, pad),) * 2, (1, 1), 1)
                if input_grad:
                    be.conv_input_grad(g, w, x.shape, (stride,) * 2, ((pad, pad),) * 2, (1, 1), 1)
            fns = [window, lambda: flat_step(x, w, b, g, stride, pad, input_grad),
                   lambda: tensordot_step(x, w, b, g, stride, pad, input_grad),
                   lambda: einsum_step(x, w, b, g, stride, pad, input_grad)]
            res = median_ratios(fns, args.rounds)
            cells = [f"{res[0][0] * 1e3:9.1f}"] + [f"{r[0] * 1e3:7.1f}ms" if stride == 1 or i != 1 else f"{'-':>9}"
                                                  for i, r in enumerate(res[1:], 1)]
            print(f"{name:<32} " + " ".join(cells))
            sys.stdout.flush()
            continue
        px = profundo.tensor(x, requires_grad=input_grad)
        pg = profundo.tensor(g)
        pw = profundo.tensor(w, requires_grad=True)
        pb = profundo.tensor(b, requires_grad=True)

        def ours():
            pw.grad = pb.grad = px.grad = None
            F.conv2d(px, pw, pb, stride=stride, padding=pad).backward(pg)

        fns = [ours, lambda: floor_step(x, w, b, g, stride, pad, input_grad)]
        if torch is not None:
            tx = torch.tensor(x, requires_grad=input_grad)
            tw, tb, tg = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True), torch.tensor(g)

            def theirs():
                tw.grad = tb.grad = tx.grad = None
                torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad).backward(tg)
            fns.append(theirs)
        res = median_ratios(fns, args.rounds)
        tracemalloc.start()
        ours()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        row = f"{name:<32} {res[0][0] * 1e3:7.1f}ms {res[1][0] * 1e3:6.1f}ms "
        row += f"{res[2][0] * 1e3:6.1f}ms " if torch is not None else f"{'-':>8} "
        fl = res[1]
        row += f"{fl[1]:5.2f}x [{fl[2]:.2f}-{fl[3]:.2f}] "
        if torch is not None:
            tr = res[2]
            row += f"{tr[1]:5.2f}x [{tr[2]:.2f}-{tr[3]:.2f}] "
        print(row + f"{peak:8.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
