"""A two-way bridge to PyTorch (issue 15): tensors through DLPack, modules and state dicts both ways.

torch is optional: it is imported only when a function here needs it (a clear ``ImportError`` otherwise).

``to_torch(obj)`` / ``from_torch(obj)`` take a tensor or a module:

- **Tensors** cross through DLPack, so on the CPU the two tensors *share memory* (writing one changes the
  other).  Every profundo dtype (bool, uint8, int8/16/32/64, float16/32/64) maps to the torch dtype of the
  same name.  torch dtypes profundo lacks (bfloat16, complex, uint16/32/64, float8) are refused with an error
  that says how to convert them (``t.float()``).  ``requires_grad`` is carried over: a leaf that requires
  grad arrives as a leaf that requires grad; a *non-leaf* (the output of an op) arrives as a **detached
  leaf** -- its graph stays on the side that built it.  A profundo view with negative strides
  (``profundo.from_numpy(a[::-1])``) is copied, since PyTorch has no negative strides; a torch tensor on
  another device is copied to the CPU first (profundo computes on the CPU).
- **Modules**: every ``profundo.nn`` layer has a ``torch.nn`` twin of the same name; ``to_torch`` builds
  the twin with the same constructor arguments (read from the layer's attributes, which have PyTorch's
  names) and gives it copies of the weights with ``load_state_dict(assign=True)``, so the keys are checked
  both ways.  Containers (``Sequential``, ``ModuleList``, ``ModuleDict``) are rebuilt around their
  converted children.  Parameters, buffers (running statistics), ``requires_grad`` flags and each
  submodule's training/eval mode are carried; the two models are independent copies afterwards.
- **Custom modules** (the models of ``profundo.models``, the d2l classes, your own ``nn.Module``
  subclasses) have no twin class in torch.  Rather than a hand-written torch twin per model (which would
  drift from the original), the bridge runs *the same code* on the other library: profundo has PyTorch's
  API, so a model's ``forward`` works on torch tensors once the names it uses point to torch.  The bridge
  makes a mirror class (a ``torch.nn.Module`` subclass, same name, same methods and properties) whose
  functions are copies of the original ones with their global names rebound: ``profundo`` -> ``torch``,
  ``nn`` -> ``torch.nn``, ``F`` -> ``torch.nn.functional``, ``Tensor`` -> ``torch.Tensor``, each public
  profundo function to the torch function of the same name, and profundo's own helper functions (checks,
  ``masked_softmax``) rebound the same way.  Submodules are converted recursively and plain attributes
  copied.  ``from_torch`` of a mirror gives back an instance of the original profundo class; ``from_torch``
  of your own torch class mirrors it the other way.  A name with no counterpart on the other side raises a
  clear error naming it when the code uses it.  There is one mirror class per class, so ``isinstance``
  holds between models converted apart.

Refused with a clear error rather than dropped: forward/backward hooks and tensors' gradient hooks
(re-register them on the converted model), lazy layers that have not seen an input yet (run one batch
first), torch layers profundo lacks (``nn.PReLU``, ``nn.Conv3d``, ...; the error names the layer), and
torch-internal helpers (only torch's public functions have profundo counterparts, so a torch class whose
code calls private torch functions cannot come over).

State dicts need no bridge: ``profundo.save(model.state_dict(), "m.safetensors")`` writes the safetensors
format, which ``torch_model.load_state_dict(safetensors.torch.load_file("m.safetensors"))`` reads with the
same keys, and ``profundo.load`` reads ``safetensors.torch.save_file``'s files.
"""
import builtins
import importlib
import inspect
import types
import weakref
from collections import OrderedDict

import numpy as np

from ._errors import error

__all__ = ["to_torch", "from_torch", "torch_dtype", "profundo_dtype"]

_HINT_INSTALL = "instala PyTorch (pip install torch) para pasar modelos y tensores a PyTorch"


def _torch():
    """Import torch on first use, with a clear error when it is not installed."""
    try:
        import torch
    except ImportError as exc:
        raise error(ImportError, "profundo.interop", f"PyTorch is not installed ({exc}); the bridge needs it",
                    _HINT_INSTALL) from None
    return torch


