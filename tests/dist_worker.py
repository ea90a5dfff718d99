"""One rank of the 2-process runs of tests/test_distributed.py (started with the launch env vars).

``python tests/dist_worker.py train OUT``: the models of ``build_*`` trained
data-parallel, 20 steps each, on this rank's half of every batch; the final
parameters and the collectives' results go to ``OUT/rank<r>.npz``.
``python tests/dist_worker.py die OUT``: rank 1 dies (os._exit) after 3 steps;
rank 0 must then stop with a clear error instead of hanging.
"""
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import profundo  # noqa: E402
import profundo.distributed as dist  # noqa: E402
from profundo import nn  # noqa: E402
from profundo.utils.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402

STEPS = 20
N = 16  # examples per (full) batch


def data():
    rs = np.random.RandomState(0)
    x = rs.randn(N, 5)
    y = np.sin(x.sum(1, keepdims=True))
    users, items = rs.randint(0, 10, N), rs.randint(0, 12, N)
    ratings = rs.randn(N)
    return x, y, users, items, ratings


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
        self.register_buffer("scale", profundo.ones(1))

    def forward(self, x):
        return self.net(x) * self.scale


class MF(nn.Module):
    """Matrix factorization with row-sparse embedding gradients and one dense bias."""

    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(10, 4, sparse=True)
        self.item = nn.Embedding(12, 4, sparse=True)
        self.bias = nn.Parameter(profundo.zeros(1))
        self.unused = nn.Linear(2, 2)  # no gradient anywhere: stays None

    def forward(self, u, i):
        return (self.user(u) * self.item(i)).sum(1) + self.bias


def build_mlp(seed):
    profundo.manual_seed(seed)
    model = MLP()
    return model, profundo.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def build_mf(seed):
    profundo.manual_seed(seed)
    model = MF()
    return model, profundo.optim.SGD(model.parameters(), lr=0.5)


def train_mlp(model, opt, batches, accumulate=False, ddp=None):
    """``batches(step)`` -> (x, y) of this process; with ``accumulate``, two half
    micro-batches per step, the first under ``ddp.no_sync()``."""
    run = ddp if ddp is not None else model
    for step in range(STEPS):
        x, y = batches(step)
        opt.zero_grad()
        if accumulate:
            h = len(x) // 2
            ctx = ddp.no_sync() if ddp is not None else _null()
            with ctx:
                (nn.functional.mse_loss(run(x[:h]), y[:h]) / 2).backward()
            (nn.functional.mse_loss(run(x[h:]), y[h:]) / 2).backward()
        else:
            nn.functional.mse_loss(run(x), y).backward()
        opt.step()


def train_mf(model, opt, batches, ddp=None):
    run = ddp if ddp is not None else model
    for step in range(STEPS):
        u, i, r = batches(step)
        opt.zero_grad()
        nn.functional.mse_loss(run(u, i), r).backward()
        opt.step()


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def params(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def main(mode, out):
    profundo.set_default_dtype(profundo.float64)
    dist.init_process_group("gloo", timeout=5)
    rank, world = dist.get_rank(), dist.get_world_size()
    x, y, users, items, ratings = data()
    ds = TensorDataset(profundo.tensor(x), profundo.tensor(y))
    sampler = DistributedSampler(ds, seed=3)
    loader = DataLoader(ds, batch_size=N // world, sampler=sampler)

    def mlp_batches(step):
        sampler.set_epoch(step)
        (batch,) = list(loader)  # this rank's half of the whole batch, a new shuffle each step
        return batch

    if mode == "die":
        model, opt = build_mlp(0)
        ddp = dist.DistributedDataParallel(model)
        for step in range(10 ** 6):
            if rank == 1 and step == 3:
                os._exit(3)  # dies without a word: no clean shutdown of the group
            xb, yb = mlp_batches(step)
            opt.zero_grad()
            nn.functional.mse_loss(ddp(xb), yb).backward()
            opt.step()
        return

    res = {}
    # collectives on profundo tensors
    t = profundo.tensor([[1.0, 2.0], [3.0, 4.0]]) * (rank + 1)
    col = t.t()  # non-contiguous: copied to a contiguous buffer and back
    dist.all_reduce(col)
    res["sum_t"] = t.numpy().copy()
    m = profundo.tensor([float(rank), -float(rank)])
    dist.all_reduce(m, op=dist.ReduceOp.MAX)
    res["max"] = m.numpy().copy()
    a = profundo.tensor([float(rank + 1)])
    dist.all_reduce(a, op=dist.ReduceOp.AVG)
    res["avg"] = a.numpy().copy()
    b = profundo.arange(3) * 0 + rank + 5
    dist.broadcast(b, src=1)
    res["bcast"] = b.numpy().copy()
    gathered = [profundo.zeros(2) for _ in range(world)]
    dist.all_gather(gathered, profundo.tensor([rank, 10.0 * rank]))
    res["gather"] = np.stack([g.numpy() for g in gathered])
    dist.barrier()

    # dense MLP: every rank starts from other weights (seed = rank); DDP copies rank 0's
    model, opt = build_mlp(rank)
    if rank == 1:
        model.scale.fill_(2.0)  # a buffer: rank 0's value wins at each forward
    ddp = dist.DistributedDataParallel(model)
    train_mlp(model, opt, mlp_batches, ddp=ddp)
    res.update({"mlp." + k: v for k, v in params(model).items()})

    # the same with gradient accumulation (no_sync on the first micro-batch)
    model, opt = build_mlp(rank)
    ddp = dist.DistributedDataParallel(model)
    train_mlp(model, opt, mlp_batches, accumulate=True, ddp=ddp)
    res.update({"acc." + k: v for k, v in params(model).items()})

    # MF with sparse embeddings: this rank's half of the ratings, a new shuffle each step
    rds = TensorDataset(profundo.tensor(users), profundo.tensor(items), profundo.tensor(ratings))
    rsampler = DistributedSampler(rds, seed=5)
    rloader = DataLoader(rds, batch_size=N // world, sampler=rsampler)

    def mf_batches(step):
        rsampler.set_epoch(step)
        (batch,) = list(rloader)
        return batch

    model, opt = build_mf(rank)
    ddp = dist.DistributedDataParallel(model)
    train_mf(model, opt, mf_batches, ddp=ddp)
    res.update({"mf." + k: v for k, v in params(model).items()})
    res["mf.unused_grad_is_none"] = np.array(model.unused.weight.grad is None)

    # DDP on a subgroup without global rank 0: the broadcast comes from the group's first process (rank 1)
    sub = dist.new_group([1])  # every process calls it, as in PyTorch
    if rank == 1:
        model, _ = build_mlp(7)
        before = params(model)
        dist.DistributedDataParallel(model, process_group=sub)
        res["sub.kept_own_weights"] = np.array(all(np.array_equal(before[k], v) for k, v in params(model).items()))
    np.savez(Path(out) / f"rank{rank}.npz", **res)
    dist.save_main({"rank": profundo.tensor([rank])}, Path(out) / "main.safetensors")  # rank 0 writes, all wait
    res_seen = profundo.load(Path(out) / "main.safetensors")["rank"].tolist()  # written before anyone reads
    dist.print_main(f"main process: rank {rank}, checkpoint of rank {res_seen[0]}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
