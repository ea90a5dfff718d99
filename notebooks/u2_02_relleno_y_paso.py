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
# # Unidad 2.2 — Relleno y paso
#
# Cada convolución encoge la imagen: con un núcleo de $k_h \times k_w$, una entrada de
# $n_h \times n_w$ da $(n_h - k_h + 1) \times (n_w - k_w + 1)$. Dos perillas controlan el tamaño
# de la salida: el **relleno** (*padding*), que añade ceros alrededor para no perder los bordes, y
# el **paso** (*stride*), que salta posiciones para reducir la resolución a propósito.

# %%
import numpy as np
from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn

torch.manual_seed(0)

# %% [markdown]
# ## La aritmética de las formas
#
# Con relleno total $p_h$ (filas añadidas, arriba más abajo) y paso $s_h$, el alto de la salida es
#
# $$\left\lfloor \frac{n_h - k_h + p_h + s_h}{s_h} \right\rfloor$$
#
# y lo mismo para el ancho. En PyTorch, `padding=1` añade **una fila arriba y otra abajo**, es
# decir $p_h = 2 \cdot \text{padding}$. Escribimos la fórmula tal cual:

# %%
def out_size(n, k, padding=0, stride=1):
    """Tamaño de la salida de una convolución en una dimensión (padding por lado, como en nn.Conv2d)."""
    return (n - k + 2 * padding + stride) // stride


out_size(8, 3), out_size(8, 3, padding=1), out_size(8, 3, padding=1, stride=2)

# %% [markdown]
# ## Relleno
#
# Como en d2l, una función auxiliar agrega y quita las dimensiones de lote y de canal, para mirar
# sólo el alto y el ancho. Con un núcleo de $3 \times 3$ y `padding=1`, la salida conserva el
# tamaño de la entrada: por eso se usan núcleos de tamaño impar.

# %%
def comp_conv2d(conv2d, X):
    # (1, 1) indica que el tamaño del lote y el número de canales son 1
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    # quitamos las dos primeras dimensiones: lote y canales
    return Y.reshape(Y.shape[2:])


# 1 fila y 1 columna de relleno a cada lado: 2 filas y 2 columnas en total
conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1)
X = torch.rand(size=(8, 8))
comp_conv2d(conv2d, X).shape

# %% [markdown]
# Con un núcleo de $5 \times 3$, relleno 2 arriba y abajo y 1 a los lados:

# %%
conv2d = nn.LazyConv2d(1, kernel_size=(5, 3), padding=(2, 1))
comp_conv2d(conv2d, X).shape

# %% [markdown]
# `padding="same"` calcula el relleno por nosotros (sólo con paso 1):

# %%
conv2d = nn.LazyConv2d(1, kernel_size=(5, 3), padding="same")
comp_conv2d(conv2d, X).shape

# %% [markdown]
# ¿Qué ve la capa en el borde? Dibujamos una entrada de $5 \times 5$ (azul) rellenada con un marco
# de ceros (celeste), la primera ventana de $3 \times 3$ (roja) y la siguiente (naranja): con
# paso 2 salta dos columnas.

# %%
def draw_windows(n, k, padding, stride, title, ax):
    """Dibuja la entrada rellenada y las dos primeras posiciones de la ventana."""
    size = n + 2 * padding
    grid = np.full((size, size), 0.15)
    grid[padding:padding + n, padding:padding + n] = 0.6
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=1)
    # la primera ventana (roja) y la siguiente a la derecha (naranja, `stride` columnas después)
    for j, color, inset in [(0, "tab:red", 0.08), (stride, "tab:orange", 0.18)]:
        ax.add_patch(plt.Rectangle((j - 0.5 + inset, -0.5 + inset), k - 2 * inset, k - 2 * inset, fill=False,
                                   lw=3, ec=color))
    ax.set_xticks(np.arange(-0.5, size, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, size, 1), minor=True)
    ax.grid(which="minor", color="white", lw=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.tick_params(which="both", length=0)
    m = out_size(n, k, padding, stride)
    ax.set_title(f"{title}\nsalida {m}×{m}")


fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
draw_windows(5, 3, 0, 1, "sin relleno, paso 1", axes[0])
draw_windows(5, 3, 1, 1, "relleno 1, paso 1", axes[1])
draw_windows(5, 3, 1, 2, "relleno 1, paso 2", axes[2])
plt.show()

# %% [markdown]
# ## Paso
#
# Con paso 2 la ventana salta de dos en dos: el alto y el ancho se reducen a la mitad.

# %%
conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1, stride=2)
comp_conv2d(conv2d, X).shape

