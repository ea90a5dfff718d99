"""The loop each DataLoader worker process runs, and what it sends back.

A worker receives ``(epoch, batch_number, indices)`` on its own queue, builds
the batch with the same fetcher the main process uses, and puts
``(epoch, batch_number, batch)`` on the shared result queue.  An exception is
sent back wrapped (with its traceback text) and re-raised in the main process.
``None`` tells the worker to exit.

A batch that cannot be pickled (a sample holding a lambda, a generator, a
lock...) is only found out in the queue's background thread, which by default
prints the error and drops the batch, so the main process would wait for ever.
``ResultQueue`` sends a ``SendError`` for that batch instead.
"""
import multiprocessing.queues
import os
import pickle
import queue
import random
import signal
import sys
import traceback
from dataclasses import dataclass

import numpy as np

_worker_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker (PyTorch's fields)."""
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """Inside a DataLoader worker: its ``WorkerInfo``; in the main process: ``None``."""
    return _worker_info


class _IterableEnd:
    """A worker's iterable dataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _Reset:
    """Start a new epoch (persistent workers): re-create the dataset iterator."""


class ExceptionWrapper:
    """An exception from a worker, carried to the main process with its traceback."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = _picklable_type(exc_type)
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.text}"
        try:
            exc = self.exc_type(msg)
        except Exception:  # an exception type whose constructor needs other arguments
            exc = RuntimeError(msg)
        raise exc


class SendError:
    """A batch a worker built but could not pickle: which part failed, and why."""

    def __init__(self, exc, worker_id, number, data):
        self.exc_type = _picklable_type(type(exc))
        self.reason = f"{type(exc).__name__}: {exc}"
        self.worker_id = worker_id
        self.number = number
        self.part = unpicklable_part(data)

    def reraise(self, indices=None):
        from ..._errors import error
        where, kind = self.part or ("the batch", "?")
        sent = f"batch {self.number}" + ("" if indices is None else
                                         f" (dataset indices {indices})" if isinstance(indices, list) else
                                         f" (dataset index {indices})")
        text = (f"worker process {self.worker_id} built {sent} but cannot send it to the main process: "
                f"{where} is of type {kind}, which cannot be pickled ({self.reason}). Samples travel between "
                "processes with pickle: return tensors, arrays, numbers, strings or containers of them from "
                "__getitem__ / collate_fn (not lambdas, generators, locks or open files), or use num_workers=0")
        raise error(self.exc_type, "DataLoader", text,
                    "los workers envían cada lote con pickle: devuelve tensores o números, no funciones, "
                    "generadores ni archivos abiertos (o usa num_workers=0)")


def unpicklable_part(obj, path="batch", depth=0):
    """``(path, type name)`` of the innermost part of ``obj`` that does not pickle, or None if it pickles.

    Only the parts that fail are searched, so this costs little (and it only runs after a failure).
    """
    from multiprocessing.reduction import ForkingPickler
    try:
        ForkingPickler.dumps(obj)
        return None
    except Exception:
        pass
    if depth < 20:  # name the sample or attribute, not just "the batch"
        if isinstance(obj, (list, tuple)):
            items = [(f"{path}[{k}]", v) for k, v in enumerate(obj)]
        elif isinstance(obj, dict):
            items = [(f"{path}[{k!r}]", v) for k, v in obj.items()]
        elif isinstance(getattr(obj, "__dict__", None), dict) and not isinstance(obj, type) and not callable(obj):
            items = [(f"{path}.{k}", v) for k, v in vars(obj).items()]
        else:
            items = []
        for where, value in items:
            found = unpicklable_part(value, where, depth + 1)
            if found:
                return found
    return path, type(obj).__name__


class ResultQueue(multiprocessing.queues.Queue):
    """The workers' result queue: a batch that fails to pickle becomes a ``SendError`` (see the module docstring)."""

    def __init__(self, ctx):
        super().__init__(ctx=ctx)

    def _on_queue_feeder_error(self, e, obj):
        # runs in the worker's feeder thread; obj is the (epoch, number, batch) that failed to pickle
        if isinstance(obj, tuple) and len(obj) == 3 and not isinstance(obj[2], SendError):
            epoch, number, data = obj
            self.put((epoch, number, SendError(e, _worker_info.id if _worker_info else -1, number, data)))
        else:  # pragma: no cover - our own message failed: nothing better to send
            super()._on_queue_feeder_error(e, obj)


def _picklable_type(t):
    """The exception type, or the closest base class that pickles (ours are built at run time)."""
    for base in t.__mro__:
        try:
            pickle.dumps(base)
            return base
        except Exception:
            continue
    return RuntimeError  # pragma: no cover


def _seed_everything(seed):
    from ...random import manual_seed
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(seed % 2**32)


def worker_loop(make_fetcher, dataset, index_queue, result_queue, seed, init_fn, worker_id, num_workers):
    global _worker_info
    # Ctrl-C (also Jupyter's "interrupt") goes to the main process, which then stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # never block at exit on results nobody will read (the main process stopped reading)
    result_queue.cancel_join_thread()
    parent = os.getppid()
    _seed_everything(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    init_error, fetcher = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher()
    except Exception:
        init_error = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
    ended = False
    while True:
        try:
            msg = index_queue.get(timeout=5.0)
        except queue.Empty:
            if os.getppid() != parent:  # the main process died: do not linger as an orphan
                return
            continue
        if msg is None:
            return
        if isinstance(msg, _Reset):
            ended = False
            if init_error is None:
                fetcher = make_fetcher()
            continue
        epoch, number, index = msg
        if init_error is not None:
            data, init_error = init_error, None
        elif ended:
            continue  # this worker's stream is over; the main process skips this batch
        else:
            try:
                data = fetcher(index)
            except StopIteration:
                ended = True
                data = _IterableEnd(worker_id)
            except Exception:
                data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        result_queue.put((epoch, number, data))
