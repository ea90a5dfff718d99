"""``Tensor``: an array, its dtype, and what autograd needs to know about it.

A tensor wraps one backend array (``_data``).  Autograd adds:

* ``requires_grad`` -- whether gradients should flow to this tensor;
* ``grad_fn`` -- the node of the op that produced it (``None`` for leaves);
* ``grad`` -- the gradient accumulated into a leaf by ``backward()``;
* a version counter -- bumped by every in-place change, shared with views,
  so autograd can refuse to use a saved tensor that was modified.

Math, shape, indexing and conversion methods (``x.sum()``, ``x @ y``,
``x.reshape(...)``, ``x.to(...)``) are the functions of ``profundo.ops``,
attached to this class in ``profundo/ops/__init__.py``: one function serves as
``profundo.sum(x)`` and as ``x.sum()``.
"""
import copy as _copy
import warnings
import weakref

from ._backend import backend_of, backend_of_device
from ._dims import norm_dim
from ._dtype import _FROM_NP, get_default_dtype
from ._device import CPU, check_device, device, no_accelerator, several_devices  # noqa: F401
from ._errors import error

_ENGINE = None  # profundo.autograd.engine, which imports this module: loaded on first backward()


def _load_engine():
    global _ENGINE
    from .autograd import engine
    _ENGINE = engine
    return engine


_new = object.__new__


class Size(tuple):
    """The type of ``tensor.shape``: a tuple of ints, like ``torch.Size``."""

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"profundo.Size({list(self)})"

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r


# devices live in _device.py; imported here so ``from .tensor import device`` keeps working


class _HookHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                break


