"""The process group and its collectives, on ``torch.distributed`` (gloo).

profundo writes no networking of its own: PyTorch's gloo backend moves the
bytes.  A profundo tensor on the CPU is a NumPy array; ``torch.from_numpy``
wraps that same memory (no copy), so a collective such as ``all_reduce`` works
in place on the profundo tensor.  gloo reads and writes one contiguous block:
a non-contiguous tensor is copied to a contiguous buffer and back.

torch is imported only inside the functions (``_dist()``), so ``import
profundo.distributed`` works without it; using a collective then raises a
clear ImportError.
"""
import datetime
import os

import numpy as np

from .._errors import error
from ..tensor import Tensor

__all__ = ["init_process_group", "destroy_process_group", "is_initialized", "is_available", "is_torch_available",
           "get_rank", "get_world_size", "new_group", "barrier", "all_reduce", "broadcast", "all_gather", "ReduceOp",
           "is_main_process", "print_main", "save_main"]

# the timeout each collective waits for the other processes (torch's default for gloo is 30 minutes)
_TIMEOUT = [datetime.timedelta(minutes=30)]


def _dist(op):
    """``torch.distributed``, or a clear error when PyTorch is not installed."""
    try:
        import torch.distributed as dist
    except ImportError:
        raise error(ImportError, op, "profundo.distributed needs PyTorch: it uses torch.distributed (gloo backend) "
                    "to move tensors between processes. Install it with: pip install torch",
                    "instala PyTorch (pip install torch): profundo lo usa solo para comunicar los procesos") from None
    if not dist.is_available():
        raise error(RuntimeError, op, "this PyTorch build has no torch.distributed support",
                    "instala una versión de PyTorch con torch.distributed (la de pip la tiene)")
    return dist


def is_torch_available():
    """True when PyTorch (and its torch.distributed) can be imported."""
    try:
        import torch.distributed as dist
    except ImportError:
        return False
    return dist.is_available()


def is_available():
    """``torch.distributed.is_available()``: False (not an error) without PyTorch."""
    return is_torch_available()


def _failed(op, exc):
    """A collective that failed: most often another process died or cannot be reached."""
    rank, world = _rank_world()
    lines = str(exc).strip().strip("'\"").splitlines()
    return error(RuntimeError, op, f"the collective failed on rank {rank} of {world} processes ({type(exc).__name__}: "
                 f"{lines[0] if lines else repr(exc)}). Another process has probably "
                 f"died, or cannot be reached within the timeout ({_TIMEOUT[0]}); this process stops instead of "
                 "waiting for it",
                 "mira la salida de los otros procesos: uno terminó con un error o no responde")


def _rank_world():
    try:
        import torch.distributed as dist
        if dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    except Exception:  # noqa: BLE001 - only used to word an error message
        pass
    return "?", "?"


def _require_init(op):
    dist = _dist(op)
    if not dist.is_initialized():
        raise error(ValueError, op, "Default process group has not been initialized, please make sure to call "
                    "init_process_group.",
                    "llama primero a profundo.distributed.init_process_group() (o lanza con torchrun)")
    return dist


