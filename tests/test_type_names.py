"""``x.type('torch.FloatTensor')``: PyTorch's tensor type names cast as PyTorch does (the book-style code of
older tutorials); a name that is not a type gets a clear ValueError, a CUDA type the device error."""
import pytest

import profundo

torch = pytest.importorskip("torch")

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
         "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_type_name_casts_as_torch(name):
    data = [[0.0, 1.5], [-2.0, 3.0]] if name not in ("ByteTensor", "BoolTensor") else [[0.0, 1.5], [2.0, 3.0]]
    got = profundo.tensor(data).type(f"torch.{name}")
    want = torch.tensor(data).type(f"torch.{name}")
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert got.tolist() == want.tolist()
    assert got.type() == f"profundo.{name}"
    assert profundo.tensor(data).type(f"profundo.{name}").dtype == got.dtype


def test_type_with_a_dtype_and_same_type_is_the_tensor_itself():
    x = profundo.ones(3)
    assert x.type(profundo.float64).dtype == profundo.float64
    assert x.type("torch.FloatTensor") is x  # as torch: no copy when already of that type
    assert torch.ones(3).type("torch.FloatTensor").dtype == torch.float32


def test_torch_tensor_is_the_default_type():
    assert profundo.arange(3).type("torch.Tensor").dtype == profundo.float32
    assert torch.arange(3).type("torch.Tensor").dtype == torch.float32


@pytest.mark.parametrize("bad", ["float", "torch.float64", "numpy.FloatTensor", "torch.cuda.Tensor2"])
def test_a_name_that_is_not_a_type_is_refused_clearly(bad):
    with pytest.raises(ValueError, match="invalid type") as e:
        profundo.ones(2).type(bad)
    assert "torch.FloatTensor" in str(e.value) and "Pista" in str(e.value)
    if bad != "torch.cuda.Tensor2":  # torch refuses these the same way
        with pytest.raises(ValueError, match="invalid type"):
            torch.ones(2).type(bad)


def test_a_cuda_type_gets_the_device_error():
    with pytest.raises(RuntimeError, match="(?i)cuda"):
        profundo.ones(2).type("torch.cuda.FloatTensor")
