"""profundo.nn against torch.nn: module API, state_dict keys and errors, functional ops, losses, init, utils."""
import math

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo._errors import is_checked
from parity import assert_raises_like_torch
from profundo.nn import functional as F

torch = pytest.importorskip("torch")


def build(T, lazy=False):
    class MLP(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = T.nn.Linear(4, 8)
            self.net = T.nn.Sequential(T.nn.ReLU(), T.nn.Linear(8, 8), T.nn.Tanh(), T.nn.Dropout(0.1))
            self.heads = T.nn.ModuleList([T.nn.Linear(8, 3), T.nn.Linear(8, 2, bias=False)])
            self.register_buffer("scale", T.ones(3))
            self.register_buffer("tmp", T.zeros(1), persistent=False)

        def forward(self, x):
            h = self.net(self.fc1(x))
            return self.heads[0](h) * self.scale, self.heads[1](h)
    return MLP()


def copy_weights(ours, theirs):
    ours.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def test_state_dict_keys_names_and_repr_like_torch():
    ours, theirs = build(profundo), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    shapes = [tuple(v.shape) for v in theirs.state_dict().values()]
    assert [tuple(v.shape) for v in ours.state_dict().values()] == shapes
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert repr(ours) == repr(theirs)
    for m in [nn.LeakyReLU(0.2), nn.GELU("tanh"), nn.Softmax(dim=1), nn.Flatten(), nn.Unflatten(1, (2, 3)),
              nn.ELU(), nn.Softplus(), nn.Identity(), nn.Linear(3, 2, bias=False)]:
        tm = getattr(torch.nn, type(m).__name__)
        args = {"LeakyReLU": (0.2,), "GELU": ("tanh",), "Unflatten": (1, (2, 3)), "Linear": (3, 2, False)}
        kwargs = {"Softmax": {"dim": 1}}
        assert repr(m) == repr(tm(*args.get(type(m).__name__, ()), **kwargs.get(type(m).__name__, {})))


def test_forward_and_gradients_match_torch_with_the_same_weights():
    ours, theirs = build(profundo).double().eval(), build(torch).double().eval()
    copy_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal((5, 4))
    a, b = ours(profundo.tensor(x))
    ta, tb = theirs(torch.tensor(x))
    np.testing.assert_allclose(a.detach().numpy(), ta.detach().numpy(), rtol=1e-12)
    (a.sum() + (b ** 2).sum()).backward()
    (ta.sum() + (tb ** 2).sum()).backward()
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == tn
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12)
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_load_state_dict_errors_like_torch():
    ours, theirs = build(profundo), build(torch)
    sd = {k: profundo.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
    tsd = dict(theirs.state_dict())
    del sd["fc1.bias"], tsd["fc1.bias"]
    sd["extra.weight"] = profundo.ones(1)
    tsd["extra.weight"] = torch.ones(1)
    with pytest.raises(RuntimeError) as e:
        ours.load_state_dict(sd)
    with pytest.raises(RuntimeError) as te:
        theirs.load_state_dict(tsd)
    assert str(e.value).split("\nPista")[0] == str(te.value) and is_checked(e.value)
    result, tresult = ours.load_state_dict(sd, strict=False), theirs.load_state_dict(tsd, strict=False)
    assert result.missing_keys == tresult.missing_keys and result.unexpected_keys == tresult.unexpected_keys
    sd = {k: profundo.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
    sd["fc1.weight"] = profundo.ones(3, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param with shape"):
        ours.load_state_dict(sd)


def test_module_api():
    m = build(profundo)
    assert m.training and not m.eval().training and not m.net[3].training and m.train().net[3].training
    assert sum(p.numel() for p in m.parameters()) == 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3 + 8 * 2
    names = []
    m.apply(lambda mod: names.append(type(mod).__name__))
    assert names[-1] == "MLP" and names.count("Linear") == 4
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    w = m.fc1.weight
    opt = profundo.optim.SGD(m.parameters(), lr=0.1)
    m.double()
    assert m.fc1.weight.dtype == profundo.float64 and m.scale.dtype == profundo.float64
    assert m.fc1.weight is w and opt.param_groups[0]["params"][0].dtype == profundo.float64  # identity kept
    import copy
    twin = copy.deepcopy(m)
    assert type(twin.fc1.weight) is nn.Parameter and twin.fc1.weight is not w
    assert np.array_equal(twin.fc1.weight.numpy(), w.detach().numpy())
    assert isinstance(m.fc1.weight, nn.Parameter) and m.get_parameter("net.1.bias") is m.net[1].bias
    with pytest.raises(TypeError):
        m.fc1.weight = profundo.ones(8, 4)  # a plain tensor cannot replace a parameter
    with pytest.raises(AttributeError):
        _ = m.nope
    calls = []
    h = m.fc1.register_forward_hook(lambda mod, inp, out: calls.append(tuple(out.shape)))
    m(profundo.randn(2, 4, dtype=profundo.float64))
    h.remove()
    m(profundo.randn(2, 4, dtype=profundo.float64))
    assert calls == [(2, 8)]

    class NoInit(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
    with pytest.raises(AttributeError) as e:
        NoInit()
    assert "super().__init__()" in str(e.value)
    with pytest.raises(NotImplementedError):
        nn.Module()(1)


def test_linear_errors_name_the_module_and_lazy_linear():
    with pytest.raises(RuntimeError) as e:
        nn.Linear(784, 10)(profundo.randn(2, 3136))
    assert str(e.value).startswith("Linear(in_features=784, out_features=10, bias=True): input has 3136 features")
    assert "Pista" in str(e.value)
    lazy = nn.LazyLinear(3)
    assert "uninitialized" in repr(lazy)
    out = lazy(profundo.randn(2, 7))
    assert tuple(out.shape) == (2, 3) and tuple(lazy.weight.shape) == (3, 7) and type(lazy) is nn.Linear
    fresh = nn.Sequential(nn.LazyLinear(3))
    fresh.load_state_dict(nn.Sequential(nn.Linear(5, 3)).state_dict())
    assert tuple(fresh[0].weight.shape) == (3, 5)


def test_default_init_bounds_and_init_functions():
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    assert float(lin.weight.abs().max()) <= bound and float(lin.weight.abs().max()) > 0.9 * bound
    assert float(lin.bias.abs().max()) <= bound
    w = profundo.empty(200, 300)
    nn.init.xavier_uniform_(w)
    assert float(w.abs().max()) <= math.sqrt(6 / 500)
    nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
    assert abs(float(w.std()) - math.sqrt(2 / 300)) < 0.005
    nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert float(w.abs().max()) <= 0.5
    nn.init.constant_(w, 0.3)
    assert float(w.min()) == float(w.max()) == pytest.approx(0.3)
    for name, param in [("linear", None), ("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError):
        nn.init.xavier_uniform_(profundo.empty(3))
    with pytest.raises(ValueError):
        nn.init.calculate_gain("nope")
    profundo.manual_seed(5)
    a = nn.Linear(3, 3).weight.detach().numpy().copy()
    profundo.manual_seed(5)
    np.testing.assert_array_equal(a, nn.Linear(3, 3).weight.detach().numpy())


ACTIVATIONS = [
    ("relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 1.5}), ("gelu", {}),
    ("gelu", {"approximate": "tanh"}), ("silu", {}), ("sigmoid", {}), ("tanh", {}), ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 5.0}), ("softmax", {"dim": 1}), ("log_softmax", {"dim": 0}),
]


@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ACTIVATIONS)])
def test_activations_values_and_gradients_like_torch(name, kw):
    x = np.concatenate([np.linspace(-6, 6, 13), [-1000.0, 1000.0, -30.0, 30.0, 0.0]]).reshape(3, 6)
    ours = profundo.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, ty = getattr(F, name)(ours, **kw), getattr(torch.nn.functional, name)(theirs, **kw)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(x.shape)
    (y * profundo.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    assert np.all(np.isfinite(ours.grad.numpy()))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def _loss_case(name, kw, make):
    rng = np.random.default_rng(0)
    inp, tgt = make(rng)
    ours_in = profundo.tensor(inp, requires_grad=True)
    theirs_in = torch.tensor(inp, requires_grad=True)
    conv = {k: (profundo.tensor(v), torch.tensor(v)) for k, v in kw.items() if isinstance(v, np.ndarray)}
    okw = {k: conv[k][0] if k in conv else v for k, v in kw.items()}
    tkw = {k: conv[k][1] if k in conv else v for k, v in kw.items()}
    out = getattr(F, name)(ours_in, profundo.tensor(tgt), **okw)
    tout = getattr(torch.nn.functional, name)(theirs_in, torch.tensor(tgt), **tkw)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-9, atol=1e-12)
    g = np.random.default_rng(2).standard_normal(tuple(out.shape))
    (out * profundo.tensor(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-8, atol=1e-12)


def logits_and_labels(rng, n=6, c=4, scale=1.0):
    return rng.standard_normal((n, c)) * scale, rng.integers(0, c, n)


LOSSES = [
    ("mse_loss", {}, lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4)))),
    ("mse_loss", {"reduction": "sum"}, lambda r: (r.standard_normal(5), r.standard_normal(5))),
    ("l1_loss", {"reduction": "none"}, lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4)))),
    ("huber_loss", {"delta": 0.5}, lambda r: (r.standard_normal(8) * 2, r.standard_normal(8))),
    ("smooth_l1_loss", {"beta": 0.7}, lambda r: (r.standard_normal(8) * 2, r.standard_normal(8))),
    ("cross_entropy", {}, logits_and_labels),
    ("cross_entropy", {"reduction": "sum"}, lambda r: logits_and_labels(r, scale=1000.0)),  # huge logits
    ("cross_entropy", {"reduction": "none"}, logits_and_labels),
    ("cross_entropy", {"weight": np.array([0.1, 2.0, 1.0, 0.5])}, logits_and_labels),
    ("cross_entropy", {"ignore_index": 1}, lambda r: (r.standard_normal((6, 4)), np.array([0, 1, 2, 1, 3, 0]))),
    ("cross_entropy", {"label_smoothing": 0.2}, logits_and_labels),
    ("cross_entropy", {"label_smoothing": 0.1, "weight": np.array([0.1, 2.0, 1.0, 0.5]), "ignore_index": 2},
     lambda r: (r.standard_normal((6, 4)), np.array([0, 1, 2, 1, 3, 2]))),
    ("cross_entropy", {}, lambda r: (r.standard_normal((3, 4, 5)), r.integers(0, 4, (3, 5)))),  # (N, C, d)
    ("cross_entropy", {}, lambda r: (r.standard_normal(4), np.array(2))),  # unbatched
    ("cross_entropy", {"label_smoothing": 0.3},
     lambda r: (r.standard_normal((5, 3)), r.dirichlet(np.ones(3), 5))),  # probabilities as target
    ("nll_loss", {"weight": np.array([1.0, 0.5, 2.0])},
     lambda r: (np.log(r.dirichlet(np.ones(3), 5)), r.integers(0, 3, 5))),
    ("binary_cross_entropy", {}, lambda r: (r.uniform(0.01, 0.99, 6), r.integers(0, 2, 6).astype(float))),
    ("binary_cross_entropy", {"weight": np.arange(6.0)},
     lambda r: (np.array([0.0, 1.0, 0.5, 0.2, 1.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0]))),
    ("binary_cross_entropy_with_logits", {},
     lambda r: (np.array([-1000.0, -30.0, 0.0, 2.0, 30.0, 1000.0]), r.integers(0, 2, 6).astype(float))),
    ("binary_cross_entropy_with_logits", {"pos_weight": np.array([3.0])},
     lambda r: (r.standard_normal((4, 1)) * 5, r.integers(0, 2, (4, 1)).astype(float))),
]


