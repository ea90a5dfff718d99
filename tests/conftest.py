import sys
from pathlib import Path

# test this working tree's profundo, whatever else is installed
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import urllib.request  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import profundo  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with grad mode on, anomaly mode off and a fixed seed."""
    profundo.manual_seed(0)
    yield
    profundo.autograd.grad_mode.STATE.enabled = True
    profundo.autograd.anomaly.STATE.enabled = False


def to_profundo(a, requires_grad=False):
    """A profundo tensor over a copy of ``a`` that keeps its memory layout."""
    t = profundo.from_numpy(np.array(a, copy=True, order="K"))
    if requires_grad and t.is_floating_point():
        t.requires_grad_()
    return t


@pytest.fixture(params=["numpy", "reference"])
def backend(request):
    """Run a test on each CPU backend (the fast NumPy one and the readable
    reference), as MiniTorch tests its simple and fast ops; the selection is
    restored afterwards."""
    before = profundo.get_backend()
    profundo.set_backend(request.param)
    yield request.param
    profundo.set_backend(before)


@pytest.fixture
def no_network(monkeypatch):
    """Record every URL opened; anything but a local file fails the test."""
    real = urllib.request.urlopen
    calls = []

    def guarded(url, *args, **kwargs):
        calls.append(url)
        if not str(url).startswith("file:"):
            raise AssertionError(f"a test tried to use the network: {url}")
        return real(url, *args, **kwargs)
    monkeypatch.setattr(urllib.request, "urlopen", guarded)
    return calls
