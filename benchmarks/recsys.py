"""Matrix factorization (Unit 4): profundo vs PyTorch vs hand-written NumPy, 1 thread, float32.

The model is ``profundo.models.MatrixFactorization`` (``r_ui = p_u . q_i + b_u + b_i + mu``; PyTorch:
the same module written with ``torch.nn``), the loss ``nn.MSELoss``; one step = ``zero_grad``,
forward, loss, backward, optimizer step.

1. The MovieLens-100K shape (943 users x 1,682 items, 30 factors, batch 1,024): the step time of
   SGD and Adam, dense and sparse gradients (``nn.Embedding(sparse=True)``: SGD, and
   ``optim.SparseAdam`` in place of Adam), profundo vs PyTorch (goal <= 1.0x) and vs a
   hand-written NumPy floor (the same math for this model only: no graph, fused expressions, the
   fastest scatter-add found).  The ratings are ``../shared/data/movielens-100k/u.data`` when present
   (the real repetition of users and items inside a batch), else synthetic with a skewed popularity.
   Times: CPU time of the process (1 thread: waiting for a core on a shared machine does not count),
   per step, from runs of 10 steps; the rounds alternate the contenders, and a ratio is the median of
   the per-round ratios, with its [min-max].
2. A large synthetic problem: 1,000,000 users x 100,000 items x 10,000,000 ratings, 32 factors,
   batch 8,192 (1,221 steps per epoch).  Each variant runs in a fresh subprocess (so its peak memory
   is its own): profundo sparse (SGD, SparseAdam), dense (SGD), PyTorch the same.  A full epoch of
   every variant is too long for a shared 2-core machine, so each run times ``--steps`` steps of a
   shuffled epoch (the batch gather from the rating arrays included) after 3 warm-up steps, and the
   epoch time is the median step time x 1,221 (``--full`` runs whole epochs instead).  Rounds
   alternate the variants; profundo/torch ratios are medians of the per-round ratios [min-max].
   Memory, per subprocess, from Linux's resident-set counters (both libraries' allocations count,
   which ``tracemalloc`` could not see for PyTorch): "peak RSS" is the process's maximum resident
   set (``VmHWM``: Python, the library, the 280 MB of ratings and epoch permutation, the model, its
   optimizer state, gradients and the step's temporaries); "model" is the resident set after
   building the model minus before (its parameters); "train" is the peak during the timed steps
   (``VmHWM`` restarted after the model is built) minus the resident set before the model:
   parameters, optimizer state, gradients and temporaries.

Measured on a shared 2-core machine under heavy load (load average ~12: every figure is noisy;
the ratios, from interleaved runs, are steadier than the times).  MovieLens-100K shape, profundo /
torch, median [min-max] of 7 (before) and 9 (after) rounds, before -> after the issue-14 speed work (scatter-adds with
one-dimensional ``np.add.at``, sparse SGD without coalescing, SparseAdam in place):
sparse SGD 2.27x [2.20-2.33] -> 0.95x [0.80-1.09]; sparse SparseAdam 0.97x [0.70-1.02] -> 0.62x
[0.56-0.66]; dense SGD 1.93x [1.38-2.25] -> 0.89x [0.63-1.18]; dense Adam 1.45x [1.38-1.77] -> 0.71x
[0.63-0.88]; profundo / NumPy floor after: 2.5x, 1.7x, 2.5x, 1.6x (the rest is the autograd
graph's per-op cost: 14 ops forward and backward).  Large problem, after (3 runs of 15 steps), s per
epoch profundo / torch: sparse SGD 74 / 88 (0.90x [0.55-1.36]), SparseAdam 222 / 527 (0.51x),
dense SGD 580 / 1641 (0.57x; before the blocked dense SGD step: 1.75x in one run); peak RSS
707 / 885 MB, 737 / 1011 MB, 707 / 899 MB; training's rise over the data: 144 / 213 MB (the
tables), 405 / 495 MB (+ two moments), 265 / 383 MB (+ a dense gradient).

    PYTHONPATH=src python benchmarks/recsys.py            # both parts (10 to 40 minutes)
    PYTHONPATH=src python benchmarks/recsys.py --quick    # a small run of both (seconds)
    PYTHONPATH=src python benchmarks/recsys.py --part ml100k --rounds 9
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from _common import load_torch

import numpy as np

import profundo
import profundo.models  # noqa: E402  (not loaded by `import profundo`)

HERE = os.path.dirname(os.path.abspath(__file__))
ML100K = os.path.join(HERE, "..", "..", "shared", "data", "movielens-100k", "u.data")
VARIANTS = [("sparse", "sgd"), ("sparse", "adam"), ("dense", "sgd"), ("dense", "adam")]
LR = {"sgd": 0.05, "adam": 1e-3}


# ---------------------------------------------------------------- the model, in both libraries
def make_model(lib, num_users, num_items, factors, sparse, seed=0):
    """profundo's MatrixFactorization, or the same module written with torch.nn (same initial values)."""
    if lib is profundo:
        model = profundo.models.MatrixFactorization(num_users, num_items, factors, sparse=sparse)
    else:
        nn = lib.nn

        class MatrixFactorization(nn.Module):
            def __init__(self):
                super().__init__()
                self.P = nn.Embedding(num_users, factors, sparse=sparse)
                self.Q = nn.Embedding(num_items, factors, sparse=sparse)
                self.user_bias = nn.Embedding(num_users, 1, sparse=sparse)
                self.item_bias = nn.Embedding(num_items, 1, sparse=sparse)
                self.register_buffer("global_mean", lib.tensor(0.0))

            def forward(self, user, item):
                dot = (self.P(user) * self.Q(item)).sum(-1)
                return dot + self.user_bias(user).squeeze(-1) + self.item_bias(item).squeeze(-1) + self.global_mean

        model = MatrixFactorization()
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for _, p in model.named_parameters():
            p.copy_(lib.from_numpy((rng.standard_normal(tuple(p.shape), np.float32) * 0.01)))
    return model


