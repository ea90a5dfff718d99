"""The loop each DataLoader worker process runs, and what it sends back.

A worker receives ``(epoch, batch_number, indices)`` on its own queue, builds
the batch with the same fetcher the main process uses, and puts
``(epoch, batch_number, batch)`` on the shared result queue.  An exception is
sent back wrapped (with its traceback text) and re-raised in the main process.
``None`` tells the worker to exit.
"""
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
