"""The PyTorch bridge (profundo.interop, issue 15): tensors through DLPack, every nn layer and the course's
models profundo -> torch -> profundo with outputs, gradients, buffers and modes compared, state dicts through
safetensors both ways."""
import collections
import warnings

import numpy as np
import pytest

import profundo
from profundo import get_backend, interop, models, nn

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-6, atol=1e-6)
# torch's own note that its oneDNN kernels lack LSTM projections: not about the bridge
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections:UserWarning")


# ------------------------------------------------------------------------------------------------ helpers
def f(*s):
    return ("f", s)


def pos(*s):  # probabilities in (0, 1)
    return ("p", s)


def ints(n, *s):  # integer indices < n
    return ("i", n, s)


def onehot(*s):  # 0/1 floats
    return ("o", s)


def xs(*items):
    return items


def make_inputs(spec, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for item in spec:
        if item[0] == "f":
            out.append(rng.standard_normal(item[1]).astype(np.float32))
        elif item[0] == "p":
            out.append(rng.uniform(0.05, 0.95, item[1]).astype(np.float32))
        elif item[0] == "o":
            out.append((rng.random(item[1]) > 0.5).astype(np.float32))
        else:
            out.append(rng.integers(0, item[1], item[2]).astype(np.int64))
    return out


def flat(out):
    """Tensors of a (nested) output, in order."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat(o)]
    return [] if out is None else [out]


def run(model, arrays, lib, dtype=np.float32, grads=True):
    """Forward on fresh leaf inputs (floats cast to ``dtype``), then backward of a fixed random projection of
    every float output.  Returns (outputs, input grads, parameter grads by name) as NumPy arrays."""
    inputs = []
    for a in arrays:
        t = lib.tensor(a.astype(dtype) if a.dtype.kind == "f" else a)
        if a.dtype.kind == "f" and grads:
            t.requires_grad_(True)
        inputs.append(t)
    outs = flat(model(*inputs))
    rng = np.random.default_rng(1)
    loss = None
    for o in outs:
        if grads and o.dtype.is_floating_point and o.requires_grad:
            term = (o * lib.tensor(rng.standard_normal(tuple(o.shape))).to(o.dtype)).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    param_grads = {n: p.grad.detach().numpy().copy() for n, p in model.named_parameters() if p.grad is not None}
    in_grads = [t.grad.detach().numpy().copy() if t.grad is not None else None for t in inputs]
    return [o.detach().numpy().copy() for o in outs], in_grads, param_grads


def assert_same_state(a, b, exact=True):
    """Same keys, dtypes and values: bit for bit after a conversion (weights are copied, not recomputed)."""
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        x, y = sa[k].detach().numpy(), sb[k].detach().numpy()
        assert x.dtype == y.dtype and x.shape == y.shape, k
        if exact:
            assert np.array_equal(x, y), k
        else:
            np.testing.assert_allclose(x, y, err_msg=k, **TOL)


def assert_same_modes(a, b):
    ma, mb = dict(a.named_modules()), dict(b.named_modules())
    for name, sub in ma.items():
        if name in mb:
            assert sub.training == mb[name].training, name


def _compare(ours, theirs, back, arrays, dtype, grads):
    ours_out, ours_in, ours_g = run(ours, arrays, profundo, dtype, grads)
    their_out, their_in, their_g = run(theirs, arrays, torch, dtype, grads)
    back_out, _, back_g = run(back, arrays, profundo, dtype, grads)
    assert len(ours_out) == len(their_out) == len(back_out) > 0
    for a, b, c in zip(ours_out, their_out, back_out):
        assert a.dtype == b.dtype == c.dtype
        np.testing.assert_allclose(a, b, **TOL)
        np.testing.assert_allclose(a, c, **TOL)
    for a, b in zip(ours_in, their_in):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, **TOL)
    assert sorted(ours_g) == sorted(their_g) == sorted(back_g)
    for k in ours_g:
        np.testing.assert_allclose(ours_g[k], their_g[k], err_msg=k, **TOL)
        np.testing.assert_allclose(ours_g[k], back_g[k], err_msg=k, **TOL)


def check_round_trip(model, arrays):
    """profundo -> torch -> profundo: same class names, state, modes.  In float32 the outputs agree to 1e-6
    on the three models; then in float64 (``model.double()`` before converting: the dtype is carried) the
    outputs, input gradients and parameter gradients agree to 1e-6 too -- float32 gradients of deep models
    differ by a few ulps of summation order, which says nothing about the bridge.  The buffers a forward
    updates (running statistics) agree afterwards."""
    for dtype in (np.float32, np.float64):
        if dtype is np.float64:
            model = model.double()
        theirs = interop.to_torch(model)
        assert isinstance(theirs, torch.nn.Module)
        assert type(theirs).__name__ == type(model).__name__
        assert_same_state(model, theirs)
        assert_same_modes(model, theirs)
        back = interop.from_torch(theirs)
        assert type(back) is type(model)
        assert_same_state(model, back)
        assert_same_modes(model, back)
        _compare(model, theirs, back, arrays, dtype, grads=dtype is np.float64)
        # the buffers a forward updates (running statistics) updated alike
        theirs_buffers = dict(theirs.named_buffers())
        for k, b in model.named_buffers():
            np.testing.assert_allclose(b.numpy(), theirs_buffers[k].numpy(), err_msg=k, **TOL)
    return theirs, back


# (class name, args, kwargs, inputs)
LAYERS = [
    ("Linear", (4, 3), {}, xs(f(2, 4))),
    ("Linear", (4, 3), {"bias": False}, xs(f(2, 4))),
    ("Identity", (), {}, xs(f(2, 3))),
    ("Flatten", (), {}, xs(f(2, 3, 2))),
    ("Unflatten", (1, (2, 3)), {}, xs(f(2, 6))),
    ("Conv1d", (2, 3, 3), {"padding": 1, "stride": 2}, xs(f(2, 2, 7))),
    ("Conv2d", (2, 4, 3), {"padding": 1, "groups": 2, "dilation": 1}, xs(f(2, 2, 6, 6))),
    ("Conv2d", (2, 3, 3), {"padding": "same", "padding_mode": "reflect", "bias": False}, xs(f(1, 2, 5, 5))),
    ("ConvTranspose1d", (2, 3, 3), {"stride": 2, "output_padding": 1}, xs(f(2, 2, 5))),
    ("ConvTranspose2d", (2, 3, 3), {"stride": 2, "padding": 1}, xs(f(1, 2, 4, 4))),
    ("MaxPool1d", (2,), {}, xs(f(2, 3, 8))),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, xs(f(2, 3, 7, 7))),
    ("AvgPool1d", (3,), {"stride": 2, "ceil_mode": True}, xs(f(2, 3, 8))),
    ("AvgPool2d", (2,), {"count_include_pad": False, "padding": 1}, xs(f(2, 3, 6, 6))),
    ("AdaptiveAvgPool1d", (3,), {}, xs(f(2, 3, 8))),
    ("AdaptiveAvgPool2d", ((1, 1),), {}, xs(f(2, 3, 6, 6))),
    ("AdaptiveMaxPool1d", (3,), {}, xs(f(2, 3, 8))),
    ("AdaptiveMaxPool2d", (2,), {}, xs(f(2, 3, 6, 6))),
    ("BatchNorm1d", (3,), {}, xs(f(4, 3))),
    ("BatchNorm2d", (3,), {"momentum": 0.2}, xs(f(4, 3, 2, 2))),
    ("LayerNorm", ((3, 4),), {}, xs(f(2, 3, 4))),
    ("GroupNorm", (2, 4), {}, xs(f(2, 4, 3))),
    ("Dropout", (0.3,), {}, xs(f(2, 5))),
    ("Dropout1d", (0.3,), {}, xs(f(2, 3, 5))),
    ("Dropout2d", (0.3,), {}, xs(f(2, 3, 2, 2))),
    ("ReLU", (), {}, xs(f(2, 5))),
    ("ReLU6", (), {}, xs(f(2, 5))),
    ("LeakyReLU", (0.2,), {}, xs(f(2, 5))),
    ("ELU", (0.5,), {}, xs(f(2, 5))),
    ("CELU", (0.7,), {}, xs(f(2, 5))),
    ("SELU", (), {}, xs(f(2, 5))),
    ("GELU", (), {"approximate": "tanh"}, xs(f(2, 5))),
    ("GLU", (), {}, xs(f(2, 4))),
    ("SiLU", (), {}, xs(f(2, 5))),
    ("Mish", (), {}, xs(f(2, 5))),
    ("Sigmoid", (), {}, xs(f(2, 5))),
    ("LogSigmoid", (), {}, xs(f(2, 5))),
    ("Tanh", (), {}, xs(f(2, 5))),
    ("Hardtanh", (-0.5, 0.5), {}, xs(f(2, 5))),
    ("Hardsigmoid", (), {}, xs(f(2, 5))),
    ("Hardswish", (), {}, xs(f(2, 5))),
    ("Softplus", (2.0, 5.0), {}, xs(f(2, 5))),
    ("Softsign", (), {}, xs(f(2, 5))),
    ("Threshold", (0.1, -1.0), {}, xs(f(2, 5))),
    ("Softmax", (), {"dim": 1}, xs(f(2, 5))),
    ("Softmin", (), {"dim": 0}, xs(f(2, 5))),
    ("LogSoftmax", (), {"dim": -1}, xs(f(2, 5))),
    ("ConstantPad1d", (2, 0.5), {}, xs(f(2, 3, 4))),
    ("ConstantPad2d", ((1, 0, 2, 1), -1.0), {}, xs(f(1, 2, 3, 3))),
    ("ConstantPad3d", (1, 0.0), {}, xs(f(1, 1, 2, 2, 2))),
    ("ZeroPad1d", ((1, 2),), {}, xs(f(2, 3, 4))),
    ("ZeroPad2d", (1,), {}, xs(f(1, 2, 3, 3))),
    ("ZeroPad3d", (1,), {}, xs(f(1, 1, 2, 2, 2))),
    ("ReflectionPad1d", (2,), {}, xs(f(2, 3, 4))),
    ("ReflectionPad2d", ((1, 1, 2, 0),), {}, xs(f(1, 2, 3, 3))),
    ("ReflectionPad3d", (1,), {}, xs(f(1, 1, 2, 2, 2))),
    ("ReplicationPad1d", (2,), {}, xs(f(2, 3, 4))),
    ("ReplicationPad2d", (1,), {}, xs(f(1, 2, 3, 3))),
    ("ReplicationPad3d", (1,), {}, xs(f(1, 1, 2, 2, 2))),
    ("CircularPad1d", (2,), {}, xs(f(2, 3, 4))),
    ("CircularPad2d", (1,), {}, xs(f(1, 2, 3, 3))),
    ("CircularPad3d", (1,), {}, xs(f(1, 1, 2, 2, 2))),
    ("Upsample", (), {"scale_factor": 2, "mode": "nearest"}, xs(f(1, 2, 3, 3))),
    ("Upsample", (), {"size": (5, 4), "mode": "bilinear", "align_corners": True}, xs(f(1, 2, 3, 3))),
    ("UpsamplingNearest2d", (), {"scale_factor": 2}, xs(f(1, 2, 3, 3))),
    ("UpsamplingBilinear2d", (), {"size": 5}, xs(f(1, 2, 3, 3))),
    ("Fold", ((3, 3), 2), {}, xs(f(1, 8, 4))),
    ("Unfold", (2,), {"stride": 1}, xs(f(1, 2, 3, 3))),
    ("Embedding", (7, 3), {"padding_idx": 0}, xs(ints(7, 2, 4))),
    ("EmbeddingBag", (7, 3), {"mode": "sum"}, xs(ints(7, 2, 4))),
    ("EmbeddingBag", (7, 3), {"mode": "max"}, xs(ints(7, 2, 4))),
    ("RNN", (3, 4), {"num_layers": 2, "nonlinearity": "relu"}, xs(f(5, 2, 3))),
    ("GRU", (3, 4), {"batch_first": True, "bidirectional": True}, xs(f(2, 5, 3))),
    ("LSTM", (3, 4), {"proj_size": 2}, xs(f(5, 2, 3))),
    ("LSTM", (3, 4), {"num_layers": 2, "bias": False, "dropout": 0.0}, xs(f(5, 2, 3))),
    ("RNNCell", (3, 4), {"nonlinearity": "tanh"}, xs(f(2, 3))),
    ("GRUCell", (3, 4), {}, xs(f(2, 3))),
    ("LSTMCell", (3, 4), {"bias": False}, xs(f(2, 3))),
    ("MultiheadAttention", (8, 2), {"batch_first": True}, xs(f(2, 3, 8), f(2, 4, 8), f(2, 4, 8))),
    ("MultiheadAttention", (8, 2), {"kdim": 5, "vdim": 6, "add_bias_kv": True}, xs(f(3, 2, 8), f(4, 2, 5), f(4, 2, 6))),
    ("TransformerEncoderLayer", (8, 2, 16), {"dropout": 0.0, "batch_first": True}, xs(f(2, 3, 8))),
    ("TransformerEncoderLayer", (8, 2, 16), {"norm_first": True, "activation": "gelu", "dropout": 0.0},
     xs(f(3, 2, 8))),
    ("TransformerDecoderLayer", (8, 2, 16), {"dropout": 0.0}, xs(f(3, 2, 8), f(4, 2, 8))),
    ("Transformer", (), {"d_model": 8, "nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 1,
                         "dim_feedforward": 16, "dropout": 0.0}, xs(f(3, 2, 8), f(4, 2, 8))),
    ("MSELoss", (), {}, xs(f(3, 4), f(3, 4))),
    ("CosineSimilarity", (), {"dim": 1}, xs(f(3, 4), f(3, 4))),
    ("PairwiseDistance", (), {"p": 1.0, "keepdim": True}, xs(f(3, 4), f(3, 4))),
    ("L1Loss", (), {"reduction": "sum"}, xs(f(3, 4), f(3, 4))),
    ("HuberLoss", (), {"delta": 0.5}, xs(f(3, 4), f(3, 4))),
    ("SmoothL1Loss", (), {"beta": 0.5}, xs(f(3, 4), f(3, 4))),
    ("BCELoss", (), {}, xs(pos(3, 4), onehot(3, 4))),
    ("BCEWithLogitsLoss", (), {}, xs(f(3, 4), onehot(3, 4))),
    ("CrossEntropyLoss", (), {"label_smoothing": 0.1}, xs(f(3, 5), ints(5, 3))),
    ("NLLLoss", (), {"reduction": "none"}, xs(f(3, 5), ints(5, 3))),
    ("CrossEntropyLoss", (), {"weight": profundo.tensor([1.0, 2.0, 0.5, 1.0, 3.0])}, xs(f(3, 5), ints(5, 3))),
    ("BCEWithLogitsLoss", (), {"pos_weight": profundo.tensor([1.0, 2.0, 0.5, 1.5])}, xs(f(3, 4), onehot(3, 4))),
]


def _materialized(layer, spec):
    layer(*[profundo.tensor(a) for a in make_inputs(spec)])
    return layer


class PoolUnpool(nn.Module):
    """MaxUnpool needs the indices of a MaxPool: a small custom module (itself mirrored) holds both."""

    def __init__(self, dims):
        super().__init__()
        self.pool = (nn.MaxPool1d if dims == 1 else nn.MaxPool2d)(2, return_indices=True)
        self.unpool = (nn.MaxUnpool1d if dims == 1 else nn.MaxUnpool2d)(2)

    def forward(self, x):
        y, indices = self.pool(x)
        return self.unpool(y, indices)


class Containers(nn.Module):
    """Sequential, ModuleList and ModuleDict, with a parameter and a buffer of its own."""

    def __init__(self):
        super().__init__()
        self.seq = nn.Sequential(collections.OrderedDict(fc=nn.Linear(4, 5), act=nn.Tanh()))
        self.blocks = nn.ModuleList([nn.Linear(5, 5), nn.Linear(5, 5, bias=False)])
        self.heads = nn.ModuleDict({"a": nn.Linear(5, 2), "b": nn.Linear(5, 3)})
        self.scale = nn.Parameter(profundo.ones(5))
        self.register_buffer("shift", profundo.full((5,), 0.5))

    def forward(self, x):
        h = self.seq(x) * self.scale + self.shift
        for blk in self.blocks:
            h = profundo.relu(blk(h))
        return self.heads["a"](h), self.heads["b"](h)


# (name, builder, inputs): layers built from other layers, lazy layers once materialized, containers
BUILT = [
    ("TransformerEncoder", lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2,
                                                         norm=nn.LayerNorm(8)), xs(f(3, 2, 8))),
    ("TransformerDecoder", lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 2),
     xs(f(3, 2, 8), f(4, 2, 8))),
    ("LazyLinear", lambda: _materialized(nn.LazyLinear(3), xs(f(2, 4))), xs(f(2, 4))),
    ("LazyConv1d", lambda: _materialized(nn.LazyConv1d(3, 2), xs(f(2, 2, 5))), xs(f(2, 2, 5))),
    ("LazyConv2d", lambda: _materialized(nn.LazyConv2d(3, 2, padding=1), xs(f(2, 2, 4, 4))), xs(f(2, 2, 4, 4))),
    ("LazyBatchNorm1d", lambda: _materialized(nn.LazyBatchNorm1d(), xs(f(4, 3))), xs(f(4, 3))),
    ("LazyBatchNorm2d", lambda: _materialized(nn.LazyBatchNorm2d(), xs(f(4, 3, 2, 2))), xs(f(4, 3, 2, 2))),
    ("MaxUnpool1d", lambda: PoolUnpool(1), xs(f(2, 3, 6))),
    ("MaxUnpool2d", lambda: PoolUnpool(2), xs(f(2, 3, 4, 4))),
    ("Sequential+ModuleList+ModuleDict", Containers, xs(f(3, 4))),
]
ABSTRACT = {"Module", "RNNBase", "RNNCellBase"}  # base classes, never used on their own


CASES = [(name, (lambda n=name, a=args, k=kwargs: getattr(nn, n)(*a, **k)), spec)
         for name, args, kwargs, spec in LAYERS]
CASES += BUILT


def test_every_nn_layer_type_is_covered():
    """A new layer in profundo.nn must join the round trip (or be an abstract base)."""
    classes = {n for n in dir(nn) if isinstance(getattr(nn, n), type) and issubclass(getattr(nn, n), nn.Module)}
    covered = {name for name, _, _ in CASES for name in name.split("+")} | ABSTRACT
    assert classes - covered == set()


@pytest.mark.parametrize("name, build, spec", CASES, ids=[c[0] + f"-{i}" for i, c in enumerate(CASES)])
def test_layer_round_trip(name, build, spec):
    profundo.manual_seed(0)
    layer = build()
    if name.startswith("Dropout"):
        layer.eval()  # random masks differ between the libraries; the mode itself is checked below
    theirs, back = check_round_trip(layer, make_inputs(spec))
    if name.startswith("Lazy"):  # a materialized lazy layer is the plain layer, as in PyTorch
        assert type(theirs).__name__ == type(layer).__name__ == name[4:]



# ------------------------------------------------------------------------------------------------ models
def _rnnlm(kind):
    return lambda: models.RNNLM(getattr(nn, kind)(7, 6), vocab_size=7)


def _transformer_seq2seq():
    enc = models.TransformerEncoder(vocab_size=9, num_hiddens=8, ffn_num_hiddens=16, num_heads=2, num_blks=2,
                                    dropout=0.0)
    dec = models.TransformerDecoder(vocab_size=9, num_hiddens=8, ffn_num_hiddens=16, num_heads=2, num_blks=2,
                                    dropout=0.0)
    model = models.EncoderDecoder(enc, dec)
    # the lazy layers take their shapes from a first batch, as in the book
    model(profundo.tensor(make_inputs(xs(ints(9, 2, 5)))[0]), profundo.tensor(make_inputs(xs(ints(9, 2, 4)))[0]),
          profundo.tensor([5, 3]))
    return _WithLens(model, [5, 3])


def _seq2seq_attention():
    enc = models.Seq2SeqEncoder(vocab_size=9, embed_size=4, num_hiddens=6, num_layers=2)
    dec = models.Seq2SeqAttentionDecoder(vocab_size=9, embed_size=4, num_hiddens=6, num_layers=2)
    model = models.Seq2Seq(enc, dec, tgt_pad=0)
    model(profundo.tensor(make_inputs(xs(ints(9, 2, 5)))[0]), profundo.tensor(make_inputs(xs(ints(9, 2, 4)))[0]),
          profundo.tensor([5, 3]))
    return _WithLens(model, [5, 3])


def _classifier():
    model = models.TransformerClassifier(vocab_size=9, num_classes=3, num_hiddens=8, ffn_num_hiddens=16,
                                         num_heads=2, num_blks=1, dropout=0.0, pooling="mean")
    model(profundo.tensor(make_inputs(xs(ints(9, 2, 5)))[0]))
    return model


def _mf():
    model = models.MatrixFactorization(num_users=6, num_items=5, num_factors=3, global_mean=3.5)
    return model


class _WithLens(nn.Module):
    """Feeds a model extra non-float arguments (valid lengths) the generic runner cannot make."""

    def __init__(self, model, lens):
        super().__init__()
        self.model = model
        self.lens = lens

    def forward(self, *args):
        lens = profundo.tensor(self.lens) if isinstance(args[0], profundo.Tensor) else torch.tensor(self.lens)
        return self.model(*args, lens)


MODELS = [
    ("MLP", lambda: models.MLP(12, hidden=(16, 8), num_classes=3, dropout=0.0), xs(f(4, 3, 4))),
    ("SoftmaxRegression", lambda: models.SoftmaxRegression(12, 3, mean=profundo.tensor(0.5),
                                                           std=profundo.tensor(2.0)), xs(f(4, 12))),
    ("LeNet", lambda: models.LeNet(), xs(f(2, 1, 28, 28))),
    ("LeNet-relu-max", lambda: models.LeNet(activation="relu", pooling="max"), xs(f(2, 1, 28, 28))),
    # eval mode: batch normalization in training mode over 2 images of 1x1 pixels (the last stage) divides by a
    # variance of a few ulps and turns rounding into 1e-2 differences; the layer tests check BatchNorm2d training
    ("ResNet18", lambda: models.ResNet18(num_classes=4).eval(), xs(f(2, 1, 16, 16))),
    ("LSTM LM", _rnnlm("LSTM"), xs(ints(7, 2, 5))),
    ("GRU LM", _rnnlm("GRU"), xs(ints(7, 2, 5))),
    ("RNNLMScratch", lambda: models.RNNLMScratch(models.LSTMScratch(7, 6), vocab_size=7), xs(ints(7, 2, 5))),
    ("Transformer seq2seq", _transformer_seq2seq, xs(ints(9, 2, 5), ints(9, 2, 4))),
    ("TransformerClassifier", lambda: _WithLens(_classifier(), [5, 3]), xs(ints(9, 2, 5))),
    ("Seq2Seq GRU + Bahdanau attention", _seq2seq_attention, xs(ints(9, 2, 5), ints(9, 2, 4))),
    ("MatrixFactorization", _mf, xs(ints(6, 8), ints(5, 8))),
    ("AutoRec", lambda: models.AutoRec(4, 6, dropout=0.0), xs(f(3, 6))),
    ("NeuMF", lambda: models.NeuMF(3, 6, 5, [8, 4]), xs(ints(6, 8), ints(5, 8))),
]


@pytest.mark.parametrize("name, build, spec", MODELS, ids=[m[0] for m in MODELS])
def test_model_round_trip(name, build, spec):
    profundo.manual_seed(0)
    model = build()
    theirs, back = check_round_trip(model, make_inputs(spec))
    # the torch model is a real torch.nn.Module of the same class name, with torch submodules inside
    assert all(isinstance(m, torch.nn.Module) for m in theirs.modules())
    assert all(isinstance(m, nn.Module) for m in back.modules())


# ----------------------------------------------------------------------------------------------- tensors
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("name", DTYPES)
def test_tensor_dtypes_map_by_name_and_share_memory(name):
    x = profundo.ones(2, 3, dtype=getattr(profundo, name))
    t = interop.to_torch(x)
    assert t.dtype == getattr(torch, name) and tuple(t.shape) == (2, 3)
    assert interop.torch_dtype(x.dtype) is t.dtype
    t[0, 1] = 0  # zero copy: the write shows on the profundo side
    assert x[0, 1].item() == 0 and x[1, 1].item() == 1
    back = interop.from_torch(t)
    assert back.dtype is x.dtype is interop.profundo_dtype(t.dtype)
    back[1, 2] = 0
    assert t[1, 2].item() == 0 and x[1, 2].item() == 0


@pytest.mark.parametrize("name, fix", [("bfloat16", "t.float()"), ("complex64", "t.real"), ("uint16", "t.long()"),
                                       ("float8_e4m3fn", "t.float()")])
def test_tensor_dtypes_profundo_lacks_are_refused_with_the_fix(name, fix):
    t = torch.zeros(3, dtype=torch.float32).to(getattr(torch, name))
    with pytest.raises(TypeError, match=f"profundo has no torch.{name}") as info:
        interop.from_torch(t)
    assert fix in str(info.value)


def test_dtype_functions_refuse_other_objects_and_pass_their_own_dtype():
    # before: torch_dtype("float32") and torch_dtype(torch.float32) were bare AttributeErrors, and
    # profundo_dtype(profundo.float32) said "profundo has no profundo.float32"
    assert interop.torch_dtype(torch.float64) is torch.float64
    assert interop.profundo_dtype(profundo.int32) is profundo.int32
    for bad in ("float32", 3, None):
        with pytest.raises(TypeError, match="torch_dtype: expected a profundo dtype") as e:
            interop.torch_dtype(bad)
        assert "Pista:" in str(e.value)
        with pytest.raises(TypeError, match="expected a torch dtype"):
            interop.profundo_dtype(bad)


def test_tensor_gradient_hooks_are_refused_not_dropped():
    # before: a leaf's register_hook was silently lost on the other side (module hooks were already refused)
    x = profundo.ones(2, 3, requires_grad=True)
    h = x.register_hook(lambda g: g * 2)
    with pytest.raises(ValueError, match=r"to_torch: the tensor of shape \(2, 3\) has gradient hooks") as e:
        interop.to_torch(x)
    assert "Pista:" in str(e.value)
    model = nn.Linear(3, 2)
    hw = model.weight.register_hook(lambda g: g)
    with pytest.raises(ValueError, match="gradient hooks"):
        interop.to_torch(model)
    h.remove()
    hw.remove()
    assert interop.to_torch(x).requires_grad and isinstance(interop.to_torch(model), torch.nn.Linear)
    t = torch.ones(2, requires_grad=True)
    th = t.register_hook(lambda g: g)
    with pytest.raises(ValueError, match=r"from_torch: the tensor of shape \(2,\) has gradient hooks"):
        interop.from_torch(t)
    tm = torch.nn.Linear(3, 2)
    tm.bias.register_hook(lambda g: g)
    with pytest.raises(ValueError, match="gradient hooks"):
        interop.from_torch(tm)
    th.remove()
    assert interop.from_torch(t).requires_grad


def test_meta_and_nested_tensors_are_refused_clearly():
    # before: torch's "Cannot copy out of meta tensor" and "NestedTensorImpl doesn't support sizes"
    with pytest.raises(ValueError, match=r"from_torch: the tensor of shape \(2, 3\) is on the meta device"):
        interop.from_torch(torch.ones(2, 3, device="meta"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: nested tensors are a prototype
        nested = torch.nested.nested_tensor([torch.ones(2), torch.ones(3)])
    with pytest.raises(TypeError, match="from_torch: profundo has no nested tensors") as e:
        interop.from_torch(nested)
    assert "unbind" in str(e.value)


def test_requires_grad_is_carried_and_a_non_leaf_becomes_a_detached_leaf():
    x = profundo.randn(3, requires_grad=True)
    t = interop.to_torch(x)
    assert t.requires_grad and t.is_leaf
    (t * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [2, 2, 2])
    y = x * 3  # a non-leaf: arrives as a leaf with no graph, still requiring grad
    ty = interop.to_torch(y)
    assert ty.requires_grad and ty.is_leaf and ty.grad_fn is None
    np.testing.assert_array_equal(ty.detach().numpy(), y.detach().numpy())
    assert not interop.to_torch(profundo.ones(2)).requires_grad

    s = torch.randn(3, requires_grad=True)
    p = interop.from_torch(s)
    assert p.requires_grad and p.is_leaf
    q = interop.from_torch(s * 2)
    assert q.requires_grad and q.is_leaf and q.grad_fn is None
    (p * q).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), (s * 2).detach().numpy())
    assert s.grad is None  # the graphs stay on their own side


def test_parameters_stay_parameters():
    w = nn.Parameter(profundo.randn(2, 2))
    tw = interop.to_torch(w)
    assert isinstance(tw, torch.nn.Parameter) and tw.requires_grad
    assert isinstance(interop.from_torch(tw), nn.Parameter)
    frozen = interop.from_torch(torch.nn.Parameter(torch.ones(2), requires_grad=False))
    assert isinstance(frozen, nn.Parameter) and not frozen.requires_grad


def test_non_contiguous_views_share_and_negative_strides_are_copied():
    base = np.arange(12.0).reshape(3, 4)
    x = profundo.from_numpy(base[:, ::2])  # strided: shared
    t = interop.to_torch(x)
    assert t.stride() == (4, 2)
    t[0, 0] = -1
    assert base[0, 0] == -1
    flipped = profundo.from_numpy(base[::-1])  # negative strides: PyTorch has none, so a copy
    tf = interop.to_torch(flipped)
    np.testing.assert_array_equal(tf.numpy(), base[::-1])
    tf[0, 0] = 100
    assert base[2, 0] == 8
    # torch.from_dlpack on the tensor itself also gets a copy (PyTorch aborts the process on negative strides)
    np.testing.assert_array_equal(torch.from_dlpack(flipped).numpy(), base[::-1])
    with pytest.raises(BufferError, match="negative strides"):
        flipped.__dlpack__(copy=False)
    tt = torch.arange(12.0).reshape(3, 4).T  # a transposed torch view: shared
    p = interop.from_torch(tt)
    np.testing.assert_array_equal(p.numpy(), tt.numpy())
    p[0, 1] = 7
    assert tt[0, 1].item() == 7


def test_dlpack_protocol_works_directly_both_ways():
    x = profundo.arange(4.0)
    assert x.__dlpack_device__() == (1, 0)  # kDLCPU
    t = torch.from_dlpack(x)
    t += 1
    np.testing.assert_array_equal(x.numpy(), [1, 2, 3, 4])
    y = profundo.from_dlpack(t)
    y[0] = 9
    assert t[0].item() == 9
    with pytest.raises(RuntimeError, match="require gradient"):
        torch.from_dlpack(profundo.ones(2, requires_grad=True))


def test_wrong_types_are_refused():
    with pytest.raises(TypeError, match="expected a profundo Tensor or nn.Module, got ndarray"):
        interop.to_torch(np.ones(2))
    with pytest.raises(TypeError, match="expected a torch Tensor or nn.Module, got Tensor"):
        interop.from_torch(profundo.ones(2))


# ---------------------------------------------------------------------------------- modules: edge cases
def test_a_torch_users_own_module_comes_to_profundo_and_goes_back():
    """A class written for torch (its forward calls torch.*, F.*, and a helper of this file): the mirror
    class runs the same code on profundo; going back gives the original torch class."""
    F = torch.nn.functional

    def gate(h):
        return torch.sigmoid(h) * h

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv1d(2, 4, 3, padding=1)
            self.bn = torch.nn.BatchNorm1d(4)
            self.heads = torch.nn.ModuleList([torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)])
            self.temperature = 2.0

        def forward(self, x):
            h = gate(self.bn(self.conv(x))).mean(-1)
            logits = torch.cat([head(h) for head in self.heads], dim=-1) / self.temperature
            return F.log_softmax(logits, dim=-1)

    torch.manual_seed(0)
    theirs = TorchNet()
    ours = interop.from_torch(theirs)
    assert isinstance(ours, nn.Module) and type(ours).__name__ == "TorchNet" and ours.temperature == 2.0
    x = make_inputs(xs(f(3, 2, 5)))[0]
    np.testing.assert_allclose(ours(profundo.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL)
    again = interop.to_torch(ours)
    assert type(again) is TorchNet
    assert_same_state(again, theirs, exact=False)  # both forwards moved the running statistics


def test_sparse_matrix_factorization_keeps_sparse_gradients():
    """``sparse=True`` embeddings: both sides give row-sparse gradients of the same rows and values."""
    model = models.MatrixFactorization(num_users=6, num_items=5, num_factors=3, sparse=True)
    theirs = interop.to_torch(model)
    assert theirs.P.sparse and interop.from_torch(theirs).P.sparse
    user, item = make_inputs(xs(ints(6, 8), ints(5, 8)))
    model(profundo.tensor(user), profundo.tensor(item)).sum().backward()
    theirs(torch.tensor(user), torch.tensor(item)).sum().backward()
    for name, p in theirs.named_parameters():
        assert p.grad.is_sparse
        ours = model.get_parameter(name).grad
        np.testing.assert_allclose(ours.to_dense().numpy(), p.grad.to_dense().numpy(), err_msg=name, **TOL)


def test_an_optimizer_step_on_each_side_gives_the_same_weights():
    profundo.manual_seed(0)
    model = models.MLP(6, hidden=(5,), num_classes=3, dropout=0.0)
    theirs = interop.to_torch(model)
    x, y = make_inputs(xs(f(4, 6), ints(3, 4)))
    opt = profundo.optim.Adam(model.parameters(), lr=0.1)
    topt = torch.optim.Adam(theirs.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad(), topt.zero_grad()
        nn.functional.cross_entropy(model(profundo.tensor(x)), profundo.tensor(y)).backward()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step(), topt.step()
    assert_same_state(model, theirs, exact=False)
    assert_same_state(model, interop.from_torch(theirs), exact=False)


def test_training_mode_and_frozen_parameters_are_carried():
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Dropout(0.5), nn.Linear(3, 2))
    model[1].eval()  # one submodule in eval mode, the rest training
    model[0].weight.requires_grad_(False)
    theirs = interop.to_torch(model)
    assert theirs.training and not theirs[1].training and theirs[2].training
    assert not theirs[0].weight.requires_grad and theirs[0].bias.requires_grad
    back = interop.from_torch(theirs.eval())
    assert not any(m.training for m in back.modules())
    assert not back[0].weight.requires_grad


def test_the_converted_model_is_an_independent_copy():
    model = nn.Linear(2, 2)
    theirs = interop.to_torch(model)
    with torch.no_grad():
        theirs.weight.fill_(0)
    assert model.weight.abs().sum().item() > 0


def test_one_mirror_class_per_model_class():
    a, b = interop.to_torch(models.MLP(4, (3,))), interop.to_torch(models.MLP(4, (5,)))
    assert type(a) is type(b) and isinstance(b, type(a))
    assert type(interop.from_torch(a)) is models.MLP


def test_shared_submodules_stay_shared():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    theirs = interop.to_torch(model)
    assert theirs[0] is theirs[2]
    assert list(theirs.state_dict()) == list(model.state_dict())


def test_an_unmaterialized_lazy_layer_is_refused():
    with pytest.raises(ValueError, match="LazyLinear is a lazy layer that has not seen an input"):
        interop.to_torch(nn.LazyLinear(3))


def test_a_layer_with_no_counterpart_is_named(monkeypatch):
    monkeypatch.delattr(torch.nn, "Mish")  # as if this torch had no Mish
    with pytest.raises(NotImplementedError, match="profundo.nn.Mish has no counterpart in torch.nn"):
        interop.to_torch(nn.Sequential(nn.Linear(2, 2), nn.Mish()))


def test_a_torch_layer_profundo_lacks_is_named():
    with pytest.raises(NotImplementedError, match="torch.nn.PReLU has no counterpart in profundo.nn"):
        interop.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.PReLU()))


def test_torch_lazy_layers_once_materialized_come_over():
    net = torch.nn.Sequential(torch.nn.LazyLinear(3), torch.nn.ReLU())
    with pytest.raises(ValueError, match="LazyLinear is a lazy layer that has not seen an input"):
        interop.from_torch(net)
    x = torch.randn(2, 4)
    net(x)
    ours = interop.from_torch(net)
    assert type(ours[0]) is nn.Linear
    np.testing.assert_allclose(ours(profundo.tensor(x.numpy())).detach().numpy(), net(x).detach().numpy(), **TOL)


def test_code_using_a_function_with_no_counterpart_names_it():
    class Odd(nn.Module):
        def forward(self, x):
            return profundo.relu(x) * _uses_get_backend()

    theirs = interop.to_torch(Odd())  # converting works; running the missing function says which it is
    with pytest.raises(NotImplementedError, match="get_backend has no counterpart in torch"):
        theirs(torch.ones(2))


def test_hooks_are_refused_not_dropped():
    model = nn.Linear(2, 2)
    model.register_forward_hook(lambda m, i, o: o * 2)
    with pytest.raises(ValueError, match="Linear has hooks"):
        interop.to_torch(model)
    theirs = torch.nn.Linear(2, 2)
    theirs.register_forward_pre_hook(lambda m, i: i)
    with pytest.raises(ValueError, match="Linear has hooks"):
        interop.from_torch(theirs)


# ------------------------------------------------------------------------------- state dicts: safetensors
def test_state_dicts_cross_through_safetensors_with_the_same_keys(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    model = models.LeNet(activation="relu", pooling="max")
    torch_twin = interop.to_torch(models.LeNet(activation="relu", pooling="max"))  # other weights
    profundo.save(model.state_dict(), tmp_path / "lenet.safetensors")
    torch_twin.load_state_dict(st.load_file(str(tmp_path / "lenet.safetensors")))
    assert_same_state(model, torch_twin)
    x = make_inputs(xs(f(2, 1, 28, 28)))[0]
    np.testing.assert_allclose(model(profundo.tensor(x)).detach().numpy(),
                               torch_twin(torch.tensor(x)).detach().numpy(), **TOL)

    # and back: PyTorch's save_file, profundo.load, load_state_dict; BatchNorm's buffers included
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                              torch.nn.LazyLinear(3))
    net(torch.randn(4, 1, 5, 5))  # running stats move, the lazy layer materializes
    st.save_file(net.state_dict(), str(tmp_path / "net.safetensors"))
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(18, 3))
    ours.load_state_dict(profundo.load(tmp_path / "net.safetensors"))
    assert_same_state(ours, net)
    net.eval(), ours.eval()
    x = make_inputs(xs(f(2, 1, 5, 5)))[0]
    np.testing.assert_allclose(ours(profundo.tensor(x)).detach().numpy(), net(torch.tensor(x)).detach().numpy(),
                               **TOL)


def _uses_get_backend():
    """A helper of this file calling a profundo function that torch lacks (through a global name)."""
    return 1.0 if get_backend() else 1.0
