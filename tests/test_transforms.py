"""profundo.transforms against PyTorch (F.interpolate for Resize) and against plain NumPy."""
import numpy as np
import pytest

import profundo
from profundo import transforms as T
from profundo._errors import is_checked

rng = np.random.default_rng(0)


@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("src,dst", [((8, 8), (28, 28)), ((28, 28), (8, 8)), ((10, 7), (5, 13)), ((5, 5), (5, 5)),
                                     ((1, 4), (3, 2)), ((9, 12), (4, 5)), ((33, 17), (16, 16))])
def test_resize_tensor_like_torch_interpolate(src, dst, antialias):
    torch = pytest.importorskip("torch")
    x = rng.random((3, *src), dtype=np.float32)
    ours = T.Resize(dst, antialias=antialias)(profundo.tensor(x))
    theirs = torch.nn.functional.interpolate(torch.tensor(x)[None], size=dst, mode="bilinear",
                                             align_corners=False, antialias=antialias)[0]
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == profundo.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_resize_arrays_uint8_channels_last_and_shorter_side_rule():
    torch = pytest.importorskip("torch")
    img = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    out = T.Resize(10)(img)  # shorter side 20 -> 10, so 30 -> 15; channels stay last
    assert out.shape == (10, 15, 3) and out.dtype == np.uint8
    ref = torch.nn.functional.interpolate(torch.tensor(img).permute(2, 0, 1)[None].float(), size=(10, 15),
                                          mode="bilinear", align_corners=False, antialias=True)[0]
    np.testing.assert_array_equal(out, ref.round().clamp(0, 255).byte().permute(1, 2, 0).numpy())
    assert T.Resize(12)(np.zeros((30, 20))).shape == (18, 12)
    assert T.Resize(12, max_size=15)(np.zeros((10, 40))).shape == (3, 15)
    assert tuple(T.Resize((4, 6))(profundo.zeros(2, 1, 8, 8)).shape) == (2, 1, 4, 6)


def test_to_tensor_and_normalize():
    torch = pytest.importorskip("torch")
    img = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    x = T.ToTensor()(img)
    ref = torch.tensor(img).permute(2, 0, 1).float() / 255
    assert tuple(x.shape) == (3, 5, 7) and x.dtype == profundo.float32
    np.testing.assert_allclose(x.numpy(), ref.numpy(), rtol=1e-6)
    grey = T.ToTensor()(img[:, :, 0])
    assert tuple(grey.shape) == (1, 5, 7)
    floats = T.ToTensor()(np.full((2, 2), 3.0))  # non-uint8 arrays are not rescaled, as in torchvision
    assert floats.dtype == profundo.float64 and float(floats.max()) == 3.0
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.5)
    y = T.Normalize(mean, std)(x)
    ref_y = (ref - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(y.numpy(), ref_y.numpy(), rtol=1e-5, atol=1e-6)
    batch = T.Normalize((0.5,), (0.5,))(profundo.ones(4, 1, 2, 2))
    assert float(batch.max()) == 1.0
    same = T.Normalize(mean, std, inplace=True)
    assert same(x) is x


@pytest.mark.parametrize("make,exc", [
    (lambda: T.Normalize((0.5,), (0.0,))(profundo.ones(1, 2, 2)), ValueError),
    (lambda: T.Normalize((0.5,), (0.5,))(profundo.ones(1, 2, 2, dtype=profundo.uint8)), TypeError),
    (lambda: T.Normalize((0.5,), (0.5,))(np.ones((1, 2, 2))), TypeError),
    (lambda: T.Normalize((0.5, 0.5), (0.5, 0.5))(profundo.ones(3, 2, 2)), ValueError),
    (lambda: T.Normalize((0.5,), (0.5,))(profundo.ones(2, 2)), ValueError),
    (lambda: T.ToTensor()(profundo.ones(1, 2, 2)), TypeError),
    (lambda: T.ToTensor()([[1, 2]]), TypeError),
    (lambda: T.Resize(0), TypeError),
    (lambda: T.Resize(4, interpolation="nearest"), ValueError),
    (lambda: T.RandomCrop(10)(np.zeros((4, 4))), ValueError),
    (lambda: T.Lambda(3), TypeError),
    (lambda: T.Resize(4)(np.zeros((2, 2, 2, 2))), ValueError),
])
def test_transform_errors_are_explained(make, exc):
    with pytest.raises(exc) as e:
        make()
    assert is_checked(e.value) and "Pista" in str(e.value)


def test_crops_and_flips():
    img = np.arange(6 * 8, dtype=np.uint8).reshape(6, 8)
    np.testing.assert_array_equal(T.CenterCrop(4)(img), img[1:5, 2:6])
    np.testing.assert_array_equal(T.CenterCrop((2, 3))(profundo.tensor(img[None])).numpy()[0], img[2:4, 2:5])
    padded = T.CenterCrop(10)(img)
    assert padded.shape == (10, 10) and padded.sum() == img.sum()
    for _ in range(20):
        crop = T.RandomCrop(3)(img)
        r, c = divmod(int(crop[0, 0]), 8)
        np.testing.assert_array_equal(crop, img[r:r + 3, c:c + 3])
    with_pad = T.RandomCrop(8, padding=1)(img)
    assert with_pad.shape == (8, 8)
    assert T.RandomCrop(10, pad_if_needed=True)(img).shape == (10, 10)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(img), img[:, ::-1])
    np.testing.assert_array_equal(T.RandomVerticalFlip(p=1.0)(img), img[::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    x = profundo.tensor(img[None].astype(np.float32))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy()[0], img[:, ::-1])
    rgb = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(rgb), rgb[:, ::-1])
    flips = [bool((T.RandomHorizontalFlip()(img) != img).any()) for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_random_resized_crop_and_reproducibility():
    img = rng.random((3, 40, 30)).astype(np.float32)
    t = T.RandomResizedCrop(16)
    outs = [t(profundo.tensor(img)) for _ in range(5)]
    assert all(tuple(o.shape) == (3, 16, 16) for o in outs)
    for _ in range(50):
        top, left, h, w = t.get_params(40, 30)
        assert 0 <= top and top + h <= 40 and 0 <= left and left + w <= 30
        assert 0.08 * 1200 * 0.9 <= h * w <= 1200
    aug = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(), T.Lambda(lambda x: x * 2)])
    profundo.manual_seed(3)
    a = aug(profundo.tensor(img))
    profundo.manual_seed(3)
    b = aug(profundo.tensor(img))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert "RandomHorizontalFlip(p=0.5)" in repr(aug)


def test_d2l_fashion_mnist_pipeline_on_digits():
    """d2l's transform (Resize then ToTensor) on real digits, through a DataLoader."""
    pytest.importorskip("sklearn")
    from profundo.datasets import Digits
    from profundo.utils.data import DataLoader
    trans = T.Compose([T.Resize(28), T.ToTensor()])
    data = Digits(train=True, transform=trans)
    X, y = next(iter(DataLoader(data, batch_size=32, shuffle=True)))
    assert tuple(X.shape) == (32, 1, 28, 28) and X.dtype == profundo.float32 and y.dtype == profundo.int64
    assert 0.0 <= float(X.min()) and float(X.max()) <= 1.0
