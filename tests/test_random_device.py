"""Random numbers are drawn on the host and handed to the device's backend (issue 11, the host-RNG
seam in profundo/random.py): one seed, the same numbers on every backend."""
import numpy as np
import pytest

import profundo
import profundo.random as prandom
from profundo import _backend


class _Recording:
    """A backend wrapper that records which arrays it was handed (a stand-in for a GPU backend)."""

    def __init__(self, inner):
        self.inner, self.handed = inner, []

    def asarray(self, a, dtype=None):
        self.handed.append(a)
        return self.inner.asarray(a, dtype)

    def __getattr__(self, name):
        return getattr(self.inner, name)


DRAWS = {
    "rand": lambda: profundo.rand(2, 3),
    "randn": lambda: profundo.randn(2, 3, dtype=profundo.float64),
    "randint": lambda: profundo.randint(0, 5, (4,)),
    "randperm": lambda: profundo.randperm(6),
    "normal": lambda: profundo.normal(0.0, 2.0, size=(3,)),
    "normal_tensors": lambda: profundo.normal(profundo.zeros(3), profundo.ones(3)),
    "rand_like": lambda: profundo.rand_like(profundo.zeros(2, 2)),
    "randn_like": lambda: profundo.randn_like(profundo.zeros(2, 2)),
    "randint_like": lambda: profundo.randint_like(profundo.zeros(2, 2), 4),
    "bernoulli": lambda: profundo.bernoulli(profundo.full((5,), 0.5)),
    "multinomial": lambda: profundo.multinomial(profundo.tensor([0.2, 0.8]), 3, replacement=True),
}


@pytest.mark.parametrize("name", DRAWS)
def test_samples_are_drawn_on_the_host_and_handed_to_the_devices_backend(name, monkeypatch):
    rec = _Recording(_backend.current())
    monkeypatch.setattr(prandom, "backend_of_device", lambda device=None: rec)
    t = DRAWS[name]()
    assert rec.handed, f"{name} did not hand its samples to the device's backend"
    assert all(type(a) is np.ndarray for a in rec.handed)  # host arrays: NumPy's generator drew them
    assert t.device == profundo.device("cpu")


@pytest.mark.parametrize("name", DRAWS)
def test_one_seed_gives_the_same_numbers_on_every_backend(name):
    before = profundo.get_backend()
    try:
        values = []
        for backend in ("numpy", "reference"):
            profundo.set_backend(backend)
            profundo.manual_seed(123)
            values.append(DRAWS[name]().numpy().copy())
        np.testing.assert_array_equal(values[0], values[1])
    finally:
        profundo.set_backend(before)


def test_like_functions_take_the_inputs_device_and_refuse_a_missing_one():
    x = profundo.zeros(2, 3)
    assert profundo.rand_like(x).device == x.device
    assert profundo.randn_like(x, device="cpu").device == x.device
    with pytest.raises(RuntimeError, match="CUDA"):
        profundo.rand_like(x, device="cuda")


def test_random_uses_no_numpy_only_array_feature_on_device_arrays():
    """The device side of random.py goes through the backend: no NumPy-only features (see test_backends)."""
    src = open(prandom.__file__).read()
    for feature in [".flags.writeable", "np.seterr", "__array_interface__", ".ctypes", "frompyfunc"]:
        assert feature not in src
    assert "Tensor._make(np." not in src.replace("Tensor._make(np.frombuffer", "")  # (the RNG state: host-side)