# ------------------------------------------------------------------------------------------------ dtypes
def torch_dtype(dtype):
    """The torch dtype of a profundo dtype (same name); a torch dtype is returned as it is."""
    from . import _dtype
    torch = _torch()
    if isinstance(dtype, torch.dtype):
        return dtype
    if not isinstance(dtype, _dtype.dtype):
        raise error(TypeError, "torch_dtype", f"expected a profundo dtype (e.g. profundo.float32), got "
                    f"{type(dtype).__name__} {dtype!r}", "pasa un dtype de profundo, p. ej. profundo.float32")
    return getattr(torch, dtype.name)


def profundo_dtype(dtype, op="from_torch"):
    """The profundo dtype of a torch dtype (a profundo dtype is returned as it is), or a clear TypeError
    for those profundo lacks."""
    from . import _dtype
    if isinstance(dtype, _dtype.dtype):
        return dtype
    if type(dtype).__module__ != "torch" or type(dtype).__name__ != "dtype":
        raise error(TypeError, op, f"expected a torch dtype (e.g. torch.float32), got {type(dtype).__name__} "
                    f"{dtype!r}", "pasa un dtype de PyTorch, p. ej. torch.float32")
    name = str(dtype).replace("torch.", "")
    d = _dtype._NAMES.get(name)
    if d is None:
        fix = "t.float()" if name in ("bfloat16",) or name.startswith("float8") else \
            ("t.real (o t.abs())" if name.startswith("complex") else "t.long()")
        raise error(TypeError, op, f"profundo has no {dtype} (its dtypes: bool, uint8, int8, int16, int32, int64, "
                    f"float16, float32, float64)", f"convierte el tensor antes, p. ej. {fix}")
    return d


# ----------------------------------------------------------------------------------------------- tensors
def _hooks_refused(op, has_hooks, shape):
    # a gradient hook is a function attached to the tensor: like a module's hooks, it is not carried across
    if has_hooks:
        raise error(ValueError, op, f"the tensor of shape {shape} has gradient hooks (register_hook); functions "
                    "attached to a tensor are not carried across", "quita los hooks (handle.remove()) antes de "
                    "convertir y vuelve a registrarlos en el tensor convertido")


def _tensor_to_torch(x):
    torch = _torch()
    from .nn.parameter import Parameter
    _hooks_refused("to_torch", x.grad_fn is None and bool(x._hooks), tuple(x.shape))
    data = x.detach()
    arr = data._data
    if any(s < 0 for s in arr.strides):
        # DLPack allows negative strides but PyTorch has none (it aborts on them): share what can be shared
        arr = np.ascontiguousarray(arr)
    t = torch.from_dlpack(arr)
    if isinstance(x, Parameter):
        return torch.nn.Parameter(t, requires_grad=x.requires_grad)
    return t.requires_grad_(True) if x.requires_grad else t


def _tensor_from_torch(t):
    from .creation import from_dlpack
    from .nn.parameter import Parameter
    torch = _torch()
    profundo_dtype(t.dtype)  # refuse bfloat16 & co. with a clear message before DLPack does
    if t.is_nested:
        raise error(TypeError, "from_torch", f"profundo has no nested tensors (this one holds {t.size(0)} tensors "
                    "of different shapes)", "convierte cada tensor por separado: t.unbind()")
    if t.device.type == "meta":
        raise error(ValueError, "from_torch", f"the tensor of shape {tuple(t.shape)} is on the meta device: it "
                    "has a shape but no values to bring over", "materializa el tensor (o el modelo) antes: "
                    "p. ej. model.to_empty(device='cpu') y carga sus pesos")
    if t.layout != torch.strided:
        raise error(TypeError, "from_torch", f"profundo has no {t.layout} tensors", "usa t.to_dense()")
    _hooks_refused("from_torch", t.is_leaf and bool(t._backward_hooks), tuple(t.shape))
    data = t.detach()
    if data.device.type != "cpu":
        data = data.cpu()  # profundo computes on the CPU: this one is a copy
    data = data.resolve_conj().resolve_neg()
    x = from_dlpack(data)
    if isinstance(t, torch.nn.Parameter):
        return Parameter(x, requires_grad=t.requires_grad)
    return x.requires_grad_(True) if t.requires_grad else x