@pytest.mark.parametrize("name,kw,make", LOSSES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LOSSES)])
def test_losses_values_and_gradients_like_torch(name, kw, make):
    _loss_case(name, kw, make)


def test_loss_modules_match_functional():
    x, y = profundo.randn(4, 3), profundo.tensor([0, 2, 1, 2])
    assert float(nn.CrossEntropyLoss(label_smoothing=0.1)(x, y)) == float(F.cross_entropy(x, y, label_smoothing=0.1))
    p, t = profundo.rand(5), profundo.ones(5)
    assert float(nn.BCELoss()(p, t)) == float(F.binary_cross_entropy(p, t))
    assert float(nn.BCEWithLogitsLoss(pos_weight=profundo.tensor([2.0]))(x[:, 0], t[:4])) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(x[:, 0], t[:4], pos_weight=profundo.tensor([2.0]))))
    assert float(nn.MSELoss(reduction="sum")(p, t)) == pytest.approx(float(((p - t) ** 2).sum()))
    assert float(nn.NLLLoss()(x.log_softmax(1), y)) == pytest.approx(float(F.cross_entropy(x, y)))


LOSS_ERRORS = [
    lambda T: T.nn.functional.cross_entropy(T.randn(3, 4), T.tensor([0, 1, 4])),
    lambda T: T.nn.functional.cross_entropy(T.randn(3, 4), T.tensor([0, 1])),
    lambda T: T.nn.functional.cross_entropy(T.randn(3, 4), T.tensor([0, 1, 2]), reduction="avg"),
    lambda T: T.nn.functional.cross_entropy(T.randn(3, 4), T.tensor([0, 1, 2]), label_smoothing=1.5),
    lambda T: T.nn.functional.nll_loss(T.randn(3, 4), T.tensor([0.0, 1.0, 2.0])),
    lambda T: T.nn.functional.binary_cross_entropy(T.tensor([0.5, 1.5]), T.tensor([0.0, 1.0])),
    lambda T: T.nn.functional.binary_cross_entropy(T.tensor([0.5, 0.5]), T.tensor([[0.0, 1.0]])),
    lambda T: T.nn.functional.binary_cross_entropy_with_logits(T.randn(3), T.ones(3, 1)),
    lambda T: T.nn.functional.dropout(T.ones(3), p=1.5),
    lambda T: T.nn.Dropout(p=-0.1),
    lambda T: T.nn.functional.gelu(T.ones(2), approximate="fast"),
    lambda T: T.nn.functional.one_hot(T.tensor([0, 3]), 2),
]


