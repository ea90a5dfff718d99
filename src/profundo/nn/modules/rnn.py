"""Recurrent layers (Unit 3, issue 13): ``nn.RNN``, ``nn.GRU``, ``nn.LSTM`` and their cells
``nn.RNNCell``, ``nn.GRUCell``, ``nn.LSTMCell``, with PyTorch's arguments, parameter names
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l0``), initialization U(-1/sqrt(H), 1/sqrt(H)),
shapes, errors and ``repr``.

Each layer and direction is one op (``ops/rnn.py``: the equations and how every gate's gradient is
computed are written there); this module stacks them: the layers one on top of the other (dropout
between them while training), the two directions side by side, ``batch_first`` and unbatched
inputs, initial states, and packed sequences (``nn.utils.rnn``)."""
import math
import numbers
import warnings

from ..._device import check_device
from ..._errors import error
from ...creation import empty, zeros
from ...ops import shape as _shape
from ...ops.rnn import recurrent_layer
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _packed_to_padded, _padded_to_packed
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_BLOCKS = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_int(value, name, layer):
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(TypeError, layer, f"{name} should be of type int, got: {type(value).__name__}",
                    f"{name} es un número entero")


def _check_bool(value, name, layer):
    if not isinstance(value, bool):
        raise error(TypeError, layer, f"{name} should be of type bool, got: {type(value).__name__}",
                    f"{name} es True o False")


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: the arguments, the parameters, the checks, the
    stacking of layers and directions."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if device is not None:
            check_device(device, name)  # profundo computes on the CPU: any other device is refused
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise error(ValueError, name, "dropout should be a number in range [0, 1] representing the probability "
                        "of an element being zeroed", "dropout es una probabilidad entre 0 y 1")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        _check_bool(bias, "bias", name)
        _check_bool(batch_first, "batch_first", name)
        _check_int(input_size, "input_size", name)
        if input_size <= 0:
            raise error(ValueError, name, "input_size must be greater than zero", "input_size es positivo")
        _check_int(hidden_size, "hidden_size", name)
        if hidden_size <= 0:
            raise error(ValueError, name, "hidden_size must be greater than zero", "hidden_size es positivo")
        _check_int(num_layers, "num_layers", name)
        if num_layers <= 0:
            raise error(ValueError, name, "num_layers must be greater than zero", "num_layers es positivo")
        _check_int(proj_size, "proj_size", name)
        if proj_size < 0:
            raise error(ValueError, name, "proj_size should be a positive integer or zero to disable projections",
                        "proj_size es 0 (sin proyección) o un entero positivo")
        if proj_size >= hidden_size:
            raise error(ValueError, name, "proj_size has to be smaller than hidden_size",
                        "proj_size debe ser menor que hidden_size")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), proj_size
        directions = 2 if bidirectional else 1
        gate_size = _BLOCKS[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                params = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    params += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for pname, shape in params:
                    full = f"{pname}_l{layer}{suffix}"
                    setattr(self, full, Parameter(empty(shape, dtype=dtype)))
                    names.append(full)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters per layer and direction: ``[[w_ih, w_hh, b_ih, b_hh(, w_hr)], ...]``."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op, as in PyTorch on the CPU (it packs the weights for cuDNN on a GPU)."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------ forward
    def _state_sizes(self):
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        return real_hidden, self.hidden_size

    def forward(self, input, hx=None):
        name = type(self).__name__
        lstm = self.mode == "LSTM"
        directions = 2 if self.bidirectional else 1
        real_hidden, hidden = self._state_sizes()
        packed = isinstance(input, PackedSequence)
        if packed:
            self._check_input(input.data, 2)
            x, mask = _packed_to_padded(input)                      # (T, B, I), sorted by length
            batch, batched = x.shape[1], True
            if hx is not None:  # the user's order -> the packed (sorted) order
                hx = self._permute(hx, input.sorted_indices)
        else:
            if not isinstance(input, Tensor):
                raise error(TypeError, name, f"input must be a Tensor or a PackedSequence, got {type(input).__name__}",
                            "pasa un tensor (L, N, H_in) o una secuencia empaquetada")
            mask = None
            if input.dim() not in (2, 3):
                tensor_word = "tensor " if self.mode.startswith("RNN") else ""
                raise error(ValueError, name, f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                            f"{tensor_word}instead",
                            "la entrada es (L, N, H_in), (N, L, H_in) con batch_first=True, o (L, H_in)")
            batched = input.dim() == 3
            x = input
            if not batched:  # (batch_first does not apply to an unbatched input)
                x = x.unsqueeze(1)
                if hx is not None:
                    hx = self._unbatched_hidden(hx)
            else:
                if hx is not None:
                    self._check_hidden_dims(hx, 3)
                if self.batch_first:
                    x = x.transpose(0, 1)
            self._check_input(x, 3)
            batch = x.shape[1]
        expected_h = (self.num_layers * directions, batch, real_hidden)
        expected_c = (self.num_layers * directions, batch, hidden)
        if hx is None:
            h0 = zeros(expected_h, dtype=x.dtype)
            c0 = zeros(expected_c, dtype=x.dtype) if lstm else None
        elif lstm:
            h0, c0 = hx
            self._check_hidden(h0, expected_h, "Expected hidden[0] size {}, got {}")
            self._check_hidden(c0, expected_c, "Expected hidden[1] size {}, got {}")
        else:
            h0, c0 = hx, None
            self._check_hidden(h0, expected_h, "Expected hidden size {}, got {}")

        layer_input, h_n, c_n = x, [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                w = [getattr(self, n) for n in self._all_weights[k]]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                w_hr = w[-1] if self.proj_size > 0 else None
                res = recurrent_layer(self.mode, layer_input, h0[k], c0[k] if lstm else None, w_ih, w_hh, b_ih, b_hh,
                                      w_hr, direction == 1, mask)
                outs.append(res[0])
                h_n.append(res[1])
                if lstm:
                    c_n.append(res[2])
            layer_input = outs[0] if directions == 1 else _shape.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        h_n = _shape.stack(h_n, 0)
        hidden = (h_n, _shape.stack(c_n, 0)) if lstm else h_n
        if packed:
            return (_padded_to_packed(output, input),
                    self._permute(hidden, input.unsorted_indices))
        if not batched:
            output = output.squeeze(1)
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1)) if lstm else hidden.squeeze(1)
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, hidden

    def _permute(self, hx, permutation):
        if permutation is None:
            return hx
        if self.mode == "LSTM":
            return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)
        return hx.index_select(1, permutation)

    def _check_hidden_dims(self, hx, want):
        if self.mode == "LSTM":
            self._check_lstm_pair(hx)
            if hx[0].dim() != want or hx[1].dim() != want:
                kind = "batched 3-D" if want == 3 else "unbatched 2-D"
                raise error(RuntimeError, type(self).__name__, f"For {kind} input, hx and cx should also be "
                            f"{want}-D but got ({hx[0].dim()}-D, {hx[1].dim()}-D) tensors",
                            "los estados iniciales son (num_layers * D, N, H) (o (num_layers * D, H) sin lote)")
        elif hx.dim() != want:
            kind = "batched 3-D" if want == 3 else "unbatched 2-D"
            raise error(RuntimeError, type(self).__name__, f"For {kind} input, hx should also be {want}-D but got "
                        f"{hx.dim()}-D tensor",
                        "el estado inicial es (num_layers * D, N, H) (o (num_layers * D, H) sin lote)")

    def _check_lstm_pair(self, hx):
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2 and all(isinstance(t, Tensor) for t in hx)):
            raise error(TypeError, "LSTM", f"hx must be a tuple (h_0, c_0) of two tensors, got {type(hx).__name__}",
                        "una LSTM recibe el par de estados (h0, c0)")

    def _unbatched_hidden(self, hx):
        self._check_hidden_dims(hx, 2)
        if self.mode == "LSTM":
            return hx[0].unsqueeze(1), hx[1].unsqueeze(1)
        return hx.unsqueeze(1)

    def _check_input(self, x, ndim):
        name = type(self).__name__
        w = getattr(self, self._flat_weights_names[0])
        if x.dtype != w.dtype:
            raise error(ValueError, name, f"RNN input dtype ({x.dtype}) does not match weight dtype ({w.dtype}). "
                        f"Convert input: input.to({w.dtype}), or convert model: model.to({x.dtype})",
                        "la entrada y los pesos deben tener el mismo dtype: usa x.float() o model.double()")
        if x.dim() != ndim:
            raise error(RuntimeError, name, f"input must have {ndim} dimensions, got {x.dim()}",
                        "revisa la forma de la entrada")
        if x.shape[-1] != self.input_size:
            raise error(RuntimeError, name, f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                        f"got {x.shape[-1]}", "el último eje de la entrada son sus características (input_size)")

    def _check_hidden(self, h, expected, msg):
        if self.mode == "LSTM" and not isinstance(h, Tensor):
            self._check_lstm_pair(None)
        if not isinstance(h, Tensor):
            raise error(TypeError, type(self).__name__, f"hx must be a Tensor, got {type(h).__name__}",
                        "el estado inicial es un tensor")
        if tuple(h.shape) != expected:
            raise error(RuntimeError, type(self).__name__, msg.format(expected, list(h.shape)),
                        "el estado inicial es (num_layers * num_direcciones, N, H)")
        w = getattr(self, self._flat_weights_names[0])
        if h.dtype != w.dtype:
            raise error(RuntimeError, type(self).__name__, f"expected scalar type {_tname(w.dtype)} but found "
                        f"{_tname(h.dtype)}", "el estado inicial debe tener el dtype de los pesos")


