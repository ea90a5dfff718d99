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
# # Clase 2.3 — Álgebra lineal
#
# Escalares, vectores, matrices y tensores; reducciones, productos y normas.

# %%
import profundo as torch

# %% [markdown]
# ## Escalares y vectores

# %%
x, y = torch.tensor(3.0), torch.tensor(2.0)
x + y, x * y, x / y, x ** y

# %%
x = torch.arange(3)
x, x[2], len(x), x.shape

# %% [markdown]
# ## Matrices
#
# La transpuesta intercambia filas y columnas; una matriz simétrica es igual a su transpuesta.

# %%
A = torch.arange(6).reshape(3, 2)
A, A.T

# %%
A = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
A == A.T

# %% [markdown]
# ## Tensores y aritmética
#
# El producto elemento a elemento de dos matrices es el **producto de Hadamard** (`A * B`).

# %%
A = torch.arange(6, dtype=torch.float32).reshape(2, 3)
B = A.clone()
A, A + B, A * B

# %%
a = 2
X = torch.arange(24).reshape(2, 3, 4)
a + X, (a * X).shape

# %% [markdown]
# ## Reducciones
#
# `sum` reduce todos los ejes, o solo los indicados con `dim`; `keepdim=True` conserva el eje
# (con tamaño 1) para que el broadcasting funcione.

# %%
x = torch.arange(3, dtype=torch.float32)
x, x.sum()

# %%
A.shape, A.sum(dim=0).shape, A.sum(dim=1).shape, A.sum(dim=[0, 1]) == A.sum()

# %%
A.mean(), A.sum() / A.numel(), A.mean(dim=0)

# %%
sum_A = A.sum(dim=1, keepdim=True)
sum_A, A / sum_A  # cada fila dividida por su suma

# %%
A.cumsum(dim=0)

# %% [markdown]
# ## Productos
#
# Producto punto (`dot`), producto matriz-vector (`mv` o `@`) y producto de matrices (`mm` o `@`).

# %%
y = torch.ones(3, dtype=torch.float32)
x, y, torch.dot(x, y), torch.sum(x * y)

# %%
A.shape, x.shape, torch.mv(A, x), A @ x

# %%
B = torch.ones(3, 4)
torch.mm(A, B), A @ B

# %% [markdown]
# Si las dimensiones internas no coinciden, el error lo explica:

# %%
try:
    A @ torch.ones(2, 4)
except RuntimeError as error:
    print(error)

# %% [markdown]
# ## Normas
#
# La norma $\ell_2$ es la longitud euclidiana; la $\ell_1$ suma valores absolutos; la de
# Frobenius es la $\ell_2$ de todos los elementos de una matriz.

# %%
u = torch.tensor([3.0, -4.0])
torch.norm(u), torch.abs(u).sum(), torch.norm(torch.ones((4, 9)))

# %%
torch.linalg.norm(u, ord=1), torch.linalg.norm(torch.ones((4, 9)))

# %% [markdown]
# ## Ejercicios
#
# 1. Comprueba que $(A^\top)^\top = A$ y que $A^\top + B^\top = (A + B)^\top$.
# 2. ¿Qué forma tiene `X.sum(dim=1)` si `X` tiene forma `(2, 3, 4)`? ¿Y `len(X)`?
