"""Bad input never reaches the user as a bare NumPy error: every failure is
an explained error naming the op, with a Spanish hint."""
import numpy as np
import pytest

import profundo as pf
from profundo._errors import CheckedError

A = pf.randn(2, 3)
B = pf.randn(4)
IDX = pf.tensor([0, 5])
M = pf.tensor([True, False])

CASES = {
    "add shapes": lambda: A + B, "add str": lambda: A + "x", "mul list": lambda: A * [1, 2],
    "matmul 1d mismatch": lambda: B @ A, "reshape bad": lambda: A.reshape(7), "view noncontig": lambda: A.t().view(6),
    "sum dim": lambda: A.sum(5), "mean int": lambda: pf.tensor([1, 2]).mean(), "index oob": lambda: A[5],
    "index too many": lambda: A[0, 0, 0], "index float": lambda: A[pf.tensor([0.5])],
    "setitem shape": lambda: A.__setitem__(0, pf.ones(5)), "cat dims": lambda: pf.cat([A, B]),
    "stack shapes": lambda: pf.stack([A, B]), "expand bad": lambda: B.expand(3, 5), "permute bad": lambda: A.permute(0),
    "transpose dim": lambda: A.transpose(0, 4), "squeeze dim": lambda: A.squeeze(4),
    "gather idx": lambda: A.gather(1, IDX.reshape(1, 2)), "index_select oob": lambda: A.index_select(1, IDX),
    "softmax dim": lambda: A.softmax(3), "masked_fill shape": lambda: A.masked_fill(pf.tensor([[True], [False], [True]]), 0),
    "where cond": lambda: pf.where(A, A, A), "split bad": lambda: A.split([1, 1], 1), "chunk 0": lambda: A.chunk(0),
    "repeat bad": lambda: A.repeat(2), "flip dim": lambda: A.flip(3), "roll mismatch": lambda: A.roll((1, 2), (0,)),
    "einsum bad": lambda: pf.einsum("ij,jk->ik", A, A), "einsum count": lambda: pf.einsum("ij->j", A, A),
    "dot 2d": lambda: pf.dot(A, A), "mm 1d": lambda: pf.mm(B, A), "bmm 2d": lambda: pf.bmm(A, A),
    "norm str": lambda: A.norm(p="nuc"), "tensor ragged": lambda: pf.tensor([[1], [1, 2]]),
    "tensor str": lambda: pf.tensor(["a"]), "zeros neg": lambda: pf.zeros(-1), "randint bad": lambda: pf.randint(5, 2, (3,)),
    "arange step0": lambda: pf.arange(0, 1, 0), "int requires grad": lambda: pf.tensor([1, 2], requires_grad=True),
    "to cuda": lambda: A.to("cuda"), "item multi": lambda: A.item(), "bool multi": lambda: bool(A),
    "diag 3d": lambda: pf.diag(pf.zeros(2, 2, 2)), "tril 1d": lambda: B.tril(),
    "scatter idx dtype": lambda: A.scatter(1, pf.tensor([[0.5]]), 1.0), "clamp none": lambda: A.clamp(),
    "unflatten bad": lambda: A.unflatten(1, (2, 2)), "narrow oob": lambda: A.narrow(1, 2, 5),
    "select oob": lambda: A.select(0, 5), "pow int neg": lambda: pf.tensor([2]) ** -1,
    "div_ int": lambda: pf.tensor([2]).div_(2), "add_ shape": lambda: B.add_(A), "sub bool": lambda: M - M,
    "neg bool": lambda: -M, "bitwise float": lambda: A & A, "multinomial neg": lambda: pf.multinomial(pf.tensor([-1.0, 1.0]), 1),
    "normal std": lambda: pf.normal(0, -1, (2,)), "matmul dtype": lambda: A @ pf.randn(3, 2, dtype=pf.float64),
    "take_along bad": lambda: A.take_along_dim(pf.tensor([[9]]), 1), "var int": lambda: pf.tensor([1, 2]).var(),
    "cumsum dim": lambda: A.cumsum(2), "max empty": lambda: pf.zeros(0).max(), "argmax empty": lambda: pf.zeros(0).argmax(),
    "flatten args": lambda: A.flatten(1, 0), "movedim bad": lambda: A.movedim(0, 5),
    "repeat_interleave bad": lambda: A.repeat_interleave(pf.tensor([1, 2, 3]), 0), "lerp shapes": lambda: A.lerp(B, 0.5),
    "maximum shapes": lambda: pf.maximum(A, B), "eq shapes": lambda: A == B, "index_add bad": lambda: A.index_add(0, IDX, A),
    "view dtype bad": lambda: A.view("nope"), "from_numpy obj": lambda: pf.from_numpy(np.array(["a"], dtype=object)),
    "backward twice": lambda: _backward_twice(), "grad non scalar": lambda: (pf.ones(2, requires_grad=True) * 2).backward(),
}


def _backward_twice():
    y = pf.ones(2, requires_grad=True).exp().sum()
    y.backward()
    y.backward()


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_explained(name):
    with pytest.raises(CheckedError) as e:
        CASES[name]()
    assert "Pista:" in str(e.value), str(e.value)