def make_optimizer(lib, model, sparse, opt):
    if opt == "sgd":
        return lib.optim.SGD(model.parameters(), lr=LR["sgd"])
    cls = lib.optim.SparseAdam if sparse else lib.optim.Adam
    return cls(model.parameters(), lr=LR["adam"])


def lib_step(lib, num_users, num_items, factors, sparse, opt, batches):
    """One training step per call, cycling through ``batches`` (numpy (user, item, rating) triples)."""
    model = make_model(lib, num_users, num_items, factors, sparse)
    optimizer = make_optimizer(lib, model, sparse, opt)
    loss_fn = lib.nn.MSELoss()
    data = [(lib.from_numpy(u), lib.from_numpy(i), lib.from_numpy(r)) for u, i, r in batches]
    state = {"k": 0}

    def step():
        u, i, r = data[state["k"] % len(data)]
        state["k"] += 1
        optimizer.zero_grad()
        loss = loss_fn(model(u, i), r)
        loss.backward()
        optimizer.step()
        return loss
    return step


# ---------------------------------------------------------------- the hand-written NumPy floor
def numpy_step(num_users, num_items, factors, sparse, opt, batches):
    """The same step for this model only, written directly in NumPy: one fused forward, the gradient
    of the MSE by hand, scatter-adds with NumPy 2's fast one-dimensional ``np.add.at`` on flattened
    (row, column) positions (``_scatter``: the fastest found at these sizes); sparse SGD scatter-adds
    ``-lr * gradient`` straight into the table, lazy Adam moves only the batch's distinct rows."""
    rng = np.random.default_rng(0)
    shapes = [(num_users, factors), (num_items, factors), (num_users, 1), (num_items, 1)]
    params = [rng.standard_normal(s, np.float32) * np.float32(0.01) for s in shapes]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    t = [0]
    beta1, beta2, eps, lr = 0.9, 0.999, 1e-8, LR[opt]
    k = [0]

    def step():
        u, i, r = batches[k[0] % len(batches)]
        k[0] += 1
        P, Q, bu, bi = params
        pu, qi = P[u], Q[i]
        d = np.einsum("ij,ij->i", pu, qi)
        d += bu[u, 0]
        d += bi[i, 0]
        d -= r
        loss = np.dot(d, d) / len(d)
        d *= np.float32(2 / len(d))  # d loss / d prediction
        grads = [(u, d[:, None] * qi), (i, d[:, None] * pu), (u, d[:, None]), (i, d[:, None])]
        t[0] += 1
        for j, (rows, g) in enumerate(grads):
            p = params[j]
            if opt == "sgd":
                g = g * np.float32(-lr)  # (not in place: the biases' g is a view of d)
                if sparse:
                    _scatter(p, rows, g)
                else:
                    p += _scatter(np.zeros_like(p), rows, g)
                continue
            if sparse:
                rows, inverse = np.unique(rows, return_inverse=True)
                g = _scatter(np.zeros((len(rows), p.shape[1]), np.float32), inverse, g)
                mr, vr = m[j][rows], v[j][rows]  # lazy Adam: only these rows' moments move
            else:
                g = _scatter(np.zeros_like(p), rows, g)
                mr, vr = m[j], v[j]
            mr += (1 - beta1) * (g - mr)
            vr *= beta2
            vr += (1 - beta2) * (g * g)
            denom = np.sqrt(vr)
            if sparse:  # SparseAdam puts the bias corrections in the step size
                denom += eps
                upd = mr / denom
                upd *= lr * np.sqrt(1 - beta2 ** t[0]) / (1 - beta1 ** t[0])
            else:
                denom *= 1 / np.sqrt(1 - beta2 ** t[0])
                denom += eps
                upd = mr / denom
                upd *= lr / (1 - beta1 ** t[0])
            if sparse:
                m[j][rows], v[j][rows] = mr, vr
                p[rows] -= upd
            else:
                p -= upd
        return loss
    return step


