"""d2l chapter 4, Linear Neural Networks for Classification (PyTorch edition), run as the book writes it with
``import torch`` -> ``import profundo as torch``, ``from d2l import torch as d2l`` -> ``from profundo import d2l``
and ``import torchvision`` -> ``import profundo as torchvision`` (see _book.py).  Fashion-MNIST is the
``fake_fashion_mnist`` stand-in (600 train / 200 test images of the same format, see conftest.py): no network."""
import numpy as np
import pytest

from _book import as_numpy, assert_same, needs, run


def val_accuracy(model, data):
    """Accuracy of ``model`` on the whole validation split (the book's plotted 'val_acc')."""
    import profundo
    model.eval()
    with profundo.no_grad():
        accs = [float(model.accuracy(model(X), y)) * len(y) for X, y in data.val_dataloader()]
    return sum(accs) / len(data.val)


# --- 4.2 The Image Classification Dataset (image-classification-dataset.md) ------------------------------------
IMAGE_DATASET = """
import time
import torch
import torchvision
from torchvision import transforms
from d2l import torch as d2l

d2l.use_svg_display()

class FashionMNIST(d2l.DataModule):  #@save
    \"\"\"The Fashion-MNIST dataset.\"\"\"
    def __init__(self, batch_size=64, resize=(28, 28)):
        super().__init__()
        self.save_hyperparameters()
        trans = transforms.Compose([transforms.Resize(resize),
                                    transforms.ToTensor()])
        self.train = torchvision.datasets.FashionMNIST(
            root=self.root, train=True, transform=trans, download=True)
        self.val = torchvision.datasets.FashionMNIST(
            root=self.root, train=False, transform=trans, download=True)

data = FashionMNIST(resize=(32, 32))
sizes = len(data.train), len(data.val)

first_shape = data.train[0][0].shape

@d2l.add_to_class(FashionMNIST)  #@save
def text_labels(self, indices):
    \"\"\"Return text labels.\"\"\"
    labels = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
              'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    return [labels[int(i)] for i in indices]

@d2l.add_to_class(FashionMNIST)  #@save
def get_dataloader(self, train):
    data = self.train if train else self.val
    return torch.utils.data.DataLoader(data, self.batch_size, shuffle=train,
                                       num_workers=self.num_workers)

X, y = next(iter(data.train_dataloader()))
print(X.shape, X.dtype, y.shape, y.dtype)

tic = time.time()
for X, y in data.train_dataloader():
    continue
took = f'{time.time() - tic:.2f} sec'

def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):  #@save
    \"\"\"Plot a list of images.\"\"\"
    raise NotImplementedError

@d2l.add_to_class(FashionMNIST)  #@save
def visualize(self, batch, nrows=1, ncols=8, labels=[]):
    X, y = batch
    if not labels:
        labels = self.text_labels(y)
    d2l.show_images(X.squeeze(1), nrows, ncols, titles=labels)
batch = next(iter(data.val_dataloader()))
data.visualize(batch)
"""


@needs("DataModule", "use_svg_display", "show_images")
def test_image_classification_dataset(fake_fashion_mnist, capsys):
    ns = run(IMAGE_DATASET)
    assert ns["sizes"] == (600, 200)  # the real data set: (60000, 10000)
    assert tuple(ns["first_shape"]) == (1, 32, 32)
    assert capsys.readouterr().out.splitlines()[0] == (
        "profundo.Size([64, 1, 32, 32]) profundo.float32 profundo.Size([64]) profundo.int64")
    assert ns["data"].text_labels([0, 9]) == ["t-shirt", "ankle boot"]


# --- 4.3 The Base Classification Model (classification.md) --------------------------------------------------
CLASSIFICATION = """
import torch
from d2l import torch as d2l

class Classifier(d2l.Module):  #@save
    \"\"\"The base class of classification models.\"\"\"
    def validation_step(self, batch):
        Y_hat = self(*batch[:-1])
        self.plot('loss', self.loss(Y_hat, batch[-1]), train=False)
        self.plot('acc', self.accuracy(Y_hat, batch[-1]), train=False)

@d2l.add_to_class(d2l.Module)  #@save
def configure_optimizers(self):
    return torch.optim.SGD(self.parameters(), lr=self.lr)

@d2l.add_to_class(Classifier)  #@save
def accuracy(self, Y_hat, Y, averaged=True):
    \"\"\"Compute the number of correct predictions.\"\"\"
    Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
    preds = Y_hat.argmax(axis=1).type(Y.dtype)
    compare = (preds == Y.reshape(-1)).type(torch.float32)
    return compare.mean() if averaged else compare

model = Classifier()
acc = model.accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), torch.tensor([1, 1, 1]))
per_example = model.accuracy(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]), averaged=False)
"""


