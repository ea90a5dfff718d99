"""DataLoader: batches from a dataset, in the main process or in worker processes.

Same arguments and semantics as ``torch.utils.data.DataLoader``.  One epoch is:
the batch sampler gives the indices of each batch, a fetcher turns them into
samples and collates them (``_fetch.py``).  With ``num_workers > 0`` the batches
are built by worker processes (``_worker.py``) and handed back in order.
"""
import functools
import itertools
import multiprocessing
import numbers
import pickle
import queue
import time
import warnings

from ..._errors import error
from ._fetch import _IterableFetcher, _MapFetcher
from ._worker import ExceptionWrapper, ResultQueue, SendError, _IterableEnd, _Reset, unpicklable_part, worker_loop
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class _InfiniteConstantSampler(Sampler):
    """The 'sampler' of an iterable dataset: the stream decides when to stop."""

    def __iter__(self):
        return itertools.repeat(None)


def _check(ok, text, hint):
    if not ok:
        raise error(ValueError, "DataLoader", text, hint)


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None,
    batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False,
    drop_last=False, timeout=0, worker_init_fn=None, generator=None, ...)``
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        _check(isinstance(num_workers, numbers.Integral) and num_workers >= 0,
               "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.",
               "num_workers=0 carga los datos en el proceso principal")
        _check(timeout >= 0, "timeout option should be non-negative", "usa timeout=0 para esperar sin límite")
        _check(not (num_workers == 0 and prefetch_factor is not None),
               "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable "
               "multiprocessing, otherwise set prefetch_factor to None.",
               "prefetch_factor solo tiene sentido con num_workers > 0")
        _check(prefetch_factor is None or prefetch_factor >= 0, "prefetch_factor option should be non-negative",
               "prefetch_factor es cuántos lotes prepara cada worker por adelantado")
        _check(not (persistent_workers and num_workers == 0), "persistent_workers option needs num_workers > 0",
               "persistent_workers=True solo sirve con num_workers > 0")
        if batch_size is not None:
            _check(isinstance(batch_size, numbers.Integral) and not isinstance(batch_size, bool) and batch_size > 0,
                   f"batch_size should be a positive integer value, but got batch_size={batch_size!r}",
                   "batch_size debe ser un entero positivo (o None para no agrupar en lotes)")

        if isinstance(dataset, IterableDataset):
            _check(not shuffle, f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                   f"shuffle={shuffle}", "un IterableDataset decide su propio orden: baraja dentro de __iter__")
            _check(sampler is None, f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                   f"sampler={sampler}", "un IterableDataset no usa sampler")
            _check(batch_sampler is None, "DataLoader with IterableDataset: expected unspecified batch_sampler "
                   f"option, but got batch_sampler={batch_sampler}", "un IterableDataset no usa batch_sampler")
        else:
            shuffle = bool(shuffle)
        _check(not (sampler is not None and shuffle), "sampler option is mutually exclusive with shuffle",
               "baraja con shuffle=True o con un sampler (p. ej. RandomSampler), no con ambos")
        if batch_sampler is not None:
            _check(batch_size == 1 and not shuffle and sampler is None and not drop_last,
                   "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
                   "con batch_sampler, el tamaño de lote y el orden los decide el batch_sampler")
            batch_size, drop_last = None, False
        elif batch_size is None:
            _check(not drop_last, "batch_size=None option disables auto-batching and is mutually exclusive with "
                   "drop_last", "drop_last solo tiene sentido con batch_size")

        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)
        self.pin_memory = pin_memory  # CPU tensors need no pinning: __iter__ warns, as PyTorch does without a GPU
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterator = None

    # ------------------------------------------------------------------ pieces
    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _index_batches(self):
        """The indices of each batch of one epoch (int64 arrays when the sampler can draw them at once)."""
        if self._auto_collation and hasattr(self.batch_sampler, "_batch_arrays") \
                and not isinstance(self.dataset, IterableDataset):
            return self.batch_sampler._batch_arrays()
        return iter(self._index_sampler)

    def _make_fetcher(self):
        """A picklable factory, so worker processes can build their own fetcher."""
        if isinstance(self.dataset, IterableDataset):
            return functools.partial(_IterableFetcher, self.dataset, self._auto_collation, self.collate_fn,
                                     self.drop_last, self.batch_size)
        return functools.partial(_MapFetcher, self.dataset, self._auto_collation, self.collate_fn)

    # ---------------------------------------------------------------- protocol
    def __iter__(self):
        if self.pin_memory:  # PyTorch's warning on a machine with no accelerator: there is nothing to pin for
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", UserWarning, stacklevel=2)
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._shut:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            if not hasattr(self.dataset, "__len__"):
                raise error(TypeError, "DataLoader", f"object of type '{type(self.dataset).__name__}' has no len()",
                            "un IterableDataset sin __len__ no sabe cuántos lotes tiene")
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    # No __del__ here: ``for b in DataLoader(...)`` drops the loader at once while its
    # iterator runs on; the iterator stops its own workers when it is garbage collected.


