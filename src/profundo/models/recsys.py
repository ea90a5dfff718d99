"""Recommender models of Unit 4 (issue 14): matrix factorization, AutoRec, BPR, NeuMF, FM.

d2l's chapter 21 (written for MXNet in the book) as PyTorch-style ``nn.Module``s on ``nn.Embedding`` and
``nn.Linear``; every model returns one score per example, shape ``(batch,)``:

- ``MatrixFactorization(num_users, num_items, num_factors, sparse=False, global_mean=0.0)``: d2l's ``MF``
  plus a global mean: ``r_ui = p_u . q_i + b_u + b_i + mu``.  ``mu`` is a *buffer* (saved in the
  ``state_dict``, never trained): set it to the mean training rating (``model.global_mean.fill_(m)``), so
  the biases and factors only learn the deviations.  ``sparse=True``: row-sparse embedding gradients, for
  ``optim.SGD`` / ``SparseAdam`` / ``Adagrad`` to touch only the rows of the batch.
- ``AutoRec(num_hidden, num_users, dropout=0.05)``: item-based AutoRec.  Input: items' rating vectors over
  all users (0 = unobserved), ``(batch, num_users)``; ``sigmoid`` encoder, dropout, linear decoder.  As in
  d2l, in training mode the reconstruction is multiplied by ``sign(input)``, so unobserved entries get no
  gradient; ``AutoRec.masked_mse(pred, ratings)`` is the mean squared error over the observed entries only.
- ``BPRLoss(reduction="sum")``: ``-log sigmoid(pos - neg)``, summed as in d2l (``"mean"``/``"none"`` too);
  ``HingeLossRec(margin=1.0, reduction="sum")``: ``max(0, margin - (pos - neg))`` (d2l's ``HingeLossbRec``).
- ``NeuMF(num_factors, num_users, num_items, nums_hiddens)``: GMF (``p_u * q_i``) and an MLP on
  ``[u_u, v_i]`` (ReLU layers of ``nums_hiddens``) concatenated, then a linear layer without bias and a
  sigmoid (d2l), giving a score in (0, 1).
- ``FactorizationMachine(field_dims, num_factors)``: ``sigmoid(w0 + sum_i w_i + 1/2 sum_f((sum_i v_if)^2 -
  sum_i v_if^2))``, the O(k n) form of the pairwise interactions.  Input ``(batch, num_fields)``: the
  index of each field's value *within its field* (the model adds the offsets; d2l's data adds them
  beforehand).  ``DeepFM(field_dims, num_factors, mlp_dims, drop_rate=0.1)`` adds an MLP on the
  concatenated field embeddings.

Initialization as d2l: every embedding and linear weight ~ N(0, 0.01^2), biases zero.
"""
from .. import nn
from .._errors import error, shape_str
from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..nn import functional as F
from ..ops import FUNCTIONS
from ..tensor import Tensor

__all__ = ["MatrixFactorization", "AutoRec", "BPRLoss", "HingeLossRec", "NeuMF", "FactorizationMachine", "DeepFM"]

_cat = FUNCTIONS["cat"]
_REDUCTIONS = ("none", "mean", "sum")
_SPANISH = {"user": "usuarios", "item": "ítems", "feature": "valores de campo"}


def _init_normal(module, std=0.01):
    """d2l's ``init.Normal(0.01)``: every weight ~ N(0, std^2), every bias zero."""
    with no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias") and p.dim() == 1:
                p.zero_()
            else:
                p.normal_(0.0, std)


def _check_ids(op, what, ids, count):
    """Indices must be an integer tensor with values in [0, count): say which (user, item) is wrong."""
    if not isinstance(ids, Tensor):
        raise error(TypeError, op, f"{what} ids must be a Tensor of integers, got {type(ids).__name__}",
                    f"convierte los índices con torch.tensor(ids, dtype=torch.long)")
    if ids.dtype.is_floating_point or ids.dtype.is_complex or str(ids.dtype).endswith("bool"):
        raise error(RuntimeError, op, f"{what} ids must be integers (int64 or int32), got {ids.dtype}",
                    "los índices de usuarios/ítems deben ser enteros: usa ids.long()")
    if ids.numel():
        # on the array: two tensor ops (and their graph checks) cost more; profundo.interop's mirror runs this
        # same code on torch tensors, which have no ``_data``
        a = getattr(ids, "_data", ids)
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or (count is not None and hi >= count):
            bad = lo if lo < 0 else hi
            valid = f"{count} {what}s: valid ids 0..{count - 1}" if count is not None else "ids must be >= 0"
            raise error(IndexError, op, f"{what} index {bad} out of range ({valid})",
                        f"los índices ({_SPANISH[what]}) empiezan en 0: ¿numeraste desde 1? "
                        "Resta 1 o crea el modelo con más filas")


def _check_pair(op, user, item):
    if user.shape != item.shape:
        raise error(RuntimeError, op, f"user and item ids must have the same shape, got "
                    f"{shape_str(user.shape)} and {shape_str(item.shape)}",
                    "pasa un par (usuario, ítem) por ejemplo: dos vectores de igual longitud")


