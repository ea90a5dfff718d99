"""Anomaly detection: find the forward call whose backward produced NaN."""
import functools
import os
import traceback

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _AnomalyState:
    enabled = False
    check_nan = True


STATE = _AnomalyState()


def user_stack():
    """The current call stack without profundo's own frames at its end, so
    its last frame is the user's line that called the op."""
    stack = traceback.extract_stack()
    while len(stack) > 1 and os.path.abspath(stack[-1].filename).startswith(_PACKAGE):
        stack.pop()
    return stack


def is_anomaly_enabled():
    return STATE.enabled


def is_anomaly_check_nan_enabled():
    return STATE.check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off now, or for a ``with`` block."""

    def __init__(self, mode, check_nan=True):
        self._prev = (STATE.enabled, STATE.check_nan)
        STATE.enabled, STATE.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        STATE.enabled, STATE.check_nan = self._prev
        return False


class detect_anomaly:
    """Context manager / decorator: while active, every op remembers the line
    of code that created it, and a backward that returns NaN raises an error
    naming the op and that line.  It slows everything down: debug only."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = (STATE.enabled, STATE.check_nan)
        STATE.enabled, STATE.check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc):
        STATE.enabled, STATE.check_nan = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)
        return wrapper
