"""Shared benchmark helpers: 1 thread for everyone, best-of-N timing, a table."""
import os

# one thread for NumPy's BLAS and for PyTorch: a second busy core makes timings noisy
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import sys  # noqa: E402
import time  # noqa: E402


def load_torch():
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: only profundo's times are shown (pip install 'profundo[torch]').")
        return None
    torch.set_num_threads(1)
    return torch


def best_time(fn, repeat=7, min_time=0.2):
    """Seconds per call: the best of ``repeat`` runs, each long enough to time."""
    fn()  # warm up
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time / repeat or n > 1e6:
            break
        n *= 2
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n)
    return min(runs)  # the least-disturbed run: these machines are shared and noisy


def interleaved(fns, rounds=5):
    """Best time of each function, measured in alternation so that a noisy
    moment on the machine hits all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, f in enumerate(fns):
            best[i] = min(best[i], best_time(f, repeat=3, min_time=0.06))
    return best


def round_times(fns, rounds=25, repeat=3, clock=time.perf_counter):
    """Per function, its time in each of ``rounds`` rounds (best of ``repeat`` calls).
    Each round runs every function back to back, the order alternating per round, so
    that a noisy moment on the machine hits them alike."""
    for f in fns:
        f()  # warm up
    times = [[] for _ in fns]
    for r in range(rounds):
        for i in (range(len(fns)) if r % 2 else reversed(range(len(fns)))):
            best = float("inf")
            for _ in range(repeat):
                t0 = clock()
                fns[i]()
                best = min(best, clock() - t0)
            times[i].append(best)
    return times


def round_ratios(fns, rounds=25, repeat=3):
    """Per-round ratios ``fns[0] / fns[j]`` (see ``round_times``): per ``j >= 1``, their
    median, 25th and 75th percentile.  Steadier than ratios of best-of times, which
    one lucky run decides."""
    times = round_times(fns, rounds, repeat)
    return [ratio_quartiles(times[0], times[j]) for j in range(1, len(fns))]


def ratio_quartiles(ours, ref):
    """(median, 25th, 75th percentile) of the per-round ratios ``ours[i] / ref[i]``."""
    ratios = sorted(a / b for a, b in zip(ours, ref))
    n = len(ratios)
    return ratios[n // 2], ratios[n // 4], ratios[(3 * n) // 4]


def table(title, rows, unit="us", scale=1e6, ref="torch"):
    """rows: (name, profundo seconds, reference (torch) seconds or None)."""
    print(f"\n{title}")
    print(f"{'case':<44} {'profundo':>12} {ref:>12} {'ratio':>7}")
    for name, ours, ref in rows:
        r = f"{ours / ref:6.2f}x" if ref else "   n/a"
        t = f"{ref * scale:10.1f}{unit}" if ref else f"{'-':>12}"
        print(f"{name:<44} {ours * scale:10.1f}{unit} {t} {r}")
    sys.stdout.flush()
