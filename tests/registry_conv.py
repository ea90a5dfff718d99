"""Registry entries for Unit 2 (issue 12): convolution.

Each op has small samples (every array of at most 24 elements, so that test_gradcheck.py runs
float64 gradcheck and gradgradcheck on them: the convolution's backward is itself differentiable)
and larger ones (strides, padding, dilation, groups, unbatched input) compared with PyTorch.
"""
from registry import Sample, _op


def _conv2d_samples(make):
    return [
        # tiny: gradcheck and gradgradcheck run on these
        Sample((make((1, 2, 3, 4)), make((2, 2, 2, 2)), make((2,)))),
        Sample((make((1, 1, 4, 4)), make((2, 1, 3, 3))), dict(padding=1, stride=2)),
        Sample((make((1, 2, 3, 3)), make((2, 1, 2, 2)), make((2,))), dict(groups=2, padding=1)),
        Sample((make((2, 3, 3)), make((1, 2, 2, 2))), dict(padding="same")),        # unbatched CHW, even kernel
        Sample((make((1, 1, 5, 4)), make((1, 1, 2, 2))), dict(dilation=2, stride=(2, 1))),
        Sample((make((1, 2, 3, 3)), make((2, 2, 1, 1)), make((2,))), dict(padding=1)),  # padding beyond the kernel
        # larger
        Sample((make((2, 3, 7, 6)), make((4, 3, 3, 3)), make((4,)))),
        Sample((make((2, 4, 8, 9)), make((6, 2, 3, 2)), make((6,))), dict(stride=(2, 1), padding=(1, 2), groups=2)),
        Sample((make((2, 4, 6, 6)), make((4, 1, 3, 3))), dict(groups=4, padding="same", dilation=2)),   # depthwise
        Sample((make((1, 3, 9, 8)), make((5, 3, 2, 3)), make((5,))), dict(stride=3, dilation=(2, 1))),
        Sample((make((3, 5, 5)), make((2, 3, 3, 3))), dict(padding="valid")),
        Sample((make((2, 3, 6, 5), noncontig=True), make((2, 3, 1, 1)))),                           # 1x1, strided input
        Sample((make((0, 2, 4, 4)), make((3, 2, 3, 3)), make((3,)))),                                 # empty batch
    ]


def _conv2d_errors(make):
    return [
        Sample((make((2, 4, 8, 8)), make((6, 3, 3, 3)))),                      # 4 channels, the weight wants 3
        Sample((make((2, 3, 2, 2)), make((6, 3, 3, 3)))),                      # kernel larger than the input
        Sample((make((2, 3, 4, 4)), make((6, 3, 3, 3))), dict(padding=0, dilation=2)),
        Sample((make((2, 4, 8, 8)), make((3, 2, 3, 3))), dict(groups=2)),      # 3 filters in 2 groups
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3))), dict(padding="same", stride=2)),
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3))), dict(padding="full")),
        Sample((make((2, 3)), make((6, 3, 3, 3)))),                            # 2-D input
        Sample((make((2, 3, 8, 8, 2)), make((6, 3, 3, 3)))),                   # 5-D input
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3)), make((5,)))),          # bias of 5 for 6 filters
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3))), dict(stride=0)),
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3))), dict(padding=-1)),
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3))), dict(dilation=0)),
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3))), dict(groups=0)),
        Sample((make((2, 3, 8, 8)), make((6, 3, 3, 3))), dict(stride=(1, 1, 1))),
        Sample((make((2, 3, 8, 8)), make((6, 3, 3)))),                         # 3-D weight
    ]


def _conv1d_samples(make):
    return [
        Sample((make((1, 2, 5)), make((3, 2, 2)), make((3,)))),
        Sample((make((2, 6)), make((2, 2, 3))), dict(padding="same", dilation=2)),          # unbatched
        Sample((make((1, 2, 7)), make((2, 1, 3))), dict(stride=2, padding=1, groups=2)),
        Sample((make((3, 4, 11)), make((6, 2, 4)), make((6,))), dict(stride=3, padding=2, dilation=2, groups=2)),
    ]


def _conv1d_errors(make):
    return [
        Sample((make((2, 3, 8)), make((4, 3, 9)))),     # kernel larger than the input
        Sample((make((2, 2, 3)), make((4, 3, 2)))),     # 2 channels, the weight wants 3
        Sample((make((3,)), make((4, 3, 2)))),          # 1-D input
    ]