class _SingleProcessIter:
    def __init__(self, loader):
        self._batches = loader._index_batches()
        self._fetch = loader._make_fetcher()()
        self._length = len(loader) if hasattr(loader.dataset, "__len__") else None

    def __iter__(self):
        return self

    def __next__(self):
        return self._fetch(next(self._batches))

    def __len__(self):
        return self._length


class _MultiProcessIter:
    """Worker processes build the batches; this object hands them out in order.

    ``self._tasks`` maps each batch number sent out to its worker id, and, once
    it arrived early, to its data.  Nothing can hang: while waiting, dead workers
    are detected, and every way out (end of epoch, error, break, garbage
    collection) stops the workers.
    """

    _POLL_S = 1.0

    def __init__(self, loader):
        from ...random import _rng
        self._shut = True
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        if isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._n = loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._iterable = isinstance(loader.dataset, IterableDataset)
        self._prefetch = max(1, loader.prefetch_factor) * self._n
        base_seed = int(_rng(loader.generator).integers(0, 2**62))
        self._result_queue = ResultQueue(ctx)
        self._index_queues, self._workers = [], []
        self._shut = False
        fetcher = loader._make_fetcher()
        for wid in range(self._n):
            q = ctx.Queue()
            q.cancel_join_thread()
            self._index_queues.append(q)
            w = ctx.Process(target=worker_loop, daemon=True,
                            args=(fetcher, loader.dataset, q, self._result_queue, base_seed + wid,
                                  loader.worker_init_fn, wid, self._n))
            try:
                w.start()  # spawn/forkserver pickle the dataset here
            except Exception as e:
                self._shutdown()
                raise _start_error(e, loader, ctx) from None
            self._workers.append(w)
        self._epoch = 0
        self._start_epoch(loader)

    def _start_epoch(self, loader):
        self._batches = loader._index_batches()
        self._length = len(loader) if hasattr(loader.dataset, "__len__") else None
        self._active = [True] * self._n
        self._cycle = itertools.cycle(range(self._n))
        self._sent = self._received = 0
        self._tasks, self._indices = {}, {}
        for _ in range(self._prefetch):
            self._send_next()

    def _reset(self, loader):
        """Persistent workers: a new epoch with the same processes."""
        self._epoch += 1  # results of an unfinished previous epoch are recognized and dropped
        if self._iterable:
            for q in self._index_queues:
                q.put(_Reset())
        self._start_epoch(loader)

    def __iter__(self):
        return self

    def __len__(self):
        return self._length

    def _send_next(self):
        index = next(self._batches, None) if not self._iterable else None
        if index is None and not self._iterable:
            return
        for _ in range(self._n):
            wid = next(self._cycle)
            if self._active[wid]:
                break
        else:
            return
        self._index_queues[wid].put((self._epoch, self._sent, index))
        self._tasks[self._sent] = (wid,)
        self._indices[self._sent] = index  # only to name the samples of a batch that failed
        self._sent += 1

    def __next__(self):
        while True:
            # move past batches already handed out (in_order=False) or owed by workers whose stream ended
            while self._received < self._sent:
                task = self._tasks.get(self._received)
                if task is not None and (len(task) == 2 or self._active[task[0]]):
                    break
                self._tasks.pop(self._received, None)
                self._indices.pop(self._received, None)
                self._received += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            task = self._tasks[self._received]
            if len(task) == 2:  # it arrived earlier, out of order
                del self._tasks[self._received]
                self._send_next()
                return self._check(self._received, task[1])
            epoch, number, data = self._get()
            if epoch != self._epoch:  # left over from an epoch that was cut short
                continue
            if isinstance(data, _IterableEnd):
                self._active[data.worker_id] = False
                self._send_next()
                continue
            if number != self._received and self._in_order:
                self._tasks[number] += (data,)
                continue
            del self._tasks[number]
            self._send_next()
            return self._check(number, data)

    def _check(self, number, data):
        index = self._indices.pop(number, None)
        if isinstance(data, ExceptionWrapper):
            self._shutdown()
            data.reraise()
        if isinstance(data, SendError):
            self._shutdown()
            data.reraise(None if index is None else _as_list(index))
        return data

    def _get(self):
        start = time.monotonic()
        while True:
            try:
                return self._result_queue.get(timeout=self._POLL_S)
            except queue.Empty:
                pass
            except Exception as e:  # a batch that pickled in the worker but cannot be rebuilt here
                self._shutdown()
                kind = type(e) if isinstance(e, (TypeError, ValueError, AttributeError, pickle.UnpicklingError)) \
                    else RuntimeError
                raise error(kind, "DataLoader", f"the main process cannot unpickle a batch sent by a worker "
                            f"({type(e).__name__}: {e})",
                            "el lote se envió con pickle pero no se puede reconstruir: revisa __reduce__/"
                            "__setstate__ de lo que devuelve __getitem__, o usa num_workers=0") from e
            dead = [w for w in self._workers if not w.is_alive()]
            if dead:
                self._shutdown()
                pids = ", ".join(str(w.pid) for w in dead)
                codes = ", ".join(str(w.exitcode) for w in dead)
                raise error(RuntimeError, "DataLoader",
                            f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code {codes}); "
                            "its traceback, if any, is printed above",
                            "un worker murió (¿memoria insuficiente, un fallo en __getitem__, o con 'spawn' un "
                            "dataset que no se puede reconstruir?); prueba con num_workers=0 para ver el error") \
                    from None
            if self._timeout and time.monotonic() - start > self._timeout:
                self._shutdown()
                raise error(RuntimeError, "DataLoader", f"DataLoader timed out after {self._timeout} seconds",
                            "un lote tardó demasiado: aumenta timeout o revisa __getitem__") from None

    def _shutdown(self):
        if self._shut:
            return
        self._shut = True
        for q in self._index_queues:
            try:
                q.put(None)
            except Exception:  # pragma: no cover - queue already broken
                pass
        for w in self._workers:
            w.join(timeout=2.0)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
        for q in [*self._index_queues, self._result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        self._shutdown()


def _as_list(index):
    return index.tolist() if hasattr(index, "tolist") else index


def _start_error(exc, loader, ctx):
    """A clear error when the worker processes cannot be started (spawn: something does not pickle)."""
    method = ctx.get_start_method()
    parts = [("the dataset", loader.dataset), ("collate_fn", loader.collate_fn),
             ("worker_init_fn", loader.worker_init_fn)]
    culprit = None
    for what, obj in parts:
        found = unpicklable_part(obj, what)
        if found:
            culprit = found
            break
    if culprit is None:
        text = f"cannot start the worker processes (start method {method!r}): {type(exc).__name__}: {exc}"
    else:
        text = (f"cannot start the worker processes: with start method {method!r} each worker receives a pickled "
                f"copy of the dataset, collate_fn and worker_init_fn, and {culprit[0]} (type {culprit[1]}) cannot be "
                f"pickled ({type(exc).__name__}: {exc}). Define them at module level and open files or locks inside "
                "__getitem__ (or in worker_init_fn), or use num_workers=0")
    exc_type = type(exc) if isinstance(exc, (TypeError, AttributeError, pickle.PicklingError)) else RuntimeError
    return error(exc_type, "DataLoader", text,
                 "con 'spawn' (macOS, Windows) el dataset viaja a cada worker con pickle: nada de lambdas, "
                 "archivos abiertos ni locks en sus atributos (o usa num_workers=0)")