# ------------------------------------------------------------------------------------------------ sides
class _Side:
    """One library (profundo or torch): its namespaces and classes, for translating names into it."""

    def __init__(self, lib):
        self.lib = lib
        self.root = lib.__name__
        self.nn = importlib.import_module(self.root + ".nn")
        self.Tensor = lib.Tensor
        self.dtype = lib.dtype
        self.Module = self.nn.Module
        self.Parameter = self.nn.Parameter
        self.containers = (self.nn.Sequential, self.nn.ModuleList, self.nn.ModuleDict)
        # where public functions live: profundo.<name>, profundo.nn.functional.<name>, ...
        self.namespaces = [""]
        for sub in ("nn.functional", "nn.init", "linalg", "special", "fft", "autograd", "random"):
            try:
                importlib.import_module(f"{self.root}.{sub}")
                self.namespaces.append(sub)
            except ImportError:
                pass
        self.module_keys = set(self.Module().__dict__) | {"_scope_name"}

    def namespace(self, sub):
        mod = self.lib
        for part in filter(None, sub.split(".")):
            mod = getattr(mod, part, None)
            if mod is None:
                return None
        return mod

    def public_names(self, obj):
        """Every ``(namespace, name)`` where ``obj`` is public in this library."""
        name = getattr(obj, "__name__", None)
        if not isinstance(name, str):
            return []
        found = []
        for sub in self.namespaces:
            ns = self.namespace(sub)
            try:
                if ns is not None and getattr(ns, name, None) is obj:
                    found.append((sub, name))
            except Exception:  # noqa: BLE001 - a lazy attribute that fails to load is simply not a match
                pass
        return found

    def owns(self, obj):
        mod = getattr(obj, "__module__", None) or ""
        return mod == self.root or mod.startswith(self.root + ".")

    def twin_class(self, cls):
        """``cls`` itself when it is one of this library's ``nn`` layer classes (with a twin elsewhere)."""
        return getattr(self.nn, cls.__name__, None) is cls and cls is not self.Module


class _Missing:
    """Stands for a name with no counterpart: using it raises an error that names it."""

    def __init__(self, what, target):
        self.what, self.target = what, target

    def _fail(self, *args, **kwargs):
        raise error(NotImplementedError, "interop", f"{self.what} has no counterpart in {self.target}, so code "
                    f"that uses it cannot run there", f"reescribe esa parte con funciones que existan en "
                    f"{self.target}")

    __call__ = _fail

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        self._fail()


_MIRRORS = {True: weakref.WeakKeyDictionary(), False: weakref.WeakKeyDictionary()}  # to_torch? -> class -> mirror