@pytest.mark.parametrize("make", LOSS_ERRORS)
def test_loss_and_activation_errors_like_torch(make):
    assert_raises_like_torch(lambda: make(torch), lambda: make(profundo))


def test_mse_warns_when_shapes_differ_like_torch():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(profundo.ones(4, 1), profundo.ones(4))


def test_dropout_and_one_hot():
    x = profundo.ones(200, 100)
    d = nn.Dropout(0.3)
    y = d(x)
    kept = (y > 0).float().mean()
    assert abs(float(kept) - 0.7) < 0.02 and float(y.max()) == pytest.approx(1 / 0.7)
    assert d.eval()(x) is x
    assert F.dropout(x, 1.0).sum() == 0 and F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.one_hot(profundo.tensor([0, 2, 1])).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor([0, 2, 1])).numpy())


def test_clip_grad_and_parameter_vectors_like_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)) * 10, rng.standard_normal(5)]
    for norm_type in (2.0, 1.0, float("inf")):
        ps = [profundo.zeros(g.shape, dtype=profundo.float64, requires_grad=True) for g in grads]
        tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, tp, g in zip(ps, tps, grads):
            p.grad, tp.grad = profundo.tensor(g), torch.tensor(g)
        total = nn.utils.clip_grad_norm_(ps, 1.0, norm_type)
        ttotal = torch.nn.utils.clip_grad_norm_(tps, 1.0, norm_type)
        assert float(total) == pytest.approx(float(ttotal))
        for p, tp in zip(ps, tps):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10)
    nn.utils.clip_grad_value_(ps, 0.01)
    assert float(max(p.grad.abs().max() for p in ps)) <= 0.01
    lin = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    assert tuple(vec.shape) == (8,)
    nn.utils.vector_to_parameters(profundo.arange(8.0), lin.parameters())
    assert lin.bias.tolist() == [6.0, 7.0]


