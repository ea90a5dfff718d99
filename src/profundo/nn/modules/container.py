"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``."""
from collections import OrderedDict

from ..._errors import error
from .module import Module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules numbered ``0, 1, ...``, indexed like a list."""

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._from_items(list(self._modules.items())[idx])
        mods = list(self._modules.values())
        if not -len(mods) <= idx < len(mods):
            raise error(IndexError, type(self).__name__, f"index {idx} is out of range", f"hay {len(mods)} módulos")
        return mods[idx]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class Sequential(_ModuleSequence):
    """Modules applied one after the other; named ``0``, ``1``, ... (or by an OrderedDict's keys)."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                if not isinstance(m, Module):
                    raise error(TypeError, "Sequential", f"argument {i} is a {type(m).__name__}, not a Module",
                                "pasa capas (nn.Linear(...), nn.ReLU(), ...), no clases ni funciones")
                self.add_module(str(i), m)

    @staticmethod
    def _from_items(items):
        return Sequential(OrderedDict(items))

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (a Python list would hide them)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or []:
            self.append(m)

    @staticmethod
    def _from_items(items):
        return ModuleList([m for _, m in items])

    def __setitem__(self, idx, module):
        key = list(self._modules)[idx]
        self.add_module(key, module)

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self


class ModuleDict(Module):
    """A dict of modules whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        for k, m in (modules or {}).items():
            self.add_module(k, m)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()
