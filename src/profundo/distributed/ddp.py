"""``DistributedDataParallel``: the same model in every process, gradients averaged after each backward.

Data parallelism in three steps, as ``torch.nn.parallel.DistributedDataParallel``:

1. at construction, rank 0's parameters and buffers are copied to every process
   (a broadcast), so all replicas start equal;
2. each process runs forward and backward on its own share of the batch
   (``DistributedSampler``);
3. when backward has finished, the gradients are averaged over the processes
   (an all-reduce), so every replica takes the same optimizer step and the
   replicas stay equal, step after step.

With a loss that averages over the batch, the mean of the per-process
gradients of equal half batches is the gradient of the whole batch: 2
processes on half batches follow the same trajectory as 1 process on the
full batch (up to the order of floating-point sums).

How the all-reduce is triggered: ``forward`` puts a hook on the model's output;
when backward reaches it (before any parameter's gradient is complete), the
hook queues ``_reduce_gradients`` with ``autograd.engine.queue_callback``, which
runs once the whole backward pass has finished.  PyTorch overlaps the
communication with the backward, bucket by bucket; profundo sends everything
at the end, in one message per dtype: simpler to follow, and with gloo on a
few CPU processes the overlap would gain little.

Dense gradients travel as ONE flat contiguous buffer per dtype (gloo reads a
contiguous block; a view with strides would be read wrong), followed by one
"has a gradient" flag per parameter, so a parameter that no process used keeps
``grad=None``, as without DDP.  Row-sparse gradients (``nn.Embedding(sparse=True)``)
cannot be summed as arrays (each process touched other rows): their row indices
and rows are gathered from every process (all-gather), and the gradient becomes
their concatenation scaled by ``1 / world_size``; an uncoalesced
``RowSparseTensor`` means the sum of its rows, so that is the average.
"""
import contextlib

import numpy as np

from .._errors import error
from ..autograd import engine
from ..autograd.grad_mode import is_grad_enabled
from ..nn.modules.module import Module
from ..sparse import RowSparseTensor
from ..tensor import Tensor
from . import _group

__all__ = ["DistributedDataParallel"]


_ALL_REDUCE, _ALL_GATHER = "DistributedDataParallel (all_reduce)", "DistributedDataParallel (all_gather)"


def _collective(name, fn, *args, **kwargs):
    """Run a torch.distributed collective; a failure (a process died) becomes a clear error."""
    try:
        return fn(*args, **kwargs)
    except RuntimeError as e:
        raise _group._failed(name, e) from e


