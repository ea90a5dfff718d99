"""VGG (d2l 8.2): blocks of 3x3 convolutions, each block ending in a 2x2 max-pooling.

``arch`` lists the blocks as ``(number of convolutions, output channels)``; VGG-11 is
``((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))``.  Each block halves the image: input
(N, 1, 224, 224) by default (``in_size`` must be divisible by ``2 ** len(arch)``).
"""
from .._errors import error
from ..nn import Conv2d, Dropout, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential

VGG11 = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(ReLU())
        in_channels = out_channels
    layers.append(MaxPool2d(kernel_size=2, stride=2))
    return Sequential(*layers)


class VGG(Module):
    def __init__(self, arch=VGG11, num_classes=10, in_channels=1, in_size=224):
        super().__init__()
        if not arch:
            raise error(ValueError, "VGG", "arch must list at least one block (num_convs, out_channels)",
                        "p. ej. VGG(arch=((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)))")
        conv_blks = []
        for (num_convs, out_channels) in arch:
            conv_blks.append(vgg_block(num_convs, in_channels, out_channels))
            in_channels = out_channels
        size = in_size // 2 ** len(arch)
        if size < 1:
            raise error(ValueError, "VGG", f"{len(arch)} blocks halve the image {len(arch)} times: in_size "
                        f"{in_size} becomes 0", f"usa imágenes de al menos {2 ** len(arch)} píxeles o menos bloques")
        self.net = Sequential(
            *conv_blks, Flatten(),
            Linear(in_channels * size * size, 4096), ReLU(), Dropout(0.5),
            Linear(4096, 4096), ReLU(), Dropout(0.5),
            Linear(4096, num_classes))

    def forward(self, X):
        return self.net(X)
