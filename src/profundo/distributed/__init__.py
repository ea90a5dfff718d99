"""Data-parallel training across processes and machines on ``torch.distributed`` (gloo) (Unit 4, issue 14).

profundo does the computing; PyTorch's ``torch.distributed`` (gloo backend)
moves the tensors between processes, on one machine or several:

- ``init_process_group()`` joins the group (from ``MASTER_ADDR``, ``MASTER_PORT``,
  ``RANK``, ``WORLD_SIZE``, as set by ``torchrun`` or ``profundo train ... --nproc N``);
  ``get_rank``, ``get_world_size``, ``barrier``, ``all_reduce``, ``broadcast``,
  ``all_gather`` (``ReduceOp.SUM``, ...), ``destroy_process_group``;
- ``DistributedSampler`` (also ``profundo.utils.data.DistributedSampler``): each
  process's share of every epoch;
- ``DistributedDataParallel`` (also ``profundo.nn.parallel.DistributedDataParallel``):
  one replica per process, gradients averaged after each backward;
- ``is_main_process``, ``print_main``, ``save_main``: logs and checkpoints on rank 0 only;
- ``launch(argv, nproc)``: start ``python argv...`` in ``nproc`` local processes
  with those variables set (a small ``torchrun`` for one machine).

torch is optional: it is imported only when a function here needs it, and
raises a clear ImportError if it is missing.
"""
from ..utils.data.distributed import DistributedSampler
from ._group import (ReduceOp, all_gather, all_reduce, barrier, broadcast, destroy_process_group, get_rank,
                     get_world_size, init_process_group, is_available, is_initialized, is_main_process,
                     is_torch_available, new_group, print_main, save_main)
from .ddp import DistributedDataParallel
from .launch import launch

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available", "is_torch_available",
           "get_rank", "get_world_size", "new_group", "barrier", "all_reduce", "broadcast", "all_gather", "ReduceOp",
           "DistributedSampler", "DistributedDataParallel", "is_main_process", "print_main", "save_main", "launch"]
