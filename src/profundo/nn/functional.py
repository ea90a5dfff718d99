"""``torch.nn.functional``: activations, dropout, linear, one_hot and the losses.

Every function is written with profundo's differentiable ops, so its gradient
comes from theirs; the losses are the numerically stable forms (log-sum-exp
for softmax, ``log1p(exp(-|x|))`` for the sigmoid) that survive huge logits.
"""
import math
import warnings

from .._backend import backend_of
from .._errors import error
from ..autograd import grad_mode
from ..ops import FUNCTIONS as _F
from ..ops.elementwise import Mul
from ..ops._base import pdtype, result_dtype
from ..ops.linalg import _check_dtypes
from ..ops.inplace import _tname
from ..ops.activation import (Celu, Elu, Gelu, GeluTanh, Hardsigmoid, Hardswish, Hardtanh, Mish, Selu,
                              Silu, Softplus)
from ..ops.nn import Addmm, BinaryCrossEntropy, CrossEntropy, LeakyRelu, NllLoss, pad  # noqa: F401  (pad is F.pad)
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction, op):
    if reduction not in _REDUCTIONS:
        raise error(ValueError, op, f"{reduction} is not a valid value for reduction",
                    "usa reduction='mean', 'sum' o 'none'")


def _legacy_reduction(size_average, reduce, reduction):
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` flags to ``reduction``
    (either one, when given, overrides ``reduction``), with PyTorch's warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=3)
    return ret


def _reduce(loss, reduction, op):
    _check_reduction(reduction, op)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _check_tensor(op, name, x):
    if not isinstance(x, Tensor):
        raise error(TypeError, op, f"{name} must be a Tensor, got {type(x).__name__}",
                    "convierte los datos con profundo.tensor(...)")


def _check_floating(op, input):
    """Activations with a float formula refuse integer tensors, as PyTorch's kernels."""
    _check_tensor(op, "input", input)
    if not input.is_floating_point():
        raise error(NotImplementedError, op, f'"{op}_cpu" not implemented for \'{_tname(input._data.dtype)}\'',
                    "convierte la entrada a flotante con .float()")


def _maybe_inplace(input, inplace, op, *args):
    """``op.apply(input, *args)``, or with ``inplace=True`` the same op written into
    ``input`` (``apply(..., out=input)``: the path of ``x.relu_()``, so a leaf that requires
    grad is refused and the version goes up)."""
    if not inplace:
        return op.apply(input, *args)
    return op.apply(input, *args, out=input)


# ------------------------------------------------------------------- activations
def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    _check_floating("leaky_relu", input)
    slope = float(negative_slope)
    return _maybe_inplace(input, inplace, LeakyRelu, slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    _check_floating("elu", input)
    return _maybe_inplace(input, inplace, Elu, float(alpha))


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    """``x * Phi(x)`` (Phi the normal CDF, through erf), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise error(RuntimeError, "gelu", f"approximate argument must be either none or tanh, got {approximate!r}",
                    "usa approximate='none' o 'tanh'")
    _check_floating("gelu", input)
    return (Gelu if approximate == "none" else GeluTanh).apply(input)


def silu(input, inplace=False):
    _check_floating("silu", input)
    return _maybe_inplace(input, inplace, Silu)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def _softplus(z):
    """``log(1 + e^z)`` for any z, never overflowing (the losses' stable form): no threshold."""
    return Softplus.apply(z, 1.0, math.inf)


def softplus(input, beta=1.0, threshold=20.0):
    """``log(1 + exp(beta x)) / beta``; linear above ``threshold`` (as PyTorch)."""
    _check_floating("softplus", input)
    return Softplus.apply(input, float(beta), float(threshold))


# more activations (issue 13)
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """``input`` clipped to ``[min_val, max_val]``; the gradient passes strictly inside."""
    if min_val > max_val:
        raise error(ValueError, "hardtanh", f"min_val cannot be greater than max_val (got {min_val} > {max_val})",
                    "min_val debe ser <= max_val")
    _check_tensor("hardtanh", "input", input)
    return _maybe_inplace(input, inplace, Hardtanh, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """``min(max(x, 0), 6)``: ``hardtanh(x, 0, 6)``, as PyTorch."""
    return hardtanh(input, 0.0, 6.0, inplace)


def selu(input, inplace=False):
    """``scale * elu(x, alpha)``, alpha = 1.6733 and scale = 1.0507 (self-normalizing networks)."""
    _check_floating("elu", input)  # PyTorch's kernel is elu's, and so is its error
    return _maybe_inplace(input, inplace, Selu)


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``."""
    if alpha == 0:
        raise error(RuntimeError, "celu", "ZeroDivisionError: alpha cannot be 0 for CELU",
                    "usa alpha distinto de 0 (1.0 por defecto)")
    _check_floating("elu", input)
    return _maybe_inplace(input, inplace, Celu, float(alpha))


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def mish(input, inplace=False):
    """``x tanh(softplus(x))``."""
    _check_floating("mish", input)
    return _maybe_inplace(input, inplace, Mish)


def hardswish(input, inplace=False):
    """``x min(max(x + 3, 0), 6) / 6`` (MobileNetV3)."""
    _check_floating("hardswish", input)
    return _maybe_inplace(input, inplace, Hardswish)


def hardsigmoid(input, inplace=False):
    """``min(max(x + 3, 0), 6) / 6``."""
    _check_floating("hardsigmoid", input)
    return _maybe_inplace(input, inplace, Hardsigmoid)


def softsign(input):
    """``x / (1 + |x|)`` (composed of tensor ops, as PyTorch's)."""
    _check_tensor("softsign", "input", input)
    return input / (input.abs() + 1)


def logsigmoid(input):
    """``log(sigmoid(x)) = -softplus(-x)``, computed without overflow for any x."""
    _check_floating("log_sigmoid", input)
    return -_softplus(-input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """``softmax(-x, dim)``."""
    _check_tensor("softmin", "input", input)
    x = input.to(dtype) if dtype is not None else input
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the call to include "
                      "dim=X as an argument.", stacklevel=_stacklevel)
        dim = 0 if x.dim() in (0, 1, 3) else 1
    return (-x).softmax(dim)


def _threshold(input, limit, value, inplace):
    _check_tensor("threshold", "input", input)
    below = input <= limit  # (a NaN is not below: it stays, and its gradient passes, as PyTorch)
    return input.masked_fill_(below, value) if inplace else input.masked_fill(below, value)


def threshold(input, threshold, value, inplace=False):
    """``x`` where ``x > threshold``, else ``value``."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


def glu(input, dim=-1):
    """Gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the two halves of ``input`` along ``dim``."""
    _check_tensor("glu", "input", input)
    if input.dim() == 0:
        raise error(RuntimeError, "glu", "glu does not support scalars because halving size must be even",
                    "glu parte la entrada en dos mitades: necesita al menos una dimensión")
    size = input.shape[dim]
    if size % 2:
        raise error(RuntimeError, "glu", f"Halving dimension must be even, but dimension "
                    f"{dim % input.dim()} is size {size}", "la dimensión dim debe tener tamaño par")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    x = input.to(dtype) if dtype is not None else input
    return x.softmax(_implicit_dim(x, dim, _stacklevel))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    x = input.to(dtype) if dtype is not None else input
    return x.log_softmax(_implicit_dim(x, dim, _stacklevel))


def _implicit_dim(x, dim, stacklevel):
    if dim is not None:
        return dim
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X "
                  "as an argument.", stacklevel=stacklevel)
    return 0 if x.dim() in (0, 1, 3) else 1


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` (only when training)."""
    if not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise error(ValueError, "dropout", f"dropout probability has to be between 0 and 1, but got {p}",
                    "p es la probabilidad de apagar cada neurona: un número entre 0 y 1")
    if not training or p == 0:
        return input
    if not input.is_floating_point():  # the float mask cannot be written into integers
        raise error(RuntimeError, "dropout", f"result type Float can't be cast to the desired output type "
                    f"{_tname(input._data.dtype)}", "convierte la entrada a flotante con .float()")
    return _drop(input, p, input.shape, inplace)


def _drop(input, p, mask_shape, inplace):
    """``input`` times a mask of ``mask_shape`` (broadcast: one value per element for dropout, per
    channel for dropout1d/2d) that is 0 with probability ``p`` and ``1 / (1 - p)`` otherwise."""
    if p == 1:
        return _maybe_inplace(input, inplace, Mul, 0.0)
    from ..random import _rng, _to_device
    keep = _rng(None).random(mask_shape) >= p  # drawn on the host, like every random number (random.py)
    mask = Tensor._make(_to_device((keep / (1 - p)).astype(input._data.dtype), input.device))
    return _maybe_inplace(input, inplace, Mul, mask)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, as one fused op (``AddmmBackward0``)."""
    _check_dtypes("linear", input, weight)
    a = input._data  # the array's own shape: no Size objects on this per-layer path
    if a.ndim == 0 or a.shape[-1] != weight._data.shape[-1]:
        return input @ weight.T + (bias if bias is not None else 0)  # the matmul error explains the shapes
    return Addmm.apply(input, weight, bias)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1/||x1|| * x2/||x2||)`` along ``dim`` (broadcast first), each norm clamped below at ``eps``.

    As PyTorch: each input is divided by its own norm before the product (the result stays in [-1, 1]), and
    the clamp is applied without a gradient (the norm's gradient flows as if unclamped)."""
    _check_tensor("cosine_similarity", "x1", x1)
    _check_tensor("cosine_similarity", "x2", x2)
    if not (x1.is_floating_point() or x2.is_floating_point()):
        raise error(RuntimeError, "cosine_similarity", f"expected common dtype to be floating point, yet common "
                    f"dtype is {_tname(x1._data.dtype)} (x1 {_tname(x1._data.dtype)}, x2 {_tname(x2._data.dtype)})",
                    "convierte las entradas a flotante con .float()")
    dtype = pdtype(result_dtype(x1, x2))  # an integer input joins the other's floating dtype, as PyTorch
    x1, x2 = _F["broadcast_tensors"](x1.to(dtype), x2.to(dtype))
    n1 = x1.norm(2, dim, keepdim=True).clone()  # clones: the clamp below must not touch the norms' outputs
    n2 = x2.norm(2, dim, keepdim=True).clone()
    with grad_mode.no_grad():
        n1.clamp_(min=eps)
        n2.clamp_(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dimension (of the larger input), as PyTorch."""
    _check_tensor("pairwise_distance", "x1", x1)
    _check_tensor("pairwise_distance", "x2", x2)
    return (x1 - x2 + eps).norm(p, max(x1.dim(), x2.dim()) - 1, keepdim=keepdim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``: rows (dim=1) of unit length."""
    _check_tensor("normalize", "input", input)
    if not input.is_floating_point():
        raise error(RuntimeError, "normalize", f"linalg.vector_norm: Expected a floating point or complex tensor as "
                    f"input. Got {_tname(input._data.dtype)}", "convierte la entrada a flotante con .float()")
    denom = input.norm(p, dim, keepdim=True)
    if p in (math.inf, -math.inf) and input.numel() == 0 and denom.numel() != 0:
        raise error(RuntimeError, "normalize", f"linalg.vector_norm cannot compute the {p} norm on the dimension "
                    f"{dim} because this dimension is empty and the operation does not have an identity "
                    f"(input shape {tuple(input.shape)})", "no normalices a lo largo de una dimensión vacía")
    denom = denom.clamp(min=eps)
    if out is None:
        return input / denom
    _check_tensor("normalize", "out", out)
    if grad_mode.STATE.enabled and (input.requires_grad or out.requires_grad):
        raise error(RuntimeError, "normalize", "div(): functions with out=... arguments don't support automatic "
                    "differentiation, but one of the arguments requires grad.",
                    "quita out= (usa y = F.normalize(x)) o calcula dentro de `with profundo.no_grad():`")
    result = input / denom
    if tuple(out.shape) != tuple(result.shape):
        raise error(RuntimeError, "normalize", f"out has shape {tuple(out.shape)}, but the result has shape "
                    f"{tuple(result.shape)}", "pasa un out de la misma forma que la entrada, o quita out=")
    if not out.is_floating_point():
        raise error(RuntimeError, "normalize", f"result type {_tname(result._data.dtype)} can't be cast to the "
                    f"desired output type {_tname(out._data.dtype)}", "usa un out flotante")
    return out.copy_(result)


def one_hot(tensor, num_classes=-1):
    _check_tensor("one_hot", "tensor", tensor)
    if tensor.dtype.is_floating_point or tensor.dtype.np.kind not in "iu":
        raise error(RuntimeError, "one_hot", "one_hot is only applicable to index tensor of type LongTensor.",
                    "convierte las etiquetas con .long()")
    idx = tensor._data
    top = int(idx.max()) if idx.size else -1
    if idx.size and idx.min() < 0:
        raise error(RuntimeError, "one_hot", "Class values must be non-negative.", "las clases van de 0 a C-1")
    if num_classes == -1 and not idx.size:
        raise error(RuntimeError, "one_hot", "Can not infer total number of classes from empty tensor.",
                    "pasa num_classes: F.one_hot(t, num_classes=C)")
    n = top + 1 if num_classes == -1 else num_classes
    if top >= n:
        raise error(RuntimeError, "one_hot", "Class values must be smaller than num_classes.",
                    "aumenta num_classes o revisa las etiquetas")
    return Tensor._make(backend_of(tensor).one_hot(idx, n))


# ------------------------------------------------------------------------ losses
def _check_same_shape(op, input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{op}: Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. Please "
                      "ensure they have the same size.\nPista: ¿y_hat es (N, 1) y y es (N,)? usa "
                      "y.reshape(y_hat.shape)", stacklevel=3)


def _check_weight_size(op, weight, input):
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise error(ValueError, op, f"Weights and input must have the same size. (weight shape "
                    f"{tuple(weight.shape)}, input shape {tuple(input.shape)})",
                    "da a weight la misma forma que la entrada (un peso por elemento)")


def _weighted(loss, weight, reduction, op, mean_by_weight):
    """``loss * weight`` reduced; PyTorch divides the weighted sum by ``weight.sum()`` for mse/l1
    (``mean_by_weight``) and by the element count for huber."""
    if weight is None:
        return _reduce(loss, reduction, op)
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction, op)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    _check_same_shape("mse_loss", input, target)
    _check_weight_size("mse_loss", weight, input)
    return _weighted((input - target) ** 2, weight, reduction, "mse_loss", True)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "l1_loss")
    _check_same_shape("l1_loss", input, target)
    _check_weight_size("l1_loss", weight, input)
    return _weighted((input - target).abs(), weight, reduction, "l1_loss", True)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_reduction(reduction, "huber_loss")
    _check_same_shape("huber_loss", input, target)
    if not delta > 0:
        raise error(RuntimeError, "huber_loss", "huber_loss does not support non-positive values for delta.",
                    "delta es el umbral entre la zona cuadrática y la lineal: un número > 0")
    _check_weight_size("huber_loss", weight, input)
    d = (input - target).abs()
    loss = _F["where"](d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))
    return _weighted(loss, weight, reduction, "huber_loss", False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    _check_same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise error(RuntimeError, "smooth_l1_loss", "smooth_l1_loss does not support negative values for beta.",
                    "beta es el umbral entre la zona cuadrática y la lineal: un número >= 0")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction, "smooth_l1_loss")
    return _reduce(_F["where"](d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta), reduction, "smooth_l1_loss")