class _Bridge:
    """Converts tensors, modules, functions and classes from ``src`` to ``dst``."""

    def __init__(self, src, dst, to_torch):
        self.src, self.dst, self.to_torch = _Side(src), _Side(dst), to_torch
        self.op = "to_torch" if to_torch else "from_torch"
        self.memo = {}  # id(source object) -> converted (shared submodules stay shared)
        self.keep = []  # the sources in memo stay alive while converting, so their ids stay unique

    # -------------------------------------------------------------------- values
    def tensor(self, x):
        return _tensor_to_torch(x) if self.to_torch else _tensor_from_torch(x)

    def value(self, v):
        """Any attribute value: tensors, dtypes, modules, functions, classes, containers of them."""
        src = self.src
        if isinstance(v, (str, int, float, complex, bool, type(None), bytes)):
            return v
        if isinstance(v, src.Tensor):  # e.g. the attention weights a model keeps: copies, like the weights
            return self._memo(v, lambda: _owned(self.tensor(v), self.dst))
        if isinstance(v, src.Module):
            return self.module(v)
        if isinstance(v, src.dtype):
            return self.dtype(v)
        if isinstance(v, tuple) and hasattr(v, "_fields"):  # a namedtuple
            return type(v)(*(self.value(i) for i in v))
        if type(v) in (list, tuple):
            return type(v)(self.value(i) for i in v)
        if type(v) in (dict, OrderedDict):
            return type(v)((k, self.value(i)) for k, i in v.items())
        if isinstance(v, types.ModuleType):
            return self.module_object(v)
        if isinstance(v, type):
            return self.cls(v)
        if isinstance(v, (types.FunctionType, types.BuiltinFunctionType)):
            return self.function(v)
        return v

    def dtype(self, d):
        if self.to_torch:
            return torch_dtype(d)
        return profundo_dtype(d, self.op)

    def _memo(self, obj, make):
        key = id(obj)
        if key not in self.memo:
            self.keep.append(obj)
            self.memo[key] = make()
        return self.memo[key]

    def module_object(self, mod):
        """``profundo.nn.functional`` -> ``torch.nn.functional`` (and back); other modules stay."""
        name = mod.__name__
        if name != self.src.root and not name.startswith(self.src.root + "."):
            return mod
        target = self.dst.root + name[len(self.src.root):]
        try:
            return importlib.import_module(target)
        except ImportError:
            return _Missing(f"module {name}", self.dst.root)

    def function(self, f):
        """A function: its public counterpart; else a copy with its global names rebound to the other
        library (profundo's own helpers, and your functions that use the library); else itself."""
        src = self.src
        if src.owns(f):
            public = src.public_names(f)
            for sub, name in public:
                ns = self.dst.namespace(sub)
                g = getattr(ns, name, None) if ns is not None else None
                if g is not None:
                    return g
            mod = getattr(f, "__module__", "") or ""
            if mod.endswith("._errors"):  # profundo's error builders are plain Python: usable anywhere
                return f
            if public or not self.to_torch or not isinstance(f, types.FunctionType):
                # a public function with no namesake on the other side (its code would run the library's
                # internals on foreign tensors); or torch's internals, which are not rewritten
                return _Missing(f"{mod}.{getattr(f, '__qualname__', f)}", self.dst.root)
            return self._memo(f, lambda: self.rebind(f))
        if isinstance(f, types.FunctionType) and self._uses_src(f):
            return self._memo(f, lambda: self.rebind(f))
        return f  # math.sqrt, len, a helper that never touches the library: the same on both sides

    def _uses_src(self, f, seen=None):
        """Whether a (user's) function refers to the source library through its globals or closure,
        directly or through another of the user's functions."""
        seen = set() if seen is None else seen
        if id(f) in seen:
            return False
        seen.add(id(f))
        values = [f.__globals__[n] for n in _global_names(f.__code__) if n in f.__globals__]
        for cell in f.__closure__ or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:
                pass
        for v in values:
            if isinstance(v, types.ModuleType):
                if v.__name__ == self.src.root or v.__name__.startswith(self.src.root + "."):
                    return True
            elif self.src.owns(v) or self.src.owns(type(v)):
                return True
            elif isinstance(v, types.FunctionType) and self._uses_src(v, seen):
                return True
        return False

    def rebind(self, f, class_cell=None):
        """A copy of ``f`` whose globals, defaults and closure point to the other library."""
        g = {"__builtins__": f.__globals__.get("__builtins__", builtins), "__name__": f.__globals__.get("__name__")}
        new = types.FunctionType(f.__code__, g, f.__name__, None,
                                 self._closure(f, class_cell))
        self.memo[id(f)] = new  # before translating globals: a recursive function refers to itself
        self.keep.append(f)
        for name in _global_names(f.__code__):
            if name in f.__globals__:
                g[name] = self.value(f.__globals__[name])
        new.__defaults__ = tuple(self.value(d) for d in f.__defaults__) if f.__defaults__ else None
        new.__kwdefaults__ = {k: self.value(v) for k, v in f.__kwdefaults__.items()} if f.__kwdefaults__ else None
        new.__qualname__, new.__doc__, new.__module__ = f.__qualname__, f.__doc__, f.__module__
        new.__dict__.update(f.__dict__)
        return new

    def _closure(self, f, class_cell):
        if not f.__closure__:
            return None
        cells = []
        for name, cell in zip(f.__code__.co_freevars, f.__closure__):
            if name == "__class__" and class_cell is not None:
                cells.append(class_cell)  # zero-argument super() must see the mirror class
                continue
            try:
                cells.append(types.CellType(self.value(cell.cell_contents)))
            except ValueError:  # an empty cell (a name assigned later in the enclosing function)
                cells.append(types.CellType())
        return tuple(cells)

    # ------------------------------------------------------------------- classes
    def cls(self, c):
        """A class: Tensor/Parameter/layer classes map to the other library's; a custom Module subclass gets a
        mirror class; any other class stays (plain Python)."""
        src, dst = self.src, self.dst
        if c is src.Tensor:
            return dst.Tensor
        if c is src.Parameter:
            return dst.Parameter
        if c is src.Module:
            return dst.Module
        if issubclass(c, src.Module):
            if src.twin_class(c):
                twin = getattr(dst.nn, c.__name__, None)
                return twin if twin is not None else _Missing(f"{src.root}.nn.{c.__name__}", dst.root)
            if not src.owns(c) or self.to_torch:
                return self._memo(c, lambda: self.mirror_class(c))
            return _Missing(f"{c.__module__}.{c.__qualname__}", dst.root)
        if src.owns(c):
            for sub, name in src.public_names(c):
                ns = dst.namespace(sub)
                if ns is not None and getattr(ns, name, None) is not None:
                    return getattr(ns, name)
        return c

    def mirror_class(self, c):
        """The same class on the other library: its bases mirrored, its methods rebound."""
        origin = getattr(c, "_interop_source", None)
        if origin is not None and issubclass(origin, self.dst.Module):
            return origin  # a mirror made by to_torch goes back to the very class it came from
        made = _MIRRORS[self.to_torch].get(c)
        if made is not None:  # one mirror per class: models converted apart share their class, as in isinstance
            return made
        bases = tuple(self.cls(b) for b in c.__bases__ if b is not object) or (self.dst.Module,)
        mirror = type(c.__name__, bases, {"__module__": c.__module__, "__qualname__": c.__qualname__,
                                          "__doc__": c.__doc__, "_interop_source": c})
        self.memo[id(c)] = mirror  # before the methods: they may name their own class
        self.keep.append(c)
        cell = types.CellType(mirror)  # zero-argument super() inside the methods sees the mirror
        for name, attr in c.__dict__.items():
            if name not in ("__dict__", "__weakref__", "__module__", "__qualname__", "__doc__", "_interop_source"):
                setattr(mirror, name, self._member(attr, cell))
        _MIRRORS[self.to_torch][c] = mirror
        return mirror

    def _member(self, attr, cell):
        if isinstance(attr, types.FunctionType):
            return self._memo(attr, lambda: self.rebind(attr, cell))
        if isinstance(attr, property):
            return property(*(self._member(f, cell) if f is not None else None
                              for f in (attr.fget, attr.fset, attr.fdel)), attr.__doc__)
        if isinstance(attr, (staticmethod, classmethod)):
            return type(attr)(self._member(attr.__func__, cell))
        return self.value(attr)

    # ------------------------------------------------------------------- modules
    def module(self, m):
        return self._memo(m, lambda: self._convert(m))

    def _check_hooks(self, m):
        # forward/backward hooks change what the module computes; (torch's) state-dict hooks only serialize
        hooks = [k for k, v in m.__dict__.items() if "hooks" in k and ("forward" in k or "backward" in k)
                 and isinstance(v, dict) and v]
        if hooks:
            raise error(ValueError, self.op, f"{type(m).__name__} has hooks ({', '.join(hooks)}); functions "
                        "attached to a module are not carried across", "quita los hooks antes de convertir y "
                        "vuelve a registrarlos en el modelo convertido")
        for name, p in m.named_parameters(recurse=False):
            # (the weights cross through state_dict(), whose detached tensors have no hooks)
            has = bool(getattr(p, "_backward_hooks", None) or getattr(p, "_hooks", None))
            _hooks_refused(self.op, has, f"{tuple(p.shape)} ({type(m).__name__}.{name})")

    def _convert(self, m):
        src, dst = self.src, self.dst
        cls = type(m)
        uninit = [n for n, p in m._parameters.items() if p is not None and "Uninitialized" in type(p).__name__]
        if uninit:
            raise error(ValueError, self.op, f"{cls.__name__} is a lazy layer that has not seen an input yet "
                        f"(parameter {uninit[0]!r} has no shape)", "pasa un lote por el modelo antes de convertirlo")
        self._check_hooks(m)
        if src.twin_class(cls):
            twin = getattr(dst.nn, cls.__name__, None)
            if twin is None:
                raise error(NotImplementedError, self.op, f"{src.root}.nn.{cls.__name__} has no counterpart in "
                            f"{dst.root}.nn", "reemplaza esa capa por una que exista en ambas bibliotecas")
            if cls in src.containers:
                return self._container(m, twin)
            return self._twin(m, twin)
        return self._mirror(m)

    def _container(self, m, twin):
        children = OrderedDict((k, self.module(c)) for k, c in m._modules.items())
        if twin is self.dst.nn.Sequential:
            out = twin(children)
        elif twin is self.dst.nn.ModuleList:
            out = twin(list(children.values()))
        else:
            out = twin(children)
        out.training = m.training
        return out

    def _twin(self, m, twin):
        kwargs = _ctor_kwargs(m, twin, self)
        try:
            out = twin(**kwargs)
        except Exception as exc:
            raise error(type(exc) if isinstance(exc, (TypeError, ValueError)) else RuntimeError, self.op,
                        f"could not build {self.dst.root}.nn.{twin.__name__}({_show(kwargs)}): {exc}",
                        "esta configuración de la capa no existe en la otra biblioteca") from None
        state = OrderedDict((k, _owned(self.tensor(v), self.dst)) for k, v in m.state_dict().items())
        out.load_state_dict(state, strict=True, assign=True)

        # assign=True keeps the new module's requires_grad flags: set the source's
        src_params = dict(m.named_parameters())
        for name, p in out.named_parameters():
            if name in src_params:
                p.requires_grad_(src_params[name].requires_grad)
        src_mods = dict(m.named_modules())
        for name, sub in out.named_modules():
            if name in src_mods:
                sub.training = src_mods[name].training
        return out

    def _mirror(self, m):
        src, dst = self.src, self.dst
        mcls = self.cls(type(m))
        if isinstance(mcls, _Missing) or not (isinstance(mcls, type) and issubclass(mcls, dst.Module)):
            raise error(NotImplementedError, self.op, f"{type(m).__module__}.{type(m).__qualname__} is a module "
                        f"of {src.root}'s internals with no counterpart in {dst.root}",
                        "reemplaza esa capa por una que exista en ambas bibliotecas")
        out = mcls.__new__(mcls)
        dst.Module.__init__(out)
        self.memo[id(m)] = out  # a module that refers to itself (or a parent) finds the mirror
        for name, p in m._parameters.items():
            out.register_parameter(name, None if p is None else _owned(self.tensor(p), dst, param=True))
        non_persistent = m.__dict__.get("_non_persistent_buffers", m.__dict__.get("_non_persistent_buffers_set", ()))
        for name, b in m._buffers.items():
            out.register_buffer(name, None if b is None else _owned(self.tensor(b), dst),
                                persistent=name not in non_persistent)
        for name, c in m._modules.items():
            out.add_module(name, None if c is None else self.module(c))
        for name, v in m.__dict__.items():
            if name in src.module_keys:
                continue
            out.__dict__[name] = self.value(v)
        out.training = m.training
        return out