class DistributedDataParallel(Module):
    """Data-parallel training of ``module`` over the process group (``torch.nn.parallel.DistributedDataParallel``).

    ``DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=True, init_sync=True, process_group=None, bucket_cap_mb=None,
    find_unused_parameters=False, check_reduction=False, gradient_as_bucket_view=False,
    static_graph=False)``.  Call it like ``module``; after
    ``loss.backward()`` every parameter's ``.grad`` is the average over the
    processes.  ``ddp.module`` is the wrapped model (save ``ddp.module.state_dict()``
    to load it without DDP).  ``with ddp.no_sync():`` skips the all-reduce (gradient
    accumulation: the next backward outside it averages the accumulated gradients).

    - ``init_sync``: copy rank 0's parameters and buffers to every process now;
    - ``broadcast_buffers``: copy rank 0's buffers (e.g. BatchNorm statistics) to
      every process before each forward that records a graph;
    - ``find_unused_parameters``: accepted for PyTorch's code; profundo always
      handles parameters that some process did not use (their flag says so), so
      both values behave the same;
    - ``bucket_cap_mb``, ``gradient_as_bucket_view``, ``static_graph``, ``check_reduction``:
      PyTorch's performance settings (bucket size, gradients as views of the buckets,
      a graph that does not change); they do not change the averaged gradients.  They
      are checked and accepted for PyTorch's code: profundo sends all the gradients in
      one bucket per dtype after backward, whatever their values;
    - ``device_ids``/``output_device`` must be None and ``dim`` 0: profundo's
      modules live on the CPU, one replica per process (PyTorch's rule for CPU modules);
    - PyTorch's other options (``delay_all_reduce_named_params``, ``param_to_hook_all_reduce``,
      ``mixed_precision``, ``device_mesh``, ``skip_all_reduce_unused_params``, ...) are refused
      with an error that names them.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False, **unsupported):
        super().__init__()
        name = "DistributedDataParallel"
        if unsupported:
            raise error(TypeError, name, f"profundo's DistributedDataParallel does not support "
                        f"{', '.join(sorted(unsupported))} (supported: device_ids, output_device, dim, "
                        "broadcast_buffers, init_sync, process_group, bucket_cap_mb, find_unused_parameters, "
                        "check_reduction, gradient_as_bucket_view, static_graph)",
                        f"quita {', '.join(sorted(unsupported))}: profundo no lo implementa")
        if bucket_cap_mb is not None and (isinstance(bucket_cap_mb, bool) or
                                          not isinstance(bucket_cap_mb, (int, float)) or not bucket_cap_mb > 0):
            raise error(ValueError, name, f"bucket_cap_mb must be a positive number of megabytes or None, got "
                        f"{bucket_cap_mb!r}", "usa bucket_cap_mb=None (o un número > 0, p. ej. 25)")
        if not isinstance(module, Module):
            raise error(TypeError, name, f"expected an nn.Module to wrap, got {type(module).__name__}",
                        "envuelve un modelo: DistributedDataParallel(modelo)")
        if device_ids is not None or output_device is not None:
            raise error(ValueError, name, "DistributedDataParallel device_ids and output_device arguments only work "
                        "with single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                        f"{device_ids}, output_device {output_device}: profundo's modules are on the CPU, leave "
                        "them as None",
                        "no pases device_ids ni output_device: cada proceso tiene su réplica en la CPU")
        if dim != 0:
            raise error(ValueError, name, f"dim={dim} is not supported: dim is the dimension PyTorch scatters the "
                        "input along over device_ids, and profundo has one device per process",
                        "deja dim=0")
        for flag, value in (("broadcast_buffers", broadcast_buffers), ("init_sync", init_sync),
                            ("find_unused_parameters", find_unused_parameters),
                            ("check_reduction", check_reduction),
                            ("gradient_as_bucket_view", gradient_as_bucket_view), ("static_graph", static_graph)):
            if not isinstance(value, bool):
                raise error(TypeError, name, f"{flag} must be True or False, got {value!r}", f"{flag} es un bool")
        dist = _group._require_init(name)
        self.module = module
        self.process_group = process_group
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = bucket_cap_mb
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.world_size = dist.get_world_size(process_group)
        self._queued = False

        params, seen = [], set()
        for pname, p in module.named_parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append((pname, p))
        for pname, t in params + list(module.named_buffers()):
            if t.device.type != "cpu":
                raise error(RuntimeError, name, f"{pname} is on {t.device}: DistributedDataParallel with the gloo "
                            "backend needs the module on the CPU", "mueve el modelo a la CPU con .cpu()")
        # the weights of nn.Embedding/EmbeddingBag(sparse=True) get row-sparse gradients
        sparse_ids = {id(m.weight) for m in module.modules() if getattr(m, "sparse", False) is True
                      and isinstance(getattr(m, "weight", None), Tensor)}
        self._dense = [(n, p) for n, p in params if id(p) not in sparse_ids]
        self._sparse = [(n, p) for n, p in params if id(p) in sparse_ids]
        self._buffer_list = [b for _, b in module.named_buffers()]
        self._verify_same_model(dist, params)
        if init_sync:
            self._broadcast([p for _, p in params] + self._buffer_list)

    # ------------------------------------------------------------ construction: one model everywhere
    def _verify_same_model(self, dist, params):
        """Every process must wrap the same architecture: else the flat buffers would not line up."""
        import torch
        k, total, n_sparse = len(params), sum(p.numel() for _, p in params), len(self._sparse)
        v = torch.tensor([k, total, n_sparse, -k, -total, -n_sparse], dtype=torch.int64)
        _collective(_ALL_REDUCE, dist.all_reduce, v, op=dist.ReduceOp.MAX,
                    group=self.process_group)
        hi, lo = v[:3].tolist(), (-v[3:]).tolist()
        if hi != lo:
            raise error(RuntimeError, "DistributedDataParallel", f"the processes wrap different models: this one has "
                        f"{k} parameters ({total} numbers, {n_sparse} sparse), others between {lo} and {hi} "
                        "(parameters, numbers, sparse)",
                        "todos los procesos deben construir el mismo modelo (mismas capas y tamaños)")

    def _broadcast(self, tensors):
        """Rank 0's values into every process's tensors, one flat buffer per dtype."""
        import torch
        dist = _group._dist("DistributedDataParallel")
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        # the group's first process, as a global rank (torch's broadcast takes global ranks; PyTorch's DDP
        # broadcasts from its group's rank 0, which is not global rank 0 in a subgroup)
        src = 0 if self.process_group is None else dist.get_global_rank(self.process_group, 0)
        for dt, ts in by_dtype.items():
            flat = np.concatenate([t._data.reshape(-1) for t in ts]) if ts else np.zeros(0, dt)
            _collective("DistributedDataParallel (broadcast)", dist.broadcast, torch.from_numpy(flat), src,
                        group=self.process_group)
            o = 0
            for t in ts:
                n = t._data.size
                t._data[...] = flat[o:o + n].reshape(t._data.shape)  # in place: optimizers hold these tensors
                t._bump_version()
                o += n

    # ------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        sync = is_grad_enabled() and self.require_backward_grad_sync
        if sync and self.broadcast_buffers and self._buffer_list:
            self._broadcast(self._buffer_list)
        output = self.module(*inputs, **kwargs)
        if sync:
            self._queued = False
            self._hook_outputs(output)
        return output

    def _hook_outputs(self, output):
        if isinstance(output, Tensor):
            if output.requires_grad:
                output.register_hook(self._on_output_grad)
        elif isinstance(output, (list, tuple)):
            for o in output:
                self._hook_outputs(o)
        elif isinstance(output, dict):
            for o in output.values():
                self._hook_outputs(o)

    def _on_output_grad(self, grad):
        # called inside backward: the parameters' gradients are not complete yet, so the
        # all-reduce waits for the end of the pass
        if not self._queued:
            self._queued = True
            engine.queue_callback(self._reduce_gradients)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside only accumulate local gradients (no communication)."""
        before = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = before

    # ------------------------------------------------------------ backward: average the gradients
    def _reduce_gradients(self):
        self._queued = False
        dist = _group._dist("DistributedDataParallel")
        if self._dense:
            self._reduce_dense(dist)
        if self._sparse:
            self._reduce_sparse(dist)

    def _reduce_dense(self, dist):
        import torch
        by_dtype = {}
        for pname, p in self._dense:
            by_dtype.setdefault(p._data.dtype, []).append((pname, p))
        for dt, params in by_dtype.items():
            sizes = [p._data.size for _, p in params]
            total = sum(sizes)
            # [every gradient, flattened, one after the other | one flag per parameter: 1 = has a gradient]
            flat = np.zeros(total + len(params), dt)
            o = 0
            for i, ((pname, p), n) in enumerate(zip(params, sizes)):
                g = p._grad
                if g is not None:
                    if isinstance(g, RowSparseTensor):
                        raise _layout_error(pname, "a row-sparse", "dense")
                    flat[o:o + n] = g._data.reshape(-1)
                    flat[total + i] = 1
                o += n
            _collective(_ALL_REDUCE, dist.all_reduce, torch.from_numpy(flat), op=dist.ReduceOp.SUM,
                        group=self.process_group)
            grads = flat[:total]
            grads /= self.world_size  # the sum of the processes' gradients -> their mean
            o = 0
            for i, ((_, p), n) in enumerate(zip(params, sizes)):
                if flat[total + i] > 0:  # some process has a gradient for it
                    _set_grad(p, grads[o:o + n].reshape(p._data.shape))
                o += n

    def _reduce_sparse(self, dist):
        import torch
        world, group = self.world_size, self.process_group
        grads = []
        for pname, p in self._sparse:
            g = p._grad
            if g is not None and not isinstance(g, RowSparseTensor):
                raise _layout_error(pname, "a dense", "row-sparse (nn.Embedding(sparse=True))")
            grads.append(g)
        # 1. how many rows each process holds, for every sparse parameter: (world, k)
        counts = np.zeros((world, len(grads)), np.int64)
        local = np.array([0 if g is None else g._nnz() for g in grads], np.int64)
        _collective(_ALL_GATHER, dist.all_gather, list(torch.from_numpy(counts).unbind(0)),
                    torch.from_numpy(local), group=group)
        for (pname, p), g, nnz in zip(self._sparse, grads, counts.T):
            m = int(nnz.max())
            if m == 0:
                continue  # no process touched it: its gradient stays as it is
            shape = tuple(p._data.shape)
            # 2. rows and values, padded to the longest (all_gather sends equal sizes), from every process
            rows = np.zeros(m, np.int64)
            vals = np.zeros((m,) + shape[1:], p._data.dtype)
            if g is not None:
                rows[:g._nnz()] = g._rows
                vals[:g._nnz()] = g._vals
            all_rows = np.empty((world, m), np.int64)
            all_vals = np.empty((world, m) + shape[1:], p._data.dtype)
            _collective(_ALL_GATHER, dist.all_gather, list(torch.from_numpy(all_rows).unbind(0)),
                        torch.from_numpy(rows), group=group)
            _collective(_ALL_GATHER, dist.all_gather, list(torch.from_numpy(all_vals).unbind(0)),
                        torch.from_numpy(vals), group=group)
            # 3. the concatenation of everyone's rows (their sum), scaled to the mean
            keep = np.arange(m) < nnz[:, None]  # (world, m): the real rows, not the padding
            p._grad = RowSparseTensor(all_rows[keep], all_vals[keep] / world, shape)


def _set_grad(p, averaged):
    """``p.grad`` = the averaged gradient: written into the existing ``.grad`` when
    possible (as PyTorch does), else a new tensor (a copy: no ``.grad`` is a view of another's buffer)."""
    g = p._grad
    if g is not None and not g.requires_grad and g._data.flags.writeable and g._data.shape == averaged.shape:
        g._data[...] = averaged
        g._bump_version()
    else:
        p._grad = Tensor._make(averaged.copy())


def _layout_error(pname, got, expected):
    return error(RuntimeError, "DistributedDataParallel", f"parameter {pname} has {got} gradient, but "
                 f"DistributedDataParallel reduces it as {expected} (decided when it wrapped the module from "
                 "nn.Embedding(sparse=...))", "usa cada peso solo a través de su nn.Embedding (sparse=True o False)")
