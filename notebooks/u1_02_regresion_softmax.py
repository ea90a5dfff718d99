# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %%
# En Google Colab (o en una máquina nueva) esta celda instala profundo; si ya está instalado, no hace nada.
# Antes, indica de dónde instalarlo: la dirección git del repositorio del curso o la ruta de un .whl, p. ej.
#   os.environ["PROFUNDO_PIP"] = "git+https://github.com/<curso>/profundo"
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("profundo") is None:
    origen = os.environ.get("PROFUNDO_PIP")
    if origen is None:
        raise RuntimeError("profundo no está instalado: define PROFUNDO_PIP con la dirección git del repositorio "
                           "del curso (o la ruta de un .whl) y vuelve a ejecutar esta celda")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", origen], check=True)


# %% [markdown]
# # Unidad 1.2 — Regresión softmax
#
# Clasificar imágenes de dígitos escritos a mano (los dígitos reales de scikit-learn, 8×8 píxeles;
# el mismo código sirve para Fashion-MNIST). La **softmax** convierte puntuaciones en
# probabilidades, y la **entropía cruzada** mide qué tan mala es la predicción.

# %%
import profundo as torch
from profundo import nn, transforms
from profundo.datasets import Digits
from profundo.train import Trainer
from profundo.utils.data import DataLoader

torch.manual_seed(0)

# %% [markdown]
# ## Los datos
#
# `ToTensor()` convierte cada imagen (un arreglo de enteros 0–255) en un tensor `(1, 8, 8)` con
# valores entre 0 y 1.

# %%
train_data = Digits(train=True, transform=transforms.ToTensor())
test_data = Digits(train=False, transform=transforms.ToTensor())
len(train_data), len(test_data), train_data[0][0].shape, train_data[0][1]

# %%
train_iter = DataLoader(train_data, batch_size=64, shuffle=True)
test_iter = DataLoader(test_data, batch_size=256)
X, y = next(iter(train_iter))
X.shape, y.shape, y.dtype

# %% [markdown]
# ## Desde cero
#
# $\mathrm{softmax}(\mathbf{o})_j = \frac{\exp(o_j)}{\sum_k \exp(o_k)}$. Esta versión ingenua se
# desborda con puntuaciones grandes; `torch.softmax` resta el máximo primero (es estable).

# %%
def softmax(X):
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(1, keepdim=True)


X_prob = softmax(torch.normal(0, 1, (2, 5)))
X_prob, X_prob.sum(1)

# %%
print(softmax(torch.tensor([[1000.0, 0.0]])))   # nan: exp(1000) = inf
print(torch.softmax(torch.tensor([[1000.0, 0.0]]), dim=1))

# %% [markdown]
# Modelo, entropía cruzada (elige con índices la probabilidad de la clase correcta) y exactitud:

# %%
num_inputs, num_outputs = 64, 10
W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y])


def accuracy(y_hat, y):
    return float((y_hat.argmax(axis=1) == y).float().mean())


for epoch in range(10):
    for X, y in train_iter:
        loss = cross_entropy(net(X), y).mean()
        loss.backward()
        with torch.no_grad():
            for param in (W, b):
                param -= 0.5 * param.grad
                param.grad.zero_()
    with torch.no_grad():
        X_test, y_test = next(iter(DataLoader(test_data, batch_size=len(test_data))))
        print(f"época {epoch + 1}: exactitud de prueba {accuracy(net(X_test), y_test):.3f}")

# %% [markdown]
# ## Implementación concisa
#
# `nn.CrossEntropyLoss` recibe las **puntuaciones** (logits), no probabilidades: combina
# `log_softmax` y la pérdida de forma estable. El `Trainer` hace el ciclo de entrenamiento y
# dibuja las curvas.

# %%
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.5), progress=False,
                  plot=True)
history = trainer.fit(train_iter, test_iter, epochs=10)
trainer.evaluate(test_iter)

# %% [markdown]
# ## Ejercicios
#
# 1. Cambia el tamaño del lote y la tasa de aprendizaje. ¿Qué pasa con la exactitud?
# 2. Usa `Digits(size=28)` y `nn.Linear(784, 10)`: las imágenes quedan del tamaño de MNIST.
