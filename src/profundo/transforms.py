"""Image transforms with ``torchvision.transforms``' names.

An image is a NumPy array (H, W) or (H, W, C) -- as data sets and
``np.asarray(pil_image)`` give it -- or, after ``ToTensor``, a tensor (C, H, W).
Every transform accepts both, except ``Normalize`` (tensors only, as in
torchvision).  Random transforms draw from profundo's generator, so
``profundo.manual_seed`` repeats them.

    >>> from profundo import transforms
    >>> t = transforms.Compose([transforms.Resize(32), transforms.ToTensor(),
    ...                         transforms.Normalize((0.5,), (0.5,))])
"""
import numbers

import numpy as np

from ._errors import error
from .random import _rng
from .tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "Lambda", "resize_array"]


def _hw(img):
    """(H, W) of an array image (H, W[, C]) or a tensor (..., H, W)."""
    if isinstance(img, Tensor):
        return tuple(img.shape[-2:])
    return img.shape[:2]


def _check_image(op, img):
    if isinstance(img, Tensor):
        if img.dim() < 2:
            raise error(ValueError, op, f"expected a tensor image (..., H, W), got shape {tuple(img.shape)}",
                        "una imagen tensor tiene forma (C, H, W)")
        return
    if not isinstance(img, np.ndarray):
        if hasattr(img, "__array_interface__"):  # a PIL image
            return
        raise error(TypeError, op, f"img should be a NumPy array (H, W[, C]) or a tensor (C, H, W), got "
                    f"{type(img).__name__}", "convierte la imagen con np.asarray(img)")
    if img.ndim not in (2, 3):
        raise error(ValueError, op, f"expected an array image (H, W) or (H, W, C), got shape {img.shape}",
                    "una imagen NumPy tiene forma (alto, ancho) o (alto, ancho, canales)")


