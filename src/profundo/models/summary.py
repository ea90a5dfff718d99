"""What a network does to the shape of its input, layer by layer.

``layer_summary(net, X_shape)`` is d2l's: it feeds a random batch through each top-level layer
of ``net`` and prints the layer and its output shape.  ``summary(model, input_size)`` is
``torchinfo.summary``'s table: every layer that computes something (the leaves of the module
tree), in the order they run, with its output shape and parameter count, and the totals.
PyTorch itself has no ``Module.summary``; these are functions, as torchinfo's is.
"""
from .._errors import error
from ..autograd.grad_mode import no_grad
from ..nn import Module, Sequential
from ..random import randn


def _check(op, net, shape):
    if not isinstance(net, Module):
        raise error(TypeError, op, f"net must be an nn.Module, got {type(net).__name__}",
                    "pasa el modelo, p. ej. layer_summary(LeNet(), (1, 1, 28, 28))")
    ok = isinstance(shape, (tuple, list)) and len(shape) > 0 and all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)
    if not ok:
        raise error(ValueError, op, f"the input shape must be a tuple of positive ints (batch first), got {shape!r}",
                    "p. ej. (1, 1, 28, 28): lote, canales, alto, ancho")
    return tuple(shape)


class _Eval:
    """Run in eval mode without gradients (batch norm accepts a batch of 1), then restore the modes."""

    def __init__(self, net):
        self.net = net

    def __enter__(self):
        self.modes = [(m, m.training) for m in self.net.modules()]
        self.net.eval()
        self.grad = no_grad()
        self.grad.__enter__()

    def __exit__(self, *exc):
        self.grad.__exit__(*exc)
        for m, mode in self.modes:
            m.training = mode


def layer_summary(net, X_shape):
    """d2l's ``layer_summary``: each top-level layer of ``net`` (of ``net.net`` when the model keeps its
    layers there, as the book's models do) and the shape of its output for a random input of ``X_shape``."""
    X_shape = _check("layer_summary", net, X_shape)
    layers = net.net if isinstance(getattr(net, "net", None), Sequential) else net
    if not isinstance(layers, Sequential):
        raise error(TypeError, "layer_summary", f"{type(net).__name__} is not an nn.Sequential and keeps no "
                    "nn.Sequential in .net: there are no layers to walk through",
                    "usa summary(model, input_size), que sigue cualquier modelo")
    X = randn(*X_shape)
    with _Eval(net):
        for layer in layers:
            X = layer(X)
            print(layer.__class__.__name__, "output shape:\t", X.shape)


class ModelSummary:
    """The table ``summary`` builds; ``print`` it (a notebook shows it by itself)."""

    def __init__(self, model, input_size, rows, total, trainable):
        self.model_name, self.input_size = type(model).__name__, input_size
        self.layers = rows  # (qualified name, class name, output shape, number of parameters)
        self.total_params, self.trainable_params = total, trainable

    def __str__(self):
        head = ("Layer (type)", "Output Shape", "Param #")
        body = [(f"{name} ({cls})", str(list(shape)) if shape is not None else "-", f"{n:,}")
                for name, cls, shape, n in self.layers]
        w0 = max(len(r[0]) for r in [head, *body])
        w1 = max(len(r[1]) for r in [head, *body])
        w2 = max(len(r[2]) for r in [head, *body])
        line = "=" * (w0 + w1 + w2 + 6)
        fmt = f"{{:<{w0}}}   {{:<{w1}}}   {{:>{w2}}}"
        out = [f"{self.model_name}, input {list(self.input_size)}", line, fmt.format(*head), line]
        out += [fmt.format(*r) for r in body]
        out += [line, f"Total params: {self.total_params:,}", f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.total_params - self.trainable_params:,}"]
        return "\n".join(out)

    __repr__ = __str__


def summary(model, input_size):
    """The layers of ``model`` that run on a random input of ``input_size`` (batch first), in order,
    with their output shapes and parameter counts (as ``torchinfo.summary(model, input_size)``)."""
    input_size = _check("summary", model, input_size)
    leaves = [(name or type(model).__name__, m) for name, m in model.named_modules() if not any(m.children())]
    rows, handles = [], []

    def hook(name):
        def record(module, args, output):
            shape = tuple(output.shape) if hasattr(output, "shape") else None
            rows.append((name, type(module).__name__, shape,
                         sum(p.numel() for p in module.parameters(recurse=False))))
        return record

    for name, m in leaves:
        handles.append(m.register_forward_hook(hook(name)))
    try:
        with _Eval(model):
            model(randn(*input_size))
    finally:
        for h in handles:
            h.remove()
    params = list(model.parameters())
    return ModelSummary(model, input_size, rows, sum(p.numel() for p in params),
                        sum(p.numel() for p in params if p.requires_grad))