def _owned(t, side, param=False):
    """A tensor that owns its memory (a copy), so the converted model trains independently."""
    if isinstance(t, side.Parameter):
        flag = t.requires_grad
        return side.Parameter(t.detach().clone(), requires_grad=flag)
    c = t.detach().clone()
    return side.Parameter(c, requires_grad=False) if param else c


def _global_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _show(kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


# ---------------------------------------------------------------------- constructor arguments of layers
_SKIP = {"self", "device", "dtype", "args", "kwargs", "size_average", "reduce", "min_value", "max_value",
         "enable_nested_tensor", "mask_check"}
_RNN = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional")


def _transformer_layer(m, br):
    attn = m.self_attn
    return dict(d_model=attn.embed_dim, nhead=attn.num_heads, dim_feedforward=m.linear1.out_features,
                dropout=m.dropout.p, activation=br.value(m.activation), layer_norm_eps=m.norm1.eps,
                batch_first=attn.batch_first, norm_first=m.norm_first, bias=m.linear1.bias is not None)


_SPECIAL = {
    "RNN": lambda m, br: {**{k: getattr(m, k) for k in _RNN}, "nonlinearity": m.nonlinearity},
    "GRU": lambda m, br: {k: getattr(m, k) for k in _RNN},
    "LSTM": lambda m, br: {**{k: getattr(m, k) for k in _RNN}, "proj_size": m.proj_size},
    "MultiheadAttention": lambda m, br: dict(
        embed_dim=m.embed_dim, num_heads=m.num_heads, dropout=m.dropout, bias=m.in_proj_bias is not None,
        add_bias_kv=m.bias_k is not None, add_zero_attn=m.add_zero_attn, kdim=m.kdim, vdim=m.vdim,
        batch_first=m.batch_first),
    "TransformerEncoderLayer": _transformer_layer,
    "TransformerDecoderLayer": _transformer_layer,
    "TransformerEncoder": lambda m, br: dict(encoder_layer=br.module(m.layers[0]), num_layers=len(m.layers),
                                             norm=br.value(m.norm), enable_nested_tensor=False),
    "TransformerDecoder": lambda m, br: dict(decoder_layer=br.module(m.layers[0]), num_layers=len(m.layers),
                                             norm=br.value(m.norm)),
    "PairwiseDistance": lambda m, br: dict(p=m.norm, eps=m.eps, keepdim=m.keepdim),  # p is kept as .norm
    "Transformer": lambda m, br: dict(d_model=m.d_model, nhead=m.nhead, batch_first=m.batch_first,
                                      custom_encoder=br.module(m.encoder), custom_decoder=br.module(m.decoder)),
}


def _ctor_kwargs(m, twin, br):
    """The constructor arguments of ``twin`` that rebuild ``m``: read from ``m``'s attributes (both libraries
    use PyTorch's names), with a few layers that keep them elsewhere spelled out in ``_SPECIAL``."""
    name = type(m).__name__
    if name in _SPECIAL:
        return _SPECIAL[name](m, br)
    kwargs = {}
    for pname, param in inspect.signature(twin.__init__).parameters.items():
        if pname in _SKIP or pname.startswith("_") or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if not hasattr(m, pname):
            if param.default is param.empty:
                raise error(NotImplementedError, br.op, f"{name}: cannot find the value of its constructor "
                            f"argument {pname!r}", "esta capa no se puede convertir automáticamente")
            continue
        v = getattr(m, pname)
        if pname in ("bias", "affine", "elementwise_affine") and (v is None or isinstance(v, br.src.Tensor)):
            v = v is not None  # the attribute is the bias parameter itself (or None)
        elif isinstance(v, br.src.Tensor):  # a loss's class weights: a copy, like the weights
            v = _owned(br.tensor(v), br.dst)
        kwargs[pname] = br.value(v)
    return kwargs


# ------------------------------------------------------------------------------------------ public API
def to_torch(obj):
    """A profundo tensor or module as a torch one.

    A tensor shares memory with the result (DLPack; copied only for negative strides); its
    ``requires_grad`` is carried over, and a non-leaf becomes a detached leaf.  A module becomes the
    equivalent ``torch.nn`` module with copies of the weights (see the module docstring)."""
    import profundo
    torch = _torch()
    if isinstance(obj, profundo.Tensor):
        return _tensor_to_torch(obj)
    if isinstance(obj, profundo.nn.Module):
        return _Bridge(profundo, torch, True).module(obj)
    raise error(TypeError, "to_torch", f"expected a profundo Tensor or nn.Module, got {type(obj).__name__}",
                "pasa un tensor o un modelo de profundo")


def from_torch(obj):
    """A torch tensor or module as a profundo one (the inverse of ``to_torch``).

    A CPU tensor shares memory with the result; ``requires_grad`` is carried over (a non-leaf becomes a
    detached leaf); dtypes profundo lacks (bfloat16, complex, ...) are refused.  A module becomes the
    equivalent ``profundo.nn`` module, or an instance of the original profundo class for a module that
    ``to_torch`` made."""
    import profundo
    torch = _torch()
    if isinstance(obj, torch.Tensor):
        return _tensor_from_torch(obj)
    if isinstance(obj, torch.nn.Module):
        return _Bridge(torch, profundo, False).module(obj)
    raise error(TypeError, "from_torch", f"expected a torch Tensor or nn.Module, got {type(obj).__name__}",
                "pasa un tensor o un modelo de PyTorch")
