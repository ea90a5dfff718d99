"""LeNet-5 (d2l 7.6): two convolution + pooling stages, then three fully connected layers.

The book's network uses sigmoid activations and average pooling, as LeCun et al. (1998) did;
``activation="relu", pooling="max"`` gives the modern variant (the book's exercise), which
trains much faster.  Input: (N, 1, 28, 28).
"""
from .._errors import error
from ..nn import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential, Sigmoid

_ACTIVATIONS = {"sigmoid": Sigmoid, "relu": ReLU}
_POOLINGS = {"avg": AvgPool2d, "max": MaxPool2d}


def _choice(name, value, table):
    if value not in table:
        raise error(ValueError, "LeNet", f"{name} must be one of {sorted(table)}, got {value!r}",
                    'p. ej. LeNet(activation="relu", pooling="max")')
    return table[value]


class LeNet(Module):
    """``net``: conv(6, 5x5, pad 2) -> pool -> conv(16, 5x5) -> pool -> 120 -> 84 -> classes."""

    def __init__(self, num_classes=10, in_channels=1, activation="sigmoid", pooling="avg"):
        super().__init__()
        act = _choice("activation", activation, _ACTIVATIONS)
        pool = _choice("pooling", pooling, _POOLINGS)
        self.net = Sequential(
            Conv2d(in_channels, 6, kernel_size=5, padding=2), act(),
            pool(kernel_size=2, stride=2),
            Conv2d(6, 16, kernel_size=5), act(),
            pool(kernel_size=2, stride=2),
            Flatten(),
            Linear(16 * 5 * 5, 120), act(),
            Linear(120, 84), act(),
            Linear(84, num_classes))

    def forward(self, X):
        return self.net(X)
