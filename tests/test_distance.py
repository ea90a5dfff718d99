"""F.cosine_similarity / F.pairwise_distance and their modules beyond the registry's samples: a zero vector
(the norm clamped at eps without a gradient, as PyTorch), integer inputs, and broadcast_tensors' error."""
import numpy as np
import pytest

import profundo

torch = pytest.importorskip("torch")


def test_cosine_similarity_with_a_zero_row_matches_torch_values_and_gradients():
    a = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    b = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    x1, x2 = profundo.tensor(a, requires_grad=True), profundo.tensor(b, requires_grad=True)
    t1, t2 = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = profundo.nn.functional.cosine_similarity(x1, x2)
    ref = torch.nn.functional.cosine_similarity(t1, t2)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    (out * profundo.tensor([1.0, 2.0], dtype=profundo.float64)).sum().backward()
    (ref * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(x1.grad.numpy(), t1.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x2.grad.numpy(), t2.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_cosine_similarity_refuses_integer_inputs_as_torch():
    with pytest.raises(RuntimeError, match="floating point") as e:
        profundo.nn.functional.cosine_similarity(profundo.tensor([[1, 2]]), profundo.tensor([[1, 0]]))
    assert "Pista" in str(e.value)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.nn.functional.cosine_similarity(torch.tensor([[1, 2]]), torch.tensor([[1, 0]]))
    mixed = profundo.nn.functional.cosine_similarity(profundo.tensor([[1, 2]]), profundo.tensor([[1.0, 0.0]]))
    ref = torch.nn.functional.cosine_similarity(torch.tensor([[1, 2]]), torch.tensor([[1.0, 0.0]]))
    np.testing.assert_allclose(mixed.numpy(), ref.numpy(), rtol=1e-6)


def test_modules_match_functional_and_torch():
    a, b = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    for ours, theirs in [(profundo.nn.CosineSimilarity(dim=0, eps=1e-6), torch.nn.CosineSimilarity(dim=0, eps=1e-6)),
                         (profundo.nn.PairwiseDistance(p=1.0, keepdim=True),
                          torch.nn.PairwiseDistance(p=1.0, keepdim=True))]:
        got = ours(profundo.tensor(a), profundo.tensor(b)).numpy()
        want = theirs(torch.tensor(a), torch.tensor(b)).numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert repr(ours) == repr(theirs)


def test_broadcast_tensors_names_the_shapes_that_do_not_broadcast():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(5\)"):
        profundo.broadcast_tensors(profundo.ones(2, 3), profundo.ones(3), profundo.ones(5))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(5\)"):
        torch.broadcast_tensors(torch.ones(2, 3), torch.ones(3), torch.ones(5))
