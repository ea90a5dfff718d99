"""GoogLeNet (d2l 8.4): a stem, then stacks of Inception blocks, then global average pooling.

An Inception block runs four paths side by side -- 1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3
max-pooling then 1x1 -- and concatenates their channels.  Input: (N, 1, 96, 96) in the book.
"""
from .. import cat
from ..nn import AdaptiveAvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential
from ..nn import functional as F


class Inception(Module):
    # c1--c4 are the output channels of each path; c2 and c3 are (1x1 channels, 3x3 or 5x5 channels)
    def __init__(self, in_channels, c1, c2, c3, c4):
        super().__init__()
        # path 1: a 1x1 convolution
        self.b1_1 = Conv2d(in_channels, c1, kernel_size=1)
        # path 2: a 1x1 convolution, then a 3x3 one
        self.b2_1 = Conv2d(in_channels, c2[0], kernel_size=1)
        self.b2_2 = Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        # path 3: a 1x1 convolution, then a 5x5 one
        self.b3_1 = Conv2d(in_channels, c3[0], kernel_size=1)
        self.b3_2 = Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        # path 4: 3x3 max-pooling, then a 1x1 convolution
        self.b4_1 = MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = Conv2d(in_channels, c4, kernel_size=1)
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return cat((b1, b2, b3, b4), dim=1)


class GoogLeNet(Module):
    def b1(self, in_channels):
        return Sequential(
            Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3), ReLU(),
            MaxPool2d(kernel_size=3, stride=2, padding=1))

    def b2(self):
        return Sequential(
            Conv2d(64, 64, kernel_size=1), ReLU(),
            Conv2d(64, 192, kernel_size=3, padding=1), ReLU(),
            MaxPool2d(kernel_size=3, stride=2, padding=1))

    def b3(self):
        return Sequential(Inception(192, 64, (96, 128), (16, 32), 32),
                          Inception(256, 128, (128, 192), (32, 96), 64),
                          MaxPool2d(kernel_size=3, stride=2, padding=1))

    def b4(self):
        return Sequential(Inception(480, 192, (96, 208), (16, 48), 64),
                          Inception(512, 160, (112, 224), (24, 64), 64),
                          Inception(512, 128, (128, 256), (24, 64), 64),
                          Inception(512, 112, (144, 288), (32, 64), 64),
                          Inception(528, 256, (160, 320), (32, 128), 128),
                          MaxPool2d(kernel_size=3, stride=2, padding=1))

    def b5(self):
        return Sequential(Inception(832, 256, (160, 320), (32, 128), 128),
                          Inception(832, 384, (192, 384), (48, 128), 128),
                          AdaptiveAvgPool2d((1, 1)), Flatten())

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.net = Sequential(self.b1(in_channels), self.b2(), self.b3(), self.b4(), self.b5(),
                              Linear(1024, num_classes))

    def forward(self, X):
        return self.net(X)
