"""Embedding layers (Unit 3, issue 13): nn.Embedding, nn.EmbeddingBag."""
from ..._device import check_device
from ..._errors import error
from ...autograd.grad_mode import no_grad
from ...creation import empty
from ...ops.embedding import padding_row
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


def _padding_index(padding_idx, num_embeddings):
    return padding_row(padding_idx, num_embeddings, "Embedding")


def _check_table(weight, num_embeddings, embedding_dim, op):
    """A given ``_weight`` must be the (num_embeddings, embedding_dim) table (PyTorch's AssertionError)."""
    if list(weight.shape) != [num_embeddings, embedding_dim]:
        raise error(AssertionError, op, "Shape of weight does not match num_embeddings and embedding_dim "
                    f"(weight {tuple(weight.shape)}, expected {(num_embeddings, embedding_dim)})",
                    "la tabla debe ser (num_embeddings, embedding_dim)")


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``: the input
    (integer indices, any shape) selects rows, giving ``input.shape + (embedding_dim,)``.

    The weight starts as N(0, 1), its ``padding_idx`` row (if any) zero; that row never
    gets a gradient (it stays as it is during training).  ``max_norm``: each row read is
    first renormalized in place to norm at most ``max_norm``.  ``sparse=True``: the
    weight's gradient is row-sparse (``profundo.sparse.RowSparseTensor``), for
    ``optim.SGD``/``Adagrad`` to update only the rows read."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        if device is not None:
            check_device(device, "Embedding")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            _check_table(_weight, num_embeddings, embedding_dim, "Embedding")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An ``Embedding`` whose weight is ``embeddings`` (a 2-D tensor, shared, not copied);
        ``freeze=True``: it is not trained (``weight.requires_grad`` False)."""
        if embeddings.dim() != 2:
            raise error(AssertionError, "Embedding.from_pretrained", "Embeddings parameter is expected to be "
                        f"2-dimensional (got shape {tuple(embeddings.shape)})",
                        "pasa una matriz (num_embeddings, embedding_dim)")
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Module):
    """The sum, mean or max of bags of embeddings (``F.embedding_bag``): ``forward(input,
    offsets=None, per_sample_weights=None)`` with ``input`` 2-D (one bag per row) or 1-D with
    ``offsets`` (where each bag starts).  The weight starts as N(0, 1), its ``padding_idx`` row zero;
    indices equal to ``padding_idx`` are left out of their bag."""

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None, device=None,
                 dtype=None):
        super().__init__()
        if device is not None:
            check_device(device, "EmbeddingBag")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.padding_idx = _padding_index(padding_idx, num_embeddings)
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype))
            self.reset_parameters()
        else:
            _check_table(_weight, num_embeddings, embedding_dim, "EmbeddingBag")
            self.weight = Parameter(_weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    reset_parameters = Embedding.reset_parameters
    _fill_padding_idx_with_zero = Embedding._fill_padding_idx_with_zero

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode='{self.mode}'"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        if embeddings.dim() != 2:
            raise error(AssertionError, "EmbeddingBag.from_pretrained", "Embeddings parameter is expected to be "
                        f"2-dimensional (got shape {tuple(embeddings.shape)})",
                        "pasa una matriz (num_embeddings, embedding_dim)")
        rows, cols = embeddings.shape
        bag = cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, max_norm=max_norm,
                  norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
