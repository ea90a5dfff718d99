"""d2l chapter 5, Multilayer Perceptrons (PyTorch edition), run as the book writes it with ``import torch`` ->
``import profundo as torch`` and ``from d2l import torch as d2l`` -> ``from profundo import d2l`` (see
_book.py).  Fashion-MNIST is the ``fake_fashion_mnist`` stand-in (see conftest.py)."""
import numpy as np

from _book import as_numpy, needs, run
from test_ch04_softmax_regression import val_accuracy

# --- 5.1 Multilayer Perceptrons (mlp.md): activation functions and their gradients ------------------------------
ACTIVATIONS = """
import torch
from d2l import torch as d2l

x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.relu(x)
d2l.plot(x.detach(), y.detach(), 'x', 'relu(x)', figsize=(5, 2.5))

y.backward(torch.ones_like(x), retain_graph=True)
d2l.plot(x.detach(), x.grad, 'x', 'grad of relu', figsize=(5, 2.5))
show('relu', x.grad)

y = torch.sigmoid(x)
d2l.plot(x.detach(), y.detach(), 'x', 'sigmoid(x)', figsize=(5, 2.5))

# Clear out previous gradients
x.grad.data.zero_()
y.backward(torch.ones_like(x),retain_graph=True)
d2l.plot(x.detach(), x.grad, 'x', 'grad of sigmoid', figsize=(5, 2.5))
show('sigmoid', x.grad)

y = torch.tanh(x)
d2l.plot(x.detach(), y.detach(), 'x', 'tanh(x)', figsize=(5, 2.5))

# Clear out previous gradients
x.grad.data.zero_()
y.backward(torch.ones_like(x),retain_graph=True)
d2l.plot(x.detach(), x.grad, 'x', 'grad of tanh', figsize=(5, 2.5))
show('tanh', x.grad)
"""


