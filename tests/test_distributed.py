"""profundo.distributed: process group, DistributedSampler, DistributedDataParallel (issue 14, Unit 4).

The 2-process runs start ``tests/dist_worker.py`` twice over loopback (gloo);
tests that need PyTorch skip without it, the others check what works without it
(the sampler, the queued callbacks, the error when torch is missing).
"""
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import profundo
import profundo.distributed as dist
from profundo import nn
from profundo.utils.data import DataLoader, DistributedSampler, TensorDataset

try:
    import torch
    import torch.distributed  # noqa: F401
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch (torch.distributed)")
HERE = Path(__file__).resolve().parent
WORKER = HERE / "dist_worker.py"


def _worker_module():
    spec = importlib.util.spec_from_file_location("dist_worker", WORKER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- DistributedSampler
@needs_torch
def test_distributed_sampler_matches_torch():
    from torch.utils.data import DistributedSampler as TorchSampler
    for n in (0, 1, 2, 3, 7, 10, 33):
        for replicas in (1, 2, 3, 4, 8):
            for drop_last in (False, True):
                for shuffle in (False, True):
                    for seed in (0, 7, -3, 2 ** 32 + 1):
                        for rank in range(replicas):
                            ours = DistributedSampler(range(n), replicas, rank, shuffle, seed, drop_last)
                            theirs = TorchSampler(range(n), replicas, rank, shuffle, seed, drop_last)
                            for epoch in (0, 5):
                                ours.set_epoch(epoch)
                                theirs.set_epoch(epoch)
                                assert list(ours) == list(theirs), (n, replicas, rank, drop_last, shuffle, seed)
                                assert len(ours) == len(theirs)
    big = DistributedSampler(range(5000), 3, 1, seed=11)
    big_t = TorchSampler(range(5000), 3, 1, seed=11)
    assert list(big) == list(big_t)


def test_distributed_sampler_semantics():
    """Disjoint shares of one permutation, padded by repeating its start; set_epoch reshuffles."""
    ds = list(range(10))
    shares = [list(DistributedSampler(ds, 4, r, seed=1)) for r in range(4)]
    assert [len(s) for s in shares] == [3] * 4  # ceil(10 / 4)
    order = [shares[r][i] for i in range(3) for r in range(4)]  # interleaved back: the padded permutation
    assert sorted(order[:10]) == ds and order[10:] == order[:2]  # padding: the first 2 again
    # drop_last: the tail that does not divide evenly is dropped, nothing repeats
    kept = [list(DistributedSampler(ds, 4, r, seed=1, drop_last=True)) for r in range(4)]
    assert [len(s) for s in kept] == [2] * 4
    flat = sum(kept, [])
    assert len(set(flat)) == 8
    # no shuffle: rank r takes r, r + R, ...; the padding repeats 0, 1
    assert list(DistributedSampler(ds, 4, 1, shuffle=False)) == [1, 5, 9]
    assert list(DistributedSampler(ds, 4, 3, shuffle=False)) == [3, 7, 1]
    # padding longer than the dataset: cyclic
    assert [list(DistributedSampler([0, 1], 5, r, shuffle=False)) for r in range(5)] == [[0], [1], [0], [1], [0]]
    # set_epoch: another order, the same for every rank
    s = DistributedSampler(ds, 2, 0, seed=1)
    first = list(s)
    assert list(s) == first  # without set_epoch the order repeats
    s.set_epoch(1)
    assert list(s) != first
    other = DistributedSampler(ds, 2, 1, seed=1)
    other.set_epoch(1)
    assert sorted(list(s) + list(other)) == ds


def test_distributed_sampler_with_dataloader():
    x = profundo.arange(10.0)
    loader = DataLoader(TensorDataset(x), batch_size=2, sampler=DistributedSampler(x, 2, 1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1.0, 3.0], [5.0, 7.0], [9.0]]
    assert profundo.distributed.DistributedSampler is DistributedSampler


def test_distributed_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    # before: a bare len() TypeError, a string seed's int() ValueError, truthy strings taken as True
    with pytest.raises(TypeError, match="DistributedSampler: the dataset must have a length") as e:
        DistributedSampler(5, num_replicas=2, rank=0)
    assert "Pista:" in str(e.value)
    for kw in ({"shuffle": "no"}, {"drop_last": "yes"}, {"seed": "a"}, {"seed": 1.5}):
        with pytest.raises(TypeError, match=f"{next(iter(kw))} must be"):
            DistributedSampler(range(4), num_replicas=2, rank=0, **kw)
    s = DistributedSampler(range(4), num_replicas=2, rank=0, seed=np.int64(3))
    with pytest.raises(TypeError, match="epoch must be an int"):
        s.set_epoch("1")
    s.set_epoch(np.int32(2))
    assert s.epoch == 2 and len(list(s)) == 2


# ---------------------------------------------------------------- without a group / without torch
def test_backend_other_than_gloo_is_refused():
    for backend in ("nccl", "mpi", "cpu:gloo,cuda:nccl"):
        with pytest.raises(ValueError, match="gloo") as e:
            dist.init_process_group(backend)
        assert "NCCL" in str(e.value) and "Pista:" in str(e.value)


def test_without_torch_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "torch.distributed", None)
    assert not dist.is_available() and not dist.is_initialized()
    assert dist.is_main_process()  # a single process is the main one
    with pytest.raises(ImportError, match="pip install torch") as e:
        dist.init_process_group("gloo", world_size=1, rank=0)
    assert "Pista:" in str(e.value)
    with pytest.raises(ImportError, match="torch.distributed"):
        dist.all_reduce(profundo.ones(2))
    with pytest.raises(RuntimeError, match="Requires distributed package"):
        DistributedSampler(range(4))


