"""Data-parallel runs of a training task (``profundo train mf --nproc N``, or the task under ``torchrun``).

``--nproc N`` (N > 1) makes the command a launcher: it starts the same command
N times with the process-group variables set (``profundo.distributed.launch``)
and waits.  A process started that way (or by ``torchrun``, which sets the same
variables) sees ``WORLD_SIZE`` > 1 and joins the group: ``Group`` then gives it
its ``DistributedSampler`` share of every epoch, wraps the model in
``DistributedDataParallel``, averages the epoch's train metrics over the
processes, and lets only rank 0 print and write files.  With one process
nothing changes.

Across machines (each with the data), on every machine::

    torchrun --nnodes 2 --node-rank R --nproc-per-node 2 --master-addr HOST0 --master-port 29500 \\
        -m profundo train mf --epochs 10
"""
import os
import sys

from .._errors import error

__all__ = ["add_nproc_option", "launch_if_asked", "Group"]


def add_nproc_option(p):
    from .options import POS_INT
    p.add_argument("--nproc", type=POS_INT, default=1,
                   help="train data-parallel in N local processes (profundo.distributed over torch.distributed's "
                        "gloo; needs PyTorch): --batch-size is the total over the processes, each takes "
                        "batch-size/N; rank 0 prints and writes the run folder (default 1). Across machines, run "
                        "the command under torchrun instead (see the README)")


def _in_group():
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def launch_if_asked(args, argv, op, check=None):
    """With ``--nproc N`` > 1: run ``profundo <task> argv`` in N processes and return the exit code
    (the first failing one); else None (this process trains).  ``check(args)`` first refuses bad
    options here, once, rather than in every process."""
    if args.nproc == 1:
        return None
    if check is not None:
        check(args)
    if _in_group():
        raise error(ValueError, op, f"--nproc {args.nproc} inside a process group (RANK/WORLD_SIZE are set, e.g. "
                    "by torchrun): the processes are already launched, leave --nproc out",
                    "con torchrun no pases --nproc: torchrun ya lanza los procesos")
    if args.batch_size % args.nproc:
        raise error(ValueError, op, f"--batch-size {args.batch_size} must be divisible by --nproc {args.nproc} "
                    "(each process takes an equal share of every batch)",
                    "elige un --batch-size múltiplo de --nproc")
    from .. import distributed
    if not distributed.is_torch_available():
        raise error(ImportError, op, f"--nproc {args.nproc} needs PyTorch (torch.distributed moves the gradients "
                    "between the processes): pip install torch, or leave --nproc out",
                    "instala PyTorch (pip install torch) o entrena en un proceso (sin --nproc)")
    rest = _without_nproc(argv)
    return distributed.launch(["-m", "profundo", *op.split()[1:], *rest], args.nproc)


def _is_nproc(option):
    # argparse also takes a unique prefix (--np 2): the tasks with --nproc have no other option starting with --n
    return len(option) >= 3 and "--nproc".startswith(option)


def _without_nproc(argv):
    """``argv`` without its ``--nproc N`` (or ``--nproc=N``, or a prefix argparse took for it)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif _is_nproc(a):
            skip = True
        elif not (a.startswith("--") and "=" in a and _is_nproc(a.split("=", 1)[0])):
            out.append(a)
    return out


class _Epochs:
    """The training loader, with ``sampler.set_epoch`` before each epoch (a new shuffle, the same on every rank)."""

    def __init__(self, loader, sampler):
        self.loader, self.sampler, self.epoch = loader, sampler, 0

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        self.sampler.set_epoch(self.epoch)
        self.epoch += 1
        return iter(self.loader)


class Group:
    """This process's place in a data-parallel run; a group of one when not launched as several."""

    def __init__(self, op):
        self.op = op
        self.rank, self.world = 0, 1
        if _in_group():
            from .. import distributed
            distributed.init_process_group("gloo")
            self.rank, self.world = distributed.get_rank(), distributed.get_world_size()

    @property
    def main(self):
        """Rank 0: the process that prints and writes files."""
        return self.rank == 0

    def batch_size(self, total):
        if total % self.world:
            raise error(ValueError, self.op, f"--batch-size {total} must be divisible by the {self.world} processes",
                        "elige un --batch-size múltiplo del número de procesos")
        return total // self.world

    def sampler(self, dataset, seed):
        """None (the loader shuffles) or this rank's ``DistributedSampler``."""
        if self.world == 1:
            return None
        from ..utils.data import DistributedSampler
        return DistributedSampler(dataset, self.world, self.rank, shuffle=True, seed=seed)

    def epochs(self, loader, sampler):
        return loader if sampler is None else _Epochs(loader, sampler)

    def wrap(self, model):
        if self.world == 1:
            return model
        from ..distributed import DistributedDataParallel
        return DistributedDataParallel(model)

    def mean_train_metrics(self, on_epoch_end):
        """An ``on_epoch_end`` that first averages the ``train_*`` numbers over the processes (equal shares)."""
        if self.world == 1:
            return on_epoch_end

        def hook(trainer, row):
            import profundo
            from .. import distributed
            keys = [k for k in row if k.startswith("train_")]
            t = profundo.tensor([row[k] for k in keys], dtype=profundo.float64)
            distributed.all_reduce(t, op=distributed.ReduceOp.AVG)
            row.update(zip(keys, t.tolist()))
            if on_epoch_end is not None:
                on_epoch_end(trainer, row)
        return hook

    def close(self):
        if self.world > 1:
            from .. import distributed
            if distributed.is_initialized():
                distributed.destroy_process_group()
        sys.stdout.flush()
