"""DenseNet (d2l 8.7): each convolution block sees the concatenation of all the feature maps
before it in its dense block; transition blocks (1x1 convolution + 2x2 average pooling) halve
the channels and the image between dense blocks.  Input: (N, 1, 96, 96) in the book (at least
32x32 with the default four blocks).
"""
from .. import cat
from ..nn import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU,
                  Sequential)


def conv_block(in_channels, num_channels):
    # DenseNet's "pre-activation" order: batch norm, ReLU, then the convolution
    return Sequential(
        BatchNorm2d(in_channels), ReLU(),
        Conv2d(in_channels, num_channels, kernel_size=3, padding=1))


class DenseBlock(Module):
    def __init__(self, num_convs, in_channels, num_channels):
        super().__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(in_channels + i * num_channels, num_channels))
        self.net = Sequential(*layer)
        self.out_channels = in_channels + num_convs * num_channels

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            # concatenate each block's input and output on the channels
            X = cat((X, Y), dim=1)
        return X


def transition_block(in_channels, num_channels):
    return Sequential(
        BatchNorm2d(in_channels), ReLU(),
        Conv2d(in_channels, num_channels, kernel_size=1),
        AvgPool2d(kernel_size=2, stride=2))


class DenseNet(Module):
    def b1(self, in_channels):
        return Sequential(
            Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
            BatchNorm2d(64), ReLU(),
            MaxPool2d(kernel_size=3, stride=2, padding=1))

    def __init__(self, num_channels=64, growth_rate=32, arch=(4, 4, 4, 4), num_classes=10, in_channels=1):
        super().__init__()
        self.net = Sequential(self.b1(in_channels))
        channels = 64
        for i, num_convs in enumerate(arch):
            self.net.add_module(f"dense_blk{i + 1}", DenseBlock(num_convs, channels, growth_rate))
            # the number of output channels of the dense block (channels: what the layers really see;
            # num_channels: the book's count, which starts from the argument)
            num_channels += num_convs * growth_rate
            channels += num_convs * growth_rate
            # a transition block between dense blocks halves the channels
            if i != len(arch) - 1:
                num_channels //= 2
                self.net.add_module(f"tran_blk{i + 1}", transition_block(channels, num_channels))
                channels = num_channels
        self.net.add_module("last", Sequential(
            BatchNorm2d(channels), ReLU(),
            AdaptiveAvgPool2d((1, 1)), Flatten(),
            Linear(channels, num_classes)))

    def forward(self, X):
        return self.net(X)
