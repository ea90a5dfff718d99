"""Network in Network (d2l 8.3): each block is a convolution followed by two 1x1 convolutions
(a small MLP at every pixel); no fully connected layer at the end, but global average pooling
over one channel per class.  Input: (N, 1, 224, 224).
"""
from ..nn import AdaptiveAvgPool2d, Conv2d, Dropout, Flatten, MaxPool2d, Module, ReLU, Sequential


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return Sequential(
        Conv2d(in_channels, out_channels, kernel_size, strides, padding), ReLU(),
        Conv2d(out_channels, out_channels, kernel_size=1), ReLU(),
        Conv2d(out_channels, out_channels, kernel_size=1), ReLU())


class NiN(Module):
    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.net = Sequential(
            nin_block(in_channels, 96, kernel_size=11, strides=4, padding=0),
            MaxPool2d(3, stride=2),
            nin_block(96, 256, kernel_size=5, strides=1, padding=2),
            MaxPool2d(3, stride=2),
            nin_block(256, 384, kernel_size=3, strides=1, padding=1),
            MaxPool2d(3, stride=2),
            Dropout(0.5),
            nin_block(384, num_classes, kernel_size=3, strides=1, padding=1),
            AdaptiveAvgPool2d((1, 1)),
            Flatten())

    def forward(self, X):
        return self.net(X)