def test_a_module_can_be_drawn_expanded_or_collapsed():
    from profundo import viz
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    loss = model(profundo.randn(5, 4)).sum()
    expanded = viz.draw(loss, names={})
    assert 'label="0"' in expanded.source and 'label="2"' in expanded.source  # one frame per Linear
    folded = viz.draw(loss, names={}, collapse=["0", "2"])
    modules = sorted(v.title for v in folded.model.nodes.values() if v.kind == "module")
    assert modules == ["0", "2"]
    leaves = [v for v in folded.model.nodes.values() if v.kind == "parameter"]
    assert len(leaves) == 4  # weights and biases stay visible as the modules' inputs


@pytest.mark.parametrize("fn", [
    lambda x: F.leaky_relu(x, 0.1), lambda x: F.elu(x), F.gelu, lambda x: F.gelu(x, "tanh"), F.silu, F.softplus,
    lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 1),
    lambda x: F.cross_entropy(x, profundo.tensor([0, 2, 1]), label_smoothing=0.1),
    lambda x: F.binary_cross_entropy_with_logits(x, profundo.ones(3, 4) * 0.3),
    lambda x: F.binary_cross_entropy(x.sigmoid(), profundo.ones(3, 4) * 0.7),
    lambda x: F.huber_loss(x, profundo.zeros(3, 4)), lambda x: F.mse_loss(x, profundo.ones(3, 4)),
])
def test_gradients_against_finite_differences(fn):
    x = profundo.tensor(np.random.default_rng(3).standard_normal((3, 4)) * 1.5 + 0.05, requires_grad=True)
    assert profundo.autograd.gradcheck(fn, (x,))


