"""Registry entries for Unit 2 (issue 12): pooling, interpolation and normalization.

Samples with at most 24 floating elements also run gradcheck/gradgradcheck (test_gradcheck.py);
the larger ones are compared with PyTorch (values, gradients) only.
"""
import numpy as np  # noqa: F401

from registry import Sample, _op, binary, unary  # noqa: F401


def F(T):
    return T.nn.functional


def _max_pool2d_samples(make):
    return [Sample((make((1, 1, 4, 5)),), dict(kernel_size=2)),
            Sample((make((2, 3, 6, 7)),), dict(kernel_size=2)),                    # 2x2 stride 2 (the fast path)
            Sample((make((2, 2, 7, 7)),), dict(kernel_size=3, stride=2, padding=1)),  # overlapping windows
            Sample((make((1, 2, 5, 5)),), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
            Sample((make((1, 2, 6, 6)),), dict(kernel_size=3, stride=2, ceil_mode=True)),
            Sample((make((1, 1, 7, 6)),), dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1))),
            Sample((make((2, 4, 5)),), dict(kernel_size=2, stride=1)),               # unbatched (C, H, W)
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=2, stride=1)),
            Sample((make((0, 2, 4, 4)),), dict(kernel_size=2))]                     # an empty batch


def _bad_pool2d(make):
    return [Sample((make((1, 1, 4, 4)),), dict(kernel_size=2, padding=2)),      # pad > kernel / 2
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=5)),                 # output size too small
            Sample((make((4, 4)),), dict(kernel_size=2)),                       # 2-D input
            Sample((make((1, 0, 4, 4)),), dict(kernel_size=2)),                 # no channels
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=2, stride=0)),
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=2, padding=-1)),
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=(2, 2, 2))),
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=2.0))]


def _avg_pool2d_samples(make):
    return [Sample((make((1, 1, 4, 5)),), dict(kernel_size=2)),
            Sample((make((2, 3, 6, 7)),), dict(kernel_size=2)),
            Sample((make((2, 2, 7, 7)),), dict(kernel_size=3, stride=2, padding=1)),
            Sample((make((2, 2, 7, 7)),), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
            Sample((make((1, 2, 5, 5)),), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
            Sample((make((1, 2, 5, 5)),), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True,
                                               count_include_pad=False)),
            Sample((make((1, 2, 6, 6)),), dict(kernel_size=3, stride=2, ceil_mode=True)),
            Sample((make((1, 1, 5, 5)),), dict(kernel_size=(3, 2), stride=1, padding=(1, 0), divisor_override=5)),
            Sample((make((2, 4, 5)),), dict(kernel_size=2, stride=1)),
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=2, stride=1, padding=1))]


def _bad_avg_pool2d(make):
    return [Sample((make((1, 1, 4, 4)),), dict(kernel_size=2, padding=2)),
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=5)),
            Sample((make((1, 1, 4, 4)),), dict(kernel_size=2, divisor_override=0))]


