"""d2l chapter 6, Builders' Guide (PyTorch edition), run as the book writes it with ``import torch`` ->
``import profundo as torch`` (see _book.py).  Only PyTorch is needed: where the result does not depend on the
random initialisation, the same source also runs on PyTorch and the results must agree."""
import numpy as np
import pytest

from _book import as_numpy, assert_same, run

# --- 6.1 Layers and Modules (model-construction.md) -------------------------------------------------------
MODEL_CONSTRUCTION = """
import torch
from torch import nn
from torch.nn import functional as F

net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))

X = torch.rand(2, 20)
shape_sequential = net(X).shape

class MLP(nn.Module):
    def __init__(self):
        # Call the constructor of the parent class nn.Module to perform
        # the necessary initialization
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.out = nn.LazyLinear(10)

    # Define the forward propagation of the model, that is, how to return the
    # required model output based on the input X
    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))

net = MLP()
shape_mlp = net(X).shape

class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X

net = MySequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
shape_mysequential = net(X).shape

class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        # Random weight parameters that will not compute gradients and
        # therefore keep constant during training
        self.rand_weight = torch.rand((20, 20))
        self.linear = nn.LazyLinear(20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        # Reuse the fully connected layer. This is equivalent to sharing
        # parameters with two fully connected layers
        X = self.linear(X)
        # Control flow
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()

net = FixedHiddenMLP()
fixed = net(X)

class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(),
                                 nn.LazyLinear(32), nn.ReLU())
        self.linear = nn.LazyLinear(16)

    def forward(self, X):
        return self.linear(self.net(X))

chimera = nn.Sequential(NestMLP(), nn.ReLU(), nn.LazyLinear(20), FixedHiddenMLP())
chimera_out = chimera(X)
"""


def test_model_construction():
    ns = run(MODEL_CONSTRUCTION)
    assert ns["shape_sequential"] == ns["shape_mlp"] == ns["shape_mysequential"] == (2, 10)
    # the while loop halves until |sum| <= 1: a scalar of absolute value at most 1
    for name in ["fixed", "chimera_out"]:
        assert ns[name].shape == () and abs(ns[name].item()) <= 1
    assert ns["fixed"].requires_grad  # the hidden layer is trained, rand_weight is a constant
    assert not ns["net"].rand_weight.requires_grad
    assert [n for n, _ in ns["net"].named_parameters()] == ["linear.weight", "linear.bias"]


# --- 6.2 Parameter Management (parameters.md) ----------------------------------------------------------
PARAMETERS = """
import torch
from torch import nn

net = nn.Sequential(nn.LazyLinear(8),
                    nn.ReLU(),
                    nn.LazyLinear(1))

X = torch.rand(size=(2, 4))
out_shape = net(X).shape

state = net[2].state_dict()
bias_type, bias_data = type(net[2].bias), net[2].bias.data
grad_is_none = net[2].weight.grad == None
names = [(name, param.shape) for name, param in net.named_parameters()]

# We need to give the shared layer a name so that we can refer to its
# parameters
shared = nn.LazyLinear(8)
net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(),
                    shared, nn.ReLU(),
                    shared, nn.ReLU(),
                    nn.LazyLinear(1))

net(X)
# Check whether the parameters are the same
tied_before = net[2].weight.data[0] == net[4].weight.data[0]
net[2].weight.data[0, 0] = 100
# Make sure that they are actually the same object rather than just having the
# same value
tied_after = net[2].weight.data[0] == net[4].weight.data[0]
"""


def test_parameters():
    ns = run(PARAMETERS)
    ref = run(PARAMETERS, "torch")
    assert ns["out_shape"] == (2, 1)
    assert list(ns["state"].keys()) == ["weight", "bias"]
    assert ns["bias_type"] is run("import torch\nP = torch.nn.Parameter")["P"]
    assert ns["grad_is_none"] is True
    assert [(n, tuple(s)) for n, s in ns["names"]] == [("0.weight", (8, 4)), ("0.bias", (8,)), ("2.weight", (1, 8)),
                                                       ("2.bias", (1,))]
    if ref is not None:
        assert [(n, tuple(s)) for n, s in ns["names"]] == [(n, tuple(s)) for n, s in ref["names"]]
    assert bool(ns["tied_before"].all()) and bool(ns["tied_after"].all())
    assert ns["net"][4].weight.data[0, 0].item() == 100
    assert_same(ns, ref, ["tied_before", "tied_after"])