# ---------------------------------------------------------------- the process group
def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name=""):
    """Join the group of processes that train together (``torch.distributed.init_process_group``).

    With the defaults, the rendezvous reads ``MASTER_ADDR``, ``MASTER_PORT``,
    ``RANK`` and ``WORLD_SIZE`` from the environment (``env://``): what
    ``torchrun --nproc-per-node N`` (and ``--nnodes``/``--node-rank``/
    ``--master-addr`` across machines) and ``profundo train ... --nproc N`` set.
    ``backend``: only ``"gloo"`` (the default); profundo computes on the CPU, so
    NCCL (a GPU backend) has nothing to move.  ``timeout`` (a
    ``datetime.timedelta`` or a number of seconds): how long a collective waits
    for the other processes before it fails (a process that died is usually
    seen at once, through its closed connection).
    """
    op = "init_process_group"
    name = "gloo" if backend is None else backend
    if not isinstance(name, str) or name.lower() != "gloo":
        raise error(ValueError, op, f"backend {backend!r} is not supported: profundo.distributed uses the 'gloo' "
                    "backend only (profundo computes on the CPU; NCCL is a GPU backend and MPI/UCC are not "
                    "used). Pass backend='gloo' or leave it out",
                    "usa backend='gloo' (o no lo pases): profundo no usa NCCL porque calcula en la CPU")
    if timeout is None:
        timeout = datetime.timedelta(minutes=30)
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        timeout = datetime.timedelta(seconds=timeout)
    if not isinstance(timeout, datetime.timedelta) or timeout.total_seconds() <= 0:
        raise error(TypeError if not isinstance(timeout, datetime.timedelta) else ValueError, op,
                    f"Expected timeout argument to be of type datetime.timedelta (or a positive number of "
                    f"seconds), got {timeout!r}", "pasa timeout=datetime.timedelta(seconds=30) o timeout=30")
    dist = _dist(op)
    if dist.is_initialized():
        raise error(RuntimeError, op, "trying to initialize the default process group twice!",
                    "llama a destroy_process_group() antes de crear otro grupo")
    if init_method is None and store is None:
        missing = [v for v, given in (("MASTER_ADDR", False), ("MASTER_PORT", False), ("RANK", rank >= 0),
                                      ("WORLD_SIZE", world_size > 0)) if not given and v not in os.environ]
        if missing:
            raise error(ValueError, op, f"environment variable(s) {', '.join(missing)} expected, but not set: with "
                        "init_method=None the processes meet at MASTER_ADDR:MASTER_PORT (env://)",
                        "lanza con torchrun --nproc-per-node N (o profundo train ... --nproc N), que las define")
    try:
        dist.init_process_group("gloo", init_method=init_method, timeout=timeout, world_size=world_size,
                                rank=rank, store=store, group_name=group_name)
    except (RuntimeError, ValueError) as e:
        raise error(ValueError if isinstance(e, ValueError) else RuntimeError, op,
                    f"could not join the process group: {e}",
                    "revisa MASTER_ADDR/MASTER_PORT, RANK y WORLD_SIZE, y que todos los procesos arranquen") from e
    _TIMEOUT[0] = timeout


def destroy_process_group(group=None):
    """Leave the process group (``torch.distributed.destroy_process_group``)."""
    dist = _require_init("destroy_process_group")
    dist.destroy_process_group(group)


def is_initialized():
    """True inside an initialized process group; False (not an error) without PyTorch."""
    try:
        import torch.distributed as dist
    except ImportError:
        return False
    return dist.is_available() and dist.is_initialized()


def get_rank(group=None):
    """This process's number in the group, 0 .. world_size - 1 (rank 0 logs and saves)."""
    return _require_init("get_rank").get_rank(group)


def get_world_size(group=None):
    """How many processes train together."""
    return _require_init("get_world_size").get_world_size(group)


def new_group(ranks=None, timeout=None, backend=None):
    """A subgroup of the processes (``ranks``: their global ranks; all of them by default), PyTorch's own
    ``ProcessGroup``: pass it as ``group=`` to the collectives or ``process_group=`` to
    DistributedDataParallel.  Every process must call it, also those not in ``ranks`` (as in PyTorch)."""
    dist = _require_init("new_group")
    if backend not in (None, "gloo"):
        raise error(ValueError, "new_group", f"backend {backend!r} is not available: profundo.distributed runs "
                    "on gloo (CPU tensors)", "omite backend= o usa backend='gloo'")
    if timeout is not None and not isinstance(timeout, datetime.timedelta):
        timeout = datetime.timedelta(seconds=timeout)
    return dist.new_group(ranks=ranks, timeout=timeout, backend=backend)


def barrier(group=None):
    """Wait until every process of the group has reached this line."""
    dist = _require_init("barrier")
    try:
        dist.barrier(group)
    except RuntimeError as e:
        raise _failed("barrier", e) from e


class _ReduceOp:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<ReduceOp.{self.name}>"


class ReduceOp:
    """How ``all_reduce`` combines the tensors (``torch.distributed.ReduceOp``):
    SUM, PRODUCT, MIN, MAX, BAND, BOR, BXOR, and AVG (gloo has no AVG: profundo
    sums and divides by the world size, floating-point tensors only)."""
    SUM = _ReduceOp("SUM")
    PRODUCT = _ReduceOp("PRODUCT")
    MIN = _ReduceOp("MIN")
    MAX = _ReduceOp("MAX")
    BAND = _ReduceOp("BAND")
    BOR = _ReduceOp("BOR")
    BXOR = _ReduceOp("BXOR")
    AVG = _ReduceOp("AVG")


def _torch_op(dist, op, name):
    """profundo's ReduceOp, or torch's own (passed through), as torch's."""
    if isinstance(op, _ReduceOp):
        return getattr(dist.ReduceOp, op.name)
    if isinstance(op, (dist.ReduceOp, getattr(dist.ReduceOp, "RedOpType", dist.ReduceOp))):
        return op
    raise error(TypeError, name, f"op must be a ReduceOp (ReduceOp.SUM, MAX, ...), got {op!r}",
                "usa profundo.distributed.ReduceOp.SUM (u otro de ReduceOp)")