@needs("Module")
def test_classification():
    ns = run(CLASSIFICATION)
    assert ns["acc"].item() == pytest.approx(2 / 3)
    np.testing.assert_array_equal(as_numpy(ns["per_example"]), [1.0, 0.0])


# --- 4.4 Softmax Regression Implementation from Scratch (softmax-regression-scratch.md) -------------------------
SOFTMAX_PARTS = """
import torch
from d2l import torch as d2l

X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
sums = X.sum(0, keepdims=True), X.sum(1, keepdims=True)

def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition  # The broadcasting mechanism is applied here

X = torch.tensor([[0.1, 0.5, 0.2, 0.9, 0.3], [0.7, 0.0, 0.4, 0.6, 0.8]])  # the book: torch.rand((2, 5))
X_prob = softmax(X)
row_sums = X_prob.sum(1)

y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
picked = y_hat[[0, 1], y]

def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y]).mean()

ce = cross_entropy(y_hat, y)
"""


def test_softmax_scratch_parts():
    ns = run(SOFTMAX_PARTS)
    ref = run(SOFTMAX_PARTS, "torch")
    assert_same(ns, ref, ["sums", "X_prob", "row_sums", "picked", "ce"])
    np.testing.assert_allclose(as_numpy(ns["picked"]), [0.1, 0.5])
    assert ns["ce"].item() == pytest.approx(1.4979, abs=1e-4)  # the value the book prints


SOFTMAX_SCRATCH = SOFTMAX_PARTS + """
class SoftmaxRegressionScratch(d2l.Classifier):
    def __init__(self, num_inputs, num_outputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W = torch.normal(0, sigma, size=(num_inputs, num_outputs),
                              requires_grad=True)
        self.b = torch.zeros(num_outputs, requires_grad=True)

    def parameters(self):
        return [self.W, self.b]

@d2l.add_to_class(SoftmaxRegressionScratch)
def forward(self, X):
    X = X.reshape((-1, self.W.shape[0]))
    return softmax(torch.matmul(X, self.W) + self.b)

@d2l.add_to_class(SoftmaxRegressionScratch)
def loss(self, y_hat, y):
    return cross_entropy(y_hat, y)

data = d2l.FashionMNIST(batch_size=256)
model = SoftmaxRegressionScratch(num_inputs=784, num_outputs=10, lr=0.1)
trainer = d2l.Trainer(max_epochs=3)  # the book: max_epochs=10
trainer.fit(model, data)

X, y = next(iter(data.val_dataloader()))
preds = model(X).argmax(axis=1)
preds_shape = preds.shape

wrong = preds.type(y.dtype) != y
X, y, preds = X[wrong], y[wrong], preds[wrong]
labels = [a+'\\n'+b for a, b in zip(
    data.text_labels(y), data.text_labels(preds))]
data.visualize([X, y], labels=labels)
"""


@needs("Classifier", "FashionMNIST", "Trainer")
def test_softmax_regression_scratch(fake_fashion_mnist, no_workers):
    ns = run(SOFTMAX_SCRATCH)
    assert tuple(ns["preds_shape"]) == (200,)  # the book: 256 (a full batch of the 10000 test images)
    assert val_accuracy(ns["model"], ns["data"]) > 0.5  # chance: 0.1


# --- 4.5 Concise Implementation of Softmax Regression (softmax-regression-concise.md) ---------------------------
SOFTMAX_CONCISE = """
import torch
from torch import nn
from torch.nn import functional as F
from d2l import torch as d2l

class SoftmaxRegression(d2l.Classifier):  #@save
    \"\"\"The softmax regression model.\"\"\"
    def __init__(self, num_outputs, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(),
                                 nn.LazyLinear(num_outputs))

    def forward(self, X):
        return self.net(X)

@d2l.add_to_class(d2l.Classifier)  #@save
def loss(self, Y_hat, Y, averaged=True):
    Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
    Y = Y.reshape((-1,))
    return F.cross_entropy(
        Y_hat, Y, reduction='mean' if averaged else 'none')

data = d2l.FashionMNIST(batch_size=256)
model = SoftmaxRegression(num_outputs=10, lr=0.1)
trainer = d2l.Trainer(max_epochs=3)  # the book: max_epochs=10
trainer.fit(model, data)
"""


@needs("Classifier", "FashionMNIST", "Trainer")
def test_softmax_regression_concise(fake_fashion_mnist, no_workers):
    ns = run(SOFTMAX_CONCISE)
    assert val_accuracy(ns["model"], ns["data"]) > 0.5
