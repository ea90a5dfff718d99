"""d2l chapter 7, Convolutional Neural Networks (PyTorch edition), run as the book writes it with
``import torch`` -> ``import profundo as torch`` and ``from d2l import torch as d2l`` -> ``from profundo import
d2l`` (see _book.py).  Deterministic programs also run on PyTorch and must agree."""
import numpy as np
import pytest

from _book import as_numpy, assert_same, run

import profundo
from profundo import d2l

# --- 7.2 Convolutions for Images (conv-layer.md) ---------------------------------------------------------
CONV_LAYER = """
import torch
from torch import nn
from d2l import torch as d2l

def corr2d(X, K):  #@save
    \"\"\"Compute 2D cross-correlation.\"\"\"
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y

X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
first = corr2d(X, K)

class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias

X = torch.ones((6, 8))
X[:, 2:6] = 0
edges_X = X.clone()
K = torch.tensor([[1.0, -1.0]])
Y = corr2d(X, K)
edges = Y.clone()
transposed = corr2d(X.t(), K)

# Construct a two-dimensional convolutional layer with 1 output channel and a
# kernel of shape (1, 2). For the sake of simplicity, we ignore the bias here
conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)

# The two-dimensional convolutional layer uses four-dimensional input and
# output in the format of (example, channel, height, width), where the batch
# size (number of examples in the batch) and the number of channels are both 1
X = X.reshape((1, 1, 6, 8))
Y = Y.reshape((1, 1, 6, 7))
lr = 3e-2  # Learning rate

losses = []
for i in range(10):
    Y_hat = conv2d(X)
    l = (Y_hat - Y) ** 2
    conv2d.zero_grad()
    l.sum().backward()
    # Update the kernel
    conv2d.weight.data[:] -= lr * conv2d.weight.grad
    if (i + 1) % 2 == 0:
        losses.append(f'epoch {i + 1}, loss {l.sum():.3f}')

learned = conv2d.weight.data.reshape((1, 2))

custom = Conv2D(kernel_size=(1, 2))
custom_out = custom(edges_X)
"""


def test_conv_layer():
    ns = run(CONV_LAYER)
    ref = run(CONV_LAYER, "torch")
    assert_same(ns, ref, ["first", "edges", "transposed"])
    np.testing.assert_array_equal(as_numpy(ns["first"]), [[19.0, 25.0], [37.0, 43.0]])
    e = as_numpy(ns["edges"])
    assert (e[:, 1] == 1).all() and (e[:, 5] == -1).all() and (np.abs(e).sum() == 12)
    assert not as_numpy(ns["transposed"]).any()  # a vertical-edge kernel sees no horizontal edge
    # the book: "the error has dropped to a small value" and the kernel is close to [1, -1]
    loss = [float(s.rsplit(" ", 1)[1]) for s in ns["losses"]]
    assert len(loss) == 5 and loss[-1] < loss[0] and loss[-1] < 0.1
    np.testing.assert_allclose(as_numpy(ns["learned"]), [[1.0, -1.0]], atol=0.1)
    assert ns["custom_out"].shape == (6, 7) and ns["custom_out"].requires_grad


# --- 7.3 Padding and Stride (padding-and-strides.md) -------------------------------------------------------
PADDING_STRIDES = """
import torch
from torch import nn

# We define a helper function to calculate convolutions. It initializes the
# convolutional layer weights and performs corresponding dimensionality
# elevations and reductions on the input and output
def comp_conv2d(conv2d, X):
    # (1, 1) indicates that batch size and the number of channels are both 1
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    # Strip the first two dimensions: examples and channels
    return Y.reshape(Y.shape[2:])

# 1 row and column is padded on either side, so a total of 2 rows or columns
# are added
conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1)
X = torch.rand(size=(8, 8))
s1 = comp_conv2d(conv2d, X).shape

# We use a convolution kernel with height 5 and width 3. The padding on either
# side of the height and width are 2 and 1, respectively
conv2d = nn.LazyConv2d(1, kernel_size=(5, 3), padding=(2, 1))
s2 = comp_conv2d(conv2d, X).shape

conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1, stride=2)
s3 = comp_conv2d(conv2d, X).shape

conv2d = nn.LazyConv2d(1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4))
s4 = comp_conv2d(conv2d, X).shape
"""


def test_padding_and_strides():
    ns = run(PADDING_STRIDES)
    ref = run(PADDING_STRIDES, "torch")
    assert [tuple(ns[k]) for k in ["s1", "s2", "s3", "s4"]] == [(8, 8), (8, 8), (4, 4), (2, 2)]
    assert_same(ns, ref, ["s1", "s2", "s3", "s4"])


# --- 7.4 Multiple Input and Multiple Output Channels (channels.md) -----------------------------------------
CHANNELS = """
import torch
from d2l import torch as d2l

def corr2d_multi_in(X, K):
    # Iterate through the 0th dimension (channel) of K first, then add them up
    return sum(d2l.corr2d(x, k) for x, k in zip(X, K))

X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
               [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])

multi_in = corr2d_multi_in(X, K)

def corr2d_multi_in_out(X, K):
    # Iterate through the 0th dimension of K, and each time, perform
    # cross-correlation operations with input X. All of the results are
    # stacked together
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)

K = torch.stack((K, K + 1, K + 2), 0)
K_shape = K.shape

multi_in_out = corr2d_multi_in_out(X, K)

def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # Matrix multiplication in the fully connected layer
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))

X = torch.normal(0, 1, (3, 3, 3))
K = torch.normal(0, 1, (2, 3, 1, 1))
Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = corr2d_multi_in_out(X, K)
assert float(torch.abs(Y1 - Y2).sum()) < 1e-6
"""


