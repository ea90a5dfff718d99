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
# # Clase 2.4 — Cálculo
#
# Derivadas, derivadas parciales, gradientes y la regla de la cadena. Comprobamos cada
# resultado de tres maneras: a mano, con diferencias finitas y con la diferenciación
# automática de profundo.

# %%
import numpy as np

import profundo as torch

# %% [markdown]
# ## Derivadas como límite
#
# $f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}$. Para $f(x) = 3x^2 - 4x$, la derivada es
# $6x - 4$: en $x = 1$ vale 2.

# %%
def f(x):
    return 3 * x ** 2 - 4 * x


for h in 10.0 ** np.arange(-1, -6, -1):
    print(f"h={h:.5f}, cociente={(f(1 + h) - f(1)) / h:.5f}")

# %% [markdown]
# La misma derivada con profundo: `backward()` recorre el grafo y deja $f'(1)$ en `x.grad`.

# %%
x = torch.tensor(1.0, requires_grad=True)
f(x).backward()
x.grad

# %% [markdown]
# ## Visualización
#
# La función y su recta tangente en $x = 1$: $y = 2x - 3$.

# %%
from matplotlib import pyplot as plt

xs = torch.arange(0, 3, 0.1)
plt.plot(xs.numpy(), f(xs).numpy(), label="f(x)")
plt.plot(xs.numpy(), (2 * xs - 3).numpy(), "--", label="tangente en x=1")
plt.legend()
plt.xlabel("x")
plt.show()

# %% [markdown]
# ## Derivadas parciales y gradientes
#
# Para $f(\mathbf{x}) = \mathbf{x}^\top \mathbf{x} = \sum_i x_i^2$, el gradiente es $2\mathbf{x}$;
# para $f(\mathbf{x}) = A\mathbf{x}$ sumado, es $A^\top \mathbf{1}$.

# %%
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
(x @ x).backward()
x.grad, 2 * x.detach()

# %%
A = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
x.grad = None
(A @ x).sum().backward()
x.grad, A.T @ torch.ones(2)

# %% [markdown]
# ## Diferencias finitas centradas
#
# $\frac{\partial f}{\partial x_i} \approx \frac{f(\mathbf{x} + h\mathbf{e}_i) - f(\mathbf{x} - h\mathbf{e}_i)}{2h}$,
# en `float64` para que el error de redondeo no tape el resultado.

# %%
def finite_differences(f, x, h=1e-6):
    x = x.detach().double()
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        e = torch.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


def g(x):
    return (x.sin() * x.exp()).sum()


x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
g(x).backward()
x.grad, finite_differences(g, x)

# %% [markdown]
# ## Regla de la cadena
#
# Si $y = f(u)$ y $u = g(x)$, entonces $\frac{dy}{dx} = \frac{dy}{du}\frac{du}{dx}$. Con
# $y = \sin(u)$ y $u = x^2$: $\frac{dy}{dx} = \cos(x^2) \cdot 2x$.

# %%
x = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
u = x ** 2
y = u.sin()
y.backward()
x.grad, torch.cos(x.detach() ** 2) * 2 * x.detach()

# %% [markdown]
# `torch.autograd.gradcheck` hace esta comparación automáticamente:

# %%
torch.autograd.gradcheck(lambda t: (t ** 2).sin(), (torch.tensor([1.5, -0.3], dtype=torch.float64,
                                                                 requires_grad=True),))

# %% [markdown]
# ## Ejercicios
#
# 1. Calcula la derivada de $f(x) = x^3 - 1/x$ en $x = 1$ de las tres maneras.
# 2. Encuentra el gradiente de $f(\mathbf{x}) = \|\mathbf{x}\|_2$. ¿Qué pasa en $\mathbf{x} = 0$?
