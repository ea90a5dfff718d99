"""d2l chapter 2 (Preliminaries), PyTorch edition: the book's code, run with
``torch = profundo``.  Each snippet returns what the book prints; with PyTorch
installed the same snippet runs on torch and the results must agree."""
import numpy as np
import pytest

import profundo


def data_manipulation(torch):
    out = []
    x = torch.arange(12, dtype=torch.float32)
    out += [x, x.numel(), x.shape]
    X = x.reshape(3, 4)
    out += [X, torch.zeros((2, 3, 4)), torch.ones((2, 3, 4)), torch.randn(3, 4).shape]
    out.append(torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]))
    out += [X[-1], X[1:3]]
    X[1, 2] = 17
    out.append(X)
    X[:2, :] = 12
    out += [X, torch.exp(x)]
    x = torch.tensor([1.0, 2, 4, 8])
    y = torch.tensor([2, 2, 2, 2])
    out += [x + y, x - y, x * y, x / y, x ** y]
    X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    out += [torch.cat((X, Y), dim=0), torch.cat((X, Y), dim=1), X == Y, X.sum()]
    a = torch.arange(3).reshape((3, 1))
    b = torch.arange(2).reshape((1, 2))
    out += [a + b]
    before = id(Y)
    Y = Y + X
    out.append(id(Y) == before)
    Z = torch.zeros_like(Y)
    zid = id(Z)
    Z[:] = X + Y
    out.append(id(Z) == zid)
    before = id(X)
    X += Y
    out.append(id(X) == before)
    A = X.numpy()
    B = torch.from_numpy(A)
    out += [type(A).__name__, B]
    a = torch.tensor([3.5])
    out += [a, a.item(), float(a), int(a)]
    return out


def linear_algebra(torch):
    out = []
    x, y = torch.tensor(3.0), torch.tensor(2.0)
    out += [x + y, x * y, x / y, x ** y]
    x = torch.arange(3)
    out += [x, x[2], len(x), x.shape]
    A = torch.arange(6).reshape(3, 2)
    out += [A, A.T]
    A = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
    out.append(A == A.T)
    out.append(torch.arange(24).reshape(2, 3, 4))
    A = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    B = A.clone()
    out += [A, A + B, A * B]
    a = 2
    X = torch.arange(24).reshape(2, 3, 4)
    out += [a + X, (a * X).shape]
    x = torch.arange(3, dtype=torch.float32)
    out += [x, x.sum(), A.shape, A.sum(), A.sum(axis=0), A.sum(axis=1), A.sum(axis=[0, 1]) == A.sum()]
    out += [A.mean(), A.sum() / A.numel(), A.mean(axis=0), A.sum(axis=0) / A.shape[0]]
    sum_A = A.sum(axis=1, keepdims=True)
    out += [sum_A, sum_A.shape, A / sum_A, A.cumsum(axis=0)]
    y = torch.ones(3, dtype=torch.float32)
    out += [torch.dot(x, y), torch.sum(x * y), torch.mv(A, x), A @ x]
    B = torch.ones(3, 4)
    out += [torch.mm(A, B), A @ B]
    u = torch.tensor([3.0, -4.0])
    out += [torch.norm(u), torch.abs(u).sum(), torch.norm(torch.ones((4, 9)))]
    return out


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def automatic_differentiation(torch):
    out = []
    x = torch.arange(4.0)
    x.requires_grad_(True)
    out.append(x.grad is None)
    y = 2 * torch.dot(x, x)
    out.append(y)
    y.backward()
    out += [x.grad, x.grad == 4 * x]
    x.grad.zero_()
    y = x.sum()
    y.backward()
    out.append(x.grad)
    x.grad.zero_()
    y = x * x
    y.backward(gradient=torch.ones(len(y)))
    out.append(x.grad)
    x.grad.zero_()
    y = x * x
    u = y.detach()
    z = u * x
    z.sum().backward()
    out.append(x.grad == u)
    x.grad.zero_()
    y.sum().backward()
    out.append(x.grad == 2 * x)
    a = torch.tensor(0.37, requires_grad=True)  # the book uses randn(size=()): a fixed value compares exactly
    d = f(a)
    d.backward()
    out.append(a.grad == d / a)
    b = torch.randn(size=(), requires_grad=True)
    f(b).backward()
    out.append(b.grad.shape)
    return out


SNIPPETS = [data_manipulation, linear_algebra, automatic_differentiation]


def _normalize(v):
    if hasattr(v, "detach"):
        arr = v.detach().numpy()
        return ("tensor", str(arr.dtype), arr.shape, arr.tolist())
    if isinstance(v, tuple):  # Size
        return ("shape", tuple(v))
    return ("value", v)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.__name__)
def test_runs_on_profundo(snippet):
    results = snippet(profundo)
    assert results and all(r is not None for r in results)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.__name__)
def test_same_results_as_pytorch(snippet):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = [_normalize(v) for v in snippet(profundo)]
    ref = [_normalize(v) for v in snippet(torch)]
    assert len(ours) == len(ref)
    for i, (o, r) in enumerate(zip(ours, ref)):
        if o[0] == "tensor" and r[0] == "tensor":
            assert o[1:3] == r[1:3], (i, o, r)
            np.testing.assert_allclose(np.asarray(o[3], dtype=float), np.asarray(r[3], dtype=float), rtol=1e-6,
                                       err_msg=f"result {i}")
        else:
            assert o == r, (i, o, r)