# --- 6.3 Parameter Initialization (init-param.md) --------------------------------------------------------
INIT_PARAM = """
import torch
from torch import nn

net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
X = torch.rand(size=(2, 4))
net(X).shape

def init_normal(module):
    if type(module) == nn.Linear:
        nn.init.normal_(module.weight, mean=0, std=0.01)
        nn.init.zeros_(module.bias)

net.apply(init_normal)
show("normal", net[0].weight.data[0], net[0].bias.data[0])

def init_constant(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 1)
        nn.init.zeros_(module.bias)

net.apply(init_constant)
show("constant", net[0].weight.data[0], net[0].bias.data[0])

def init_xavier(module):
    if type(module) == nn.Linear:
        nn.init.xavier_uniform_(module.weight)

def init_42(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 42)

net[0].apply(init_xavier)
net[2].apply(init_42)
show("xavier_42", net[0].weight.data[0], net[2].weight.data)

printed = []
def my_init(module):
    if type(module) == nn.Linear:
        printed.append(("Init", *[(name, param.shape)
                        for name, param in module.named_parameters()][0]))
        nn.init.uniform_(module.weight, -10, 10)
        module.weight.data *= module.weight.data.abs() >= 5

net.apply(my_init)
show("custom", net[0].weight[:2])

net[0].weight.data[:] += 1
net[0].weight.data[0, 0] = 42
show("direct", net[0].weight.data[0])
"""


def test_init_param():
    ns = run(INIT_PARAM)
    shown = ns["shown"]
    w, b = shown["normal"]
    assert w.shape == (4,) and np.abs(w).max() < 0.1 and b == 0
    w, b = shown["constant"]
    np.testing.assert_array_equal(w, np.ones(4, np.float32))
    assert b == 0
    xavier_w, w42 = shown["xavier_42"]
    bound = np.sqrt(6 / (4 + 8))  # Xavier uniform for an 8x4 weight
    assert np.abs(xavier_w).max() <= bound
    np.testing.assert_array_equal(w42, np.full((1, 8), 42, np.float32))
    assert [(p[0], p[1], tuple(p[2])) for p in ns["printed"]] == [("Init", "weight", (8, 4)),
                                                                  ("Init", "weight", (1, 8))]
    c = shown["custom"]
    assert ((c == 0) | (np.abs(c) >= 5)).all() and (np.abs(c) <= 10).all()
    d = shown["direct"]
    assert d[0] == 42
    np.testing.assert_allclose(d[1:], c[0, 1:] + 1)


# --- 6.4 Lazy Initialization (lazy-init.md) -------------------------------------------------------------
LAZY_INIT = """
import torch
from torch import nn

net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))

before = repr(net[0].weight)

X = torch.rand(2, 20)
net(X)

after = net[0].weight.shape
"""


def test_lazy_init():
    ns = run(LAZY_INIT)
    ref = run(LAZY_INIT, "torch")
    assert ns["before"] == "<UninitializedParameter>" and tuple(ns["after"]) == (256, 20)
    if ref is not None:
        assert ref["before"] == ns["before"] and tuple(ref["after"]) == tuple(ns["after"])


# --- 6.5 Custom Layers (custom-layer.md) ----------------------------------------------------------------
CUSTOM_LAYER = """
import torch
from torch import nn
from torch.nn import functional as F

class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()

layer = CenteredLayer()
centered = layer(torch.tensor([1.0, 2, 3, 4, 5]))

net = nn.Sequential(nn.LazyLinear(128), CenteredLayer())

Y = net(torch.rand(4, 8))
Y_mean = Y.mean()

class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units,))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)

linear = MyLinear(5, 3)
weight = linear.weight
linear_out = linear(torch.rand(2, 5))

net = MyLinear(64, 8)
net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
net_out = net(torch.rand(2, 64))
"""


def test_custom_layer():
    ns = run(CUSTOM_LAYER)
    ref = run(CUSTOM_LAYER, "torch")
    assert_same(ns, ref, ["centered"])
    assert abs(ns["Y_mean"].item()) < 1e-5  # "zero up to floating point"
    assert ns["weight"].shape == (5, 3) and ns["weight"].requires_grad
    out = as_numpy(ns["linear_out"])
    assert out.shape == (2, 3) and (out >= 0).all()
    assert ns["net_out"].shape == (2, 1) and (as_numpy(ns["net_out"]) >= 0).all()
    assert not ns["linear_out"].requires_grad  # forward uses .data: no graph, as in PyTorch
    assert ref is None or ns["linear_out"].requires_grad == ref["linear_out"].requires_grad


