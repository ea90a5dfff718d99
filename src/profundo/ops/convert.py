"""dtype conversions: ``x.to(...)``, ``x.float()``, ``x.long()``, ..."""
from .._device import parse_to
from .._errors import error
from .._dtype import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from ._base import Op


class ToCopy(Op):
    """A cast.  Between floating types the gradient is cast back; a cast to an
    integer type ends the graph (its result does not require grad)."""

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.in_dtype = x._data.dtype
        return x._data.astype(np_dtype)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.in_dtype), None


def _cast(input, dt, copy=False):
    if input._data.dtype == dt.np and not copy:
        return input
    return ToCopy.apply(input, dt.np)


def to(input, *args, **kwargs):
    """``x.to(device)``, ``x.to(dtype)``, ``x.to(device, dtype)``, ``x.to(other_tensor)``, and the keywords
    ``device``, ``dtype``, ``non_blocking``, ``copy``, ``memory_format``, as in PyTorch.  Only the CPU
    holds tensors, so a device changes nothing (and any other device is refused by ``parse_to``)."""
    device, dtype, _, copy = parse_to("to", args, kwargs)
    if device is not None and device.index is not None:
        copy = True  # like torch: device('cpu', 0) is not x.device, so the result is a new tensor
    if dtype is None:
        return input.clone() if copy else input
    return _cast(input, dtype, copy)


def type_as(input, other):
    return _cast(input, other.dtype)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor"}


_TYPE_DTYPES = {"FloatTensor": float32, "DoubleTensor": float64, "HalfTensor": float16, "LongTensor": int64,
                "IntTensor": int32, "ShortTensor": int16, "CharTensor": int8, "ByteTensor": uint8,
                "BoolTensor": bool_}


def type(input, dtype=None):
    """``x.type()``: the tensor type's name (``'profundo.FloatTensor'``); ``x.type(dtype)``: a cast, where
    ``dtype`` is a dtype or a type name as PyTorch writes them (``'torch.FloatTensor'``, ``'torch.LongTensor'``;
    ``'torch.cuda.FloatTensor'`` asks for a GPU and gets the device error)."""
    if dtype is None:
        return "profundo." + _TYPE_NAMES[input._data.dtype.name]
    if isinstance(dtype, str):
        module, _, name = dtype.rpartition(".")
        if module in ("torch.cuda", "profundo.cuda") and name in _TYPE_DTYPES:
            return to(input, "cuda")  # refused with the device error (no GPU backend), as .to("cuda")
        if module in ("torch", "profundo") and name == "Tensor":
            name = "FloatTensor"  # PyTorch's default tensor type
        if module not in ("torch", "profundo") or name not in _TYPE_DTYPES:
            raise error(ValueError, "type", f"invalid type: {dtype!r}; expected a dtype (torch.float32) or a "
                        f"tensor type name such as 'torch.FloatTensor' ({', '.join(_TYPE_DTYPES)})",
                        "usa x.type(torch.float32) o x.type('torch.FloatTensor')")
        dtype = _TYPE_DTYPES[name]
    return to(input, dtype)


def _caster(dt):
    def f(input, memory_format=None):
        return _cast(input, dt)
    f.__name__ = dt.name
    return f


float = _caster(float32)
double = _caster(float64)
half = _caster(float16)
long = _caster(int64)
int = _caster(int32)
short = _caster(int16)
char = _caster(int8)
byte = _caster(uint8)
bool = _caster(bool_)
