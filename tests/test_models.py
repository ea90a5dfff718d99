"""profundo.models (issue 12): each network against a torch twin written as d2l's PyTorch edition writes it
(with torch's Lazy layers), so the architecture is checked by an independent implementation: the same
state_dict keys and shapes, the same parameter count, the same output shape after every layer, the same
outputs (float64, copied weights), and for ResNet-18 the same forward and backward.  Plus summary()."""
import re

import numpy as np
import pytest

import profundo
from profundo import models
from profundo._errors import is_checked

try:
    import torch
    from torch import nn as tnn
    from torch.nn import functional as TF
except ImportError:  # the suite also runs without torch: the twins skip, the rest still runs
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch (the oracle)")


# ------------------------------------------------------------------------------ the torch twins: d2l's code
if torch is not None:
    class TLeNet(tnn.Module):
        def __init__(self, num_classes=10, relu=False):
            super().__init__()
            act, pool = (tnn.ReLU, tnn.MaxPool2d) if relu else (tnn.Sigmoid, tnn.AvgPool2d)
            self.net = tnn.Sequential(
                tnn.LazyConv2d(6, kernel_size=5, padding=2), act(), pool(kernel_size=2, stride=2),
                tnn.LazyConv2d(16, kernel_size=5), act(), pool(kernel_size=2, stride=2),
                tnn.Flatten(),
                tnn.LazyLinear(120), act(),
                tnn.LazyLinear(84), act(),
                tnn.LazyLinear(num_classes))

        def forward(self, X):
            return self.net(X)

    class TAlexNet(tnn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.net = tnn.Sequential(
                tnn.LazyConv2d(96, kernel_size=11, stride=4, padding=1), tnn.ReLU(),
                tnn.MaxPool2d(kernel_size=3, stride=2),
                tnn.LazyConv2d(256, kernel_size=5, padding=2), tnn.ReLU(),
                tnn.MaxPool2d(kernel_size=3, stride=2),
                tnn.LazyConv2d(384, kernel_size=3, padding=1), tnn.ReLU(),
                tnn.LazyConv2d(384, kernel_size=3, padding=1), tnn.ReLU(),
                tnn.LazyConv2d(256, kernel_size=3, padding=1), tnn.ReLU(),
                tnn.MaxPool2d(kernel_size=3, stride=2), tnn.Flatten(),
                tnn.LazyLinear(4096), tnn.ReLU(), tnn.Dropout(p=0.5),
                tnn.LazyLinear(4096), tnn.ReLU(), tnn.Dropout(p=0.5),
                tnn.LazyLinear(num_classes))

        def forward(self, X):
            return self.net(X)

    def t_vgg_block(num_convs, out_channels):
        layers = []
        for _ in range(num_convs):
            layers.append(tnn.LazyConv2d(out_channels, kernel_size=3, padding=1))
            layers.append(tnn.ReLU())
        layers.append(tnn.MaxPool2d(kernel_size=2, stride=2))
        return tnn.Sequential(*layers)

    class TVGG(tnn.Module):
        def __init__(self, arch, num_classes=10):
            super().__init__()
            conv_blks = [t_vgg_block(n, c) for n, c in arch]
            self.net = tnn.Sequential(
                *conv_blks, tnn.Flatten(),
                tnn.LazyLinear(4096), tnn.ReLU(), tnn.Dropout(0.5),
                tnn.LazyLinear(4096), tnn.ReLU(), tnn.Dropout(0.5),
                tnn.LazyLinear(num_classes))

        def forward(self, X):
            return self.net(X)

    def t_nin_block(out_channels, kernel_size, strides, padding):
        return tnn.Sequential(
            tnn.LazyConv2d(out_channels, kernel_size, strides, padding), tnn.ReLU(),
            tnn.LazyConv2d(out_channels, kernel_size=1), tnn.ReLU(),
            tnn.LazyConv2d(out_channels, kernel_size=1), tnn.ReLU())

    class TNiN(tnn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.net = tnn.Sequential(
                t_nin_block(96, kernel_size=11, strides=4, padding=0), tnn.MaxPool2d(3, stride=2),
                t_nin_block(256, kernel_size=5, strides=1, padding=2), tnn.MaxPool2d(3, stride=2),
                t_nin_block(384, kernel_size=3, strides=1, padding=1), tnn.MaxPool2d(3, stride=2),
                tnn.Dropout(0.5),
                t_nin_block(num_classes, kernel_size=3, strides=1, padding=1),
                tnn.AdaptiveAvgPool2d((1, 1)), tnn.Flatten())

        def forward(self, X):
            return self.net(X)

    class TInception(tnn.Module):
        def __init__(self, c1, c2, c3, c4):
            super().__init__()
            self.b1_1 = tnn.LazyConv2d(c1, kernel_size=1)
            self.b2_1 = tnn.LazyConv2d(c2[0], kernel_size=1)
            self.b2_2 = tnn.LazyConv2d(c2[1], kernel_size=3, padding=1)
            self.b3_1 = tnn.LazyConv2d(c3[0], kernel_size=1)
            self.b3_2 = tnn.LazyConv2d(c3[1], kernel_size=5, padding=2)
            self.b4_1 = tnn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.b4_2 = tnn.LazyConv2d(c4, kernel_size=1)

        def forward(self, x):
            b1 = TF.relu(self.b1_1(x))
            b2 = TF.relu(self.b2_2(TF.relu(self.b2_1(x))))
            b3 = TF.relu(self.b3_2(TF.relu(self.b3_1(x))))
            b4 = TF.relu(self.b4_2(self.b4_1(x)))
            return torch.cat((b1, b2, b3, b4), dim=1)

    class TGoogLeNet(tnn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            b1 = tnn.Sequential(tnn.LazyConv2d(64, kernel_size=7, stride=2, padding=3), tnn.ReLU(),
                                tnn.MaxPool2d(kernel_size=3, stride=2, padding=1))
            b2 = tnn.Sequential(tnn.LazyConv2d(64, kernel_size=1), tnn.ReLU(),
                                tnn.LazyConv2d(192, kernel_size=3, padding=1), tnn.ReLU(),
                                tnn.MaxPool2d(kernel_size=3, stride=2, padding=1))
            b3 = tnn.Sequential(TInception(64, (96, 128), (16, 32), 32),
                                TInception(128, (128, 192), (32, 96), 64),
                                tnn.MaxPool2d(kernel_size=3, stride=2, padding=1))
            b4 = tnn.Sequential(TInception(192, (96, 208), (16, 48), 64),
                                TInception(160, (112, 224), (24, 64), 64),
                                TInception(128, (128, 256), (24, 64), 64),
                                TInception(112, (144, 288), (32, 64), 64),
                                TInception(256, (160, 320), (32, 128), 128),
                                tnn.MaxPool2d(kernel_size=3, stride=2, padding=1))
            b5 = tnn.Sequential(TInception(256, (160, 320), (32, 128), 128),
                                TInception(384, (192, 384), (48, 128), 128),
                                tnn.AdaptiveAvgPool2d((1, 1)), tnn.Flatten())
            self.net = tnn.Sequential(b1, b2, b3, b4, b5, tnn.LazyLinear(num_classes))

        def forward(self, X):
            return self.net(X)

    class TResidual(tnn.Module):
        def __init__(self, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = tnn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = tnn.LazyConv2d(num_channels, kernel_size=3, padding=1)
            self.conv3 = tnn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
            self.bn1 = tnn.LazyBatchNorm2d()
            self.bn2 = tnn.LazyBatchNorm2d()

        def forward(self, X):
            Y = TF.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return TF.relu(Y)

    class TResNet(tnn.Module):
        def __init__(self, arch, num_classes=10):
            super().__init__()
            self.net = tnn.Sequential(tnn.Sequential(
                tnn.LazyConv2d(64, kernel_size=7, stride=2, padding=3), tnn.LazyBatchNorm2d(), tnn.ReLU(),
                tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
            for i, (num_residuals, num_channels) in enumerate(arch):
                blk = [TResidual(num_channels, use_1x1conv=True, strides=2) if j == 0 and i > 0
                       else TResidual(num_channels) for j in range(num_residuals)]
                self.net.add_module(f"b{i + 2}", tnn.Sequential(*blk))
            self.net.add_module("last", tnn.Sequential(tnn.AdaptiveAvgPool2d((1, 1)), tnn.Flatten(),
                                                       tnn.LazyLinear(num_classes)))

        def forward(self, X):
            return self.net(X)

    class TResNeXtBlock(tnn.Module):
        def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
            super().__init__()
            bot_channels = int(round(num_channels * bot_mul))
            self.conv1 = tnn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
            self.conv2 = tnn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                        groups=bot_channels // groups)
            self.conv3 = tnn.LazyConv2d(num_channels, kernel_size=1, stride=1)
            self.bn1, self.bn2, self.bn3 = tnn.LazyBatchNorm2d(), tnn.LazyBatchNorm2d(), tnn.LazyBatchNorm2d()
            if use_1x1conv:
                self.conv4 = tnn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
                self.bn4 = tnn.LazyBatchNorm2d()
            else:
                self.conv4 = None

        def forward(self, X):
            Y = TF.relu(self.bn1(self.conv1(X)))
            Y = TF.relu(self.bn2(self.conv2(Y)))
            Y = self.bn3(self.conv3(Y))
            if self.conv4:
                X = self.bn4(self.conv4(X))
            return TF.relu(Y + X)

    def t_conv_block(num_channels):
        return tnn.Sequential(tnn.LazyBatchNorm2d(), tnn.ReLU(), tnn.LazyConv2d(num_channels, kernel_size=3,
                                                                                padding=1))

    class TDenseBlock(tnn.Module):
        def __init__(self, num_convs, num_channels):
            super().__init__()
            self.net = tnn.Sequential(*[t_conv_block(num_channels) for _ in range(num_convs)])

        def forward(self, X):
            for blk in self.net:
                X = torch.cat((X, blk(X)), dim=1)
            return X

    class TDenseNet(tnn.Module):
        def __init__(self, num_channels=64, growth_rate=32, arch=(4, 4, 4, 4), num_classes=10):
            super().__init__()
            self.net = tnn.Sequential(tnn.Sequential(
                tnn.LazyConv2d(64, kernel_size=7, stride=2, padding=3), tnn.LazyBatchNorm2d(), tnn.ReLU(),
                tnn.MaxPool2d(kernel_size=3, stride=2, padding=1)))
            for i, num_convs in enumerate(arch):
                self.net.add_module(f"dense_blk{i + 1}", TDenseBlock(num_convs, growth_rate))
                num_channels += num_convs * growth_rate
                if i != len(arch) - 1:
                    num_channels //= 2
                    self.net.add_module(f"tran_blk{i + 1}", tnn.Sequential(
                        tnn.LazyBatchNorm2d(), tnn.ReLU(), tnn.LazyConv2d(num_channels, kernel_size=1),
                        tnn.AvgPool2d(kernel_size=2, stride=2)))
            self.net.add_module("last", tnn.Sequential(
                tnn.LazyBatchNorm2d(), tnn.ReLU(), tnn.AdaptiveAvgPool2d((1, 1)), tnn.Flatten(),
                tnn.LazyLinear(num_classes)))

        def forward(self, X):
            return self.net(X)

    # torchvision.models.resnet18, written out (torchvision is not a dependency)
    class TBasicBlock(tnn.Module):
        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.relu = tnn.ReLU(inplace=True)
            self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += identity
            return self.relu(out)

    class TTorchvisionResNet18(tnn.Module):
        def __init__(self, num_classes=1000, in_channels=3):
            super().__init__()
            self.conv1 = tnn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU(inplace=True)
            self.maxpool = tnn.MaxPool2d(3, 2, 1)
            inplanes = 64
            for i, planes in enumerate((64, 128, 256, 512)):
                stride = 1 if i == 0 else 2
                down = None if stride == 1 and inplanes == planes else tnn.Sequential(
                    tnn.Conv2d(inplanes, planes, 1, stride, bias=False), tnn.BatchNorm2d(planes))
                setattr(self, f"layer{i + 1}", tnn.Sequential(TBasicBlock(inplanes, planes, stride, down),
                                                              TBasicBlock(planes, planes)))
                inplanes = planes
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

VGG_SMALL = ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))  # the VGG d2l trains

# name -> (profundo model, torch twin, input shape for the parameter count, smaller input for the forward check)
CASES = {
    "lenet": (lambda: models.LeNet(), lambda: TLeNet(), (1, 1, 28, 28), (2, 1, 28, 28)),
    "lenet-relu": (lambda: models.LeNet(activation="relu", pooling="max"), lambda: TLeNet(relu=True),
                   (1, 1, 28, 28), (2, 1, 28, 28)),
    "alexnet": (lambda: models.AlexNet(), lambda: TAlexNet(), (1, 1, 224, 224), None),
    "alexnet-96": (lambda: models.AlexNet(in_size=96), lambda: TAlexNet(), (1, 1, 96, 96), (1, 1, 96, 96)),
    "vgg": (lambda: models.VGG(VGG_SMALL), lambda: TVGG(VGG_SMALL), (1, 1, 224, 224), None),
    "vgg-32": (lambda: models.VGG(((1, 8), (2, 16)), in_size=32), lambda: TVGG(((1, 8), (2, 16))),
               (1, 1, 32, 32), (2, 1, 32, 32)),
    "nin": (lambda: models.NiN(), lambda: TNiN(), (1, 1, 224, 224), (1, 1, 96, 96)),
    "googlenet": (lambda: models.GoogLeNet(), lambda: TGoogLeNet(), (1, 1, 96, 96), (1, 1, 32, 32)),
    "resnet18": (lambda: models.ResNet18(), lambda: TResNet(((2, 64), (2, 128), (2, 256), (2, 512))),
                 (1, 1, 96, 96), (2, 1, 32, 32)),
    "densenet": (lambda: models.DenseNet(), lambda: TDenseNet(), (1, 1, 96, 96), (2, 1, 32, 32)),
    "resnet18-torchvision": (lambda: models.resnet18(), lambda: TTorchvisionResNet18(), (1, 3, 64, 64),
                             (2, 3, 32, 32)),
}


def twin(name):
    theirs = CASES[name][1]()
    with torch.no_grad():
        theirs(torch.zeros(CASES[name][2]))  # materialize the Lazy layers
    return theirs


def count(params):
    return sum(int(np.prod(tuple(p.shape))) for p in params)


def copy_weights(ours, theirs):
    ours.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


@needs_torch
@pytest.mark.parametrize("name", list(CASES))
def test_same_state_dict_and_parameter_count_as_the_torch_twin(name):
    ours, theirs = CASES[name][0](), twin(name)
    a = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    b = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert a == b
    assert count(ours.parameters()) == count(theirs.parameters())


def layer_shapes(net, X):
    """The output shape of each top-level layer of ``net.net`` (d2l's layer_summary), as tuples."""
    shapes = []
    for layer in net.net:
        X = layer(X)
        name = type(layer).__name__
        if type(layer).__module__ == __name__:  # a twin block of this file: TDenseBlock is DenseBlock's twin
            name = name[1:]
        shapes.append((name, tuple(X.shape)))
    return shapes


@needs_torch
@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][3] is not None and not n.startswith("resnet18")])
def test_same_layer_shapes_and_outputs_as_the_torch_twin_with_copied_weights(name):
    ours, theirs = CASES[name][0](), twin(name)
    copy_weights(ours, theirs)
    ours.double().eval()
    theirs.double().eval()
    x = np.random.default_rng(0).standard_normal(CASES[name][3])
    with torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
        if hasattr(theirs, "net"):
            assert layer_shapes(ours, profundo.tensor(x)) == layer_shapes(theirs, torch.tensor(x))
    with profundo.no_grad():
        got = ours(profundo.tensor(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", ["resnet18", "resnet18-torchvision"])
def test_resnet18_forward_and_backward_equal_the_torch_twin(name):
    """(The forward check of the other models, for ResNet-18 in training mode.)  Training mode (batch statistics in every BatchNorm), float64, the same weights: the same loss, the same
    gradient for every parameter and for the input, and the same running statistics afterwards."""
    ours, theirs = CASES[name][0](), twin(name)
    copy_weights(ours, theirs)
    ours.double().train()
    theirs.double().train()
    rng = np.random.default_rng(1)
    x = rng.standard_normal(CASES[name][3])
    y = rng.integers(0, 10, len(x))
    xo, xt = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo = profundo.nn.functional.cross_entropy(ours(xo), profundo.tensor(y))
    lt = TF.cross_entropy(theirs(xt), torch.tensor(y))
    lo.backward()
    lt.backward()
    np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-12)
    close(xo.grad, xt.grad)
    grads = dict(theirs.named_parameters())
    # a convolution's bias followed by batch norm gets a gradient of exactly 0 in exact arithmetic (the norm
    # removes the mean), so both libraries give rounding noise there: compare with the gradients' overall scale
    scale = max(float(g.grad.abs().max()) for g in grads.values())
    for k, p in ours.named_parameters():
        close(p.grad, grads[k].grad, k, scale)
    buffers = dict(theirs.named_buffers())
    for k, b in ours.named_buffers():
        close(b, buffers[k], k)


def close(ours, theirs, what="", scale=None):
    """Equal up to float64 rounding accumulated over 18 layers: each batch norm divides by a batch's standard
    deviation, so the error is relative to the array's scale, not to each (possibly tiny) element."""
    a, b = ours.numpy(), theirs.detach().numpy()
    scale = np.abs(b).max() if scale is None else scale
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8 * scale, err_msg=what)


@needs_torch
@pytest.mark.parametrize("use_1x1conv, strides, out_shape", [(False, 1, (2, 32, 6, 6)), (True, 2, (2, 32, 3, 3))])
def test_resnext_block_like_the_torch_twin(use_1x1conv, strides, out_shape):
    ours = models.ResNeXtBlock(16 if use_1x1conv else 32, 32, 16, 1, use_1x1conv, strides)
    theirs = TResNeXtBlock(32, 16, 1, use_1x1conv, strides)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 16 if use_1x1conv else 32, 6, 6))
    with torch.no_grad():
        theirs(torch.tensor(x, dtype=torch.float32))
    copy_weights(ours, theirs)
    ours.double()
    theirs.double()
    xo, xt = profundo.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert tuple(yo.shape) == out_shape == tuple(yt.shape)
    (yo * yo).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-8, atol=1e-11)
    # the grouped convolution has bot_channels // groups = 2 groups: its weight sees 16 input channels each
    assert tuple(ours.conv2.weight.shape) == (32, 16, 3, 3)