class MatrixFactorization(nn.Module):
    """Explicit-feedback matrix factorization (d2l's ``MF``) with user/item biases and a global mean:
    ``forward(user, item)`` -> ``(P[user] * Q[item]).sum(-1) + b_user + b_item + global_mean``,
    same shape as ``user``.  ``global_mean`` is a buffer (not trained; default 0, as d2l)."""

    def __init__(self, num_users, num_items, num_factors, sparse=False, global_mean=0.0):
        super().__init__()
        for name, v in (("num_users", num_users), ("num_items", num_items), ("num_factors", num_factors)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise error(ValueError, "MatrixFactorization", f"{name} must be a positive int, got {v!r}",
                            "indica cuántos usuarios, ítems y factores tiene el modelo (enteros > 0)")
        self.num_users, self.num_items, self.num_factors = num_users, num_items, num_factors
        self.P = nn.Embedding(num_users, num_factors, sparse=sparse)
        self.Q = nn.Embedding(num_items, num_factors, sparse=sparse)
        self.user_bias = nn.Embedding(num_users, 1, sparse=sparse)
        self.item_bias = nn.Embedding(num_items, 1, sparse=sparse)
        self.register_buffer("global_mean", tensor(float(global_mean)))
        _init_normal(self)

    def forward(self, user, item):
        _check_ids("MatrixFactorization", "user", user, self.num_users)
        _check_ids("MatrixFactorization", "item", item, self.num_items)
        _check_pair("MatrixFactorization", user, item)
        dot = (self.P(user) * self.Q(item)).sum(-1)
        return dot + self.user_bias(user).squeeze(-1) + self.item_bias(item).squeeze(-1) + self.global_mean

    def extra_repr(self):
        return f"num_users={self.num_users}, num_items={self.num_items}, num_factors={self.num_factors}"


class AutoRec(nn.Module):
    """Item-based AutoRec (d2l): ``decoder(dropout(sigmoid(encoder(r_i))))`` for items' rating vectors
    ``r_i`` of shape ``(batch, num_users)`` (0 where unobserved).  In training mode the output is
    multiplied by ``sign(input)`` (d2l's masking: unobserved ratings give no gradient)."""

    def __init__(self, num_hidden, num_users, dropout=0.05):
        super().__init__()
        self.num_users = num_users
        self.encoder = nn.Linear(num_users, num_hidden)
        self.decoder = nn.Linear(num_hidden, num_users)
        self.dropout = nn.Dropout(dropout)
        _init_normal(self)

    def forward(self, input):
        if not isinstance(input, Tensor) or input.dim() != 2 or input.shape[-1] != self.num_users:
            got = shape_str(input.shape) if isinstance(input, Tensor) else type(input).__name__
            raise error(RuntimeError, "AutoRec", f"expected ratings of shape (batch, num_users={self.num_users}), "
                        f"got {got}", "cada fila es un ítem con las valoraciones de todos los usuarios (0 = sin dato)")
        pred = self.decoder(self.dropout(self.encoder(input).sigmoid()))
        if self.training:  # only observed ratings are reconstructed (and get gradient)
            return pred * input.sign()
        return pred

    @staticmethod
    def masked_mse(pred, ratings):
        """Mean of ``(pred - ratings)^2`` over the observed entries (``ratings != 0``)."""
        if pred.shape != ratings.shape:
            raise error(RuntimeError, "AutoRec.masked_mse", f"pred {shape_str(pred.shape)} and ratings "
                        f"{shape_str(ratings.shape)} must have the same shape", "compara la reconstrucción "
                        "con la matriz de valoraciones de la que salió")
        mask = (ratings != 0).to(pred.dtype)
        return (((pred - ratings) * mask) ** 2).sum() / mask.sum().clamp(min=1)


class _PairwiseLoss(nn.Module):
    def __init__(self, reduction):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise error(ValueError, type(self).__name__, f"{reduction} is not a valid value for reduction "
                        "(use 'none', 'mean' or 'sum')", "reduction debe ser 'none', 'mean' o 'sum'")
        self.reduction = reduction

    def _reduce(self, loss):
        if self.reduction == "sum":
            return loss.sum()
        if self.reduction == "mean":
            return loss.mean()
        return loss

    def _distances(self, positive, negative):
        if positive.shape != negative.shape:
            raise error(RuntimeError, type(self).__name__, f"positive {shape_str(positive.shape)} and negative "
                        f"{shape_str(negative.shape)} scores must have the same shape",
                        "cada ítem positivo va con un ítem negativo muestreado: mismas formas")
        return positive - negative


class BPRLoss(_PairwiseLoss):
    """Bayesian personalized ranking: ``-log sigmoid(positive - negative)``, summed (d2l) by default."""

    def __init__(self, reduction="sum"):
        super().__init__(reduction)

    def forward(self, positive, negative):
        return self._reduce(-F.logsigmoid(self._distances(positive, negative)))


class HingeLossRec(_PairwiseLoss):
    """d2l's ``HingeLossbRec``: ``max(0, margin - (positive - negative))``, summed by default."""

    def __init__(self, margin=1.0, reduction="sum"):
        super().__init__(reduction)
        self.margin = margin

    def forward(self, positive, negative):
        return self._reduce(F.relu(self.margin - self._distances(positive, negative)))


class NeuMF(nn.Module):
    """Neural matrix factorization (d2l): GMF ``P[u] * Q[i]`` and an MLP on ``[U[u], V[i]]`` concatenated,
    then ``sigmoid(Linear(no bias))``: a score in (0, 1) per (user, item), shape of ``user``."""

    def __init__(self, num_factors, num_users, num_items, nums_hiddens, sparse=False):
        super().__init__()
        self.num_users, self.num_items = num_users, num_items
        self.P = nn.Embedding(num_users, num_factors, sparse=sparse)
        self.Q = nn.Embedding(num_items, num_factors, sparse=sparse)
        self.U = nn.Embedding(num_users, num_factors, sparse=sparse)
        self.V = nn.Embedding(num_items, num_factors, sparse=sparse)
        layers, width = [], 2 * num_factors
        for h in nums_hiddens:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.mlp = nn.Sequential(*layers)
        self.prediction_layer = nn.Linear(num_factors + width, 1, bias=False)
        _init_normal(self)

    def forward(self, user, item):
        _check_ids("NeuMF", "user", user, self.num_users)
        _check_ids("NeuMF", "item", item, self.num_items)
        _check_pair("NeuMF", user, item)
        gmf = self.P(user) * self.Q(item)
        mlp = self.mlp(_cat([self.U(user), self.V(item)], dim=-1))
        return self.prediction_layer(_cat([gmf, mlp], dim=-1)).sigmoid().squeeze(-1)


class FactorizationMachine(nn.Module):
    """Factorization machine (d2l's ``FM``) on categorical fields: ``x`` is ``(batch, num_fields)`` with
    field ``f``'s value in ``[0, field_dims[f])``; returns ``sigmoid`` of the FM score, shape (batch,)."""

    def __init__(self, field_dims, num_factors):
        super().__init__()
        field_dims = [int(d) for d in field_dims]
        if not field_dims or min(field_dims) <= 0:
            raise error(ValueError, type(self).__name__, f"field_dims must be positive sizes, got {field_dims}",
                        "field_dims: cuántos valores distintos tiene cada campo (enteros > 0)")
        self.field_dims = field_dims
        offsets = [0]
        for d in field_dims[:-1]:
            offsets.append(offsets[-1] + d)
        # field f's value v is feature offsets[f] + v of one shared table (d2l adds these in the data)
        self.register_buffer("offsets", tensor(offsets), persistent=False)
        self.register_buffer("field_sizes", tensor(field_dims), persistent=False)
        num_inputs = sum(field_dims)
        self.embedding = nn.Embedding(num_inputs, num_factors)
        self.fc = nn.Embedding(num_inputs, 1)
        self.linear_layer = nn.Linear(1, 1)
        _init_normal(self)

    def _features(self, x):
        name = type(self).__name__
        if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != len(self.field_dims):
            got = shape_str(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise error(RuntimeError, name, f"expected x of shape (batch, num_fields={len(self.field_dims)}), "
                        f"got {got}", "una fila por ejemplo, una columna por campo (el índice de su valor)")
        _check_ids(name, "feature", x, None)  # the upper bound is per field, below
        bad = (x >= self.field_sizes).any(0)
        if bool(bad.any()):
            f = int(bad.long().argmax())
            raise error(IndexError, name, f"field {f} has {self.field_dims[f]} values, got index "
                        f"{int(x[:, f].max())}", "cada campo se indexa desde 0 dentro de su propio rango")
        return x + self.offsets

    def _fm(self, x):
        embed_x = self.embedding(x)                               # (batch, fields, k)
        square_of_sum = embed_x.sum(1) ** 2                       # (sum_i v_if)^2
        sum_of_square = (embed_x ** 2).sum(1)                     # sum_i v_if^2
        linear = self.linear_layer(self.fc(x).sum(1))             # (batch, 1)
        return embed_x, linear + 0.5 * (square_of_sum - sum_of_square).sum(1, keepdim=True)

    def forward(self, x):
        _, score = self._fm(self._features(x))
        return score.sigmoid().squeeze(-1)


class DeepFM(FactorizationMachine):
    """d2l's DeepFM: the FM score plus an MLP (ReLU, dropout) on the concatenated field embeddings."""

    def __init__(self, field_dims, num_factors, mlp_dims, drop_rate=0.1):
        super().__init__(field_dims, num_factors)
        layers, width = [], len(self.field_dims) * num_factors
        for dim in mlp_dims:
            layers += [nn.Linear(width, dim), nn.ReLU(), nn.Dropout(drop_rate)]
            width = dim
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)
        _init_normal(self)

    def forward(self, x):
        embed_x, score = self._fm(self._features(x))
        return (score + self.mlp(embed_x.flatten(1))).sigmoid().squeeze(-1)