class Compose:
    """Apply several transforms in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({inner}\n)"


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise error(TypeError, "Lambda", f"Argument lambd should be callable, got {type(lambd).__name__}",
                        "pasa una función, p. ej. Lambda(lambda x: x * 2)")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class ToTensor:
    """Array (H, W[, C]) -> float32 tensor (C, H, W); uint8 values are divided by 255."""

    def __call__(self, pic):
        _check_image("ToTensor", pic)
        if isinstance(pic, Tensor):
            raise error(TypeError, "ToTensor", "pic should be PIL Image or ndarray. Got a Tensor",
                        "la imagen ya es un tensor: quita ToTensor() de la composición")
        arr = np.asarray(pic)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        out = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if out.dtype == np.uint8:
            out = out.astype(np.float32) / np.float32(255)
        elif out.dtype == np.bool_:
            out = out.astype(np.float32)
        return Tensor._make(out)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` for each channel c of a float tensor (..., C, H, W)."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise error(TypeError, "Normalize", f"img should be Tensor Image. Got {type(tensor).__name__}",
                        "pon ToTensor() antes de Normalize en Compose")
        if not tensor.is_floating_point():
            raise error(TypeError, "Normalize", f"Input tensor should be a float tensor. Got {tensor.dtype}.",
                        "convierte la imagen a float (ToTensor() o .float()) antes de normalizar")
        if tensor.dim() < 3:
            raise error(ValueError, "Normalize", "Expected tensor to be a tensor image of size (..., C, H, W). "
                        f"Got tensor.size() = {tuple(tensor.shape)}", "una imagen tensor tiene forma (C, H, W)")
        dt = tensor._data.dtype
        mean = np.asarray(self.mean, dtype=dt).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=dt).reshape(-1, 1, 1)
        if np.any(std == 0):
            raise error(ValueError, "Normalize", f"std evaluated to zero after conversion to {tensor.dtype}, "
                        "leading to division by zero.", "ninguna desviación estándar puede ser 0")
        c = tensor.shape[-3]
        if mean.shape[0] not in (1, c) or std.shape[0] not in (1, c):
            raise error(ValueError, "Normalize", f"mean has {mean.shape[0]} and std {std.shape[0]} values, but the "
                        f"image has {c} channels", "da una media y una desviación por canal")
        out = (tensor._data - mean) / std
        if self.inplace:
            tensor._data[...] = out
            tensor._bump_version()
            return tensor
        return Tensor._make(out.astype(dt, copy=False))

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


# ---------------------------------------------------------------- resizing
def _weights(in_size, out_size, antialias):
    """(out_size, in_size) matrix of bilinear interpolation weights (align_corners=False).

    Each output pixel is a weighted mean of the input pixels under a triangle
    centred on it.  The triangle is one input pixel wide on each side; when
    shrinking with ``antialias`` it widens to cover every input pixel that
    falls in the output pixel (PyTorch's and PIL's anti-aliasing).
    """
    scale = in_size / out_size
    support = max(scale, 1.0) if antialias else 1.0
    centers = (np.arange(out_size) + 0.5) * scale
    pixels = np.arange(in_size) + 0.5
    w = np.maximum(0.0, 1.0 - np.abs(pixels[None, :] - centers[:, None]) / support)
    # at the borders part of the triangle falls outside the image: renormalizing
    # gives exactly PyTorch's clamped source coordinate
    return w / w.sum(axis=1, keepdims=True)


def resize_array(images, size, antialias=True):
    """Resize the last two axes (H, W) of a float/uint8 array to ``size`` (bilinear)."""
    h, w = images.shape[-2:]
    oh, ow = size
    wh = _weights(h, oh, antialias).astype(np.float32)
    ww = _weights(w, ow, antialias).astype(np.float32)
    x = images.astype(np.float32, copy=False)
    out = wh @ x @ ww.T
    if images.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(images.dtype, copy=False)


def _target_size(size, h, w, max_size=None):
    if isinstance(size, numbers.Integral):
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = size, int(size * long / short)
        if max_size is not None and new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)
    size = tuple(size)
    if len(size) == 1:
        return _target_size(size[0], h, w, max_size)
    return size


def _apply_hw(img, fn):
    """Run ``fn`` on an array (..., H, W) view of ``img`` and give back the same kind of image."""
    if isinstance(img, Tensor):
        return Tensor._make(fn(img._data))
    arr = np.asarray(img)
    if arr.ndim == 3:  # (H, W, C) -> (C, H, W) and back
        return np.ascontiguousarray(fn(arr.transpose(2, 0, 1)).transpose(1, 2, 0))
    return fn(arr)


class Resize:
    """Resize to ``size`` (h, w), or the shorter side to ``size`` keeping the aspect ratio (bilinear).

    Tensors follow ``torch.nn.functional.interpolate(mode="bilinear",
    align_corners=False, antialias=antialias)``; ``antialias=True`` by default,
    as in torchvision.
    """

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        if str(interpolation).lower().split(".")[-1] != "bilinear":
            raise error(ValueError, "Resize", f"interpolation {interpolation!r} is not supported; only 'bilinear'",
                        "usa la interpolación bilineal (la de por defecto)")
        ok = isinstance(size, numbers.Integral) and size > 0 or \
            isinstance(size, (tuple, list)) and len(size) in (1, 2) and all(
                isinstance(s, numbers.Integral) and s > 0 for s in size)
        if not ok:
            raise error(TypeError, "Resize",
                        f"Size should be int or sequence of one or two positive ints. Got {size!r}",
                        "p. ej. Resize(28) o Resize((28, 28))")
        self.size, self.max_size, self.antialias = size, max_size, antialias

    def __call__(self, img):
        _check_image("Resize", img)
        h, w = _hw(img)
        size = _target_size(self.size, h, w, self.max_size)
        return _apply_hw(img, lambda a: resize_array(a, size, self.antialias))

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation=bilinear, antialias={self.antialias})"


# ---------------------------------------------------------------- crops, flips
def _crop(img, top, left, height, width):
    return _apply_hw(img, lambda a: a[..., top:top + height, left:left + width].copy())


def _pair(size, op):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) in (1, 2):
        return (int(size[0]), int(size[-1]))
    raise error(ValueError, op, f"Please provide only two dimensions (h, w) for size. Got {size!r}",
                "usa un entero o una pareja (alto, ancho)")


class CenterCrop:
    """The central (h, w) region (padded with zeros if the image is smaller)."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        _check_image("CenterCrop", img)
        (h, w), (th, tw) = _hw(img), self.size
        if th > h or tw > w:
            img = _pad(img, max(0, (tw - w + 1) // 2), max(0, (th - h + 1) // 2),
                       max(0, (tw - w) // 2), max(0, (th - h) // 2), 0)
            h, w = _hw(img)
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def _pad(img, left, top, right, bottom, fill):
    def pad(a):
        widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
        return np.pad(a, widths, constant_values=fill)
    return _apply_hw(img, pad)


class RandomCrop:
    """A random (h, w) region, after optional zero padding (data augmentation)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        if padding_mode != "constant":
            raise error(ValueError, "RandomCrop", f"padding_mode {padding_mode!r} is not supported; only 'constant'",
                        "usa padding_mode='constant'")
        self.size = _pair(size, "RandomCrop")
        self.padding, self.pad_if_needed, self.fill = padding, pad_if_needed, fill

    def __call__(self, img):
        _check_image("RandomCrop", img)
        if self.padding is not None:
            p = self.padding
            left, top, right, bottom = (p, p, p, p) if isinstance(p, numbers.Integral) else \
                (p[0], p[1], p[0], p[1]) if len(p) == 2 else tuple(p)
            img = _pad(img, left, top, right, bottom, self.fill)
        (h, w), (th, tw) = _hw(img), self.size
        if self.pad_if_needed and (h < th or w < tw):
            img = _pad(img, max(0, tw - w), max(0, th - h), max(0, tw - w), max(0, th - h), self.fill)
            h, w = _hw(img)
        if h < th or w < tw:
            raise error(ValueError, "RandomCrop", f"Required crop size {(th, tw)} is larger than input image size "
                        f"{(h, w)}", "usa pad_if_needed=True o un tamaño de recorte menor")
        top, left = int(_rng(None).integers(0, h - th + 1)), int(_rng(None).integers(0, w - tw + 1))
        return _crop(img, top, left, th, tw)


class RandomResizedCrop:
    """A random region (area fraction in ``scale``, aspect ratio in ``ratio``) resized to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), antialias=True):
        self.size = _pair(size, "RandomResizedCrop")
        self.scale, self.ratio, self.antialias = scale, ratio, antialias

    def get_params(self, h, w):
        area, rng = h * w, _rng(None)
        log_ratio = np.log(self.ratio)
        for _ in range(10):  # torchvision's rule: 10 tries, then a central crop
            target = area * rng.uniform(*self.scale)
            aspect = np.exp(rng.uniform(*log_ratio))
            cw, ch = int(round(np.sqrt(target * aspect))), int(round(np.sqrt(target / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1)), ch, cw
        in_ratio = w / h
        if in_ratio < min(self.ratio):
            cw, ch = w, int(round(w / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            ch, cw = h, int(round(h * max(self.ratio)))
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def __call__(self, img):
        _check_image("RandomResizedCrop", img)
        top, left, ch, cw = self.get_params(*_hw(img))
        return _apply_hw(_crop(img, top, left, ch, cw), lambda a: resize_array(a, self.size, self.antialias))


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``."""

    axis = -1

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        _check_image(type(self).__name__, img)
        if _rng(None).random() >= self.p:
            return img
        axis = self.axis
        return _apply_hw(img, lambda a: np.flip(a, axis).copy())

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror top-bottom with probability ``p``."""

    axis = -2