def _pool1d_samples(make):
    return [Sample((make((1, 2, 9)),), dict(kernel_size=2)),
            Sample((make((2, 3, 10)),), dict(kernel_size=3, stride=2, padding=1)),
            Sample((make((2, 3, 10)),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
            Sample((make((3, 7)),), dict(kernel_size=2, stride=1))]                # unbatched (C, L)


def _adaptive2d_samples(make):
    return [Sample((make((1, 1, 4, 5)),), dict(output_size=(2, 3))),
            Sample((make((2, 3, 7, 6)),), dict(output_size=(1, 1))),
            Sample((make((2, 3, 7, 6)),), dict(output_size=(3, 4))),
            Sample((make((2, 3, 5, 5)),), dict(output_size=(7, None))),          # larger than the input
            Sample((make((3, 4, 4)),), dict(output_size=2))]                     # unbatched


def _adaptive1d_samples(make):
    return [Sample((make((1, 2, 9)),), dict(output_size=4)), Sample((make((2, 3, 5)),), dict(output_size=1)),
            Sample((make((3, 7)),), dict(output_size=3))]


def _interp_samples(mode):
    def samples(make):
        out = [Sample((make((1, 1, 3, 4)),), dict(size=(5, 6))),
               Sample((make((1, 1, 3, 4)),), dict(scale_factor=2)),
               Sample((make((2, 2, 5, 7)),), dict(size=(3, 4))),                   # down-sampling
               Sample((make((2, 2, 5, 7)),), dict(scale_factor=(1.5, 0.6))),
               Sample((make((1, 2, 4, 4)),), dict(size=7))]
        if mode == "bilinear":
            out += [Sample((make((1, 1, 3, 4)),), dict(size=(5, 6), align_corners=True)),
                    Sample((make((2, 2, 5, 7)),), dict(size=(1, 3), align_corners=True)),
                    Sample((make((2, 2, 5, 7)),), dict(scale_factor=1.7, recompute_scale_factor=True))]
        return out
    return samples


def _interp_errors(make):
    x = make((1, 1, 4, 4))
    return [Sample((x,), dict(size=3, mode="foo")),
            Sample((x,), dict(size=3, scale_factor=2)),
            Sample((x,), dict()),
            Sample((x,), dict(size=3, mode="nearest", align_corners=True)),
            Sample((x,), dict(size=3, mode="linear")),
            Sample((make((1, 1, 4)),), dict(size=3, mode="bilinear")),
            Sample((x,), dict(size=(3, 3, 3))),
            Sample((x,), dict(size=3, mode="bilinear", recompute_scale_factor=True)),
            Sample((x,), dict(size=3, mode="nearest", antialias=True))]


def _interp(T, a, name=None, **kw):
    return F(T).interpolate(a, **kw)


def _bn_train(T, x, w=None, b=None, momentum=0.1, stats=False):
    """Batch norm in training mode: the output, or the running statistics it updated."""
    c = x.shape[1]
    rm = T.linspace(-0.5, 0.5, c, dtype=x.dtype)
    rv = T.linspace(0.5, 1.5, c, dtype=x.dtype)
    y = F(T).batch_norm(x, rm, rv, w, b, training=True, momentum=momentum)
    return (rm, rv) if stats else y


def _bn_eval(T, x, w=None, b=None):
    c = x.shape[1]
    rm = T.linspace(-0.5, 0.5, c, dtype=x.dtype)
    rv = T.linspace(0.5, 1.5, c, dtype=x.dtype)
    return F(T).batch_norm(x, rm, rv, w, b, training=False)


def _bn_samples(make):
    return [Sample((make((4, 3)), make((3,)), make((3,)))),                       # BatchNorm1d on (N, C)
            Sample((make((2, 3, 4)), make((3,)), make((3,)))),                    # (N, C, L)
            Sample((make((2, 2, 3, 2)), make((2,)), make((2,)))),                 # (N, C, H, W), small
            Sample((make((4, 3, 5, 6)), make((3,)), make((3,)))),
            Sample((make((3, 2, 2, 2)),)),                                         # no affine
            Sample((make((8, 4)) * 3 + 1, make((4,)), make((4,))), dict(momentum=0.5))]


def _bad_bn(make):
    return [Sample((make((1, 3)),)),                                               # one value per channel
            Sample((make((1, 3, 1, 1)),)),
            Sample((make((4, 3)), make((4,))))]                                    # weight of the wrong size


def _ln_samples(make):
    return [Sample((make((3, 4)), make((4,)), make((4,))), dict(shape=(4,))),
            Sample((make((2, 3, 4)), make((3, 4)), make((3, 4))), dict(shape=(3, 4))),
            Sample((make((2, 3, 2)),), dict(shape=(2,))),
            Sample((make((4, 5, 6)), make((6,)), make((6,))), dict(shape=(6,)))]


def _ln(T, x, w=None, b=None, shape=None):
    return F(T).layer_norm(x, shape, w, b)


def _gn_samples(make):
    return [Sample((make((2, 4, 3)), make((4,)), make((4,))), dict(groups=2)),
            Sample((make((2, 4, 2, 2)),), dict(groups=4)),
            Sample((make((3, 6, 4, 5)), make((6,)), make((6,))), dict(groups=3)),
            Sample((make((2, 4, 3)), make((4,)), make((4,))), dict(groups=1))]


def _gn(T, x, w=None, b=None, groups=1):
    return F(T).group_norm(x, groups, w, b)


def _unpool(T, a, **kw):
    values, indices = F(T).max_pool2d(a, 2, return_indices=True, **kw)
    return F(T).max_unpool2d(values * 2, indices, 2, output_size=a.shape[-2:] if kw else None)


OPS = [
    # ---------------------------------------------------------- max pooling
    _op("max_pool2d", lambda T, a, **kw: F(T).max_pool2d(a, **kw), _max_pool2d_samples, errors=_bad_pool2d),
    _op("max_pool2d_indices", lambda T, a, **kw: tuple(F(T).max_pool2d(a, return_indices=True, **kw)),
        _max_pool2d_samples),
    _op("max_pool2d_module", lambda T, a, **kw: T.nn.MaxPool2d(**kw)(a), _max_pool2d_samples),
    _op("max_pool2d_ties", lambda T, a: tuple(F(T).max_pool2d(a, 2, 1, return_indices=True)),
        lambda make: [Sample((np.array([[[[1, 3, 3], [3, 2, 3], [0, 3, 3]]]], np.float32),))],
        grad=False),  # (finite differences mean nothing at ties: test_pool.py compares the gradient with torch's)
    _op("max_pool2d_int", lambda T, a: tuple(F(T).max_pool2d(a, 2, 1, 1, return_indices=True)),
        lambda make: [Sample((make.ints((2, 1, 4, 3), -5, 5),))], grad=False),
    _op("max_pool1d", lambda T, a, **kw: tuple(F(T).max_pool1d(a, return_indices=True, **kw)), _pool1d_samples,
        errors=lambda make: [Sample((make((4,)),), dict(kernel_size=2)),
                             Sample((make((1, 4)),), dict(kernel_size=5))]),
    _op("max_unpool2d", _unpool, lambda make: [Sample((make((1, 2, 4, 4)),)), Sample((make((2, 4, 6)),)),
                                                Sample((make((1, 2, 5, 5)),), dict(padding=1))]),
    # ---------------------------------------------------------- average pooling
    _op("avg_pool2d", lambda T, a, **kw: F(T).avg_pool2d(a, **kw), _avg_pool2d_samples, errors=_bad_avg_pool2d),
    _op("avg_pool2d_module", lambda T, a, **kw: T.nn.AvgPool2d(**kw)(a), _avg_pool2d_samples),
    _op("avg_pool1d", lambda T, a, **kw: F(T).avg_pool1d(a, **kw),
        lambda make: _pool1d_samples(make) + [Sample((make((1, 2, 7)),), dict(kernel_size=3, stride=2, padding=1,
                                                                               count_include_pad=False))]),
    # ---------------------------------------------------------- adaptive pooling
    _op("adaptive_avg_pool2d", lambda T, a, **kw: F(T).adaptive_avg_pool2d(a, **kw), _adaptive2d_samples,
        errors=lambda make: [Sample((make((4, 4)),), dict(output_size=2)),
                             Sample((make((1, 1, 4, 4)),), dict(output_size=(2, 2, 2))),
                             Sample((make((1, 1, 4, 4)),), dict(output_size=-1))]),
    _op("adaptive_avg_pool1d", lambda T, a, **kw: T.nn.AdaptiveAvgPool1d(**kw)(a), _adaptive1d_samples),
    _op("adaptive_max_pool2d", lambda T, a, **kw: tuple(F(T).adaptive_max_pool2d(a, return_indices=True, **kw)),
        _adaptive2d_samples, errors=lambda make: [Sample((make.ints((1, 1, 4, 4), 0, 3),), dict(output_size=2))]),
    _op("adaptive_max_pool1d", lambda T, a, **kw: T.nn.AdaptiveMaxPool1d(**kw)(a), _adaptive1d_samples),
    # ---------------------------------------------------------- interpolate
    _op("interpolate_nearest", lambda T, a, **kw: F(T).interpolate(a, mode="nearest", **kw),
        _interp_samples("nearest")),
    _op("interpolate_nearest_exact", lambda T, a, **kw: F(T).interpolate(a, mode="nearest-exact", **kw),
        _interp_samples("nearest")),
    _op("interpolate_bilinear", lambda T, a, **kw: F(T).interpolate(a, mode="bilinear", **kw),
        _interp_samples("bilinear")),
    _op("interpolate_linear", lambda T, a, **kw: F(T).interpolate(a, mode="linear", **kw),
        lambda make: [Sample((make((1, 2, 5)),), dict(size=8)), Sample((make((2, 1, 7)),), dict(scale_factor=0.5)),
                      Sample((make((1, 2, 5)),), dict(size=3, align_corners=True))]),
    _op("upsample_module", lambda T, a, **kw: T.nn.Upsample(**kw)(a),
        lambda make: [Sample((make((1, 1, 3, 4)),), dict(scale_factor=2)),
                      Sample((make((1, 2, 3, 3)),), dict(size=(5, 4), mode="bilinear", align_corners=False))]),
    _op("interpolate_error_kinds", _interp, lambda make: [], errors=_interp_errors),
    # ---------------------------------------------------------- normalization
    _op("batch_norm_train", _bn_train, _bn_samples, errors=_bad_bn),
    _op("batch_norm_running_stats", lambda T, *a, **kw: _bn_train(T, *a, stats=True, **kw), _bn_samples,
        grad=False),
    _op("batch_norm_eval", _bn_eval, lambda make: [s for s in _bn_samples(make) if not s.kwargs]),
    _op("batch_norm_module", lambda T, a: T.nn.BatchNorm2d(a.shape[1], dtype=a.dtype)(a),
        lambda make: [Sample((make((2, 3, 4, 4)),)), Sample((make((2, 2, 3, 2)),))]),
    _op("layer_norm", _ln, _ln_samples,
        errors=lambda make: [Sample((make((2, 3)),), dict(shape=(4,))),
                             Sample((make((2, 3, 2)), make((2,))), dict(shape=(3, 2)))]),
    _op("group_norm", _gn, _gn_samples,
        errors=lambda make: [Sample((make((2, 4, 3)),), dict(groups=3)),
                             Sample((make((2, 4, 3)), make((2,))), dict(groups=2))]),
]