def _class_targets(op, input, target, ignore_index):
    """Check integer class targets against (N, C, ...) scores; the class dim is 1 (0 for 1-d input)."""
    if input.dim() == 0:
        raise error(ValueError, op, "input must have at least 1 dimension (the classes)",
                    "las puntuaciones tienen forma (N, C)")
    class_dim = 0 if input.dim() == 1 else 1
    expected = tuple(input.shape[:class_dim]) + tuple(input.shape[class_dim + 1:])
    if tuple(target.shape) != expected:
        if input.dim() >= 2 and target.dim() >= 1 and target.shape[0] != input.shape[0]:
            text = f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({target.shape[0]})."
        else:
            text = f"expected target of shape {expected} for input of shape {tuple(input.shape)}, got " \
                   f"{tuple(target.shape)}"
        raise error(ValueError, op, text, "debe haber una etiqueta (entero de 0 a C-1) por ejemplo")
    t = target._data
    n_classes = input.shape[class_dim]
    bad = ((t < 0) | (t >= n_classes)) & (t != ignore_index)
    if bad.any():
        raise error(IndexError, op, f"Target {int(t[bad].flat[0])} is out of bounds.",
                    f"las etiquetas deben ir de 0 a {n_classes - 1} (hay {n_classes} clases)")
    return class_dim, n_classes


