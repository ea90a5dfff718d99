"""benchmarks/recsys.py (Unit 4): its quick mode runs, and its three contenders (profundo, the
hand-written NumPy floor, PyTorch when installed) train the same model the same way."""
import importlib.util
import os

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, "..", "benchmarks")


@pytest.fixture(scope="module")
def recsys():
    import sys
    sys.path.insert(0, BENCH)  # (for its ``from _common import ...``)
    try:
        spec = importlib.util.spec_from_file_location("bench_recsys", os.path.join(BENCH, "recsys.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(BENCH)
    return mod


@pytest.mark.parametrize("grad,opt", [("sparse", "sgd"), ("sparse", "adam"), ("dense", "sgd"), ("dense", "adam")])
def test_contenders_compute_the_same_step(recsys, grad, opt):
    num_users, num_items, batches, source = recsys.movielens_batches(64, True, path="")
    assert source.startswith("synthetic") and len(batches) == 2
    args = (num_users, num_items, 8, grad == "sparse", opt, batches[:2])
    steps = [recsys.lib_step(recsys.profundo, *args), recsys.numpy_step(*args)]
    try:
        import torch
        steps.append(recsys.lib_step(torch, *args))
    except ImportError:
        pass
    losses = np.array([[_value(f()) for _ in range(5)] for f in steps])
    # the same initial values, data and update rule: the loss curves agree (float32 sums in other orders)
    np.testing.assert_allclose(losses[1:], np.broadcast_to(losses[0], losses[1:].shape), rtol=1e-5)
    assert losses[0, -1] < losses[0, 0]  # and they train


def test_quick_mode_runs(recsys, capsys):
    recsys.main(["--quick", "--no-torch", "--data", ""])
    out = capsys.readouterr().out
    for case in ("sparse SGD", "sparse SparseAdam", "dense SGD", "dense Adam"):
        assert case in out
    for case in ("profundo sparse SGD", "profundo sparse SparseAdam", "profundo dense SGD"):
        line = next(ln for ln in out.splitlines() if ln.startswith(case))
        assert line.split()[-1].count("->") == 1 and "MB" in line  # a loss pair and the memory columns


@pytest.mark.parametrize("argv, text", [
    (["--full", "--steps", "5"], "--steps does not apply"),
    (["--full", "--part", "large", "--rounds", "2"], "--rounds does not apply"),
    (["--full", "--part", "ml100k"], "--full times the large problem"),
    (["--steps", "5", "--part", "ml100k"], "--steps is for the large problem"),
    (["--rounds", "0"], "--rounds must be a positive integer"),
])
def test_options_that_would_be_ignored_are_refused(recsys, capsys, argv, text):
    # before: --steps/--rounds silently unused with --full, --quick overrode an explicit --steps/--rounds
    with pytest.raises(SystemExit) as e:
        recsys.main(argv + ["--no-torch", "--data", ""])
    assert e.value.code == 2 and text in capsys.readouterr().err


def _value(loss):
    return float(loss.detach()) if hasattr(loss, "detach") else float(loss)
