"""AlexNet (d2l 8.1): five convolutions, three max-poolings, two wide dropout layers.

Krizhevsky et al. (2012), with the book's sizes for one input channel.  Input: (N, 1, 224, 224);
anything from 63x63 up works (the flatten size then changes: see ``in_size``).
"""
from ..nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential


def _conv_out(size, kernel, stride=1, padding=0):
    return (size + 2 * padding - kernel) // stride + 1


class AlexNet(Module):
    def __init__(self, num_classes=10, in_channels=1, in_size=224):
        super().__init__()
        # the spatial size after the convolutions, for the first Linear (d2l uses nn.LazyLinear instead)
        s = _conv_out(_conv_out(in_size, 11, 4, 1), 3, 2)
        s = _conv_out(_conv_out(s, 3, 2), 3, 2)
        self.net = Sequential(
            Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1), ReLU(),
            MaxPool2d(kernel_size=3, stride=2),
            Conv2d(96, 256, kernel_size=5, padding=2), ReLU(),
            MaxPool2d(kernel_size=3, stride=2),
            Conv2d(256, 384, kernel_size=3, padding=1), ReLU(),
            Conv2d(384, 384, kernel_size=3, padding=1), ReLU(),
            Conv2d(384, 256, kernel_size=3, padding=1), ReLU(),
            MaxPool2d(kernel_size=3, stride=2), Flatten(),
            Linear(256 * s * s, 4096), ReLU(), Dropout(p=0.5),
            Linear(4096, 4096), ReLU(), Dropout(p=0.5),
            Linear(4096, num_classes))

    def forward(self, X):
        return self.net(X)
