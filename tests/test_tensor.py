"""Tensor creation, dtypes and promotion, attributes, printing, interop."""
import pickle

import numpy as np
import pytest

import profundo as pf


def test_creation_dtypes_like_torch():
    assert pf.tensor([1.0, 2.0]).dtype is pf.float32
    assert pf.tensor([1, 2]).dtype is pf.int64
    assert pf.tensor([True, False]).dtype is pf.bool
    assert pf.tensor([1, 2.5]).dtype is pf.float32
    assert pf.tensor(np.array([1.0])).dtype is pf.float64  # NumPy arrays keep their dtype
    assert pf.tensor(3.5).shape == () and pf.tensor(3.5).item() == 3.5
    assert pf.tensor([[1, 2], [3, 4]], dtype=pf.float64).dtype is pf.float64
    assert pf.tensor([1], dtype=float).dtype is pf.float64
    assert pf.zeros(2, 3).shape == (2, 3) and pf.ones((2, 3)).dtype is pf.float32
    assert pf.full((2,), 7).dtype is pf.int64 and pf.full((2,), 7.0).dtype is pf.float32
    assert pf.arange(5).dtype is pf.int64 and pf.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert pf.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert pf.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert pf.empty(0, 3).shape == (0, 3)
    x = pf.tensor([[1, 2]])
    assert pf.zeros_like(x).dtype is pf.int64 and pf.ones_like(x, dtype=pf.float32).dtype is pf.float32
    assert pf.full_like(x, 3).tolist() == [[3, 3]]
    assert pf.tensor([pf.tensor(1.0), pf.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_creation_errors():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.object_"):
        pf.tensor(np.array(["a", 1], dtype=object))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        pf.from_numpy([1, 2])
    with pytest.raises(ValueError, match="Pista"):
        pf.tensor([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="negative dimension"):
        pf.zeros(-1)
    with pytest.raises(RuntimeError, match="cuda"):
        pf.zeros(2, device="cuda")


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.zeros(3, np.float32)
    t = pf.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5
    c = pf.tensor(a)
    a[1] = 7
    assert c[1].item() == 0
    assert pf.as_tensor(a).numpy() is a
    assert np.shares_memory(t.numpy(), a)


@pytest.mark.parametrize("a,b", [
    ("int64", "float32"), ("int32", "float64"), ("bool", "int64"), ("uint8", "int8"), ("float16", "float32"),
    ("int32", "int64"), ("bool", "float16"), ("int64", "float16")])
def test_promotion_between_tensors(a, b):
    torch = pytest.importorskip("torch")
    for sa, sb in [((2,), (2,)), ((), (2,)), ((2,), ())]:
        x = pf.ones(sa, dtype=getattr(pf, a if a != "bool" else "bool"))
        y = pf.ones(sb, dtype=getattr(pf, b if b != "bool" else "bool"))
        tx = torch.ones(sa, dtype=getattr(torch, a))
        ty = torch.ones(sb, dtype=getattr(torch, b))
        assert (x + y).dtype.name == str((tx + ty).dtype).split(".")[-1], (a, b, sa, sb)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"])
@pytest.mark.parametrize("scalar", [True, 2, 2.5])
def test_python_scalars_do_not_upcast(dtype, scalar):
    torch = pytest.importorskip("torch")
    x = pf.ones(2, dtype=getattr(pf, dtype))
    tx = torch.ones(2, dtype=getattr(torch, dtype))
    assert (x * scalar).dtype.name == str((tx * scalar).dtype).split(".")[-1]


def test_integer_division_gives_float():
    assert (pf.tensor([1, 2]) / 2).dtype is pf.float32
    assert (pf.tensor([3, 4]) // 2).tolist() == [1, 2]
    assert (pf.tensor([-3, 4]) % 3).tolist() == [0, 1]
    assert pf.exp(pf.tensor([0])).dtype is pf.float32


def test_conversions():
    x = pf.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2] and x.int().dtype is pf.int32
    assert x.double().dtype is pf.float64 and x.half().dtype is pf.float16
    assert x.bool().tolist() == [True, True] and x.to(pf.float64).dtype is pf.float64
    assert x.to("cpu") is x and x.float() is x
    assert x.to(pf.tensor([1], dtype=pf.int64)).dtype is pf.int64
    assert x.type() == "profundo.FloatTensor"
    with pytest.raises(RuntimeError, match="CUDA"):
        x.cuda()


def test_attributes():
    x = pf.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24 and len(x) == 2
    assert str(x.device) == "cpu" and x.device == pf.device("cpu")
    assert repr(x.shape) == "profundo.Size([2, 3, 4])" and x.shape.numel() == 24
    assert x.T.shape == (4, 3, 2) and x.mT.shape == (2, 4, 3)
    assert [t.shape for t in pf.zeros(3, 2)] == [(2,), (2,), (2,)]
    assert pf.tensor([[1, 2]]).is_contiguous() and not pf.zeros(2, 3).t().is_contiguous()
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(pf.tensor(1.0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)


def test_scalars_and_bool():
    assert float(pf.tensor(2.5)) == 2.5 and int(pf.tensor(3)) == 3
    assert bool(pf.tensor([1])) and not bool(pf.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(pf.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        pf.tensor([1, 2]).item()
    assert [1, 2, 3][pf.tensor(1)] == 2  # __index__
    assert f"{pf.tensor(3.14159):.2f}" == "3.14"
    assert 2 in pf.tensor([1, 2, 3])


def test_numpy_interop():
    x = pf.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        x.numpy()
    assert isinstance(x.detach().numpy(), np.ndarray)
    arr = np.asarray(pf.tensor([1, 2]))
    assert arr.tolist() == [1, 2]
    # ndarray + Tensor stays a Tensor, in the graph
    y = np.array([10.0, 20.0], np.float32) + x
    assert isinstance(y, pf.Tensor) and y.requires_grad
    z = np.ones(2, np.float32) * x
    z.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.asarray(pf.tensor([1.0]), dtype=np.float64)
        np.array(pf.tensor([1.0]), copy=True)


def test_dlpack_zero_copy():
    a = pf.arange(6, dtype=pf.float32)
    b = np.from_dlpack(a)
    b[0] = 42
    assert a[0].item() == 42
    c = pf.from_dlpack(np.arange(3.0))
    assert c.dtype is pf.float64 and c.tolist() == [0.0, 1.0, 2.0]
    torch = pytest.importorskip("torch")
    t = torch.arange(4, dtype=torch.float32)
    p = pf.from_dlpack(t)
    t[1] = 9
    assert p[1].item() == 9
    back = torch.from_dlpack(p)
    back[2] = -1
    assert p[2].item() == -1


def test_repr_like_torch():
    torch = pytest.importorskip("torch")
    cases = [[1.0, 2.5, 3.0], [1.0, 2.0], [[1, 2], [3, 4]], [True, False], 3.5, [1e-5, 1.0], [1e10, 1.0],
             [float("nan"), 1.0, float("inf")], []]
    for c in cases:
        assert repr(pf.tensor(c)) == repr(torch.tensor(c)).replace("torch.", "profundo."), c
    assert repr(pf.tensor([1.0], dtype=pf.float64)) == "tensor([1.], dtype=profundo.float64)"
    assert repr(pf.tensor([1, 2], dtype=pf.int32)) == "tensor([1, 2], dtype=profundo.int32)"
    assert repr(pf.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(pf.zeros(0, 3)) == "tensor([], size=(0, 3))"


def test_pickle_and_deepcopy():
    import copy
    x = pf.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == [1.0, 2.0] and y.requires_grad and y.is_leaf
    z = copy.deepcopy(x)
    assert z.requires_grad and not np.shares_memory(z.detach().numpy(), x.detach().numpy())
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)


def test_view_errors_and_shapes():
    x = pf.arange(12).reshape(3, 4)
    with pytest.raises(RuntimeError, match=r"Use \.reshape\(\.\.\.\) instead"):
        x.t().view(12)
    with pytest.raises(RuntimeError, match="invalid for input of size 12"):
        x.reshape(5, -1)
    assert x.view(-1).shape == (12,) and x.flatten().shape == (12,)
    assert x.unsqueeze(0).squeeze().shape == (3, 4)


def test_matmul_error_message_names_shapes_and_hint():
    with pytest.raises(RuntimeError) as e:
        pf.zeros(64, 784) @ pf.zeros(256, 10)
    msg = str(e.value)
    assert "matmul: shapes (64, 784) and (256, 10) cannot be multiplied (784 != 256)" in msg
    assert "Pista: la dimensión interna debe coincidir" in msg


def test_broadcast_error_message():
    with pytest.raises(RuntimeError) as e:
        pf.zeros(2, 3) + pf.zeros(4)
    assert "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1" in str(e.value)
    assert "Pista:" in str(e.value)


def test_dtype_mismatch_in_matmul_is_explained():
    with pytest.raises(RuntimeError, match="same dtype.*\n.*Pista"):
        pf.zeros(2, 2) @ pf.zeros(2, 2, dtype=pf.float64)


def test_indexing_errors_are_explained():
    x = pf.zeros(3)
    with pytest.raises(IndexError, match="out of bounds.*\n.*Pista"):
        x[5]
    with pytest.raises(IndexError, match="tensors used as indices must be long"):
        x[pf.tensor([0.0])]


def test_default_dtype():
    pf.set_default_dtype(pf.float64)
    try:
        assert pf.tensor([1.0]).dtype is pf.float64 and pf.zeros(1).dtype is pf.float64
        assert (pf.tensor([1]) * 1.5).dtype is pf.float64
    finally:
        pf.set_default_dtype(pf.float32)
    with pytest.raises(TypeError, match="floating-point"):
        pf.set_default_dtype(pf.int64)


def test_dataframe_to_tensor():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, None], "b": [True, False], "c": [1, 2]})
    t = pf.tensor(df)
    assert t.dtype is pf.float32 and t.shape == (2, 3) and np.isnan(t[1, 0].item())
    assert pf.tensor(df[["b"]]).dtype is pf.bool
    assert pf.tensor(df[["b", "c"]], dtype=pf.float32).tolist() == [[1.0, 1.0], [0.0, 2.0]]
    with pytest.raises(TypeError, match=r"non-numeric columns \['s'\].*\n.*Pista"):
        pf.tensor(pd.DataFrame({"s": ["x", "y"], "n": [1, 2]}))


def test_cat_of_zero_dimensional_tensors_is_refused_like_torch():
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\) cannot be concatenated"):
        pf.cat([pf.tensor([1.0]), pf.tensor(2.0)])
    assert pf.stack([pf.tensor(1.0), pf.tensor(2.0)]).tolist() == [1.0, 2.0]