def _tname(dtype):
    from ..._dtype import scalar_type_name
    return scalar_type_name(dtype.np if hasattr(dtype, "np") else dtype)


class RNN(RNNBase):
    """An Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), per layer."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise error(ValueError, "RNN", "proj_size argument is only supported for LSTM, not RNN or GRU",
                        "solo nn.LSTM tiene proj_size")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise error(ValueError, "RNN", f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.",
                        "nonlinearity es 'tanh' o 'relu'")
        nonlinearity = self.nonlinearity
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; ``c' = f c + i g``, ``h' = o tanh(c')`` (projected by
    ``weight_hr`` when ``proj_size > 0``).  ``forward(input, (h_0, c_0))`` returns
    ``output, (h_n, c_n)``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n; ``h' = (1 - z) n + z h``."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise error(ValueError, "GRU", "proj_size argument is only supported for LSTM, not RNN or GRU",
                        "solo nn.LSTM tiene proj_size")
        super().__init__("GRU", *args, **kwargs)


# ------------------------------------------------------------------ cells
class RNNCellBase(Module):
    """One step of a recurrent layer: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    _mode = None

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if device is not None:
            check_device(device, name)
        _check_int(input_size, "input_size", name)
        _check_int(hidden_size, "hidden_size", name)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode, input, states):
        """Run the layer op over one step: input (B, I), states ((B, H), ...) -> the new states."""
        name = type(self).__name__
        x = input.unsqueeze(0)
        if x.shape[-1] != self.input_size:
            raise error(RuntimeError, name, f"input has inconsistent input_size: got {x.shape[-1]} expected "
                        f"{self.input_size}", "el último eje de la entrada son sus características (input_size)")
        for k, s in enumerate(states):
            if s.shape[0] != x.shape[1]:
                raise error(RuntimeError, name, f"Input batch size {x.shape[1]} doesn't match hidden{k} batch size "
                            f"{s.shape[0]}", "el estado debe tener el mismo tamaño de lote que la entrada")
            if s.shape[1] != self.hidden_size:
                raise error(RuntimeError, name, f"hidden{k} has inconsistent hidden_size: got {s.shape[1]}, expected "
                            f"{self.hidden_size}", "el estado es (N, hidden_size)")
        if input.dtype != self.weight_ih.dtype or any(s.dtype != input.dtype for s in states):
            raise error(RuntimeError, name, f"expected scalar type {_tname(self.weight_ih.dtype)} but found "
                        f"{_tname(input.dtype if input.dtype != self.weight_ih.dtype else states[0].dtype)}",
                        "la entrada, el estado y los pesos deben tener el mismo dtype")
        res = recurrent_layer(mode, x, states[0], states[1] if len(states) > 1 else None, self.weight_ih,
                              self.weight_hh, self.bias_ih, self.bias_hh)
        return res[1:]

    def _prepare(self, input, hx, n_states):
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise error(TypeError, name, f"input must be a Tensor, got {type(input).__name__}",
                        "pasa un tensor (N, input_size)")
        if input.dim() not in (1, 2):
            raise error(ValueError, name, f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead",
                        "la entrada de una celda es (N, input_size) o (input_size,)")
        if hx is not None:
            for k, s in enumerate(hx if n_states == 2 else (hx,)):
                if s.dim() not in (1, 2):
                    what = f"hx[{k}]" if n_states == 2 else "hidden"
                    raise error(ValueError, name, f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D instead",
                                "el estado de una celda es (N, hidden_size) o (hidden_size,)")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros((input.shape[0], self.hidden_size), dtype=input.dtype)
            states = (z,) * n_states
        else:
            states = tuple(hx) if n_states == 2 else (hx,)
            if not batched:
                states = tuple(s.unsqueeze(0) for s in states)
        return input, states, batched


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise error(RuntimeError, "RNNCell", f"Unknown nonlinearity: {self.nonlinearity}",
                        "nonlinearity es 'tanh' o 'relu'")
        x, states, batched = self._prepare(input, hx, 1)
        (h,) = self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", x, states)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: ``forward(input, (h, c))`` returns ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, states, batched = self._prepare(input, hx, 2)
        h, c = self._step("LSTM", x, states)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = (1 - z) n + z h``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, states, batched = self._prepare(input, hx, 1)
        (h,) = self._step("GRU", x, states)
        return h if batched else h.squeeze(0)
