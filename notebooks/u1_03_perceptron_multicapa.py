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
# # Unidad 1.3 — El perceptrón multicapa
#
# Una capa oculta con una **no linealidad** (ReLU) entre dos capas lineales: el modelo ya no es
# lineal y puede aprender mucho más. Lo escribimos desde cero y luego con `nn`; al final,
# **dropout** contra el sobreajuste.

# %%
import profundo as torch
from profundo import nn, viz
from profundo.datasets import Digits
from profundo.train import Trainer
from profundo.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


def load(train):
    data = Digits(train=train)
    return TensorDataset(data.data.float().reshape(len(data), -1) / 255, data.targets)


train_iter = DataLoader(load(True), batch_size=64, shuffle=True)
test_iter = DataLoader(load(False), batch_size=256)

# %% [markdown]
# ## La función ReLU
#
# $\mathrm{ReLU}(x) = \max(x, 0)$; su derivada es 0 para $x < 0$ y 1 para $x > 0$.

# %%
x = torch.arange(-4.0, 4.0, 1.0, requires_grad=True)
y = torch.relu(x)
y.backward(torch.ones_like(x))
y, x.grad

# %% [markdown]
# ## Desde cero

# %%
num_inputs, num_hiddens, num_outputs = 64, 128, 10
W1 = torch.nn.Parameter(torch.randn(num_inputs, num_hiddens) * 0.1)
b1 = torch.nn.Parameter(torch.zeros(num_hiddens))
W2 = torch.nn.Parameter(torch.randn(num_hiddens, num_outputs) * 0.1)
b2 = torch.nn.Parameter(torch.zeros(num_outputs))
params = [W1, b1, W2, b2]


def relu(X):
    return torch.max(X, torch.zeros_like(X))


def net(X):
    H = relu(X @ W1 + b1)
    return H @ W2 + b2


loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(params, lr=0.1)
for _ in range(10):
    for X, y in train_iter:
        optimizer.zero_grad()
        loss_fn(net(X), y).backward()
        optimizer.step()
with torch.no_grad():
    X_test, y_test = load(False).tensors
    print(f"exactitud de prueba: {float((net(X_test).argmax(1) == y_test).float().mean()):.3f}")

# %% [markdown]
# El grafo de una pasada (con un lote pequeño): cada operación y cada parámetro a la vista.

# %%
viz.draw(loss_fn(net(X_test[:2]), y_test[:2]), names={"W1": W1, "b1": b1, "W2": W2, "b2": b2})

# %% [markdown]
# ## Implementación concisa
#
# `nn.Sequential` encadena capas; los pesos se inicializan como en PyTorch. Con `collapse=True`
# el dibujo muestra cada capa `Linear` como un solo nodo.

# %%
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
model

# %%
viz.draw(loss_fn(model(X_test[:2]), y_test[:2]), names={}, collapse=True)

# %%
trainer = Trainer(model, loss_fn, torch.optim.SGD(model.parameters(), lr=0.1), progress=False, plot=True)
trainer.fit(train_iter, test_iter, epochs=10)
trainer.evaluate(test_iter)

# %% [markdown]
# ## Dropout
#
# Durante el entrenamiento, cada neurona oculta se apaga con probabilidad $p$ y las demás se
# escalan por $1/(1-p)$, así el valor esperado no cambia. En evaluación (`model.eval()`) no hace nada.

# %%
def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


X = torch.arange(16, dtype=torch.float32).reshape((2, 8))
print(dropout_layer(X, 0.0))
print(dropout_layer(X, 0.5))
print(dropout_layer(X, 1.0))

# %%
model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
trainer = Trainer(model, loss_fn, torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=1e-4), progress=False,
                  plot=True)
trainer.fit(train_iter, test_iter, epochs=10)
trainer.evaluate(test_iter)

# %% [markdown]
# ## Ejercicios
#
# 1. Añade una segunda capa oculta. ¿Mejora la exactitud?
# 2. Entrena desde la terminal: `profundo train mlp --epochs 30` y mira `runs/mlp-digits/curves.png`.