# %% [markdown]
# Un ejemplo más enrevesado (d2l): núcleo $3 \times 5$, relleno $(0, 1)$ y paso $(3, 4)$.
# Alto: $\lfloor (8 - 3 + 0 + 3) / 3 \rfloor = 2$; ancho: $\lfloor (8 - 5 + 2 + 4) / 4 \rfloor = 2$.

# %%
conv2d = nn.LazyConv2d(1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4))
comp_conv2d(conv2d, X).shape

# %% [markdown]
# ## La fórmula contra la capa
#
# Comprobamos `out_size` contra `nn.Conv2d` en muchas combinaciones de tamaño, núcleo, relleno y
# paso (cada capa se construye con pesos al azar; sólo miramos la forma).

# %%
checked = 0
for n in [5, 7, 8, 28]:
    for k in [1, 2, 3, 5]:
        for padding in [0, 1, 2]:
            for stride in [1, 2, 3]:
                if k > n + 2 * padding:
                    continue
                conv = nn.Conv2d(1, 1, kernel_size=k, padding=padding, stride=stride)
                shape = conv(torch.zeros(1, 1, n, n)).shape
                assert shape == (1, 1, out_size(n, k, padding, stride), out_size(n, k, padding, stride)), \
                    (n, k, padding, stride, shape)
                checked += 1
print(f"{checked} combinaciones: la fórmula coincide con nn.Conv2d")

# %% [markdown]
# Si el núcleo no cabe en la entrada rellenada, la capa lo dice (y en qué forma):

# %%
try:
    nn.Conv2d(1, 1, kernel_size=5)(torch.zeros(1, 1, 3, 3))
except RuntimeError as e:
    print(e)

# %% [markdown]
# ## Cómo encoge un dígito
#
# Con paso 2, cada capa reduce la imagen a la mitad. Aplicamos tres veces el mismo núcleo de
# $3 \times 3$ (un promedio) con `padding=1, stride=2` a un dígito de 28×28: 28 → 14 → 7 → 4.

# %%
from profundo.datasets import Digits

img = Digits(train=False, size=28).data[3].float().reshape(1, 1, 28, 28) / 255
conv = nn.Conv2d(1, 1, kernel_size=3, padding=1, stride=2, bias=False)
with torch.no_grad():
    conv.weight.fill_(1 / 9)
    images = [img]
    for _ in range(3):
        images.append(conv(images[-1]))
fig, axes = plt.subplots(1, 4, figsize=(8, 2.2))
for ax, im in zip(axes, images):
    ax.imshow(im[0, 0].numpy(), cmap="gray")
    ax.set_title(f"{im.shape[2]}×{im.shape[3]}")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Ejercicios
#
# 1. Para el último ejemplo (núcleo $3 \times 5$, relleno $(0, 1)$, paso $(3, 4)$) calcula la forma
#    de la salida para una entrada de $28 \times 28$ y compruébalo con `comp_conv2d`.
# 2. ¿Qué relleno necesita un núcleo de $7 \times 7$ para conservar el tamaño? ¿Y uno de $4 \times 4$?
#    (Prueba `padding="same"` con un núcleo par.)
# 3. Con paso 2, ¿qué fracción de los cálculos de la convolución de paso 1 se hace?