@needs("plot")
def test_activation_functions():
    ns = run(ACTIVATIONS)
    x = as_numpy(ns["x"]).astype(np.float64)
    shown = ns["shown"]
    np.testing.assert_array_equal(shown["relu"], (x > 0).astype(np.float32))
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(shown["sigmoid"], s * (1 - s), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(shown["tanh"], 1 - np.tanh(x) ** 2, rtol=1e-5, atol=1e-6)
    assert ns["d2l"].plt.gca().get_ylabel() == "grad of tanh"


# --- 5.2 Implementation of Multilayer Perceptrons (mlp-implementation.md) ---------------------------------------
MLP_IMPLEMENTATION = """
import torch
from torch import nn
from d2l import torch as d2l

class MLPScratch(d2l.Classifier):
    def __init__(self, num_inputs, num_outputs, num_hiddens, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

def relu(X):
    a = torch.zeros_like(X)
    return torch.max(X, a)

@d2l.add_to_class(MLPScratch)
def forward(self, X):
    X = X.reshape((-1, self.num_inputs))
    H = relu(torch.matmul(X, self.W1) + self.b1)
    return torch.matmul(H, self.W2) + self.b2

model = MLPScratch(num_inputs=784, num_outputs=10, num_hiddens=256, lr=0.1)
data = d2l.FashionMNIST(batch_size=256)
trainer = d2l.Trainer(max_epochs=3)  # the book: max_epochs=10
trainer.fit(model, data)
scratch = model

class MLP(d2l.Classifier):
    def __init__(self, num_outputs, num_hiddens, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_hiddens),
                                 nn.ReLU(), nn.LazyLinear(num_outputs))

model = MLP(num_outputs=10, num_hiddens=256, lr=0.1)
trainer.fit(model, data)
"""


@needs("Classifier", "FashionMNIST", "Trainer")
def test_mlp_implementation(fake_fashion_mnist, no_workers):
    ns = run(MLP_IMPLEMENTATION)
    assert [n for n, _ in ns["scratch"].named_parameters()] == ["W1", "b1", "W2", "b2"]
    # the book reaches about 0.85 on the real data; on the stand-in (120 SGD steps in all) above chance
    assert val_accuracy(ns["scratch"], ns["data"]) > 0.3
    assert val_accuracy(ns["model"], ns["data"]) > 0.3


# --- 5.6 Dropout (dropout.md) -------------------------------------------------------------------------------------
DROPOUT = """
import torch
from torch import nn
from d2l import torch as d2l

def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1: return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)

X = torch.arange(16, dtype = torch.float32).reshape((2, 8))
print('dropout_p = 0:', dropout_layer(X, 0))
print('dropout_p = 0.5:', dropout_layer(X, 0.5))
print('dropout_p = 1:', dropout_layer(X, 1))
half = dropout_layer(X, 0.5)

class DropoutMLPScratch(d2l.Classifier):
    def __init__(self, num_outputs, num_hiddens_1, num_hiddens_2,
                 dropout_1, dropout_2, lr):
        super().__init__()
        self.save_hyperparameters()
        self.lin1 = nn.LazyLinear(num_hiddens_1)
        self.lin2 = nn.LazyLinear(num_hiddens_2)
        self.lin3 = nn.LazyLinear(num_outputs)
        self.relu = nn.ReLU()

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((X.shape[0], -1))))
        if self.training:
            H1 = dropout_layer(H1, self.dropout_1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout_2)
        return self.lin3(H2)

hparams = {'num_outputs':10, 'num_hiddens_1':256, 'num_hiddens_2':256,
           'dropout_1':0.5, 'dropout_2':0.5, 'lr':0.1}
model = DropoutMLPScratch(**hparams)
data = d2l.FashionMNIST(batch_size=256)
trainer = d2l.Trainer(max_epochs=3)  # the book: max_epochs=10
trainer.fit(model, data)
scratch = model

class DropoutMLP(d2l.Classifier):
    def __init__(self, num_outputs, num_hiddens_1, num_hiddens_2,
                 dropout_1, dropout_2, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Flatten(), nn.LazyLinear(num_hiddens_1), nn.ReLU(),
            nn.Dropout(dropout_1), nn.LazyLinear(num_hiddens_2), nn.ReLU(),
            nn.Dropout(dropout_2), nn.LazyLinear(num_outputs))

model = DropoutMLP(**hparams)
trainer.fit(model, data)
"""


@needs("Classifier", "FashionMNIST", "Trainer")
def test_dropout(fake_fashion_mnist, no_workers, capsys):
    ns = run(DROPOUT)
    half, X = as_numpy(ns["half"]), as_numpy(ns["X"])
    assert ((half == 0) | (half == 2 * X)).all()  # kept units are scaled by 1 / (1 - p)
    out = capsys.readouterr().out
    assert "dropout_p = 1: tensor([[0., 0., 0., 0., 0., 0., 0., 0.]," in out
    for model in [ns["scratch"], ns["model"]]:
        assert val_accuracy(model, ns["data"]) > 0.2  # chance: 0.1


# --- 5.4 Numerical Stability and Initialization (numerical-stability-and-init.md) --------------------------------
NUMERICAL_STABILITY = """
import torch
from d2l import torch as d2l

x = torch.arange(-8.0, 8.0, 0.1, requires_grad=True)
y = torch.sigmoid(x)
y.backward(torch.ones_like(x))

d2l.plot(x.detach().numpy(), [y.detach().numpy(), x.grad.numpy()],
         legend=['sigmoid', 'gradient'], figsize=(4.5, 2.5))

M = torch.normal(0, 1, size=(4, 4))
print('a single matrix \\n',M)
for i in range(100):
    M = M @ torch.normal(0, 1, size=(4, 4))
print('after multiplying 100 matrices\\n', M)
"""


@needs("plot")
def test_numerical_stability():
    ns = run(NUMERICAL_STABILITY)
    g = as_numpy(ns["x"].grad)
    assert g.max() <= 0.25 and g[0] < 1e-3 and g[-1] < 1e-3  # vanishing at both ends
    assert np.abs(as_numpy(ns["M"])).max() > 1e10  # exploding product
