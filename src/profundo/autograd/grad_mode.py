"""Grad mode: whether ops record the graph (``no_grad`` & co.).

``no_grad`` only stops *recording*: ``loss.backward()`` inside ``no_grad()``
still works, exactly like PyTorch (d2l's Trainer relies on it).
"""
import functools
import threading


class _Enabled:
    """The ``enabled`` attribute of ``_GradState``: a data descriptor with no
    ``__get__``, so a read is the plain per-thread dict read (every op may ask)
    and only a write runs Python code, to keep ``OFF`` up to date.  (A class
    ``__setattr__`` made each write ~2x slower; paid by every ``no_grad`` block.)"""

    def __set__(self, state, value):
        value = value is True or (value is not False and bool(value))
        d = state.__dict__  # this thread's
        if value is not d["enabled"]:
            if value:
                OFF.pop()
            else:
                OFF.append(True)
        d["enabled"] = value


class _GradState(threading.local):
    """Per thread, as PyTorch's: a thread that enters ``no_grad`` leaves the others
    recording, and a new thread starts with grad enabled (``__init__`` runs once
    per thread).  ``inference_mode`` is the same flag here.  (Anomaly mode, like
    PyTorch's, is global.)

    Reading a per-thread attribute costs ~55 ns, against ~15 ns for a shared
    list, and every op asks.  So ``OFF`` holds one entry per thread whose grad
    mode is off (each write of ``enabled`` keeps it up to date): while it is
    empty, grad is on in every thread and ``Function.apply`` reads no per-thread
    state; the hot test is ``not OFF or STATE.enabled``.  (A thread that ends
    with grad off leaves its entry: later ops are a little slower, never wrong.)
    ``OFF.append``/``OFF.pop`` are single calls, atomic under the GIL: no lock
    (a ``with lock:`` made each write ~3x slower, ~1.5 us, paid twice by every
    ``backward()`` and every ``no_grad`` block)."""

    enabled = _Enabled()
    inference = False  # inside inference_mode (which also turns grad off)

    def __init__(self):
        self.__dict__["enabled"] = True


_new = object.__new__
OFF = []  # one entry per thread that has grad mode off now (len(OFF): how many)
STATE = _GradState()


def is_grad_enabled():
    return STATE.enabled


def is_inference_mode_enabled():
    return STATE.inference


class _GradModeContext:
    """Base class: a context manager that is also a function decorator."""

    _mode = True

    def __enter__(self):
        self._prev = prev = STATE.enabled
        if prev is not self._mode:  # (a no_grad inside no_grad, as optimizer.step in d2l's loop: no write)
            STATE.enabled = self._mode

    def __exit__(self, *exc):
        if STATE.enabled is not self._prev:
            STATE.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return func(*args, **kwargs)
        return wrapper

    @staticmethod
    def _fresh(ctx):
        return ctx.__class__()


class no_grad(_GradModeContext):
    """Context manager / decorator that disables graph recording.

    Usable as ``with no_grad():``, ``@no_grad()`` or ``@no_grad``.
    """

    _mode = False

    def __new__(cls, orig_func=None):
        self = _new(cls)
        if orig_func is not None:  # used as a bare decorator: @no_grad
            return self(orig_func)
        return self


class enable_grad(no_grad):
    """Context manager / decorator that enables graph recording."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode now (``set_grad_enabled(False)``) or for a ``with`` block."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self._mode

    def __enter__(self):
        pass

    def __call__(self, func):
        STATE.enabled = self._prev  # used as a decorator: do not change the mode now
        return super().__call__(func)

    @staticmethod
    def _fresh(ctx):
        return set_grad_enabled(ctx._mode)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (profundo has no separate inference tensors)."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):  # bare decorator
            self._mode = False
            return self(mode)
        self._mode = not mode
        return self

    def __init__(self, mode=True):
        pass

    def __enter__(self):
        self._prev_inference = STATE.inference
        STATE.inference = not self._mode
        super().__enter__()

    def __exit__(self, *exc):
        STATE.inference = self._prev_inference
        return super().__exit__(*exc)

    @staticmethod
    def _fresh(ctx):
        return inference_mode(not ctx._mode)