# ------------------------------------------------------------------------------ without torch too
def test_lenet_shapes_follow_the_book():
    # d2l 7.6's layer_summary output for LeNet on a 28x28 image
    net = models.LeNet()
    shapes = layer_shapes(net, profundo.randn(1, 1, 28, 28))
    assert shapes == [("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
                      ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
                      ("Flatten", (1, 400)), ("Linear", (1, 120)), ("Sigmoid", (1, 120)), ("Linear", (1, 84)),
                      ("Sigmoid", (1, 84)), ("Linear", (1, 10))]
    # 6*(25+1) + 16*(6*25+1) + 400*120+120 + 120*84+84 + 84*10+10 (LeCun's 61,706)
    assert count(net.parameters()) == 61706
    relu = models.LeNet(activation="relu", pooling="max")
    assert [n for n, _ in layer_shapes(relu, profundo.randn(1, 1, 28, 28))][:3] == ["Conv2d", "ReLU", "MaxPool2d"]


def test_layer_summary_prints_each_layer_like_d2l(capsys):
    models.layer_summary(models.LeNet(), (1, 1, 28, 28))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Conv2d output shape:\t profundo.Size([1, 6, 28, 28])"
    assert lines[-1] == "Linear output shape:\t profundo.Size([1, 10])" and len(lines) == 12
    # a bare Sequential works too (the book's code calls it on nets built with nn.Sequential)
    models.layer_summary(profundo.nn.Sequential(profundo.nn.Flatten(), profundo.nn.Linear(4, 2)), (3, 2, 2))
    assert capsys.readouterr().out.splitlines() == ["Flatten output shape:\t profundo.Size([3, 4])",
                                                    "Linear output shape:\t profundo.Size([3, 2])"]


def test_summary_lists_the_leaves_in_order_with_shapes_and_parameters():
    net = models.ResNet18()
    net.train()
    s = models.summary(net, (1, 1, 28, 28))
    assert net.training and all(m.training for m in net.modules())  # the modes are restored
    assert s.total_params == s.trainable_params == count(net.parameters())
    first = s.layers[0]
    assert first == ("net.0.0", "Conv2d", (1, 64, 14, 14), 64 * 49 + 64)
    assert s.layers[-1] == ("net.last.2", "Linear", (1, 10), 512 * 10 + 10)
    text = str(s)
    assert "net.b2.0.conv1 (Conv2d)" in text and "[1, 64, 7, 7]" in text
    assert re.search(r"Total params: ([\d,]+)", text)[1] == f"{s.total_params:,}"
    # a frozen layer counts as non-trainable
    for p in net.net[0].parameters():
        p.requires_grad_(False)
    s = models.summary(net, (1, 1, 28, 28))
    assert s.total_params - s.trainable_params == count(net.net[0].parameters())


@pytest.mark.parametrize("call, exc, needle", [
    (lambda: models.LeNet(activation="tanh"), ValueError, "activation must be one of"),
    (lambda: models.LeNet(pooling="min"), ValueError, "pooling must be one of"),
    (lambda: models.VGG(arch=()), ValueError, "at least one block"),
    (lambda: models.VGG(VGG_SMALL, in_size=16), ValueError, "becomes 0"),
    (lambda: models.summary(models.LeNet(), (1, 28, 28.0)), ValueError, "tuple of positive ints"),
    (lambda: models.summary("LeNet", (1, 1, 28, 28)), TypeError, "nn.Module"),
    (lambda: models.layer_summary(profundo.nn.Linear(2, 2), (1, 2)), TypeError, "no layers"),
])
def test_bad_arguments_are_refused(call, exc, needle):
    with pytest.raises(exc) as e:
        call()
    assert is_checked(e.value) and needle in str(e.value)


def test_cli_models_are_registered_with_an_input_size():
    assert set(models.IMAGE_SIZES) == set(models.MODELS) - {"mlp", "softmax"}
    for name, size in models.IMAGE_SIZES.items():
        if size > 28:  # the larger ones are checked by the twins above (on smaller images, which they allow)
            continue
        net = models.ImageClassifier(models.MODELS[name](num_classes=10, in_channels=1), size,
                                     profundo.tensor(0.5), profundo.tensor(0.25))
        with profundo.no_grad():
            assert tuple(net.eval()(profundo.rand(2, 8, 8)).shape) == (2, 10), name
