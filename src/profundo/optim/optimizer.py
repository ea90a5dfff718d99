"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``.

Each algorithm (sgd.py, adam.py, ...) only writes its update rule, on the
NumPy arrays of the parameters, in place: an optimizer step is never part of
the autograd graph.  The order of the floating-point operations follows
PyTorch's, so trajectories match PyTorch's (tested to 1e-10 in float64).
"""
import copy

import numpy as np

from .._backend import backend_of
from .._errors import error
from ..nn.parameter import zero_grads
from ..tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise error(TypeError, type(self).__name__, "params argument given to the optimizer should be an "
                        "iterable of Tensors or dicts, but got " + type(params).__name__,
                        "pasa model.parameters() o una lista de tensores")
        groups = list(params)
        if not groups:
            raise error(ValueError, type(self).__name__, "optimizer got an empty parameter list",
                        "¿el modelo tiene parámetros? revisa list(model.parameters())")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group):
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise error(TypeError, type(self).__name__, f"optimizer can only optimize Tensors, but one of the "
                            f"params is {type(p).__name__}", "pasa model.parameters()")
            if not p.is_leaf:
                raise error(ValueError, type(self).__name__, "can't optimize a non-leaf Tensor",
                            "optimiza los parámetros (hojas), no resultados intermedios")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise error(ValueError, type(self).__name__, "some parameters appear in more than one parameter group",
                        "cada parámetro debe estar en un solo grupo")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                try:
                    grad = p.grad._data
                except AttributeError:  # a row-sparse gradient (profundo.sparse): see _sparse_update
                    self._sparse_update(p, p.grad, self.state.setdefault(p, {}), group)
                    p._bump_version()
                    continue
                if group.get("maximize"):
                    grad = -grad
                self._update(p._data, grad, self.state.setdefault(p, {}), group)
                p._bump_version()
        return loss

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    #: PyTorch's refusal of a row-sparse gradient (``nn.Embedding(sparse=True)``), for optimizers without
    #: a ``_sparse_update`` of their own
    _sparse_message = "{name} does not support sparse gradients"

    def _sparse_update(self, param, grad, state, group):
        """The step for a row-sparse gradient (``profundo.sparse.RowSparseTensor``, of the tensor
        ``param``): SGD and Adagrad update only the rows it holds; the others refuse it, as PyTorch."""
        name = type(self).__name__
        raise error(RuntimeError, name, self._sparse_message.format(name=name),
                    "usa optim.SGD u optim.Adagrad con nn.Embedding(sparse=True), o quita sparse=True")

    @staticmethod
    def _buffer(state, name, like, fill=0.0):
        """The state array ``name`` (created as ``like``-shaped zeros, or ``fill``, on first use)."""
        t = state.get(name)
        if t is None:
            t = state[name] = Tensor._make(backend_of(like).xp.full_like(like, fill))
        return t._data

    @staticmethod
    def _step(state):
        """Increment and return the step count (kept as a float32 tensor, as PyTorch)."""
        t = state.get("step")
        n = (float(t._data) if t is not None else 0.0) + 1
        state["step"] = Tensor._make(np.array(n, dtype=np.float32))  # host-side metadata, as PyTorch's step
        return n

    # --------------------------------------------------------------- state dict
    def state_dict(self):
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``, PyTorch's layout."""
        index, groups = {}, []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: {k: (Tensor._make(v._data.copy()) if isinstance(v, Tensor) else v)
                                for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups, saved = self.param_groups, state_dict["param_groups"]
        if len(groups) != len(saved):
            raise error(ValueError, "load_state_dict", "loaded state dict has a different number of parameter groups",
                        "el estado guardado es de otro optimizador o de otro modelo")
        for g, s in zip(groups, saved):
            if len(g["params"]) != len(s["params"]):
                raise error(ValueError, "load_state_dict", "loaded state dict contains a parameter group that "
                            "doesn't match the size of optimizer's group",
                            "el estado guardado es de otro modelo")
        params = {i: p for s, g in zip(saved, groups) for i, p in zip(s["params"], g["params"])}
        self.state = {}
        for i, st in state_dict["state"].items():
            p = params[int(i)]
            xp = backend_of(p).xp
            self.state[p] = {k: (Tensor._make(xp.array(v._data, dtype=p._data.dtype if k != "step" else xp.float32))
                                 if isinstance(v, Tensor) else copy.deepcopy(v)) for k, v in st.items()}
        for g, s in zip(groups, saved):
            for k, v in s.items():
                if k != "params":
                    g[k] = copy.deepcopy(v)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k != "params"):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


def check(op, ok, text, hint):
    if not ok:
        raise error(ValueError, op, text, hint)