class Tensor:
    """A multi-dimensional array with automatic differentiation.

    Create tensors with ``profundo.tensor(data)``, ``profundo.zeros(...)``,
    and friends.  ``Tensor(data)`` and ``Tensor(*sizes)`` work like
    ``torch.Tensor`` (float32)."""

    # NumPy: ``ndarray + tensor`` must call Tensor.__radd__ (and stay in the graph)
    __array_ufunc__ = None
    __array_priority__ = 1000

    # class-level defaults: a fresh tensor only needs ``_data`` set
    _requires_grad = False
    grad_fn = None
    _output_nr = 0
    _grad = None
    _vc = None            # version counter: [int], shared with views; None means version 0
    _base = None          # the tensor this one is a view of
    _view_steps = ()      # how to replay the view from _base: ((Function, args), ...)
    _acc_ref = None       # weakref to this leaf's AccumulateGrad node
    _retains_grad = False
    _hooks = None
    #: a dense tensor; ``nn.Embedding(sparse=True)``'s gradient is a ``profundo.sparse.RowSparseTensor``
    is_sparse = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "device" in cls.__dict__:  # a subclass that reports its own device: ops must compare devices
            several_devices()

    def __init__(self, *args):
        # legacy constructor, like torch.Tensor: Tensor([1, 2]) or Tensor(2, 3)
        fdt, xp = get_default_dtype().np, backend_of_device().xp
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            self._data = xp.array(data._data if isinstance(data, Tensor) else data, dtype=fdt)
        elif all(isinstance(a, int) for a in args):
            self._data = xp.empty(args, dtype=fdt)
        else:
            raise error(TypeError, "Tensor", f"expected data or sizes, got {args!r}",
                        "usa profundo.tensor(datos) o profundo.empty(filas, columnas)")

    @staticmethod
    def _make(arr):
        """Internal fast constructor: a tensor around the array ``arr``."""
        t = _new(Tensor)
        t._data = arr
        return t

    # ------------------------------------------------------------ metadata
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[norm_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self):
        return _FROM_NP[self._data.dtype]

    @property
    def device(self):
        """Where the tensor lives: ``device(type='cpu')`` (profundo's one backend today)."""
        return CPU

    @property
    def is_cuda(self):
        return False

    @property
    def is_cpu(self):
        return True

    @property
    def is_mps(self):
        return False

    @property
    def is_meta(self):
        return False

    def get_device(self):
        """The index of the device (-1 for the CPU, as in PyTorch)."""
        return -1

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[norm_dim(dim, self._data.ndim, "stride")]

    def data_ptr(self):
        return backend_of(self).data_ptr(self._data)

    # ------------------------------------------------------------ autograd
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        requires_grad = bool(requires_grad)
        if self.grad_fn is not None:
            if not requires_grad:
                raise error(RuntimeError, None,
                            "you can only change requires_grad flags of leaf variables. If you want to use a "
                            "computed variable in a subgraph that doesn't require differentiation use "
                            "var_no_grad = var.detach().",
                            "usa .detach() para cortar el grafo en un tensor calculado")
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise error(RuntimeError, None,
                        f"Only Tensors of floating point and complex dtype can require gradients (got {self.dtype})",
                        "convierte primero a flotante: x = x.float() (o dtype=profundo.float32 al crearlo)")
        self._requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
                "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor."
                "\nPista: solo las hojas (tensores creados por ti con requires_grad=True) guardan .grad",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        sparse = value is not None and getattr(value, "is_sparse", False) and hasattr(value, "_vals")
        if value is not None and not sparse:  # (a row-sparse gradient, profundo.sparse: checked below)
            if not isinstance(value, Tensor):
                raise error(TypeError, "grad", f"assigned grad expected to be a Tensor or None but got "
                            f"{type(value).__name__}",
                            "asigna un tensor (o None) a .grad")
            if value._data.shape != self._data.shape:
                raise error(RuntimeError, "grad", "assigned grad has data of a different size "
                            f"({list(value.shape)} vs {list(self.shape)})",
                            "el gradiente debe tener la misma forma que el tensor")
            if value._data.dtype != self._data.dtype:
                raise error(RuntimeError, "grad", "assigned grad has data of a different type "
                            f"({value.dtype} vs {self.dtype})",
                            "el gradiente debe tener el mismo dtype que el tensor")
        elif sparse and (tuple(value.shape) != self._data.shape or value._vals.dtype != self._data.dtype):
            raise error(RuntimeError, "grad", f"assigned row-sparse grad of shape {list(value.shape)} {value.dtype} "
                        f"does not match the tensor's {list(self.shape)} {self.dtype}",
                        "el gradiente debe tener la forma y el dtype del tensor")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor during backward."""
        if not self._requires_grad:
            raise error(RuntimeError, "retain_grad",
                        "can't retain_grad on Tensor that has requires_grad=False",
                        "retain_grad() solo tiene sentido en tensores que requieren gradiente")
        if self.grad_fn is None or self._retains_grad:
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
            node._special = True  # the engine looks for retained grads on this node
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a
        returned tensor replaces the gradient.  Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise error(RuntimeError, "register_hook",
                        "cannot register a hook on a tensor that doesn't require gradient",
                        "activa requires_grad=True antes de registrar el hook")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node._hooks is None:
                node._hooks = {}
                node._special = True  # the engine looks for hooks on this node
            hooks = node._hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor w.r.t. the graph leaves.

        Gradients are *accumulated* into each leaf's ``.grad`` (like PyTorch):
        reset them with ``x.grad = None`` or ``x.grad.zero_()`` between steps."""
        (_ENGINE or _load_engine()).backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self):
        """A tensor sharing this one's data (and version counter), out of the graph."""
        t = Tensor._make(self._data)
        t._vc = self._version_counter()
        return t

    def detach_(self):
        if self._base is not None and self._base._requires_grad:
            raise error(RuntimeError, "detach_",
                        "Can't detach views in-place. Use detach() instead.",
                        "usa x = x.detach()")
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    @property
    def data(self):
        """The same data out of the graph; changes to it are not tracked."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        new = value._data if isinstance(value, Tensor) else backend_of(self).xp.asarray(value)
        if new.dtype != self._data.dtype:
            # as PyTorch's set_data: a graph built before holds this leaf's AccumulateGrad, which casts
            # gradients to the old dtype; a new dtype needs a new one
            self._acc_ref = None
        self._data = new

    @property
    def _version(self):
        vc = self._vc
        return vc[0] if vc is not None else 0

    def _version_counter(self):
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    def _bump_version(self):
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def _is_view(self):
        return self._base is not None

    # ------------------------------------------------------------ Python protocols
    def item(self):
        if self._data.size != 1:
            raise error(RuntimeError, "item", f"a Tensor with {self._data.size} elements cannot be "
                        "converted to Scalar", "item() solo sirve para tensores de un elemento; usa tolist()")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise error(RuntimeError, None,
                        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
                        "usa x.detach().numpy() para sacar los datos del grafo")
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            if copy is False:
                raise ValueError("__array__: a cast to another dtype needs a copy")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._requires_grad:
            raise error(RuntimeError, "__dlpack__",
                        "Can't export tensors that require gradient, use tensor.detach()",
                        "exporta x.detach()")
        kwargs = {k: v for k, v in (("max_version", max_version), ("dl_device", dl_device),
                                    ("copy", copy)) if v is not None}
        arr = self._data
        if any(s < 0 for s in arr.strides):
            # a flipped view: DLPack allows negative strides but PyTorch aborts the process on them (torch 2.13),
            # so export a C-ordered copy -- unless the caller forbade copies
            if copy is False:
                raise error(BufferError, "__dlpack__", "the tensor has negative strides and copy=False was "
                            "requested; consumers such as PyTorch cannot share it", "exporta x.contiguous()")
            arr = arr.copy()
        return arr.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self):
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reversed__(self):
        # as torch: reversed(x) is x.flip(0), a tensor (the book's BiRNNScratch feeds reversed(inputs) to an RNN)
        if not self._data.ndim:
            return self
        return self.flip(0)

    def __bool__(self):
        if self._data.size != 1:
            raise error(RuntimeError, None,
                        f"Boolean value of Tensor with more than one value is ambiguous (shape {list(self.shape)})",
                        "usa .any() o .all() para reducir a un solo valor")
        return bool(self._data.item())

    def _scalar(self, kind):
        if self._data.size != 1:
            raise error(ValueError, None, "only one element tensors can be converted to Python scalars",
                        "usa item() sobre un tensor de un elemento, o tolist()")
        return kind(self._data.item())

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.item())

    def __complex__(self):
        return self._scalar(complex)

    __hash__ = object.__hash__

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def __contains__(self, element):
        return bool((self == element).any())

    def __repr__(self):
        from ._printing import tensor_repr
        return tensor_repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (type(self), self._data, self._requires_grad and self.grad_fn is None))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a module, "
                               "this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        new = _new(type(self))
        memo[id(self)] = new
        new._data = self._data.copy()
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = _copy.deepcopy(self._grad, memo)
        for k, v in self.__dict__.items():  # user attributes (e.g. on nn.Parameter subclasses)
            if k not in _INTERNAL:
                setattr(new, k, _copy.deepcopy(v, memo))
        return new

    def cpu(self, memory_format=None):
        """This tensor on the CPU: itself, since profundo's tensors live there."""
        return self

    def is_pinned(self, device=None):
        return False  # pinned (page-locked) memory only speeds up copies to a GPU

    def pin_memory(self, device=None):
        raise no_accelerator("pin_memory")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        """Refused with PyTorch's error on a machine without CUDA (profundo has no GPU backend yet)."""
        if isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        target = check_device(device if device is not None else "cuda", "cuda")  # raises for every CUDA device
        raise error(RuntimeError, "cuda", f"Invalid device, must be cuda device (got {target})",
                    "para la CPU usa x.cpu()")


_INTERNAL = frozenset({"_data", "_requires_grad", "grad_fn", "_output_nr", "_grad", "_vc", "_base",
                       "_view_steps", "_acc_ref", "_retains_grad", "_hooks"})


def _rebuild(cls, data, requires_grad):
    t = _new(cls)
    t._data = data
    if requires_grad:
        t._requires_grad = True
    return t
