"""profundo.optim against torch.optim: 20-step trajectories, param groups, state_dict, schedules."""
import math

import numpy as np
import pytest

import profundo
from profundo import optim
from profundo._errors import is_checked
from parity import assert_raises_like_torch

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
W0, B0 = rng.standard_normal((3, 4)), rng.standard_normal(4)
X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 4))


def loss_fn(T, W, b):
    return ((T.tensor(X) @ W + b).tanh() - T.tensor(Y)).pow(2).sum()


def trajectory(T, make, steps=20, groups=False, closure=False):
    W = T.tensor(W0.copy(), requires_grad=True)
    b = T.tensor(B0.copy(), requires_grad=True)
    params = [{"params": [W]}, {"params": [b], "lr": 0.05}] if groups else [W, b]
    opt = make(T, params)
    for _ in range(steps):
        def step_closure():
            opt.zero_grad()
            loss = loss_fn(T, W, b)
            loss.backward()
            return loss
        if closure:
            opt.step(step_closure)
        else:
            step_closure()
            opt.step()
    return W.detach().numpy(), b.detach().numpy(), opt


CONFIGS = [
    ("SGD", {"lr": 0.01}), ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "maximize": True}),
    ("Adam", {}), ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}), ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {}), ("RMSprop", {"lr": 0.001, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.9, "centered": True}),
    ("Adagrad", {}), ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}),
]


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
@pytest.mark.parametrize("groups", [False, True])
def test_trajectories_match_torch(name, kw, groups, backend):  # on both backends: Adam's update is a kernel
    ours = trajectory(profundo, lambda T, p: getattr(T.optim, name)(p, **kw), groups=groups)
    theirs = trajectory(torch, lambda T, p: getattr(T.optim, name)(p, **kw), groups=groups)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours[0], W0)  # it moved


def test_closure_and_zero_grad():
    ours = trajectory(profundo, lambda T, p: T.optim.SGD(p, lr=0.01, momentum=0.5), closure=True)
    theirs = trajectory(torch, lambda T, p: T.optim.SGD(p, lr=0.01, momentum=0.5), closure=True)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10)
    w = profundo.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_state_dict_round_trip_resumes_exactly():
    full = trajectory(profundo, lambda T, p: T.optim.Adam(p, lr=0.01), steps=20)
    W, b, opt = trajectory(profundo, lambda T, p: T.optim.Adam(p, lr=0.01), steps=10)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1] and sd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    tsd = trajectory(torch, lambda T, p: T.optim.Adam(p, lr=0.01), steps=10)[2].state_dict()
    assert set(sd["state"][0]) == set(tsd["state"][0])
    assert set(sd["param_groups"][0]) <= set(tsd["param_groups"][0])  # torch adds its kernel switches (foreach...)
    W2 = profundo.tensor(W.copy(), requires_grad=True)
    b2 = profundo.tensor(b.copy(), requires_grad=True)
    opt2 = optim.Adam([W2, b2], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01
    for _ in range(10):
        opt2.zero_grad()
        loss_fn(profundo, W2, b2).backward()
        opt2.step()
    np.testing.assert_array_equal(W2.detach().numpy(), full[0])
    with pytest.raises(ValueError) as e:
        optim.Adam([W2], lr=0.1).load_state_dict(sd)
    assert is_checked(e.value)


@pytest.mark.parametrize("make", [
    lambda T, p: T.optim.SGD(p, lr=-1), lambda T, p: T.optim.SGD(p, lr=0.1, momentum=-0.5),
    lambda T, p: T.optim.SGD(p, lr=0.1, nesterov=True), lambda T, p: T.optim.Adam(p, betas=(1.0, 0.9)),
    lambda T, p: T.optim.Adam(p, eps=-1), lambda T, p: T.optim.AdamW(p, weight_decay=-1),
    lambda T, p: T.optim.RMSprop(p, alpha=-1), lambda T, p: T.optim.Adagrad(p, lr_decay=-1),
    lambda T, p: T.optim.SGD([], lr=0.1), lambda T, p: T.optim.SGD(p[0], lr=0.1),
    lambda T, p: T.optim.SGD([p[0], p[0] * 2], lr=0.1),
])
def test_bad_arguments_like_torch(make):
    assert_raises_like_torch(lambda: make(torch, [torch.ones(2, requires_grad=True)]),
                             lambda: make(profundo, [profundo.ones(2, requires_grad=True)]))


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}), ("MultiStepLR", {"milestones": [2, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}), ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("LinearLR", {"start_factor": 0.25, "total_iters": 6}), ("LambdaLR", {"lr_lambda": lambda e: 1 / (1 + e)}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 25}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 5, "steps_per_epoch": 5, "anneal_strategy": "linear",
                    "three_phase": True}),
]


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[s[0] + str(i) for i, s in enumerate(SCHEDULES)])
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_schedules_match_torch(name, kw, opt_name):
    def run(T):
        params = [{"params": [T.ones(2, requires_grad=True)]}, {"params": [T.ones(1, requires_grad=True)], "lr": 0.2}]
        opt = getattr(T.optim, opt_name)(params, lr=0.1, **({"momentum": 0.9} if opt_name == "SGD" else {}))
        sched = getattr(T.optim.lr_scheduler, name)(opt, **kw)
        lrs, moms = [], []
        for _ in range(24):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
            g = opt.param_groups[0]
            moms.append(g["betas"][0] if "betas" in g else g["momentum"])
        return lrs, moms
    (ours, om), (theirs, tm) = run(profundo), run(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(om, tm, rtol=1e-12)


def test_reduce_on_plateau_like_torch():
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.99, 0.89, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95]

    def run(T, **kw):
        opt = T.optim.SGD([T.ones(1, requires_grad=True)], lr=1.0)
        sched = T.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
        out = []
        for m in metrics:
            sched.step(m)
            out.append(opt.param_groups[0]["lr"])
        return out
    for kw in [{"patience": 2}, {"patience": 1, "cooldown": 2, "factor": 0.5}, {"mode": "max", "patience": 0},
               {"patience": 1, "threshold_mode": "abs", "threshold": 0.05, "min_lr": 0.05}]:
        assert run(profundo, **kw) == pytest.approx(run(torch, **kw))
    with pytest.raises(ValueError):
        optim.lr_scheduler.ReduceLROnPlateau(optim.SGD([profundo.ones(1, requires_grad=True)], lr=1), factor=2)


def test_one_cycle_needs_momentum_and_stops_at_total_steps():
    opt = optim.Adagrad([profundo.ones(1, requires_grad=True)])
    with pytest.raises(ValueError):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    opt = optim.SGD([profundo.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()
    assert math.isclose(optim.lr_scheduler.StepLR(optim.SGD([profundo.ones(1, requires_grad=True)], lr=1.0),
                                                  2).get_last_lr()[0], 1.0)