def _scatter(out, rows, g):
    """In place ``out[rows[b]] += g[b]`` (``out`` C-contiguous): one ``np.add.at`` on the flattened arrays."""
    width = out.shape[1]
    flat = rows if width == 1 else ((rows * width)[:, None] + np.arange(width)).reshape(-1)
    np.add.at(out.reshape(-1), flat, g.reshape(-1))
    return out


# ---------------------------------------------------------------- part 1: MovieLens-100K shape
def movielens_batches(batch, quick, path=ML100K):
    if path and os.path.exists(path):
        raw = np.loadtxt(path, dtype=np.int64, usecols=(0, 1, 2))
        users, items, ratings, source = raw[:, 0] - 1, raw[:, 1] - 1, raw[:, 2], "MovieLens-100K u.data"
        num_users, num_items = int(users.max()) + 1, int(items.max()) + 1
    else:  # the same shape, with a skewed popularity as in real ratings
        rng = np.random.default_rng(0)
        num_users, num_items, n = 943, 1682, 100_000
        pu, pi = 1 / np.arange(1, num_users + 1) ** 0.5, 1 / np.arange(1, num_items + 1) ** 0.8
        users = rng.choice(num_users, n, p=pu / pu.sum())
        items = rng.choice(num_items, n, p=pi / pi.sum())
        ratings, source = rng.integers(1, 6, n), "synthetic (MovieLens-100K not found)"
    order = np.random.default_rng(1).permutation(len(users))[: (2 if quick else 20) * batch]
    batches = [(users[order[s:s + batch]], items[order[s:s + batch]],
                (ratings[order[s:s + batch]] - 3.5).astype(np.float32)) for s in range(0, len(order), batch)]
    return num_users, num_items, batches, source


def cpu_per_step(fn, calls):
    t0 = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - t0) / calls


def ml100k(torch, rounds, quick, path=ML100K):
    factors, batch = 30, 1024
    num_users, num_items, batches, source = movielens_batches(batch, quick, path)
    calls = 2 if quick else 10
    print(f"\n1. MovieLens-100K shape: {num_users} users x {num_items} items, {factors} factors, batch {batch} "
          f"({source}); train step (zero_grad, forward, MSE, backward, step), float32, 1 thread.\n"
          f"   CPU ms per step (median of {rounds} interleaved rounds of {calls} steps); ratios: median [min-max] "
          f"of the per-round ratios.")
    print(f"{'case':<28} {'profundo':>9} {'torch':>9} {'numpy':>9} {'profundo/torch':>20} {'profundo/numpy':>20}")
    results = {}
    for grad, opt in VARIANTS:
        sparse = grad == "sparse"
        args = (num_users, num_items, factors, sparse, opt, batches)
        fns = [lib_step(profundo, *args)] + ([lib_step(torch, *args)] if torch else []) + [numpy_step(*args)]
        for f in fns:
            f()
        times = [[] for _ in fns]
        for _ in range(rounds):
            for j, f in enumerate(fns):
                times[j].append(cpu_per_step(f, calls))
        med = [statistics.median(ts) for ts in times]

        def ratio(j):
            rs = [a / b for a, b in zip(times[0], times[j])]
            return statistics.median(rs), min(rs), max(rs)
        rt = ratio(1) if torch else None
        rn = ratio(len(fns) - 1)
        name = f"{grad} {'SparseAdam' if sparse and opt == 'adam' else opt.upper() if opt == 'sgd' else 'Adam'}"
        tcol = f"{med[1] * 1e3:7.3f}ms" if torch else f"{'-':>9}"
        rcol = f"{rt[0]:5.2f}x [{rt[1]:.2f}-{rt[2]:.2f}]" if torch else f"{'n/a':>20}"
        print(f"{name:<28} {med[0] * 1e3:7.3f}ms {tcol} {med[-1] * 1e3:7.3f}ms {rcol:>20} "
              f"{rn[0]:5.2f}x [{rn[1]:.2f}-{rn[2]:.2f}]")
        sys.stdout.flush()
        results[name] = {"profundo": med[0], "torch": med[1] if torch else None, "numpy": med[-1],
                         "ratio_torch": rt, "ratio_numpy": rn}
    return results


