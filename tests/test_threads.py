"""Grad mode, inference mode and module scopes are per thread, as in PyTorch;
anomaly mode is global, as in PyTorch (issue 11, item 6)."""
import threading

import profundo
from profundo import nn, viz
from profundo.autograd import function as _function


def _in_thread(fn):
    """Run ``fn`` in a new thread; return what it returned (or raise what it raised)."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as e:  # pragma: no cover - re-raised below
            out["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_no_grad_in_a_thread_leaves_the_main_thread_recording():
    started, leave = threading.Event(), threading.Event()

    def worker():
        with profundo.no_grad():
            started.set()
            leave.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert started.wait(5)
        assert profundo.is_grad_enabled()  # the other thread's no_grad is its own
        x = profundo.ones(3, requires_grad=True)
        y = (x * 2).sum()
        assert y.requires_grad and y.grad_fn is not None
        y.backward()
        assert x.grad.tolist() == [2.0, 2.0, 2.0]
    finally:
        leave.set()
        t.join()


def test_a_new_thread_starts_with_grad_enabled_whatever_the_main_thread_does():
    with profundo.no_grad():
        assert _in_thread(profundo.is_grad_enabled) is True
        assert _in_thread(lambda: (profundo.ones(2, requires_grad=True) * 3).requires_grad) is True
    profundo.set_grad_enabled(False)
    try:
        assert _in_thread(profundo.is_grad_enabled) is True
    finally:
        profundo.set_grad_enabled(True)
    with profundo.inference_mode():
        assert _in_thread(profundo.is_grad_enabled) is True
        assert _in_thread(profundo.is_inference_mode_enabled) is False
        assert profundo.is_inference_mode_enabled()


def test_set_grad_enabled_in_a_thread_is_not_seen_by_the_main_thread():
    def off():
        profundo.set_grad_enabled(False)  # never restored: only this thread is affected
        return profundo.is_grad_enabled(), (profundo.ones(2, requires_grad=True) * 2).requires_grad

    assert _in_thread(off) == (False, False)
    assert profundo.is_grad_enabled()


def test_anomaly_mode_is_global_as_in_pytorch():
    try:
        _in_thread(lambda: profundo.autograd.set_detect_anomaly(True))
        assert profundo.is_anomaly_enabled()
    finally:
        profundo.autograd.set_detect_anomaly(False)


class _Pause(nn.Module):
    """Waits inside its forward, so another thread can run while its scope is open."""

    def __init__(self, inside, leave):
        super().__init__()
        self.inside, self.leave = inside, leave

    def forward(self, x):
        self.inside.set()
        self.leave.wait(5)
        return x * 2


def test_module_scopes_do_not_leak_across_threads():
    inside, leave = threading.Event(), threading.Event()
    model = nn.Sequential(_Pause(inside, leave))
    x = profundo.ones(2, requires_grad=True)
    t = threading.Thread(target=lambda: model(x))
    t.start()
    try:
        assert inside.wait(5)
        assert list(_function.SCOPE) == []  # the worker's open module "0" is not this thread's
        y = x * 3
        assert getattr(y.grad_fn, "_scope", None) in (None, ())
        with viz.scope("main"):
            z = x + 1
            assert _in_thread(lambda: list(_function.SCOPE)) == []  # and ours is not a new thread's
        assert z.grad_fn._scope == ("main",)
    finally:
        leave.set()
        t.join()
    assert list(_function.SCOPE) == []


def test_scope_still_tags_ops_in_the_thread_that_opened_it():
    def run():
        model = nn.Sequential(nn.Linear(2, 2))
        out = model(profundo.ones(1, 2))
        return out.grad_fn._scope

    assert _in_thread(run) == ("0",)