def test_relu_special_values_like_torch():
    values = [float("-inf"), float("nan"), -1.0, -0.0, 0.0, 2.0, float("inf")]
    ours = F.relu(profundo.tensor(values))
    theirs = torch.relu(torch.tensor(values))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = profundo.randn(4, 3).T  # non-contiguous
    np.testing.assert_array_equal(F.relu(x).numpy(), np.maximum(x.numpy(), 0))
    # the gradient too: torch lets it through a NaN and stops it at 0 and -0
    a = profundo.tensor(values, requires_grad=True)
    b = torch.tensor(values, requires_grad=True)
    F.relu(a).backward(profundo.arange(1.0, 8.0))
    torch.relu(b).backward(torch.arange(1.0, 8.0))
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_relu_reuses_read_only_zeros_without_aliasing():
    x = profundo.randn(5, 7)
    y1, y2 = F.relu(x), F.relu(-x)
    assert np.shares_memory(y1.numpy(), y2.numpy()) is False
    y1 += 1.0  # outputs are fresh, writable arrays
    np.testing.assert_allclose(y2.numpy(), np.maximum(-x.numpy(), 0))
    np.testing.assert_allclose(F.relu(x).numpy(), np.maximum(x.numpy(), 0))


@pytest.mark.parametrize("name,kw", [("leaky_relu", {"negative_slope": 0.2}), ("leaky_relu", {"negative_slope": -1.5}),
                                     ("elu", {"alpha": 1.5})])
def test_branch_free_activations_on_special_values_like_torch(name, kw):
    values = [float("-inf"), -1000.0, -1.0, -0.0, 0.0, 1e-30, 2.0, 1000.0, float("inf"), float("nan")]
    if name == "elu":  # torch's elu gradient at NaN is the incoming one; profundo's is NaN (known deviation)
        values[-1] = -2.5
    ours = profundo.tensor(values, dtype=profundo.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    y, ty = getattr(F, name)(ours, **kw), getattr(torch.nn.functional, name)(theirs, **kw)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-14, atol=0)
    y.backward(profundo.arange(1.0, 11.0, dtype=profundo.float64))
    ty.backward(torch.arange(1.0, 11.0, dtype=torch.float64))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-14, atol=0)
    x = profundo.tensor(np.random.default_rng(4).standard_normal((3, 4)) + 0.05, requires_grad=True)
    assert profundo.autograd.gradgradcheck(lambda t: getattr(F, name)(t, **kw) ** 2, (x,))


def test_linear_size_mismatch_after_convolutions_points_to_lazylinear():
    """d2l's LeNet/VGG code: a miscounted in_features after the conv layers names the fix."""
    net = profundo.nn.Sequential(profundo.nn.Flatten(), profundo.nn.Linear(400, 10))
    with pytest.raises(RuntimeError, match=r"256 features.*expected 400.*nn.LazyLinear\(10\)") as e:
        net(profundo.randn(2, 16, 4, 4))
    assert "calculaste mal el tamaño tras las capas convolucionales? usa nn.LazyLinear" in str(e.value)
    with pytest.raises(RuntimeError, match="flatten it first") as e:  # an image that was not flattened
        profundo.nn.Linear(400, 10)(profundo.randn(2, 1, 28, 28))
    assert "olvidaste aplanar" in str(e.value)
