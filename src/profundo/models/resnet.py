"""ResNet (d2l 8.6), ResNeXt's block (d2l 8.6.5), and torchvision's ResNet-18.

A residual block learns ``f(x) - x`` instead of ``f(x)``: its output is ``relu(g(x) + x)``, so a
block that learns nothing (g = 0) passes its input through, and gradients reach early layers
through the shortcuts.  When a block changes the channels or halves the image, a 1x1
convolution (with that stride) reshapes ``x`` for the sum.

``ResNet18`` follows the book's layout (input (N, 1, 96, 96) in the book; 28x28 works: the
last stage sees 1x1 pixels).  ``resnet18()`` follows ``torchvision.models.resnet18`` (same
``state_dict`` keys, convolutions without bias, 3 input channels and 1000 classes by default).
"""
from ..nn import (AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU,
                  Sequential, init)
from ..nn import functional as F


# ---------------------------------------------------------------- the book's layout
class Residual(Module):
    """Two 3x3 convolutions with batch normalization, plus the shortcut."""

    def __init__(self, in_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = Conv2d(in_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = Conv2d(in_channels, num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = BatchNorm2d(num_channels)
        self.bn2 = BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        return F.relu(Y + X)


class ResNet(Module):
    """A 7x7 stem, then one stage per ``(num_residuals, num_channels)`` of ``arch``; every stage
    but the first halves the image; then global average pooling and a Linear layer."""

    def b1(self, in_channels):
        return Sequential(
            Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3),
            BatchNorm2d(64), ReLU(),
            MaxPool2d(kernel_size=3, stride=2, padding=1))

    def block(self, num_residuals, in_channels, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(in_channels, num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels if i else in_channels, num_channels))
        return Sequential(*blk)

    def __init__(self, arch, num_classes=10, in_channels=1):
        super().__init__()
        self.net = Sequential(self.b1(in_channels))
        channels = 64
        for i, b in enumerate(arch):
            self.net.add_module(f"b{i + 2}", self.block(b[0], channels, b[1], first_block=(i == 0)))
            channels = b[1]
        self.net.add_module("last", Sequential(
            AdaptiveAvgPool2d((1, 1)), Flatten(),
            Linear(channels, num_classes)))

    def forward(self, X):
        return self.net(X)


class ResNet18(ResNet):
    """Four stages of two residual blocks: 1 + 4 * 2 * 2 + 1 = 18 layers with weights."""

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), num_classes, in_channels)


class ResNeXtBlock(Module):
    """ResNeXt's bottleneck: 1x1 down to ``num_channels * bot_mul`` channels, a grouped 3x3
    convolution (``groups`` channels per group), 1x1 back up, plus the shortcut."""

    def __init__(self, in_channels, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = Conv2d(in_channels, bot_channels, kernel_size=1, stride=1)
        self.conv2 = Conv2d(bot_channels, bot_channels, kernel_size=3, stride=strides, padding=1,
                            groups=bot_channels // groups)
        self.conv3 = Conv2d(bot_channels, num_channels, kernel_size=1, stride=1)
        self.bn1 = BatchNorm2d(bot_channels)
        self.bn2 = BatchNorm2d(bot_channels)
        self.bn3 = BatchNorm2d(num_channels)
        if use_1x1conv:
            self.conv4 = Conv2d(in_channels, num_channels, kernel_size=1, stride=strides)
            self.bn4 = BatchNorm2d(num_channels)
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


# ---------------------------------------------------------------- torchvision's layout
class BasicBlock(Module):
    """torchvision's residual block: the book's, with bias-free convolutions and the shortcut
    (``downsample``: 1x1 convolution + batch normalization) only where the shape changes."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = Conv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(planes)
        self.relu = ReLU()
        self.conv2 = Conv2d(planes, planes, kernel_size=3, padding=1, bias=False)
        self.bn2 = BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TorchvisionResNet(Module):
    """``torchvision.models.ResNet`` with ``BasicBlock``: conv1/bn1/relu/maxpool, layer1..layer4, avgpool, fc."""

    def __init__(self, layers=(2, 2, 2, 2), num_classes=1000, in_channels=3):
        super().__init__()
        self.inplanes = 64
        self.conv1 = Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = BatchNorm2d(64)
        self.relu = ReLU()
        self.maxpool = MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(512, num_classes)
        # torchvision's initialization: He (fan_out) for the convolutions, BN as the identity
        for m in self.modules():
            if isinstance(m, Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, BatchNorm2d):
                init.constant_(m.weight, 1)
                init.constant_(m.bias, 0)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = Sequential(Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False),
                                    BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes=1000, in_channels=3):
    """ResNet-18 as ``torchvision.models.resnet18(num_classes=...)`` builds it (no pretrained weights)."""
    return TorchvisionResNet((2, 2, 2, 2), num_classes, in_channels)
