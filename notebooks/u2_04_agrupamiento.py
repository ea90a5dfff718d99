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
# # Unidad 2.4 — Agrupamiento (pooling)
#
# Una capa de **agrupamiento** desliza una ventana como la convolución, pero no tiene parámetros:
# devuelve el **máximo** o el **promedio** de cada ventana. Sirve para dos cosas: hacer la red
# menos sensible a la posición exacta de un rasgo (un borde desplazado un píxel sigue dando la
# misma respuesta) y reducir la resolución.

# %%
from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.datasets import Digits

torch.manual_seed(0)

# %% [markdown]
# ## A mano
#
# Como `corr2d`, pero en lugar de multiplicar por un núcleo tomamos el máximo o el promedio de la
# ventana:

# %%
def pool2d(X, pool_size, mode="max"):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == "max":
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == "avg":
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y


X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
pool2d(X, (2, 2))

# %%
pool2d(X, (2, 2), "avg")

# %% [markdown]
# Nuestra versión usa paso 1 (todas las ventanas). `nn.MaxPool2d(2)` usa paso 2: es lo mismo
# quedarse con una ventana de cada dos en cada dirección.

# %%
Z = torch.randn(6, 6)
by_hand = pool2d(Z, (2, 2))[::2, ::2]
by_layer = nn.MaxPool2d(2)(Z.reshape(1, 1, 6, 6))[0, 0]
torch.equal(by_hand, by_layer), torch.allclose(pool2d(Z, (2, 2), "avg")[::2, ::2],
                                               nn.AvgPool2d(2)(Z.reshape(1, 1, 6, 6))[0, 0])

# %% [markdown]
# ## Tolerancia a desplazamientos
#
# Volvamos a los bordes del cuaderno 2.1: la imagen blanca con una franja negra y el núcleo
# `[1, -1]`. La columna 1 de la salida detecta el borde izquierdo. Si la imagen se corre **un
# píxel** a la derecha, esa neurona se apaga; después de un máximo de $2 \times 2$, en cambio,
# sigue encendida: el agrupamiento tolera desplazamientos pequeños.

# %%
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


K = torch.tensor([[1.0, -1.0]])
X = torch.ones((6, 8))
X[:, 2:6] = 0
X_shifted = torch.ones((6, 8))
X_shifted[:, 3:7] = 0
edges, edges_shifted = corr2d(X, K).abs(), corr2d(X_shifted, K).abs()
pooled, pooled_shifted = pool2d(edges, (2, 2)), pool2d(edges_shifted, (2, 2))
print("columna 1 de los bordes:      ", float(edges[0, 1]), "→", float(edges_shifted[0, 1]))
print("columna 1 tras el máximo 2×2: ", float(pooled[0, 1]), "→", float(pooled_shifted[0, 1]))

fig, axes = plt.subplots(2, 3, figsize=(8, 4))
for row, (img, e, p) in enumerate([(X, edges, pooled), (X_shifted, edges_shifted, pooled_shifted)]):
    for ax, im, title in zip(axes[row], [img, e, p], ["imagen", "|bordes|", "máximo 2×2"]):
        ax.imshow(im.numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title if row == 0 else title + " (corrida)")
        ax.set_xticks([])
        ax.set_yticks([])
plt.show()

# %% [markdown]
# ## Relleno y paso
#
# Las capas `nn.MaxPool2d` y `nn.AvgPool2d` trabajan con (lote, canales, alto, ancho). Por omisión
# el **paso es igual al tamaño de la ventana** (las ventanas no se solapan), a diferencia de la
# convolución:

# %%
X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
X

# %%
pool2d = nn.MaxPool2d(3)
# paso 3 por omisión: una sola ventana cabe en 4×4
pool2d(X)

# %%
pool2d = nn.MaxPool2d(3, padding=1, stride=2)
pool2d(X)

# %%
pool2d = nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))
pool2d(X)

# %% [markdown]
# El relleno de `MaxPool2d` es $-\infty$ (nunca gana el máximo); el de `AvgPool2d` es 0 y, por
# omisión, cuenta en el promedio (`count_include_pad=True`):

# %%
print(nn.AvgPool2d(2, padding=1)(X))
print(nn.AvgPool2d(2, padding=1, count_include_pad=False)(X))

# %% [markdown]
# La forma de la salida sigue la misma fórmula que la convolución:
# $\lfloor (n + 2p - k) / s \rfloor + 1$. Lo comprobamos con las capas:

# %%
def out_size(n, k, padding=0, stride=1):
    return (n + 2 * padding - k) // stride + 1


for n, k, p, s in [(4, 3, 1, 2), (28, 2, 0, 2), (7, 3, 1, 2), (14, 3, 0, 1)]:
    shape = nn.MaxPool2d(k, stride=s, padding=p)(torch.zeros(1, 1, n, n)).shape
    print(f"n={n:2} k={k} p={p} s={s}: {tuple(shape)}  fórmula {out_size(n, k, p, s)}")

# %% [markdown]
# ## Varios canales
#
# El agrupamiento trabaja **canal por canal**: no los suma como la convolución. La salida tiene
# tantos canales como la entrada.

# %%
X = torch.cat((X, X + 1), 1)
X.shape

# %%
pool2d = nn.MaxPool2d(3, padding=1, stride=2)
pool2d(X)

# %% [markdown]
# ## Un dígito, agrupado
#
# Máximo y promedio de $2 \times 2$ con paso 2, dos veces seguidas: 28 → 14 → 7. El máximo
# conserva los trazos (los píxeles brillantes); el promedio los suaviza.

# %%
img = Digits(train=False, size=28).data[5].float().reshape(1, 1, 28, 28) / 255
max_pool, avg_pool = nn.MaxPool2d(2), nn.AvgPool2d(2)
images = [(img, "entrada 28×28"), (max_pool(img), "máximo 14×14"), (max_pool(max_pool(img)), "máximo 7×7"),
          (avg_pool(img), "promedio 14×14"), (avg_pool(avg_pool(img)), "promedio 7×7")]
fig, axes = plt.subplots(1, 5, figsize=(11, 2.4))
for ax, (im, title) in zip(axes, images):
    ax.imshow(im[0, 0].numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# `nn.AdaptiveAvgPool2d(salida)` elige la ventana y el paso para dar la forma de salida pedida,
# sea cual sea la entrada; con `(1, 1)` promedia todo el mapa (lo usa ResNet al final):

# %%
nn.AdaptiveAvgPool2d((1, 1))(torch.randn(2, 3, 7, 7)).shape, nn.AdaptiveAvgPool2d(3)(img).shape

# %% [markdown]
# ## El gradiente del máximo
#
# El máximo deja pasar el gradiente **sólo al elemento ganador** de cada ventana; el promedio lo
# reparte por igual.

# %%
X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4)).flip(3).requires_grad_()
nn.MaxPool2d(2)(X).sum().backward()
print(X.grad[0, 0])
X.grad = None
nn.AvgPool2d(2)(X).sum().backward()
print(X.grad[0, 0])

# %% [markdown]
# ## Ejercicios
#
# 1. Escribe el agrupamiento promedio como una convolución. ¿Y el máximo?
# 2. ¿Cuánto cuesta calcular una capa de agrupamiento con ventana $p_h \times p_w$, relleno y paso
#    sobre una entrada de $c \times h \times w$?
# 3. ¿Para qué serviría un agrupamiento por mínimo? ¿Y el *softmax* de la ventana?
