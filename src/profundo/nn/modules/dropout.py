"""``Dropout``: active in ``train()`` mode, the identity in ``eval()`` mode."""
from ..._errors import error
from .. import functional as F
from .module import Module


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise error(ValueError, "Dropout", f"dropout probability has to be between 0 and 1, but got {p}",
                        "p es la probabilidad de apagar cada neurona: un número entre 0 y 1")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
