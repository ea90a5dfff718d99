"""Embedding layers (Unit 3, issue 13): nn.Embedding, nn.EmbeddingBag."""
from ..._device import check_device
from ..._errors import error
from ...autograd.grad_mode import no_grad
from ...creation import empty
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding"]


def _padding_index(padding_idx, num_embeddings):
    """``padding_idx`` as a row number (a negative one counts from the end), checked."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise error(AssertionError, "Embedding", f"Padding_idx must be within num_embeddings (padding_idx="
                    f"{padding_idx}, num_embeddings={num_embeddings})",
                    f"padding_idx va de {-num_embeddings} a {num_embeddings - 1}")
    return padding_idx + num_embeddings if padding_idx < 0 else padding_idx


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
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise error(AssertionError, "Embedding", "Shape of weight does not match num_embeddings and "
                            f"embedding_dim (weight {tuple(_weight.shape)}, expected "
                            f"{(num_embeddings, embedding_dim)})", "la tabla debe ser (num_embeddings, embedding_dim)")
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
