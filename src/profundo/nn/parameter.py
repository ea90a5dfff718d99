"""``nn.Parameter``: a tensor that a Module registers as one of its parameters."""
from ..creation import empty
from ..tensor import Tensor

_new = object.__new__


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered by ``Module.__setattr__``.

    It shares memory (and the version counter) with ``data``, as in PyTorch.
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        t = _new(cls)
        t._data = data._data
        t._vc = data._version_counter()
        t._requires_grad = bool(requires_grad)
        return t

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happened in __new__

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def zero_grads(params, set_to_none=True):
    """``Module.zero_grad`` and ``Optimizer.zero_grad``: drop each gradient
    (``set_to_none``) or zero it in place, detached from any graph."""
    for p in params:
        if p.grad is not None:
            if set_to_none:
                p.grad = None
            else:
                p.grad = p.grad.detach()
                p.grad.zero_()


class UninitializedParameter(Parameter):
    """The parameter of a lazy layer before its first forward (``nn.LazyLinear``)."""

    cls_to_become = Parameter

    def materialize(self, shape, device=None, dtype=None):
        """Become a ``Parameter`` of ``shape`` in place, as PyTorch's: whoever holds this object since
        before the layer's first forward (an optimizer, a list of parameters) now holds the real one.
        Its dtype is the one it has now (a ``.double()`` before the first forward is kept)."""
        if device is not None:
            from .._device import check_device
            check_device(device, "UninitializedParameter.materialize")
        self._data = empty(tuple(shape), dtype=self.dtype if dtype is None else dtype)._data
        self._bump_version()
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A lazy layer's buffer before its first forward (``LazyBatchNorm``'s running statistics)."""

    def __new__(cls, dtype=None):
        t = object.__new__(cls)
        t._data = empty(0, dtype=dtype)._data
        return t

    def __init__(self, dtype=None):
        pass

    def __repr__(self):
        return "<UninitializedBuffer>"


class Buffer:
    """Marks a tensor as a buffer when assigned to a Module (``self.x = nn.Buffer(t)``)."""

    def __init__(self, data, persistent=True):
        self.data, self.persistent = data, persistent