@pytest.mark.skipif(not hasattr(d2l, "corr2d"), reason="profundo.d2l.corr2d is not built yet")
def test_channels():
    ns = run(CHANNELS)
    np.testing.assert_array_equal(as_numpy(ns["multi_in"]), [[56.0, 72.0], [104.0, 120.0]])
    assert tuple(ns["K_shape"]) == (3, 2, 2, 2)
    out = as_numpy(ns["multi_in_out"])
    np.testing.assert_array_equal(out[0], [[56.0, 72.0], [104.0, 120.0]])
    np.testing.assert_array_equal(out[1], [[76.0, 100.0], [148.0, 172.0]])
    np.testing.assert_array_equal(out[2], [[96.0, 128.0], [192.0, 224.0]])


# --- 7.5 Pooling (pooling.md) --------------------------------------------------------------------------------
POOLING = """
import torch
from torch import nn
from d2l import torch as d2l

def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y

X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
p_max = pool2d(X, (2, 2))
p_avg = pool2d(X, (2, 2), 'avg')

X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
X16 = X

pool2d = nn.MaxPool2d(3)
# Pooling has no model parameters, hence it needs no initialization
p1 = pool2d(X)

pool2d = nn.MaxPool2d(3, padding=1, stride=2)
p2 = pool2d(X)

pool2d = nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))
p3 = pool2d(X)

X = torch.cat((X, X + 1), 1)
X_channels = X

pool2d = nn.MaxPool2d(3, padding=1, stride=2)
p4 = pool2d(X)
"""


def test_pooling():
    ns = run(POOLING)
    ref = run(POOLING, "torch")
    assert_same(ns, ref, ["p_max", "p_avg", "X16", "p1", "p2", "p3", "X_channels", "p4"])
    np.testing.assert_array_equal(as_numpy(ns["p_max"]), [[4.0, 5.0], [7.0, 8.0]])
    np.testing.assert_array_equal(as_numpy(ns["p4"])[0, 1], as_numpy(ns["p4"])[0, 0] + 1)


# --- 7.6 LeNet (lenet.md) ------------------------------------------------------------------------------------
LENET = """
import torch
from torch import nn
from d2l import torch as d2l

def init_cnn(module):  #@save
    \"\"\"Initialize weights for CNNs.\"\"\"
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)

class LeNet(d2l.Classifier):  #@save
    \"\"\"The LeNet-5 model.\"\"\"
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))

@d2l.add_to_class(d2l.Classifier)  #@save
def layer_summary(self, X_shape):
    X = torch.randn(*X_shape)
    for layer in self.net:
        X = layer(X)
        print(layer.__class__.__name__, 'output shape:\\t', X.shape)

model = LeNet()
model.layer_summary((1, 1, 28, 28))
"""

LENET_SHAPES = """Conv2d output shape:\t torch.Size([1, 6, 28, 28])
Sigmoid output shape:\t torch.Size([1, 6, 28, 28])
AvgPool2d output shape:\t torch.Size([1, 6, 14, 14])
Conv2d output shape:\t torch.Size([1, 16, 10, 10])
Sigmoid output shape:\t torch.Size([1, 16, 10, 10])
AvgPool2d output shape:\t torch.Size([1, 16, 5, 5])
Flatten output shape:\t torch.Size([1, 400])
Linear output shape:\t torch.Size([1, 120])
Sigmoid output shape:\t torch.Size([1, 120])
Linear output shape:\t torch.Size([1, 84])
Sigmoid output shape:\t torch.Size([1, 84])
Linear output shape:\t torch.Size([1, 10])
"""


@pytest.mark.skipif(not hasattr(d2l, "Classifier"), reason="profundo.d2l.Classifier is not built yet")
def test_lenet_layer_summary(capsys):
    run(LENET)
    # the book's printout, with profundo's name for the shape type
    assert capsys.readouterr().out == LENET_SHAPES.replace("torch.Size", "profundo.Size")


LENET_TRAINING = LENET + """
trainer = d2l.Trainer(max_epochs=2, num_gpus=1)  # the book: max_epochs=10
data = d2l.FashionMNIST(batch_size=128)
model = LeNet(lr=0.1)
model.apply_init([next(iter(data.get_dataloader(True)))[0]], init_cnn)
trainer.fit(model, data)
"""


@pytest.mark.skipif(not hasattr(d2l, "Classifier"), reason="profundo.d2l.Classifier is not built yet")
def test_lenet_training(fake_fashion_mnist, no_workers):
    with pytest.warns(UserWarning, match="no GPU"):  # num_gpus=1 without a GPU: said once, trains on the CPU
        ns = run(LENET_TRAINING)
    trainer, model = ns["trainer"], ns["model"]
    assert trainer.gpus == [] and str(model.net[0].weight.device) == "cpu"
    assert type(model.net[0]) is profundo.nn.Conv2d  # the lazy layer became a Conv2d, so init_cnn applied
    losses = [p.y for p in model.board.data["train_loss"]]
    assert len(losses) >= 4 and all(np.isfinite(losses))
    assert set(model.board.data) == {"train_loss", "val_loss", "val_acc"}
