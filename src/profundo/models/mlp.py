"""Unit 1's models: softmax regression and the multilayer perceptron."""
from ..nn import Dropout, Flatten, Linear, Module, ReLU, Sequential


class Standardize(Module):
    """``(x - mean) / std`` with the training set's statistics kept as buffers (saved with the model)."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, x):
        return (x - self.mean) / self.std


class SoftmaxRegression(Module):
    """One linear layer; the softmax lives in the loss (``nn.CrossEntropyLoss``)."""

    def __init__(self, in_features, num_classes=10, mean=None, std=None):
        super().__init__()
        self.standardize = Standardize(mean, std) if mean is not None else None
        self.net = Sequential(Flatten(), Linear(in_features, num_classes))

    def forward(self, x):
        if self.standardize is not None:
            x = self.standardize(x)
        return self.net(x)


class MLP(Module):
    """Flatten, then ``Linear -> ReLU -> Dropout`` for each hidden layer, then a Linear to the classes."""

    def __init__(self, in_features, hidden=(256,), num_classes=10, dropout=0.2, mean=None, std=None):
        super().__init__()
        self.standardize = Standardize(mean, std) if mean is not None else None
        layers, width = [Flatten()], in_features
        for h in hidden:
            layers += [Linear(width, h), ReLU()] + ([Dropout(dropout)] if dropout else [])
            width = h
        layers.append(Linear(width, num_classes))
        self.net = Sequential(*layers)

    def forward(self, x):
        if self.standardize is not None:
            x = self.standardize(x)
        return self.net(x)