# --- 6.6 File I/O (read-write.md) ------------------------------------------------------------------------
READ_WRITE = """
import torch
from torch import nn
from torch.nn import functional as F

x = torch.arange(4)
torch.save(x, 'x-file')

x2 = torch.load('x-file')

y = torch.zeros(4)
torch.save([x, y],'x-files')
x2, y2 = torch.load('x-files')

mydict = {'x': x, 'y': y}
torch.save(mydict, 'mydict')
mydict2 = torch.load('mydict')

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.output = nn.LazyLinear(10)

    def forward(self, x):
        return self.output(F.relu(self.hidden(x)))

net = MLP()
X = torch.randn(size=(2, 20))
Y = net(X)

torch.save(net.state_dict(), 'mlp.params')

clone = MLP()
clone.load_state_dict(torch.load('mlp.params'))
clone.eval()

Y_clone = clone(X)
same = Y_clone == Y
"""


def test_read_write():
    ns = run(READ_WRITE)
    assert_same(ns, run(READ_WRITE, "torch"), ["x2", "y2"])
    assert set(ns["mydict2"]) == {"x", "y"}
    np.testing.assert_array_equal(as_numpy(ns["mydict2"]["x"]), np.arange(4))
    assert ns["same"].shape == (2, 10) and bool(ns["same"].all())


# --- 6.7 GPUs (use-gpu.md): honest answers on a machine without a GPU ---------------------------------------
USE_GPU = """
import torch
from torch import nn

def cpu():  #@save
    \"\"\"Get the CPU device.\"\"\"
    return torch.device('cpu')

def gpu(i=0):  #@save
    \"\"\"Get a GPU device.\"\"\"
    return torch.device(f'cuda:{i}')

devices = cpu(), gpu(), gpu(1)

def num_gpus():  #@save
    \"\"\"Get the number of available GPUs.\"\"\"
    return torch.cuda.device_count()

n = num_gpus()

def try_gpu(i=0):  #@save
    \"\"\"Return gpu(i) if exists, otherwise return cpu().\"\"\"
    if num_gpus() >= i + 1:
        return gpu(i)
    return cpu()

def try_all_gpus():  #@save
    \"\"\"Return all available GPUs, or [cpu(),] if no GPU exists.\"\"\"
    return [gpu(i) for i in range(num_gpus())]

tried = try_gpu(), try_gpu(10), try_all_gpus()

x = torch.tensor([1, 2, 3])
x_device = x.device

X = torch.ones(2, 3, device=try_gpu())
Y = torch.rand(2, 3, device=try_gpu(1))

net = nn.Sequential(nn.LazyLinear(1))
net = net.to(device=try_gpu())
out_shape = net(X).shape
param_device = net[0].weight.data.device
"""


def test_use_gpu_without_gpu():
    ns = run(USE_GPU)
    ref = run(USE_GPU, "torch")
    assert [str(d) for d in ns["devices"]] == ["cpu", "cuda:0", "cuda:1"]
    assert ns["n"] == 0
    assert [str(d) for d in ns["tried"][:2]] == ["cpu", "cpu"] and ns["tried"][2] == []
    assert str(ns["x_device"]) == str(ns["param_device"]) == "cpu"
    assert ns["X"].shape == ns["Y"].shape == (2, 3) and ns["out_shape"] == (2, 1)
    # the next cell of the book, Z = X.cuda(1), needs a second GPU: both libraries refuse with an error that
    # is a RuntimeError (PyTorch 2.13) / AssertionError (older PyTorch); profundo's error is both
    with pytest.raises(RuntimeError):
        ns["X"].cuda(1)
    if ref is not None and ref["n"] == 0:  # a PyTorch that sees no GPU answers the same
        assert [str(d) for d in ref["devices"]] == [str(d) for d in ns["devices"]]
        assert [str(d) for d in ref["tried"][:2]] == ["cpu", "cpu"] and ref["tried"][2] == []
        with pytest.raises(RuntimeError):
            ref["X"].cuda(1)
