"""profundo.interop without PyTorch: importing profundo (and the bridge) works; using it says to install torch.

Runs with and without torch installed: the absence is simulated by hiding the module."""
import sys

import pytest

import profundo
from profundo import interop, nn


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError


@pytest.mark.parametrize("call", [lambda: interop.to_torch(profundo.ones(2)),
                                  lambda: interop.to_torch(nn.Linear(2, 2)),
                                  lambda: interop.from_torch(object()),
                                  lambda: interop.torch_dtype(profundo.float32)])
def test_without_torch_the_bridge_says_to_install_it(no_torch, call):
    with pytest.raises(ImportError, match="PyTorch is not installed") as info:
        call()
    assert "pip install torch" in str(info.value)


def test_profundo_does_not_import_torch(no_torch):
    assert profundo.interop is interop  # loading the bridge itself needs no torch
    assert profundo.ones(2).sum().item() == 2