def _conv_transpose2d_samples(make):
    return [
        Sample((make((1, 2, 2, 3)), make((2, 1, 2, 2)), make((1,)))),
        Sample((make((1, 1, 2, 2)), make((1, 2, 3, 3))), dict(stride=2, padding=1, output_padding=1)),
        Sample((make((1, 2, 3, 2)), make((2, 1, 2, 2))), dict(groups=2, dilation=2)),
        Sample((make((1, 3, 2)), make((1, 1, 2, 3))), dict(stride=(1, 2))),                  # unbatched
        Sample((make((2, 4, 5, 4)), make((4, 3, 3, 2)), make((6,))), dict(stride=(2, 3), padding=(1, 0),
                                                                        output_padding=(1, 2), groups=2)),
        Sample((make((2, 3, 4, 4)), make((3, 2, 3, 3))), dict(dilation=2, output_padding=1)),  # op >= stride
        Sample((make((2, 3, 4, 4)), make((3, 5, 2, 2)), make((5,))), dict(stride=2)),
    ]


def _conv_transpose2d_errors(make):
    return [
        Sample((make((2, 3, 4, 4)), make((3, 2, 3, 3))), dict(stride=2, output_padding=2)),
        Sample((make((2, 4, 4, 4)), make((3, 2, 3, 3)))),                       # 4 channels, the weight has 3
        Sample((make((2, 3, 4, 4)), make((3, 2, 3, 3))), dict(groups=2)),
        Sample((make((2, 3, 4, 4)), make((3, 2, 3, 3))), dict(padding="same")),
    ]


def _conv_transpose1d_samples(make):
    return [
        Sample((make((1, 2, 3)), make((2, 2, 3)), make((2,))), dict(stride=2)),
        Sample((make((2, 4, 5)), make((4, 1, 3))), dict(stride=2, padding=1, output_padding=1, groups=2)),
    ]


def _unfold_samples(make):
    return [
        Sample((make((1, 2, 3, 4)),), dict(kernel_size=2)),
        Sample((make((1, 1, 4, 5)),), dict(kernel_size=(2, 3), stride=2, padding=1)),
        Sample((make((2, 4, 4)),), dict(kernel_size=2, dilation=2)),                             # unbatched
        Sample((make((2, 3, 7, 6)),), dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 0), stride=(2, 1))),
    ]


def _unfold_errors(make):
    return [
        Sample((make((2, 3, 4, 4)),), dict(kernel_size=5)),   # no window fits
        Sample((make((2, 3)),), dict(kernel_size=2)),         # 2-D input
    ]


def _fold_samples(make):
    return [
        Sample((make((1, 4, 6)),), dict(output_size=(3, 4), kernel_size=2)),
        Sample((make((8, 4)),), dict(output_size=(3, 3), kernel_size=2, stride=2, padding=1)),    # unbatched
        Sample((make((2, 6, 12)),), dict(output_size=(5, 6), kernel_size=(3, 2), dilation=(1, 2), padding=(1, 0),
                                         stride=(2, 1))),
    ]


def _fold_errors(make):
    return [
        Sample((make((2, 12, 5)),), dict(output_size=(4, 4), kernel_size=2)),   # 5 columns, 9 windows
        Sample((make((2, 13, 9)),), dict(output_size=(4, 4), kernel_size=2)),   # 13 rows, not C * 4
        Sample((make((2, 2, 12, 9)),), dict(output_size=(4, 4), kernel_size=2)),
    ]


OPS = [
    _op("conv2d", lambda T, *a, **k: T.nn.functional.conv2d(*a, **k), _conv2d_samples, errors=_conv2d_errors),
    _op("conv1d", lambda T, *a, **k: T.nn.functional.conv1d(*a, **k), _conv1d_samples, errors=_conv1d_errors),
    _op("conv_transpose2d", lambda T, *a, **k: T.nn.functional.conv_transpose2d(*a, **k), _conv_transpose2d_samples,
        errors=_conv_transpose2d_errors),
    _op("conv_transpose1d", lambda T, *a, **k: T.nn.functional.conv_transpose1d(*a, **k),
        _conv_transpose1d_samples),
    _op("unfold", lambda T, x, **k: T.nn.functional.unfold(x, **k), _unfold_samples, errors=_unfold_errors),
    _op("fold", lambda T, x, **k: T.nn.functional.fold(x, **k), _fold_samples, errors=_fold_errors),
]
