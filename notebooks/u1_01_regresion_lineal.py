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
# # Unidad 1.1 — Regresión lineal
#
# El modelo más simple: $\hat{y} = \mathbf{X}\mathbf{w} + b$. Primero lo escribimos **desde cero**
# (solo tensores y autograd), después de forma **concisa** con `nn`, `optim` y `DataLoader`.
# Al final, **decaimiento de pesos** (*weight decay*) contra el sobreajuste.

# %%
import random

import profundo as torch
from profundo import nn
from profundo.datasets import synthetic_data
from profundo.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
random.seed(0)

# %% [markdown]
# ## Datos sintéticos
#
# Generamos 1000 ejemplos con pesos conocidos $\mathbf{w} = [2, -3.4]^\top$ y $b = 4.2$, más ruido.
# Así podemos comprobar si el entrenamiento recupera los parámetros verdaderos.

# %%
true_w = torch.tensor([2.0, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
features.shape, labels.shape, features[0], labels[0]

# %% [markdown]
# ## Desde cero
#
# Un iterador de minilotes que baraja los índices:

# %%
def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


# %% [markdown]
# Parámetros, modelo, pérdida y el descenso de gradiente estocástico por minilotes:

# %%
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


# %%
lr, num_epochs, batch_size = 0.03, 3, 10
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        loss = squared_loss(linreg(X, w, b), y)
        loss.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = squared_loss(linreg(features, w, b), labels)
        print(f"época {epoch + 1}, pérdida {float(train_l.mean()):f}")

# %%
print(f"error en w: {true_w - w.reshape(true_w.shape)}")
print(f"error en b: {true_b - b}")

# %% [markdown]
# ## Implementación concisa
#
# Lo mismo con las piezas de `profundo` (los mismos nombres que PyTorch):

# %%
data_loader = DataLoader(TensorDataset(features, labels), batch_size=10, shuffle=True)
net = nn.Sequential(nn.Linear(2, 1))
net[0].weight.data.normal_(0, 0.01)
net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)

for epoch in range(3):
    for X, y in data_loader:
        batch_loss = loss(net(X), y)
        trainer.zero_grad()
        batch_loss.backward()
        trainer.step()
    print(f"época {epoch + 1}, pérdida {float(loss(net(features), labels)):f}")

# %%
net[0].weight.data, net[0].bias.data

# %% [markdown]
# ## Decaimiento de pesos
#
# Con pocos ejemplos (20) y muchas características (200), el modelo **memoriza** el conjunto de
# entrenamiento. Sumar $\frac{\lambda}{2}\|\mathbf{w}\|^2$ a la pérdida (o `weight_decay=λ` en el
# optimizador) mantiene los pesos pequeños y mejora el error de prueba.

# %%
n_train, n_test, num_inputs = 20, 100, 200
w_star, b_star = torch.ones(num_inputs) * 0.01, 0.05
train_data = TensorDataset(*synthetic_data(w_star, b_star, n_train))
test_data = TensorDataset(*synthetic_data(w_star, b_star, n_test))


def train_concise(wd, epochs=100):
    net = nn.Linear(num_inputs, 1)
    nn.init.normal_(net.weight)
    nn.init.zeros_(net.bias)
    optimizer = torch.optim.SGD([{"params": net.weight, "weight_decay": wd}, {"params": net.bias}], lr=0.003)
    for _ in range(epochs):
        for X, y in DataLoader(train_data, batch_size=5, shuffle=True):
            optimizer.zero_grad()
            nn.MSELoss()(net(X), y).backward()
            optimizer.step()
    with torch.no_grad():
        X, y = test_data.tensors
        test_loss = float(nn.MSELoss()(net(X), y))
    return float(net.weight.norm()), test_loss


for wd in [0, 3]:
    norm, test_loss = train_concise(wd)
    print(f"weight_decay={wd}: norma de w = {norm:.3f}, pérdida de prueba = {test_loss:.4f}")

# %% [markdown]
# ## Ejercicios
#
# 1. ¿Qué pasa si inicializas los pesos en cero? ¿Y con una tasa de aprendizaje de 3?
# 2. Prueba `nn.HuberLoss()` en lugar de `nn.MSELoss()`.
