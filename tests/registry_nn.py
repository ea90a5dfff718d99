"""Registry entries for nn.functional added with issue 10: pad, normalize, losses' legacy arguments, inplace=, ...."""
import numpy as np

from registry import Sample, _op, binary, unary  # noqa: F401

INF = np.inf


def F(T):
    return T.nn.functional


def _pad(mode):
    return lambda T, a, pad, **kw: F(T).pad(a, pad, mode=mode, **kw)


def _pad_samples(mode):
    """Padding and cropping (negative amounts) of the last 1-3 dims, with 1 or 2 leading dims."""
    def samples(make):
        out = [Sample((make((2, 5)), (2, 1))), Sample((make((2, 3, 4)), (1, 2))),
               Sample((make((1, 3, 4)), (-1, 2))), Sample((make((1, 3, 4)), (2, -1, 1, 0))),
               Sample((make((1, 3, 4)), (1, 1, 2, 2))), Sample((make((2, 2, 3, 4)), (1, 0, -1, 2))),
               Sample((make((1, 1, 2, 3, 3)), (1, 1, 0, 1, 1, 0))), Sample((make((1, 4, 3), noncontig=True), (1, 2)))]
        if mode != "reflect":  # reflect needs pad < size
            out.append(Sample((make((1, 2, 3)), (3, 3))))
        if mode == "constant":  # any number of dims, the frame's value
            out += [Sample((make((3,)), (2, 1))), Sample((make((2, 3, 4)), (1, 0, 0, 1, 1, 1)), dict(value=1.5)),
                    Sample((make((2, 3)), (-1, -2, 0, 1))), Sample((make((2, 3)), (-2, -1)))]
        return out
    return samples


def _pad_errors(mode):
    def errors(make):
        out = [Sample((make((2, 3)), (1,))),                      # odd length
               Sample((make((3,)), (1, 1, 1, 1))),                # more pairs than dims
               Sample((make((2, 3)), (1.5, 1))),                  # not ints
               Sample((make((2, 3)), 2))]                         # not a sequence
        if mode == "constant":
            out += [Sample((make((2, 3)), (-2, -2))), Sample((make((2, 3)), (-4, 2)))]   # cropped below 0
        else:
            out += [Sample((make((4,)), (1, 1))),                 # no leading (channel) dim
                    Sample((make((1, 2, 3, 4, 5)), (1, 1))),       # too many leading dims
                    Sample((make((2, 3)), (1, 1)), dict(value=2.0)),  # value only for constant
                    Sample((make((1, 3, 4)), (-2, -2, -2, -2)))]   # the output would be empty
        if mode == "reflect":
            out += [Sample((make((1, 3)), (3, 0))), Sample((make((1, 3, 4)), (1, 1, 0, 3)))]  # pad >= size
        if mode == "circular":
            out += [Sample((make((1, 3)), (4, 0))), Sample((make((1, 3)), (-4, 0))),
                    Sample((make((1, 5)), (-4, 2)))]  # wraps more than once (around what cropping kept)
        return out
    return errors


def _loss(name):
    return lambda T, *args, **kw: getattr(F(T), name)(*args, **kw)


LEGACY = [dict(reduce=False), dict(size_average=False), dict(size_average=True, reduce=True),
          dict(size_average=False, reduce=False), dict(reduce=True, reduction="none")]


def _regression(make, **kw):
    return [Sample((make((2, 3)), make((2, 3))), dict(k)) for k in LEGACY]


def _classes(make):
    return [Sample((make((4, 3)), make.ints((4,), 0, 3)), dict(k)) for k in LEGACY]


def _probabilities(make):
    return [Sample((make((2, 3), 0.05, 0.95), make((2, 3), 0.0, 1.0)), dict(k)) for k in LEGACY]


def _weighted_regression(make):
    return [Sample((make((2, 3)), make((2, 3)), make((2, 3), 0.1, 2.0)), dict(reduction=r))
            for r in ("mean", "sum", "none")]


