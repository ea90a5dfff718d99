"""Image data sets: MNIST, Fashion-MNIST (downloaded and cached) and Digits (offline).

Like ``torchvision.datasets``: ``dataset[i]`` is ``(image, label)`` where the
image is a ``uint8`` NumPy array of shape (H, W) -- what ``np.asarray`` gives
for a grey PIL image -- so ``transforms.ToTensor()`` turns it into a float
tensor (1, H, W) in [0, 1].  ``.data`` holds all images as a uint8 tensor and
``.targets`` the labels as an int64 tensor.
"""
import numpy as np

from .._errors import error
from ..creation import from_numpy
from ..utils.data import Dataset
from ._files import RemoteFile, data_home, fetch
from .idx import read_idx


def _files(mirrors, table):
    return [RemoteFile(name, tuple(m + name for m in mirrors), "md5:" + md5, content) for name, md5, content in table]


class _IDXImages(Dataset):
    """MNIST-style data set: four IDX files, train and test splits."""

    mirrors = ()
    resources = ()  # (file name, md5 of the .gz, md5 of its content or None)
    classes = ()

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        self.root = data_home(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if train else "t10k"
        remotes = [r for r in _files(self.mirrors, self.resources) if r.name.startswith(split)]
        images, labels = fetch(remotes, self.raw_folder, dataset=type(self).__name__, download=download)
        data, targets = read_idx(images), read_idx(labels)
        if data.ndim != 3 or targets.ndim != 1 or len(data) != len(targets):
            raise error(ValueError, type(self).__name__, f"images {data.shape} and labels {targets.shape} do not "
                        "match (expected (N, H, W) and (N,))", "los archivos no son de este data set")
        self.data = from_numpy(data)
        self.targets = from_numpy(targets.astype(np.int64))

    @property
    def raw_folder(self):
        """``<root>/<Name>/raw``: the same place torchvision uses, so its downloads are found too."""
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img, target = self.data._data[index], int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        return (f"{type(self).__name__}(split={'train' if self.train else 'test'}, {len(self)} images "
                f"{tuple(self.data.shape[1:])}, root={str(self.root)!r})")


class MNIST(_IDXImages):
    """Handwritten digits, 60,000 train + 10,000 test images of 28x28 (LeCun & Cortes)."""

    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
    resources = (
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", None),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", None),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
    )
    classes = ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine")


class FashionMNIST(_IDXImages):
    """Zalando's clothes images, same format as MNIST (the course's vision data set)."""

    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")
    resources = (
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", None),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", None),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
    )
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")


class Digits(Dataset):
    """scikit-learn's 1,797 real 8x8 handwritten digits: no download, the offline default.

    Pixels are rescaled from 0..16 to uint8 0..255, like MNIST.  ``size=28``
    up-samples every image (bilinear) to MNIST's 28x28.  The split is fixed:
    a seeded shuffle, 80% train (1,438 images) and 20% test (359).
    """

    classes = tuple(str(i) for i in range(10))

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True, size=8):
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            raise error(ImportError, "Digits", "the Digits data set comes with scikit-learn, which is not installed",
                        "instálalo con pip install scikit-learn (o pip install 'profundo[datasets]')") from None
        if not isinstance(size, int) or size < 1:
            raise error(ValueError, "Digits", f"size must be a positive int, got {size!r}",
                        "usa size=8 (original) o size=28 (como MNIST)")
        bunch = load_digits()
        images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)
        order = np.random.default_rng(0).permutation(len(images))
        cut = int(round(0.8 * len(images)))
        keep = order[:cut] if train else order[cut:]
        images, labels = images[keep], bunch.target[keep].astype(np.int64)
        if size != 8:
            from ..transforms import resize_array
            images = resize_array(images, (size, size))
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        self.data = from_numpy(np.ascontiguousarray(images))
        self.targets = from_numpy(labels)

    __len__ = _IDXImages.__len__
    __getitem__ = _IDXImages.__getitem__

    def __repr__(self):
        return f"Digits(split={'train' if self.train else 'test'}, {len(self)} images {tuple(self.data.shape[1:])})"
