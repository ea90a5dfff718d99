"""All parameters as one flat vector, and back."""
from ...ops import FUNCTIONS


def parameters_to_vector(parameters):
    return FUNCTIONS["cat"]([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    from ...autograd.grad_mode import no_grad
    start = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec[start:start + n].reshape(p.shape))
            start += n