def test_ddp_options_checked_or_refused():
    # torch's options profundo does not implement are named in a profundo error, not dropped
    # (before: Python's bare "unexpected keyword argument" for every option PyTorch has and profundo lacked)
    for kw in ({"mixed_precision": object()}, {"device_mesh": object()}, {"skip_all_reduce_unused_params": True},
               {"delay_all_reduce_named_params": []}, {"param_to_hook_all_reduce": object()}):
        with pytest.raises(TypeError, match=f"does not support {next(iter(kw))}") as e:
            dist.DistributedDataParallel(nn.Linear(2, 2), **kw)
        assert "Pista:" in str(e.value)
    for bad in (0, -5, "25", True):
        with pytest.raises(ValueError, match="bucket_cap_mb must be a positive number"):
            dist.DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=bad)
    for flag in ("gradient_as_bucket_view", "static_graph", "check_reduction"):
        with pytest.raises(TypeError, match=f"{flag} must be True or False"):
            dist.DistributedDataParallel(nn.Linear(2, 2), **{flag: "yes"})


@needs_torch
def test_needs_an_initialized_group():
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="init_process_group"):  # torch: ValueError too
        dist.get_rank()
    with pytest.raises(ValueError, match="init_process_group"):
        dist.DistributedDataParallel(nn.Linear(2, 2))
    with pytest.MonkeyPatch.context() as mp:
        for k in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE"):
            mp.delenv(k, raising=False)
        with pytest.raises(ValueError, match="MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE") as e:
            dist.init_process_group()
        assert "torchrun" in str(e.value)


# ---------------------------------------------------------------- the engine's queued callbacks
def test_queue_callback_runs_after_backward():
    from profundo.autograd.engine import queue_callback
    w = profundo.ones(3, requires_grad=True)
    seen = []
    y = (w * 2).sum()
    y.register_hook(lambda g: queue_callback(lambda: seen.append(w.grad.tolist())))
    y.backward()
    assert seen == [[2.0, 2.0, 2.0]]  # every gradient was written when it ran
    with pytest.raises(RuntimeError, match="only be installed during backward"):
        queue_callback(lambda: None)
    # a failing backward drops what was queued during it
    z = (w * 3).sum()
    z.register_hook(lambda g: queue_callback(lambda: seen.append("no")))
    bad = z * 1
    bad.register_hook(lambda g: queue_callback(lambda: seen.append("no")))
    z.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        bad.backward()
    (w.sum()).backward()
    assert seen == [[2.0, 2.0, 2.0]]