# ---------------------------------------------------------------- part 2: the large problem
def rss_now(field="VmRSS"):
    """Resident memory of this process in bytes: now (VmRSS), or its peak (VmHWM).  Not ``ru_maxrss``,
    which a subprocess inherits from its parent at the fork (it would show the parent's size)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak():
    """Start VmHWM again from the current resident set (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def large_data(num_users, num_items, num_ratings, seed=0):
    """Ratings from a rank-4 model plus noise, made in chunks (no 10M x 4 temporaries)."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, num_users, num_ratings)
    items = rng.integers(0, num_items, num_ratings)
    pu = rng.standard_normal((num_users, 4), np.float32) * np.float32(0.5)
    qi = rng.standard_normal((num_items, 4), np.float32) * np.float32(0.5)
    ratings = np.empty(num_ratings, np.float32)
    for s in range(0, num_ratings, 1 << 20):
        e = min(s + (1 << 20), num_ratings)
        ratings[s:e] = np.einsum("ij,ij->i", pu[users[s:e]], qi[items[s:e]]) + rng.standard_normal(e - s, np.float32)
    return users, items, ratings


def worker(spec):
    """One variant in this fresh process: prints one JSON line."""
    lib_name, grad, opt = spec["lib"], spec["grad"], spec["opt"]
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
    else:
        lib = profundo
    users, items, ratings = large_data(spec["users"], spec["items"], spec["ratings"])
    batch, n = spec["batch"], len(users)
    perm = np.random.default_rng(1).permutation(n)
    before = rss_now()
    sparse = grad == "sparse"
    model = make_model(lib, spec["users"], spec["items"], spec["factors"], sparse)
    optimizer = make_optimizer(lib, model, sparse, opt)
    loss_fn = lib.nn.MSELoss()
    model_rss = rss_now() - before
    setup_peak = rss_now("VmHWM")
    reset_peak()  # from here VmHWM is the training's peak (the initialization's temporaries left out)
    steps_per_epoch = -(-n // batch)
    steps = steps_per_epoch if spec["full"] else spec["steps"] + 3
    times, losses = [], []
    for s in range(steps):
        t0 = time.perf_counter()
        idx = perm[s * batch:(s + 1) * batch]
        u, i, r = lib.from_numpy(users[idx]), lib.from_numpy(items[idx]), lib.from_numpy(ratings[idx])
        optimizer.zero_grad()
        loss = loss_fn(model(u, i), r)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
        times.append(time.perf_counter() - t0)
    if not spec["full"]:
        times = times[3:]  # warm-up: the optimizer state is allocated on the first step
    train_peak = rss_now("VmHWM")
    print(json.dumps({"times": times, "peak": max(setup_peak, train_peak), "train": train_peak - before,
                      "model": model_rss, "loss": [losses[0], losses[-1]], "steps_per_epoch": steps_per_epoch}))


def run_worker(spec):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [os.path.join(HERE, "..", "src"),
                                                                   os.environ.get("PYTHONPATH")] if p))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(spec)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise RuntimeError(f"worker {spec} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def large(torch, rounds, quick, steps, full):
    size = dict(users=1_000_000, items=100_000, ratings=10_000_000, factors=32, batch=8192)
    if quick:
        size = dict(users=20_000, items=2_000, ratings=100_000, factors=32, batch=8192)
    variants = [("sparse", "sgd"), ("sparse", "adam"), ("dense", "sgd")]
    libs = ["profundo"] + (["torch"] if torch else [])
    res = {(lib, g, o): [] for lib in libs for g, o in variants}
    for _ in range(rounds):
        for g, o in variants:
            for lib in libs:
                r = run_worker(dict(size, lib=lib, grad=g, opt=o, steps=steps, full=full))
                res[(lib, g, o)].append(r)
                print(f"  ({lib} {g} {o}: {statistics.median(r['times']) * 1e3:.1f} ms/step, peak "
                      f"{r['peak'] / 2 ** 20:.0f} MB)", file=sys.stderr, flush=True)
    per_epoch = res[(libs[0],) + variants[0]][0]["steps_per_epoch"]
    how = (f"whole epochs of {per_epoch:,} steps" if full else
           f"{steps} timed steps per run x {rounds} interleaved runs, extrapolated: median step x {per_epoch:,} "
           "steps")
    print(f"\n2. {size['users']:,} users x {size['items']:,} items x {size['ratings']:,} ratings, {size['factors']} "
          f"factors, batch {size['batch']:,}: seconds per epoch ({how}), wall time, 1 thread, each run in a fresh "
          "process; step spread [25th-75th percentile of all timed steps]; memory: peak RSS of the process, the "
          "model's parameters ('model': RSS after building it minus before) and the training's peak over the RSS "
          "before the model ('train': parameters, optimizer state, gradients, step temporaries).")
    print(f"{'case':<30} {'s/epoch':>8} {'ms/step [p25-p75]':>24} {'peak RSS':>9} {'model':>8} {'train':>8} "
          f"{'vs torch [min-max]':>20} {'loss first->last':>18}")
    out = {}
    for g, o in variants:
        for lib in libs:
            runs = res[(lib, g, o)]
            steps_t = [t for run in runs for t in run["times"]]
            med = statistics.median(run_med for run_med in (statistics.median(r["times"]) for r in runs))
            epoch = sum(runs[0]["times"]) if full else med * per_epoch
            q25, q75 = np.percentile(steps_t, [25, 75])
            peak = max(r["peak"] for r in runs) / 2 ** 20
            train = max(r["train"] for r in runs) / 2 ** 20
            model_mb = max(r["model"] for r in runs) / 2 ** 20
            name = f"{lib} {g} {'SparseAdam' if o == 'adam' else 'SGD'}"
            vs = ""
            if lib == "profundo" and torch:
                rs = [statistics.median(a["times"]) / statistics.median(b["times"])
                      for a, b in zip(runs, res[("torch", g, o)])]
                vs = f"{statistics.median(rs):5.2f}x [{min(rs):.2f}-{max(rs):.2f}]"
            loss = f"{runs[0]['loss'][0]:.3f}->{runs[0]['loss'][1]:.3f}"
            print(f"{name:<30} {epoch:8.1f} {med * 1e3:8.1f} [{q25 * 1e3:6.1f}-{q75 * 1e3:6.1f}] {peak:7.0f}MB "
                  f"{model_mb:6.0f}MB {train:6.0f}MB {vs:>20} {loss:>18}")
            sys.stdout.flush()
            out[name] = {"epoch_s": epoch, "step_s": med, "peak_mb": peak, "model_mb": model_mb, "train_mb": train}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a small run of both parts (seconds)")
    ap.add_argument("--part", choices=["ml100k", "large", "all"], default="all")
    ap.add_argument("--rounds", type=int, default=None,
                    help="interleaved rounds (default 7, --quick 2; large problem 3, --quick 1)")
    ap.add_argument("--steps", type=int, default=None,
                    help="timed steps per run of the large problem (default 60, --quick 3)")
    ap.add_argument("--full", action="store_true",
                    help="large problem: time whole epochs, once (slow; no --steps, and --rounds only for ml100k)")
    ap.add_argument("--no-torch", action="store_true", help="profundo and NumPy only")
    ap.add_argument("--data", default=ML100K, help="MovieLens-100K's u.data ('' : synthetic ratings)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(json.loads(args.worker))
    # refused rather than ignored: options that the chosen parts would not use
    for name in ("rounds", "steps"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            ap.error(f"--{name} must be a positive integer, got {getattr(args, name)}")
    if args.full and args.part == "ml100k":
        ap.error("--full times the large problem's epochs: use it with --part large or all")
    if args.steps is not None and args.part == "ml100k":
        ap.error("--steps is for the large problem: use it with --part large or all")
    if args.full and args.steps is not None:
        ap.error("--full times whole epochs: --steps does not apply")
    if args.full and args.rounds is not None and args.part == "large":
        ap.error("--full times whole epochs once: --rounds does not apply to the large problem")
    torch = None if args.no_torch else load_torch()
    print(f"profundo backend {profundo.get_backend()!r}, NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__}" if torch else ""))
    if args.part in ("ml100k", "all"):
        ml100k(torch, args.rounds or (2 if args.quick else 7), args.quick, args.data)
    if args.part in ("large", "all"):
        large(torch, 1 if args.full else args.rounds or (1 if args.quick else 3), args.quick,
              args.steps or (3 if args.quick else 60), args.full)


if __name__ == "__main__":
    main()