def _check_class_weight(op, weight, input):
    """``weight``: one float per class, in the scores' dtype, not to be learnt (PyTorch's rules)."""
    if weight is None:
        return
    _check_tensor(op, "weight", weight)
    n_classes = (input.shape[0] if input.dim() == 1 else input.shape[1]) if input.dim() else 1
    if weight.dim() != 1 or weight.shape[0] != n_classes:
        raise error(RuntimeError, op, f"weight tensor should be defined either for all {n_classes} classes or no "
                    f"classes but got weight tensor of shape: {list(weight.shape)}",
                    f"weight lleva un peso por clase: forma ({n_classes},)")
    if weight.dtype != input.dtype:
        raise error(RuntimeError, op, f"expected scalar type {_tname(input._data.dtype)} but found "
                    f"{_tname(weight._data.dtype)} (weight of dtype {weight.dtype}, input of dtype {input.dtype})",
                    "da a weight el dtype de la entrada, p. ej. weight.float()")
    if weight.requires_grad and grad_mode.STATE.enabled:
        raise error(RuntimeError, op, "The function 'nll_loss_forward' is not differentiable with respect to "
                    "argument 'weight'. This input cannot have requires_grad True.",
                    "los pesos de clase son constantes: pasa weight.detach()")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class ``target`` under log-probabilities ``input``."""
    _check_tensor("nll_loss", "input", input)
    _check_tensor("nll_loss", "target", target)
    if target.is_floating_point():
        raise error(RuntimeError, "nll_loss", f"expected scalar type Long but found {target.dtype}",
                    "las etiquetas deben ser enteros: usa y.long()")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_class_weight("nll_loss", weight, input)
    class_dim, n_classes = _class_targets("nll_loss", input, target, ignore_index)
    _check_reduction(reduction, "nll_loss")
    # as rows: (N, C, d1, ...) -> (N * d1 * ..., C), the class last
    rows = input.movedim(class_dim, -1).reshape(-1, n_classes) if input.dim() != 2 else input
    loss = NllLoss.apply(rows, target.reshape(-1), weight, ignore_index, reduction)
    return loss.reshape(target.shape) if reduction == "none" else loss


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy from raw scores (logits), with class-index or probability targets."""
    _check_tensor("cross_entropy", "input", input)
    _check_tensor("cross_entropy", "target", target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    _check_class_weight("cross_entropy", weight, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise error(RuntimeError, "cross_entropy", f"label_smoothing must be between 0.0 and 1.0. Got: "
                    f"{label_smoothing}", "label_smoothing es una fracción entre 0 y 1")
    if weight is None and label_smoothing == 0 and _plain_class_targets(input, target, ignore_index):
        return CrossEntropy.apply(input, target, reduction)  # one fused op: (N, C) logits, class indices
    class_dim = 0 if input.dim() == 1 else 1
    logp = input.log_softmax(class_dim)
    n_classes = input.shape[class_dim] if input.dim() else 1
    wshape = [1] * input.dim()
    if input.dim():
        wshape[class_dim] = n_classes
    if target.is_floating_point():  # class probabilities
        if ignore_index != -100:
            raise error(RuntimeError, "cross_entropy", "ignore_index is not supported for floating point target",
                        "con probabilidades como objetivo no hay clase a ignorar: quita ignore_index")
        if tuple(target.shape) != tuple(input.shape):
            raise error(RuntimeError, "cross_entropy", f"Expected target size {list(input.shape)}, got "
                        f"{list(target.shape)}", "con probabilidades, el objetivo tiene la misma forma que la entrada")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * target
        if weight is not None:
            terms = terms * weight.reshape(wshape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // n_classes if input.numel() else 1)
        return _reduce(loss, reduction, "cross_entropy")
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    ignore = target._data == ignore_index
    smooth = -(logp * weight.reshape(wshape)).sum(class_dim) if weight is not None else -logp.sum(class_dim)
    smooth = smooth * Tensor._make((~ignore).astype(smooth._data.dtype))
    if reduction == "mean":
        if weight is not None:
            denom = float(weight._data[target._data[~ignore]].sum())
        else:
            denom = float((~ignore).sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _plain_class_targets(input, target, ignore_index):
    """(N, C) float logits and N valid class indices, none of them ``ignore_index``: the
    case of the fused ``CrossEntropy`` op (anything else takes the general path, which
    also explains bad targets)."""
    x, t = input._data, target._data
    if x.ndim != 2 or t.ndim != 1 or x.dtype.kind != "f" or t.dtype.kind not in "iu" or len(t) != len(x):
        return False
    c = x.shape[1]
    if t.size and (t.min() < 0 or t.max() >= c):
        return False
    return not (0 <= ignore_index < c and (t == ignore_index).any())


def _check_broadcasts_to(op, name, w, input):
    """``w`` (a weight) must broadcast to the input's shape without growing it (PyTorch's rule)."""
    if w is None:
        return
    _check_tensor(op, name, w)
    shape = tuple(input.shape)
    try:
        ok = backend_of(w).xp.broadcast_shapes(tuple(w.shape), shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise error(RuntimeError, op, f"{name} of shape {list(w.shape)} does not broadcast to the input's shape "
                    f"{list(shape)}", f"{name} debe poder difundirse (broadcast) a la forma de la entrada")


def _check_not_learnt(op, name, w):
    if w is not None and w.requires_grad and grad_mode.STATE.enabled:
        raise error(RuntimeError, op, f"The function '{op}' is not differentiable with respect to argument "
                    f"'{name}'. This input cannot have requires_grad True.",
                    f"{name} es una constante: pasa {name}.detach()")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """BCE on probabilities; each log is clamped at -100, as in PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    if tuple(target.shape) != tuple(input.shape):
        raise error(ValueError, "binary_cross_entropy", f"Using a target size ({target.shape}) that is different "
                    f"to the input size ({input.shape}) is deprecated. Please ensure they have the same size.",
                    "da a y la misma forma que la salida, p. ej. y.reshape(salida.shape)")
    p, xp = input._data, backend_of(input).xp
    if p.size and (xp.any(p < 0) or xp.any(p > 1) or xp.any(xp.isnan(p))):
        raise error(RuntimeError, "binary_cross_entropy", "all elements of input should be between 0 and 1",
                    "pasa probabilidades (aplica sigmoid), o usa binary_cross_entropy_with_logits con las puntuaciones")
    _check_broadcasts_to("binary_cross_entropy", "weight", weight, input)
    _check_not_learnt("binary_cross_entropy", "weight", weight)
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE on logits: ``(1 - t) x + w_t (log(1 + e^{-|x|}) + max(-x, 0))``, stable for any x."""
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, op)
    if tuple(target.shape) != tuple(input.shape):
        raise error(ValueError, op, f"Target size ({target.shape}) must be the same as input size ({input.shape})",
                    "da a y la misma forma que la salida")
    _check_broadcasts_to(op, "weight", weight, input)
    _check_broadcasts_to(op, "pos_weight", pos_weight, input)
    _check_not_learnt(op, "pos_weight", pos_weight)
    softplus_neg = _softplus(-input)  # log(1 + e^{-x})
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


# Unit 2 (issue 12): the functional forms of convolution, pooling and normalization
from ..ops.conv import *  # noqa: F401,F403,E402
from ..ops.pooling import *  # noqa: F401,F403,E402
from ..ops.normalization import *  # noqa: F401,F403,E402

# Unit 3 (issue 13): embeddings, recurrent cells, attention
from ..ops.embedding import *  # noqa: F401,F403,E402
from ..ops.rnn import *  # noqa: F401,F403,E402
from ..ops.attention import *  # noqa: F401,F403,E402
