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
# # Clase 2.1 — Manipulación de datos
#
# Un **tensor** es un arreglo de *n* dimensiones: el objeto con el que trabaja todo el curso.
# En profundo (como en PyTorch) los tensores saben calcular gradientes, y se pueden convertir
# a y desde NumPy sin esfuerzo. Escribimos `import profundo as torch` para que el código sea
# exactamente el del libro *Dive into Deep Learning*.

# %%
import profundo as torch

# %% [markdown]
# ## Crear tensores
#
# `arange(n)` da los enteros `0 … n-1`; cada tensor tiene una **forma** (`shape`), un número de
# elementos (`numel`) y un **tipo** (`dtype`).

# %%
x = torch.arange(12, dtype=torch.float32)
x, x.shape, x.numel(), x.dtype

# %%
X = x.reshape(3, 4)  # -1 deja que profundo calcule una dimensión: x.reshape(-1, 4)
X

# %%
torch.zeros((2, 3, 4)).shape, torch.ones(2, 3), torch.randn(3, 4).shape

# %%
torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])

# %% [markdown]
# ## Indexado y rebanadas
#
# Como en las listas de Python: `X[-1]` es la última fila, `X[1:3]` las filas 1 y 2.
# Una rebanada **comparte memoria** con el tensor original (es una *vista*).

# %%
X[-1], X[1:3]

# %%
X[1, 2] = 17
X[:2, :] = 12
X

# %% [markdown]
# ## Operaciones elemento a elemento

# %%
x = torch.tensor([1.0, 2, 4, 8])
y = torch.tensor([2, 2, 2, 2])
x + y, x - y, x * y, x / y, x ** y, torch.exp(x)

# %% [markdown]
# Concatenar a lo largo de las filas (`dim=0`) o de las columnas (`dim=1`), comparar y sumar:

# %%
X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
torch.cat((X, Y), dim=0).shape, torch.cat((X, Y), dim=1).shape

# %%
X == Y, X.sum()

# %% [markdown]
# ## Broadcasting
#
# Si las formas no coinciden, las dimensiones de tamaño 1 se **copian** hasta igualarse:
# una columna `(3, 1)` más una fila `(1, 2)` da una matriz `(3, 2)`.

# %%
a = torch.arange(3).reshape((3, 1))
b = torch.arange(2).reshape((1, 2))
a + b

# %% [markdown]
# Cuando las formas no se pueden igualar, el error dice cuál dimensión falla y cómo arreglarlo
# (con una **pista** en español):

# %%
try:
    torch.ones(3, 4) + torch.ones(2, 4)
except RuntimeError as error:
    print(error)

# %% [markdown]
# ## Ahorrar memoria: operaciones *in-place*
#
# `Y = Y + X` crea un tensor nuevo (otra dirección de memoria). `Y[:] = ...` o `Y += X`
# escriben sobre el mismo.

# %%
before = id(Y)
Y = Y + X
id(Y) == before

# %%
Z = torch.zeros_like(Y)
before = id(Z)
Z[:] = X + Y
Z += X
id(Z) == before

# %% [markdown]
# ## Conversión a otros objetos de Python
#
# `numpy()` y `from_numpy` comparten la memoria; `item()` da un número de Python.

# %%
A = X.numpy()
B = torch.from_numpy(A)
type(A), type(B)

# %%
A[0, 0] = 100.0  # cambia también B: es la misma memoria
B[0, 0]

# %%
a = torch.tensor([3.5])
a, a.item(), float(a), int(a)

# %% [markdown]
# ## Ejercicios
#
# 1. Cambia `X == Y` por `X < Y` y `X > Y`.
# 2. Prueba el broadcasting con tensores de 3 dimensiones. ¿Obtienes lo que esperabas?
