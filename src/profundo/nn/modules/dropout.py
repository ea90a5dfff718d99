"""``Dropout``, ``Dropout1d`` and ``Dropout2d``: active in ``train()`` mode, the identity in ``eval()`` mode.

``Dropout`` zeroes single values; ``Dropout1d``/``Dropout2d`` zero whole channels (a feature map of a
convolution), since neighbouring pixels of one map are correlated and dropping single pixels would
hardly regularize."""
from ..._errors import error
from .. import functional as F
from .module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise error(ValueError, type(self).__name__, f"dropout probability has to be between 0 and 1, but got {p}",
                        "p es la probabilidad de apagar cada neurona: un número entre 0 y 1")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) with probability ``p`` (the rest scaled by 1/(1-p))."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole feature maps of (N, C, H, W) with probability ``p`` (the rest scaled by 1/(1-p))."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)