def _as_torch(t, name):
    """A torch tensor sharing a contiguous copy or the memory of profundo tensor ``t``;
    returns (torch_tensor, numpy_buffer, copied)."""
    if not isinstance(t, Tensor):
        raise error(TypeError, name, f"expected a profundo Tensor, got {type(t).__name__}",
                    "pasa un profundo.Tensor")
    if t.device.type != "cpu":
        raise error(RuntimeError, name, f"tensors must be on the CPU for the gloo backend, got device {t.device}",
                    "mueve el tensor con .cpu() antes de comunicarlo")
    import torch
    arr = t._data
    copied = not (arr.flags.c_contiguous and arr.flags.writeable)
    buf = np.ascontiguousarray(arr).copy() if copied else arr
    try:
        return torch.from_numpy(buf), buf, copied
    except TypeError:
        raise error(TypeError, name, f"dtype {t.dtype} cannot be communicated (torch.from_numpy does not take it)",
                    "convierte el tensor a float32/float64 o a un entero") from None


def _async_refused(name, async_op):
    if async_op:
        raise error(ValueError, name, "async_op=True is not supported: profundo's collectives return once done",
                    "deja async_op=False")


def _write_back(t, buf, copied):
    if copied:
        t._data[...] = buf  # the gloo result, back into the (non-contiguous) tensor
    t._bump_version()


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all processes, in place: afterwards every process
    holds e.g. the sum (``op=ReduceOp.SUM``) of everyone's tensor."""
    name = "all_reduce"
    _async_refused(name, async_op)
    dist = _require_init(name)
    avg = isinstance(op, _ReduceOp) and op.name == "AVG"
    if avg and not tensor.is_floating_point():
        raise error(TypeError, name, f"ReduceOp.AVG needs a floating-point tensor, got {tensor.dtype}",
                    "convierte el tensor a float antes de promediarlo")
    top = dist.ReduceOp.SUM if avg else _torch_op(dist, op, name)
    tt, buf, copied = _as_torch(tensor, name)
    try:
        dist.all_reduce(tt, op=top, group=group)
    except RuntimeError as e:
        raise _failed(name, e) from e
    if avg:
        buf /= dist.get_world_size(group)
    _write_back(tensor, buf, copied)


def broadcast(tensor, src, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into every process's ``tensor`` (in place)."""
    name = "broadcast"
    _async_refused(name, async_op)
    dist = _require_init(name)
    tt, buf, copied = _as_torch(tensor, name)
    try:
        dist.broadcast(tt, src, group=group)
    except RuntimeError as e:
        raise _failed(name, e) from e
    _write_back(tensor, buf, copied)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` (all of the same shape and dtype)."""
    name = "all_gather"
    _async_refused(name, async_op)
    dist = _require_init(name)
    world = dist.get_world_size(group)
    if not isinstance(tensor_list, list) or len(tensor_list) != world:
        got = f"a list of {len(tensor_list)}" if isinstance(tensor_list, list) else type(tensor_list).__name__
        raise error(ValueError, name, f"tensor_list must be a list of {world} tensors (one per process), got {got}",
                    "pasa una lista con un tensor por proceso: [profundo.empty_like(t) for _ in range(world)]")
    for out in tensor_list:
        if not isinstance(out, Tensor) or tuple(out.shape) != tuple(tensor.shape) or out.dtype != tensor.dtype:
            raise error(ValueError, name, f"every tensor of tensor_list must have the shape {tuple(tensor.shape)} "
                        f"and dtype {tensor.dtype} of the input", "crea la lista con profundo.empty_like(tensor)")
    src, _, _ = _as_torch(tensor, name)
    outs = [_as_torch(o, name) for o in tensor_list]
    try:
        dist.all_gather([o[0] for o in outs], src, group=group)
    except RuntimeError as e:
        raise _failed(name, e) from e
    for o, (_, buf, copied) in zip(tensor_list, outs):
        _write_back(o, buf, copied)


# ---------------------------------------------------------------- rank-0-only helpers
def is_main_process():
    """True on rank 0, and in a program that runs as a single process (no group):
    the process that logs and writes checkpoints."""
    return not is_initialized() or get_rank() == 0


def print_main(*args, **kwargs):
    """``print`` on the main process only (the others would repeat it)."""
    if is_main_process():
        print(*args, **kwargs)


def save_main(obj, f):
    """``profundo.save(obj, f)`` on the main process only; in a group, every process
    then waits for it (a barrier), so none reads a half-written checkpoint."""
    from ..serialization import save
    if is_main_process():
        save(obj, f)
    if is_initialized():
        barrier()
