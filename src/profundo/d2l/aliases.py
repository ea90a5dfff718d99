"""profundo.d2l: the tensor aliases at the end of the book's library (``d2l.tensor``, ``d2l.reshape``,
``d2l.reduce_sum``, ...), exactly d2l 1.0.3's list.  The book writes ``d2l.reshape(x, shape)`` so that one
text serves MXNet, PyTorch, TensorFlow and JAX; here each name is profundo's function or Tensor method."""
import profundo as _torch

from ..nn import Module as nn_Module

__all__ = ["nn_Module", "ones_like", "ones", "zeros_like", "zeros", "tensor", "arange", "meshgrid", "sin", "sinh",
           "cos", "cosh", "tanh", "linspace", "exp", "log", "normal", "rand", "randn", "matmul", "int32", "int64",
           "float32", "concat", "stack", "abs", "eye", "sigmoid", "batch_matmul", "numpy", "size", "reshape", "to",
           "reduce_sum", "argmax", "astype", "transpose", "reduce_mean", "expand_dims", "swapaxes", "repeat"]

ones_like = _torch.ones_like
ones = _torch.ones
zeros_like = _torch.zeros_like
zeros = _torch.zeros
tensor = _torch.tensor
arange = _torch.arange
meshgrid = _torch.meshgrid
sin = _torch.sin
sinh = _torch.sinh
cos = _torch.cos
cosh = _torch.cosh
tanh = _torch.tanh
linspace = _torch.linspace
exp = _torch.exp
log = _torch.log
normal = _torch.normal
rand = _torch.rand
randn = _torch.randn
matmul = _torch.matmul
int32 = _torch.int32
int64 = _torch.int64
float32 = _torch.float32
concat = _torch.cat
stack = _torch.stack
abs = _torch.abs  # noqa: A001  (the book's name)
eye = _torch.eye
sigmoid = _torch.sigmoid
batch_matmul = _torch.bmm


# the method aliases: d2l.f(x, ...) is x.method(...)
def numpy(x, *args, **kwargs):
    """``x.detach().numpy()``: the values as a NumPy array, out of the graph."""
    return x.detach().numpy(*args, **kwargs)


def size(x, *args, **kwargs):
    """``x.numel()``: the number of elements."""
    return x.numel(*args, **kwargs)


def reshape(x, *args, **kwargs):
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    return x.to(*args, **kwargs)


def reduce_sum(x, *args, **kwargs):
    return x.sum(*args, **kwargs)


def argmax(x, *args, **kwargs):
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    """``x.type(dtype)``: a copy converted to ``dtype``."""
    return x.type(*args, **kwargs)


def transpose(x, *args, **kwargs):
    """``x.t()``: the transpose of a matrix."""
    return x.t(*args, **kwargs)


def reduce_mean(x, *args, **kwargs):
    return x.mean(*args, **kwargs)


def expand_dims(x, *args, **kwargs):
    """``x.unsqueeze(dim)``."""
    return x.unsqueeze(*args, **kwargs)


def swapaxes(x, *args, **kwargs):
    return x.swapaxes(*args, **kwargs)


def repeat(x, *args, **kwargs):
    return x.repeat(*args, **kwargs)