# ---------------------------------------------------------------- a group of one process (in this process)
@needs_torch
def test_one_process_group():
    from profundo.distributed.launch import free_port
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", world_size=1, rank=0,
                            timeout=10)
    try:
        assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
        with pytest.raises(RuntimeError, match="twice"):
            dist.init_process_group("gloo", world_size=1, rank=0)
        t = profundo.tensor([[1.0, 2.0], [3.0, 4.0]])
        v = t._version
        dist.all_reduce(t.t(), op=dist.ReduceOp.AVG)  # a non-contiguous view, written back in place
        assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]] and t._version > v
        with pytest.raises(TypeError, match="ReduceOp"):
            dist.all_reduce(t, op="sum")
        with pytest.raises(ValueError, match="async_op"):
            dist.broadcast(t, 0, async_op=True)
        with pytest.raises(TypeError, match="AVG needs a floating-point"):
            dist.all_reduce(profundo.ones(2, dtype=profundo.int64), op=dist.ReduceOp.AVG)
        dist.all_reduce(t, op=torch.distributed.ReduceOp.MAX)  # torch's own ReduceOp passes through
        # DDP of one process: the plain gradients; refused arguments
        profundo.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
        ddp = nn.parallel.DistributedDataParallel(model)
        assert ddp.module is model and list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
        x = profundo.randn(4, 3)
        ddp(x).sum().backward()
        grads = [p.grad.clone() for p in model.parameters()]
        model.zero_grad()
        model(x).sum().backward()
        for g, p in zip(grads, model.parameters()):
            assert profundo.equal(g, p.grad)
        for kw in ({"device_ids": [0]}, {"output_device": 0}, {"dim": 1}):
            with pytest.raises(ValueError):
                dist.DistributedDataParallel(model, **kw)
        # PyTorch's performance settings are accepted and leave the averaged gradients as they are
        tuned = dist.DistributedDataParallel(model, bucket_cap_mb=1, gradient_as_bucket_view=True,
                                             static_graph=True, check_reduction=True, find_unused_parameters=True)
        assert tuned.bucket_cap_mb == 1 and tuned.gradient_as_bucket_view and tuned.static_graph
        model.zero_grad()
        tuned(x).sum().backward()
        for g, p in zip(grads, model.parameters()):
            assert profundo.equal(g, p.grad)
        with pytest.raises(TypeError, match="nn.Module"):
            dist.DistributedDataParallel(lambda x: x)
        emb = nn.Embedding(5, 2, sparse=True)
        e = dist.DistributedDataParallel(emb)
        emb.weight.grad = profundo.zeros(5, 2)  # a dense gradient on a sparse-reduced weight
        with pytest.raises(RuntimeError, match="row-sparse"):
            e(profundo.tensor([1, 2])).sum().backward()
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


# ---------------------------------------------------------------- 2 processes over loopback
def _reference():
    """1 process on the full batches: what the 2 ranks on half batches must end with."""
    w = _worker_module()
    before = profundo.get_default_dtype()
    profundo.set_default_dtype(profundo.float64)
    try:
        x, y, users, items, ratings = w.data()
        xt, yt = profundo.tensor(x), profundo.tensor(y)
        model, opt = w.build_mlp(0)
        w.train_mlp(model, opt, lambda step: (xt, yt))
        ref = {"mlp." + k: v for k, v in w.params(model).items()}
        model, opt = w.build_mlp(0)
        w.train_mlp(model, opt, lambda step: (xt, yt))  # accumulation is the same full-batch step
        ref.update({"acc." + k: v for k, v in w.params(model).items()})
        model, opt = w.build_mf(0)
        batch = (profundo.tensor(users), profundo.tensor(items), profundo.tensor(ratings))
        w.train_mf(model, opt, lambda step: batch)
        ref.update({"mf." + k: v for k, v in w.params(model).items()})
    finally:
        profundo.set_default_dtype(before)
    return ref


@needs_torch
def test_two_processes_match_one_process(tmp_path, capfd):
    code = dist.launch([str(WORKER), "train", str(tmp_path)], 2, timeout=120)
    out, err = capfd.readouterr()
    assert code == 0, err[-3000:]
    # save_main/print_main: rank 0 alone wrote the checkpoint and printed, the others waited for the file
    assert out.count("main process:") == 1 and "main process: rank 0, checkpoint of rank 0" in out
    ranks = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in range(2)]
    ref = _reference()
    worst = 0.0
    for key, expected in ref.items():
        for r in ranks:
            np.testing.assert_allclose(r[key], expected, rtol=0, atol=1e-12, err_msg=key)
            worst = max(worst, float(np.abs(r[key] - expected).max()))
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key])  # the replicas stay identical
    assert any(np.abs(ref[k]).max() > 0 for k in ref)
    # 20 steps moved the weights: the comparison is not of the initial values
    w = _worker_module()
    profundo.set_default_dtype(profundo.float64)
    try:
        init = w.params(w.build_mf(0)[0])
    finally:
        profundo.set_default_dtype(profundo.float32)
    assert np.abs(init["user.weight"] - ref["mf.user.weight"]).max() > 1e-2
    assert ranks[1]["sub.kept_own_weights"] and "sub.kept_own_weights" not in ranks[0]
    for r in ranks:
        assert r["mf.unused_grad_is_none"]  # a parameter nobody used keeps grad=None
        np.testing.assert_array_equal(r["sum_t"], [[3.0, 6.0], [9.0, 12.0]])
        np.testing.assert_array_equal(r["max"], [1.0, 0.0])
        np.testing.assert_array_equal(r["avg"], [1.5])
        np.testing.assert_array_equal(r["bcast"], [6, 6, 6])
        np.testing.assert_array_equal(r["gather"], [[0.0, 0.0], [1.0, 10.0]])
    with capfd.disabled():
        print(f"\n2 processes vs 1: max abs parameter difference after 20 steps = {worst:.2e}")


