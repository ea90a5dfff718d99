"""``nn.Module``: the base class of every layer and model (PyTorch's API and state_dict keys).

Assigning a ``Parameter``, a ``Module`` or a buffer to an attribute registers
it; ``parameters()``, ``state_dict()``, ``train()``... then walk the tree.
Calling a module runs ``forward`` inside a scope named after the attribute
that holds it (``fc1``, ``net.0``), which ``profundo.viz.draw`` uses to group
or collapse a module's ops.
"""
from collections import OrderedDict, namedtuple

from ..._device import check_device, parse_to
from ..._dtype import float16, float32, float64
from ..._errors import error
from ...autograd import function as _function
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Buffer, Parameter, UninitializedParameter, zero_grads

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _RemovableHandle:
    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


class Module:
    """Base class of all neural-network modules: subclass it and define ``forward``."""

    training = True
    _scope_name = None  # the attribute name under which the parent holds it (set by the parent)

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise error(TypeError, f"{type(self).__name__}.__init__",
                        f"Module.__init__() takes no arguments, got {args} {kwargs}",
                        "llama super().__init__() sin argumentos al principio de tu __init__")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()

    # ------------------------------------------------------------ registration
    def _check_init(self, what):
        if "_parameters" not in self.__dict__:
            raise error(AttributeError, type(self).__name__,
                        f"cannot assign {what} before Module.__init__() call",
                        "llama super().__init__() al principio del __init__ de tu módulo")

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._check_init("parameters")
            self._remove_from(name, d["_buffers"], d["_modules"])
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._check_init("module")
            self._remove_from(name, d["_parameters"], d["_buffers"])
            value.__dict__["_scope_name"] = name
            d["_modules"][name] = value
        elif isinstance(value, Buffer):
            self.register_buffer(name, value.data, value.persistent)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise error(TypeError, type(self).__name__, f"cannot assign '{type(value).__name__}' as parameter "
                            f"'{name}' (torch.nn.Parameter or None expected)",
                            "envuelve el tensor en nn.Parameter(...)")
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise error(TypeError, type(self).__name__, f"cannot assign '{type(value).__name__}' as child "
                            f"module '{name}' (torch.nn.Module or None expected)", "asigna un nn.Module")
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise error(TypeError, type(self).__name__, f"cannot assign '{type(value).__name__}' as buffer "
                            f"'{name}' (torch.Tensor or None expected)", "asigna un tensor")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name, *dicts):
        for dct in dicts:
            dct.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        # the three stores written out, parameters first: d2l reads self.W_xh once per
        # time step (~0.2 us less than a loop over the names)
        store = d.get("_parameters")
        if store is not None and name in store:
            return store[name]
        store = d.get("_buffers")
        if store is not None and name in store:
            return store[name]
        store = d.get("_modules")
        if store is not None and name in store:
            return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(store, {}):
                del self.__dict__[store][name]
                self.__dict__["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    @staticmethod
    def _check_name(op, what, name):
        if not isinstance(name, str) or "." in name or name == "":
            raise error(KeyError, op, f"{what} name can't be empty or contain \".\", got {name!r}",
                        "usa un nombre simple, sin puntos")

    def register_parameter(self, name, param):
        self._check_init("parameters")
        self._check_name("register_parameter", "parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise error(TypeError, "register_parameter", f"cannot assign '{type(param).__name__}' object to "
                        f"parameter '{name}' (torch.nn.Parameter or None required)",
                        "envuelve el tensor en nn.Parameter(...)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._check_init("buffers")
        self._check_name("register_buffer", "buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise error(TypeError, "register_buffer", f"cannot assign '{type(tensor).__name__}' object to buffer "
                        f"'{name}' (torch Tensor or None required)", "un buffer es un tensor")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise error(TypeError, "add_module", f"{type(module).__name__} is not a Module subclass",
                        "solo se pueden añadir nn.Module")
        if module is not None:
            module.__dict__["_scope_name"] = name
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        mod = self
        for item in target.split(".") if target else []:
            if item not in mod._modules:
                raise error(AttributeError, "get_submodule", f"{type(mod).__name__} has no attribute `{item}`",
                            "revisa el nombre con named_modules()")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise error(AttributeError, "get_parameter", f"{type(mod).__name__} has no parameter `{name}`",
                        "revisa el nombre con named_parameters()")
        return mod._parameters[name]

    # ------------------------------------------------------------------ walking
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix, recurse, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise error(ValueError, "train", "training mode is expected to be boolean", "usa train(True) o eval()")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply_to_tensors(self, fn):
        """Convert every parameter and buffer with ``fn``; parameters keep their identity
        (``param.data = fn(param)``, as PyTorch), so an optimizer made before still holds them."""
        with no_grad():
            for m in self.modules():
                for p in m._parameters.values():
                    if p is not None:
                        p.data = fn(p)  # the setter renews the gradient accumulator when the dtype changes
                        if p._grad is not None:
                            p._grad = fn(p._grad)
                for name, b in m._buffers.items():
                    if b is not None:
                        m._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs):
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` (and the keywords ``device``,
        ``dtype``, ``non_blocking``, ``memory_format``), as in PyTorch: a dtype converts the floating
        parameters and buffers; ``"cpu"`` changes nothing (profundo computes on the CPU) and any other
        device is refused with PyTorch's error."""
        if "copy" in kwargs:
            raise error(RuntimeError, "Module.to", ".to() does not accept copy argument",
                        "un módulo se convierte en su sitio: quita copy=")
        _, dt, _, _ = parse_to("Module.to", args, kwargs)
        if dt is None:
            return self
        if not dt.is_floating_point:
            raise error(TypeError, "Module.to", f"nn.Module.to only accepts floating point or complex dtypes, but "
                        f"got desired dtype={dt}", "usa float32 o float64")
        return self._apply_to_tensors(lambda t: t.to(dt) if t.is_floating_point() else t)

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def half(self):
        return self.to(float16)

    def cpu(self):
        return self

    def cuda(self, device=None):
        """Refused with PyTorch's error on a machine without CUDA (profundo has no GPU backend yet)."""
        if isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        check_device(device if device is not None else "cuda", "Module.cuda")
        raise error(RuntimeError, "Module.cuda", f"Invalid device, must be cuda device (got {device})",
                    "para la CPU usa model.cpu()")

    def type(self, dst_type):
        return self.to(dst_type)

    # ------------------------------------------------------------- state dict
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by name (``fc1.weight``): PyTorch's keys."""
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, strict, missing, unexpected, errors, assign=False):
        for name, p in list(self._parameters.items()) + [
                (n, b) for n, b in self._buffers.items() if n not in self._non_persistent_buffers]:
            if p is None:
                continue
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
                              f"object from checkpoint but received {type(value)}")
                continue
            p = self._parameters.get(name, p)  # a lazy layer may have replaced it while loading
            if p is None:
                continue
            if isinstance(p, UninitializedParameter):
                self._materialize(name, value.shape)
                p = self._parameters[name]
            if tuple(value.shape) != tuple(p.shape):
                errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} from checkpoint, "
                              f"the shape in current model is {p.shape}.")
                continue
            if assign:  # the checkpoint's tensor itself becomes the parameter/buffer (PyTorch's assign=True)
                if name in self._parameters:
                    if not isinstance(value, Parameter):
                        value = Parameter(value, requires_grad=p.requires_grad)
                    else:
                        value.requires_grad_(p.requires_grad)
                    self._parameters[name] = value
                else:
                    self._buffers[name] = value
                continue
            with no_grad():
                p.copy_(value)
        for key in state_dict:
            if key.startswith(prefix):
                rest = key[len(prefix):]
                head = rest.split(".", 1)[0]
                if "." not in rest and head not in self._parameters and head not in self._buffers:
                    unexpected.append(key)
                elif "." in rest and head not in self._modules:
                    unexpected.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` (PyTorch's keys and errors)."""
        if not hasattr(state_dict, "keys"):
            raise error(TypeError, "load_state_dict", f"Expected state_dict to be dict-like, got {type(state_dict)}.",
                        "pasa el diccionario devuelto por state_dict() o profundo.load(...)")
        missing, unexpected, errors = [], [], []
        for prefix, m in self.named_modules():
            m._load_from_state_dict(state_dict, prefix + "." if prefix else "", strict, missing, unexpected,
                                    errors, assign)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise error(RuntimeError, None, "Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)),
                "el checkpoint no corresponde a esta arquitectura: compara model.state_dict().keys() y sus formas")
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ call
    def forward(self, *args, **kwargs):
        raise error(NotImplementedError, type(self).__name__,
                    f'Module [{type(self).__name__}] is missing the required "forward" function',
                    "define def forward(self, x): ... en tu módulo")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:  # (tested first: iterating an empty OrderedDict costs ~0.1 us)
            for hook in self._forward_pre_hooks.values():
                out = hook(self, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
        name = self._scope_name
        if name is None:  # the top module: its ops are not tagged
            result = self.forward(*args, **kwargs)
        else:  # named by its parent: ops inside are tagged "parent.name"
            scope = _function.SCOPE
            scope.enter(name)
            try:
                result = self.forward(*args, **kwargs)
            finally:
                scope.pop()
        if self._forward_hooks:
            for hook in self._forward_hooks.values():
                out = hook(self, args, result)
                if out is not None:
                    result = out
        return result

    def register_forward_hook(self, hook):
        key = object()
        self._forward_hooks[key] = hook
        return _RemovableHandle(self._forward_hooks, key)

    def register_forward_pre_hook(self, hook):
        key = object()
        self._forward_pre_hooks[key] = hook
        return _RemovableHandle(self._forward_pre_hooks, key)

    # ------------------------------------------------------------------ repr
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        children = []
        for name, m in self._modules.items():
            mod = repr(m).replace("\n", "\n  ")
            children.append(f"({name}): {mod}")
        main = type(self).__name__ + "("
        if lines and not children and len(lines) == 1:
            return main + lines[0] + ")"
        body = lines + children
        if not body:
            return main + ")"
        return main + "\n  " + "\n  ".join(body) + "\n)"
