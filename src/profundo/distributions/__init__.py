"""Probability distributions with ``torch.distributions``' names and semantics.

    >>> from profundo.distributions import Normal, Categorical, Multinomial
    >>> Multinomial(10, probs=profundo.ones(6) / 6).sample()   # d2l: ten rolls of a die

``sample`` draws without gradient; ``rsample`` (Normal, Uniform, Exponential)
lets gradients flow to the parameters.  Parameters and ``log_prob`` values
are checked like PyTorch does.  Draws use profundo's generator, so
``profundo.manual_seed`` repeats them.  One module per distribution, as in
torch (``from profundo.distributions.multinomial import Multinomial`` works).
"""
from .bernoulli import Bernoulli  # noqa: F401
from .categorical import Categorical  # noqa: F401
from .distribution import Distribution  # noqa: F401
from .exponential import Exponential  # noqa: F401
from .multinomial import Multinomial  # noqa: F401
from .normal import Normal  # noqa: F401
from .uniform import Uniform  # noqa: F401
