"""The fast paths inside ``Function.apply`` keep PyTorch's semantics (issue 11):

- an op on tensors of two devices raises PyTorch's error, whichever path it takes
  (recorded, no-grad kernel, forward, in-place);
- grad mode stays per thread although ``apply`` reads a shared count of the
  threads that turned it off (``grad_mode.OFF``), which must stay exact;
- the 0-d arrays kept for Python-number operands never mix dtypes or signs.
No PyTorch needed (the error text is PyTorch's).
"""
import threading

import numpy as np
import pytest

import profundo as pf
from profundo._device import SEVERAL, check_same_device
from profundo._errors import is_checked
from profundo.autograd import grad_mode

CUDA0 = pf.device("cuda", 0)


class _OnCuda(pf.Tensor):
    """A CPU tensor that claims to live on cuda:0 (profundo has one device, so tests fake the second)."""

    @property
    def device(self):
        return CUDA0


def _fake(values, requires_grad=False):
    t = pf.tensor(values, requires_grad=requires_grad)
    t.__class__ = _OnCuda
    return t


# ------------------------------------------------------------ two devices
def test_a_tensor_subclass_with_its_own_device_turns_the_check_on():
    assert SEVERAL[0] is True  # defining _OnCuda above did it


@pytest.mark.parametrize("form", ["add", "method", "matmul", "cat", "where", "in-place"])
@pytest.mark.parametrize("recorded", [False, True], ids=["no_grad", "recorded"])
def test_an_op_on_two_devices_raises_torchs_error(form, recorded):
    a = pf.tensor([1.0, 2.0], requires_grad=recorded)
    b = _fake([3.0, 4.0], requires_grad=recorded)
    run = {
        "add": lambda: a + b,                       # the no-grad kernel path (same dtype floats)
        "method": lambda: b.sub(a),                 # the fake tensor first
        "matmul": lambda: a @ b,                    # no kernel: the forward path
        "cat": lambda: pf.cat([a, b]),              # tensors inside a list argument
        "where": lambda: pf.where(a > 1.5, a, b),
        "in-place": lambda: a.detach().add_(b),     # out= in apply
    }[form]
    with pytest.raises(RuntimeError) as e:
        run()
    assert is_checked(e.value) and "Pista" in str(e.value)
    assert "Expected all tensors to be on the same device, but found at least two devices" in str(e.value)


def test_one_device_and_numbers_pass():
    b = _fake([3.0, 4.0], requires_grad=True)
    y = (b + b).sum()  # both tensors on cuda:0 (a fake one): nothing to say
    y.backward()
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0])
    check_same_device("add", [pf.ones(2), 1.0, pf.zeros(2)])


# ------------------------------------------------------------ grad mode: the shared count
def _off_now():
    return len(grad_mode.OFF)


def test_the_count_of_threads_with_grad_off_follows_every_switch():
    start = _off_now()
    with pf.no_grad():
        assert _off_now() == start + 1 and not pf.is_grad_enabled()
        with pf.no_grad():  # nested: still one thread
            assert _off_now() == start + 1
        with pf.enable_grad():
            assert _off_now() == start and pf.is_grad_enabled()
        assert _off_now() == start + 1
    assert _off_now() == start
    pf.set_grad_enabled(False)
    assert _off_now() == start + 1
    pf.set_grad_enabled(0)  # any false value: counted once
    assert _off_now() == start + 1
    pf.set_grad_enabled(True)
    assert _off_now() == start
    with pytest.raises(ZeroDivisionError):
        with pf.inference_mode():
            1 / 0
    assert _off_now() == start and pf.is_grad_enabled() and not pf.is_inference_mode_enabled()


def test_backward_turns_grad_off_and_back_on():
    start = _off_now()
    seen = []

    class Spy(pf.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen.append((pf.is_grad_enabled(), _off_now()))
            return g * 2

    x = pf.ones(2, requires_grad=True)
    Spy.apply(x).sum().backward()
    assert seen == [(False, start + 1)]
    assert _off_now() == start
    Spy.apply(x).sum().backward(create_graph=True)
    assert seen[-1] == (True, start)


def test_a_thread_with_grad_off_does_not_stop_recording_here():
    inside, leave = threading.Event(), threading.Event()
    start = _off_now()

    def worker():
        with pf.no_grad():
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert inside.wait(5)
        assert _off_now() == start + 1  # the other thread: the count is up, this thread reads its own flag
        x = pf.ones(2, requires_grad=True)
        assert (x * 3.0).grad_fn is not None and (x + x).requires_grad
        with pf.no_grad():
            assert (x * 3.0).grad_fn is None
    finally:
        leave.set()
        t.join()
    assert _off_now() == start


# ------------------------------------------------------------ numbers as operands
@pytest.mark.parametrize("recorded", [False, True], ids=["no_grad", "recorded"])
def test_number_operands_take_each_tensors_dtype(recorded):
    x32 = pf.ones(3, dtype=pf.float32, requires_grad=recorded)
    x64 = pf.ones(3, dtype=pf.float64, requires_grad=recorded)
    x16 = pf.ones(3, dtype=pf.float16, requires_grad=recorded)
    for _ in range(2):  # the second time from the kept 0-d arrays
        assert (x32 * 1.1).detach().numpy()[0] == np.float32(1.1)
        assert (x64 * 1.1).detach().numpy()[0] == 1.1  # not float32's 1.1
        assert (x16 * 1.1).detach().numpy()[0] == np.float16(1.1)
        assert (x64 + 3).dtype == pf.float64 and (x32 + 3).dtype == pf.float32


@pytest.mark.parametrize("recorded", [False, True], ids=["no_grad", "recorded"])
def test_signed_zeros_and_nan_operands_are_not_confused(recorded):
    x = pf.tensor([1.0, -2.0], requires_grad=recorded)
    for _ in range(2):
        assert np.signbit((x * 0.0).detach().numpy()).tolist() == [False, True]
        assert np.signbit((x * -0.0).detach().numpy()).tolist() == [True, False]
        assert np.isnan((x * float("nan")).detach().numpy()).all()
        assert (x * True).detach().numpy().tolist() == [1.0, -2.0]
        assert (x * 1).detach().numpy().tolist() == [1.0, -2.0]


def test_a_kept_number_array_is_never_an_output():
    x = pf.tensor(2.0)
    y = x * 1.5
    z = x * 1.5  # the same kept 0-d array is an input of both
    y.add_(1.0)
    assert z.item() == 3.0 and y.item() == 4.0
    assert (pf.tensor(2.0) * 1.5).item() == 3.0
