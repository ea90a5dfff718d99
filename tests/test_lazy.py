"""Lazy layers materialize their parameters in place, as PyTorch's: an optimizer built before the
first forward (d2l's Trainer calls ``configure_optimizers`` before any batch) trains them."""
import numpy as np
import pytest

import profundo as torch
from profundo import nn


def _lazy_models():
    return [("linear", lambda: nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2)), (8, 3)),
            ("conv", lambda: nn.Sequential(nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d(), nn.Flatten(),
                                           nn.LazyLinear(2)), (4, 2, 5, 5))]


@pytest.mark.parametrize("name,build,shape", _lazy_models(), ids=[m[0] for m in _lazy_models()])
def test_an_optimizer_built_before_the_first_forward_trains_the_materialized_parameters(name, build, shape):
    torch.manual_seed(0)
    model = build()
    before = list(model.parameters())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, t = torch.randn(*shape), torch.randn(shape[0], 2)
    loss = ((model(x) - t) ** 2).mean()
    after = list(model.parameters())
    assert len(before) == len(after) and all(a is b for a, b in zip(before, after))
    assert all(type(p) is nn.Parameter for p in after)
    values = [p.detach().clone() for p in after]
    loss.backward()
    opt.step()
    changed = [not np.array_equal(p.detach().numpy(), v.numpy()) for p, v in zip(after, values)]
    assert all(changed)
    assert ((model(x) - t) ** 2).mean().item() < loss.item()


def test_a_dtype_chosen_before_the_first_forward_is_kept():
    model = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d()).double()
    y = model(torch.randn(4, 5, dtype=torch.float64))
    assert y.dtype == torch.float64
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == torch.float64


def test_materialize_is_refused_for_another_device_and_keeps_identity():
    p = nn.UninitializedParameter(torch.empty(0))
    same = p
    with pytest.raises(RuntimeError):
        p.materialize((2, 3), device="cuda")
    p.materialize((2, 3))
    assert same is p and type(p) is nn.Parameter and tuple(p.shape) == (2, 3) and p.requires_grad