OPS = [
    # ---------------------------------------------------------- F.pad
    _op("pad_constant", _pad("constant"), _pad_samples("constant"), errors=_pad_errors("constant")),
    _op("pad_reflect", _pad("reflect"), _pad_samples("reflect"), errors=_pad_errors("reflect")),
    _op("pad_replicate", _pad("replicate"), _pad_samples("replicate"), errors=_pad_errors("replicate")),
    _op("pad_circular", _pad("circular"), _pad_samples("circular"), errors=_pad_errors("circular")),
    _op("pad_mode_unknown", _pad("nearest"), lambda make: [],
        errors=lambda make: [Sample((make((1, 2, 3)), (1, 1)))]),
    _op("pad_modules", lambda T, a: (T.nn.ReflectionPad2d((1, 0, 2, 1))(T.nn.ZeroPad2d(1)(a)),
                                     T.nn.ReplicationPad1d((2, 3))(a), T.nn.ConstantPad2d((1, 0, 0, 2), 3.0)(a),
                                     T.nn.CircularPad2d((2, 2, 1, 2))(a), T.nn.ConstantPad1d(-1, 3.0)(a)),
        lambda make: [Sample((make((1, 2, 3)),)), Sample((make((2, 3, 3)),))]),
    # ---------------------------------------------------------- F.normalize
    _op("normalize", lambda T, a, **kw: F(T).normalize(a, **kw),
        lambda make: [Sample((make((2, 3)),)), Sample((make((2, 3)),), dict(dim=0)),
                      Sample((make((2, 3, 4)),), dict(dim=-1, p=1.0)), Sample((make((3, 4)),), dict(p=3)),
                      Sample((make((3, 4)),), dict(p=INF)), Sample((make((4,)),), dict(dim=0)),
                      Sample((make((2, 3)),), dict(eps=2.0)), Sample((make((3, 2)),), dict(dim=(0, 1)))],
        errors=lambda make: [Sample((make((2, 3)),), dict(dim=2)), Sample((make((3,)),)),
                             Sample((make.ints((2, 3), 0, 4),))]),
    # ---------------------------------------------------------- F.cosine_similarity, F.pairwise_distance
    _op("cosine_similarity", lambda T, a, b, **kw: F(T).cosine_similarity(a, b, **kw),
        lambda make: [Sample((make((3, 4)), make((3, 4)))), Sample((make((2, 3)), make((2, 3))), dict(dim=0)),
                      Sample((make((2, 1, 3)), make((1, 4, 3))), dict(dim=-1)),
                      Sample((make((5,)), make((5,))), dict(dim=0)),
                      Sample((make((3, 4)), make((3, 4))), dict(eps=0.5))],
        errors=lambda make: [Sample((make((2, 3)), make((2, 4)))), Sample((make((2, 3)), make((2, 3))), dict(dim=2)),
                             Sample((make.ints((2, 3), 0, 4), make.ints((2, 3), 0, 4)))]),
    _op("pairwise_distance", lambda T, a, b, **kw: F(T).pairwise_distance(a, b, **kw),
        lambda make: [Sample((make((3, 4)), make((3, 4)))), Sample((make((3, 4)), make((4,))), dict(p=1.0)),
                      Sample((make((2, 3)), make((2, 3))), dict(p=3.0, keepdim=True)),
                      Sample((make((4,)), make((4,))), dict(eps=0.0))],
        errors=lambda make: [Sample((make((2, 3)), make((2, 4))))]),
    # ---------------------------------------------------------- softmax with infinities (torch: NaN rows)
    _op("softmax_inf", lambda T, a, **kw: F(T).softmax(a, dim=1),
        lambda make: [Sample((np.array([[INF, 0.0, 0.0], [1.0, 2.0, 3.0], [-INF, -INF, -INF], [INF, -INF, 0.0],
                                        [-INF, 0.0, 1.0]], np.float32),))], gradgrad=False),
    _op("log_softmax_inf", lambda T, a, **kw: F(T).log_softmax(a, dim=1),
        lambda make: [Sample((np.array([[INF, 0.0, 0.0], [1.0, 2.0, 3.0], [-INF, 0.0, 1.0]], np.float32),))],
        gradgrad=False),
    _op("cross_entropy_inf", lambda T, a, t: F(T).cross_entropy(a, t, reduction="none"),
        lambda make: [Sample((np.array([[INF, 0.0, 0.0], [1.0, 2.0, 3.0], [-INF, 0.0, 1.0]], np.float32),
                              np.array([0, 2, 0])))], gradgrad=False),
    # ---------------------------------------------------------- the losses' legacy size_average / reduce
    _op("mse_loss_legacy", _loss("mse_loss"), _regression),
    _op("l1_loss_legacy", _loss("l1_loss"), _regression, gradgrad=False),
    _op("smooth_l1_loss_legacy", _loss("smooth_l1_loss"), _regression, gradgrad=False),
    _op("nll_loss_legacy", _loss("nll_loss"), _classes),
    _op("cross_entropy_legacy", _loss("cross_entropy"), _classes),
    _op("binary_cross_entropy_legacy", _loss("binary_cross_entropy"), _probabilities),
    _op("bce_with_logits_legacy", _loss("binary_cross_entropy_with_logits"),
        lambda make: [Sample((make((2, 3)), make((2, 3), 0.0, 1.0)), dict(k)) for k in LEGACY]),
    _op("loss_modules_legacy", lambda T, a, b: T.nn.MSELoss(reduce=False)(a, b) + T.nn.L1Loss(size_average=False)(a, b)
        + T.nn.SmoothL1Loss(False, True)(a, b), lambda make: [Sample((make((2, 3)), make((2, 3))))], gradgrad=False),
    _op("class_loss_modules_legacy", lambda T, a, t: T.nn.CrossEntropyLoss(reduce=False)(a, t)
        + T.nn.NLLLoss(size_average=False)(a.log_softmax(1), t),
        lambda make: [Sample((make((4, 3)), make.ints((4,), 0, 3)))]),
    # ---------------------------------------------------------- per-element weights of the regression losses
    _op("mse_loss_weight", lambda T, a, b, w, **kw: F(T).mse_loss(a, b, weight=w, **kw), _weighted_regression,
        errors=lambda make: [Sample((make((2, 3)), make((2, 3)), make((3,)))),
                             Sample((make((2, 3)), make((2, 3)), make((1, 2, 3)))),
                             Sample((make((2, 3)), make((2, 3)), make((2, 3))), dict(reduction="avg"))]),
    _op("l1_loss_weight", lambda T, a, b, w, **kw: F(T).l1_loss(a, b, weight=w, **kw), _weighted_regression,
        gradgrad=False),
    _op("huber_loss_weight", lambda T, a, b, w, **kw: F(T).huber_loss(a, b, weight=w, **kw),
        _weighted_regression, gradgrad=False,
        errors=lambda make: [Sample((make((2, 3)), make((2, 3)), make((3,)))),
                             Sample((make((2, 3)), make((2, 3)), make((2, 3))), dict(delta=0.0))]),
    # ---------------------------------------------------------- class weights and targets the losses check
    _op("class_weight_errors", lambda T, a, t, w, name="cross_entropy", **kw: getattr(F(T), name)(a, t, weight=w, **kw),
        lambda make: [],
        errors=lambda make: [Sample((make((3, 4)), np.array([0, 1, 3]), make((3,)))),
                             Sample((make((3, 4)), np.array([0, 1, 3]), make((5,)))),
                             Sample((make((3, 4)), np.array([0, 1, 3]), make((1, 4)))),
                             Sample((make((3, 4)), np.array([0, 1, 3]), make((3,))), dict(name="nll_loss")),
                             Sample((make((3, 4)), np.array([0, 1, 3]), make((3,))),
                                    dict(name="nll_loss", reduction="none")),
                             Sample((make((2, 4, 3)), np.zeros((2, 3), np.int64), make((3,))), dict(name="nll_loss")),
                             Sample((make((3, 4)), make((3, 4), 0, 1), make((3,))))]),
    _op("cross_entropy_probs_ignore_index", lambda T, a, t: F(T).cross_entropy(a, t, ignore_index=1),
        lambda make: [], errors=lambda make: [Sample((make((3, 4)), make((3, 4), 0, 1)))]),
    # PyTorch refuses a BCE weight (or pos_weight) that requires grad: the weights are given as
    # lists here (not differentiated), the refusal is tested in test_issue10_nn.py
    _op("bce_weight_shapes", lambda T, a, t, w, name="binary_cross_entropy", **kw:
        getattr(F(T), name)(a, t, T.tensor(w, dtype=a.dtype), **kw),
        lambda make: [Sample((make((3, 4), 0.05, 0.95), make((3, 4), 0, 1), make((4,), 0.1, 2).tolist())),
                      Sample((make((3, 4), 0.05, 0.95), make((3, 4), 0, 1), make((3, 1), 0.1, 2).tolist())),
                      Sample((make((3, 4)), make((3, 4), 0, 1), make((4,), 0.1, 2).tolist()),
                             dict(name="binary_cross_entropy_with_logits"))],
        errors=lambda make: [Sample((make((3, 4), 0.05, 0.95), make((3, 4), 0, 1), make((3,)).tolist())),
                             Sample((make((3, 4), 0.05, 0.95), make((3, 4), 0, 1), make((5, 3, 4)).tolist())),
                             Sample((make((3, 4)), make((3, 4), 0, 1), make((3,)).tolist()),
                                    dict(name="binary_cross_entropy_with_logits")),
                             Sample((make((3, 4)), make((3, 4), 0, 1), make((5, 3, 4)).tolist()),
                                    dict(name="binary_cross_entropy_with_logits"))]),
    _op("bce_with_logits_pos_weight", lambda T, a, t, pw:
        F(T).binary_cross_entropy_with_logits(a, t, pos_weight=T.tensor(pw, dtype=a.dtype)),
        lambda make: [Sample((make((3, 4)), make((3, 4), 0, 1), make((4,), 0.5, 3).tolist())),
                      Sample((make((3, 4)), make((3, 4), 0, 1), make((3, 1), 0.5, 3).tolist()))],
        errors=lambda make: [Sample((make((3, 4)), make((3, 4), 0, 1), make((3,)).tolist())),
                             Sample((make((3, 4)), make((3, 4), 0, 1), make((5, 3, 4)).tolist()))]),
    # ---------------------------------------------------------- smooth activations (issue 11: one node each)
    _op("gelu", lambda T, a: F(T).gelu(a), unary(-4, 4), errors=lambda make: [Sample((make.ints((3,), -2, 2),))]),
    _op("gelu_tanh", lambda T, a: F(T).gelu(a, approximate="tanh"), unary(-4, 4),
        errors=lambda make: [Sample((make.ints((3,), -2, 2),))]),
    _op("softplus", lambda T, a: F(T).softplus(a), unary(-25, 25),
        errors=lambda make: [Sample((make.ints((3,), -2, 2),))]),
    _op("softplus_beta_threshold", lambda T, a, beta=2.0, threshold=3.0: F(T).softplus(a, beta, threshold),
        lambda make: [Sample((make((2, 5), -4, 4),)), Sample((make((2, 5), -4, 4),), dict(beta=-1.5)),
                      Sample((make((3,), -4, 4),), dict(beta=0.5, threshold=-1.0))]),
    _op("erf_wide", lambda T, a: T.erf(a), unary(-7, 7)),
    _op("silu", lambda T, a: F(T).silu(a), unary(-6, 6)),
    _op("elu", lambda T, a: F(T).elu(a, 0.7), unary(-3, 3)),
    # ---------------------------------------------------------- inplace=True (on a non-leaf: gradients flow)
    _op("leaky_relu_inplace", lambda T, a: F(T).leaky_relu(a * 1, 0.2, inplace=True), unary(), gradgrad=False,
        errors=lambda make: [Sample((make.ints((3,), -2, 2),))]),
    _op("elu_inplace", lambda T, a: F(T).elu(a * 1, 0.7, inplace=True), unary(), gradgrad=False,
        errors=lambda make: [Sample((make.ints((3,), -2, 2),))]),
    _op("silu_inplace", lambda T, a: F(T).silu(a * 1, inplace=True), unary(),
        errors=lambda make: [Sample((make.ints((3,), -2, 2),))]),
    _op("relu_inplace", lambda T, a: F(T).relu(a * 1, inplace=True), unary(), gradgrad=False),
    _op("inplace_modules", lambda T, a: T.nn.LeakyReLU(0.1, inplace=True)(a * 1) + T.nn.ELU(inplace=True)(a * 2)
        + T.nn.SiLU(inplace=True)(a * 3) + T.nn.ReLU(inplace=True)(a - 0.5), unary(), gradgrad=False),
    _op("inplace_functional_underscore", lambda T, a: F(T).leaky_relu_(a * 1, 0.3) + F(T).elu_(a * 2)
        + F(T).relu_(a * 3), unary(), gradgrad=False),
]