@needs_torch
def test_a_dead_rank_stops_the_others(tmp_path):
    from profundo.distributed.launch import free_port
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), WORLD_SIZE="2")
    procs = [subprocess.Popen([sys.executable, str(WORKER), "die", str(tmp_path)], env=dict(env, RANK=str(r)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for r in range(2)]
    try:
        start = time.monotonic()
        while procs[1].poll() is None and time.monotonic() - start < 25:
            time.sleep(0.02)
        assert procs[1].returncode == 3, procs[1].communicate()[1].decode()[-2000:]
        died = time.monotonic()
        _, err = procs[0].communicate(timeout=20)
        waited = time.monotonic() - died
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    err = err.decode()
    assert procs[0].returncode != 0
    assert "Another process has probably died" in err and "Pista:" in err, err[-2000:]
    assert waited < 15
    print(f"rank 0 stopped {waited:.2f} s after rank 1 died")


# ---------------------------------------------------------------- profundo train mf --nproc
def _ratings_folder(folder, num_users=30, num_items=20, seed=0):
    """A small u.data (MovieLens 100K's layout) of low-rank ratings."""
    rng = np.random.default_rng(seed)
    P, Q = rng.normal(size=(num_users, 2)), rng.normal(size=(num_items, 2))
    u, i = np.nonzero(rng.random((num_users, num_items)) < 0.6)
    r = np.clip(np.rint(3.5 + (P[u] * Q[i]).sum(1)), 1, 5).astype(int)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.data").write_text("".join(f"{a + 1}\t{b + 1}\t{c}\t{880000000 + k}\n"
                                           for k, (a, b, c) in enumerate(zip(u, i, r))))
    return folder


@needs_torch
def test_train_mf_nproc_2(tmp_path, capfd):
    from profundo.cli import main as cli
    data = _ratings_folder(tmp_path / "data")
    out = tmp_path / "run"
    code = cli(["train", "mf", "--data", str(data), "--epochs", "2", "--batch-size", "64", "--sparse",
                "--optimizer", "sgd", "--nproc", "2", "--out", str(out)])
    captured = capfd.readouterr()
    assert code == 0, captured.err[-3000:]
    assert captured.out.count("data-parallel over 2 processes") == 1  # rank 0 alone prints
    assert captured.out.count("test RMSE") == 2 and "2 processes)" in captured.out
    config = json.loads((out / "config.json").read_text())
    assert config["nproc"] == 2 and config["batch_size"] == 64
    state = profundo.load(out / "model.safetensors")
    assert set(state) >= {"P.weight", "Q.weight"}  # the plain model's keys, loadable without DDP


def test_nproc_is_removed_from_the_workers_command_line_in_every_spelling():
    # before: an abbreviation argparse accepts (--npro 2) went on to the workers, which then refused to run
    # ("--nproc inside a process group")
    from profundo.train.dataparallel import _without_nproc
    from profundo.train.mf import parser
    for spelling in (["--nproc", "2"], ["--nproc=2"], ["--npro", "2"], ["--np=2"], ["--n", "2"]):
        argv = ["--epochs", "1"] + spelling + ["--sparse"]
        assert parser().parse_args(argv).nproc == 2
        assert _without_nproc(argv) == ["--epochs", "1", "--sparse"]
    assert _without_nproc(["--out", "runs/--", "-n"]) == ["--out", "runs/--", "-n"]  # not --nproc


def test_train_mf_nproc_refusals(tmp_path, monkeypatch, capsys):
    from profundo.cli import main as cli
    data = _ratings_folder(tmp_path / "data", num_users=6, num_items=5)
    args = ["train", "mf", "--data", str(data), "--epochs", "1", "--out", str(tmp_path / "run")]
    assert cli(args + ["--nproc", "2", "--batch-size", "5"]) != 0
    assert "must be divisible by --nproc 2" in capsys.readouterr().err
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert cli(args + ["--nproc", "2"]) != 0
    assert "leave --nproc out" in capsys.readouterr().err
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "torch.distributed", None)
    assert cli(args + ["--nproc", "2"]) != 0
    assert "needs PyTorch" in capsys.readouterr().err
