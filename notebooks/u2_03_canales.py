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
# # Unidad 2.3 — Varios canales de entrada y de salida
#
# Una foto en color tiene tres **canales** (rojo, verde, azul), y cada capa convolucional produce
# muchos canales, uno por núcleo: cada uno es un detector distinto (bordes, esquinas, texturas).
# Aquí extendemos la correlación cruzada a varios canales, la comparamos con `F.conv2d` y vemos
# la convolución de $1 \times 1$, que es una capa densa aplicada en cada píxel.

# %%
from matplotlib import pyplot as plt

import profundo as torch
import profundo.nn.functional as F
from profundo import nn
from profundo.datasets import Digits

torch.manual_seed(0)


def corr2d(X, K):
    """Calcula la correlación cruzada 2D (cuaderno 2.1)."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


# %% [markdown]
# ## Varios canales de entrada
#
# Con $c_i$ canales de entrada, el núcleo también tiene $c_i$ canales, forma
# $c_i \times k_h \times k_w$: se hace una correlación por canal y **se suman** los resultados.
# La salida tiene un solo canal.

# %%
def corr2d_multi_in(X, K):
    # recorremos la primera dimensión (los canales) de X y de K y sumamos
    return sum(corr2d(x, k) for x, k in zip(X, K))


X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                  [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
corr2d_multi_in(X, K)

# %% [markdown]
# ## Varios canales de salida
#
# Para tener $c_o$ canales de salida usamos $c_o$ núcleos como el anterior: el peso de la capa
# tiene forma $c_o \times c_i \times k_h \times k_w$ (exactamente la forma de `nn.Conv2d.weight`).

# %%
def corr2d_multi_in_out(X, K):
    # un núcleo de K por canal de salida; apilamos los resultados
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


K = torch.stack((K, K + 1, K + 2), 0)
K.shape

# %%
corr2d_multi_in_out(X, K)

# %% [markdown]
# `F.conv2d` hace lo mismo para un lote entero (por eso el `X[None]`, un lote de una imagen):

# %%
Y = F.conv2d(X[None], K)
print(Y.shape)
print(torch.allclose(Y[0], corr2d_multi_in_out(X, K)))

# %% [markdown]
# Y `nn.Conv2d(2, 3, kernel_size=2)` guarda exactamente un peso de esa forma y un sesgo por
# canal de salida:

# %%
conv = nn.Conv2d(2, 3, kernel_size=2)
print(conv)
print(conv.weight.shape, conv.bias.shape)
with torch.no_grad():
    conv.weight.copy_(K)
    conv.bias.zero_()
print(torch.allclose(conv(X[None])[0], corr2d_multi_in_out(X, K)))

# %% [markdown]
# ### Muchos detectores sobre un dígito
#
# Una capa con un canal de entrada y cuatro de salida: cuatro núcleos de $3 \times 3$ hechos a mano
# (bordes verticales, horizontales y las dos diagonales) dan cuatro **mapas de características**.

# %%
img = Digits(train=False, size=28).data[7].float().reshape(1, 1, 28, 28) / 255
sobel = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
diagonal = torch.tensor([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]])
kernels = torch.stack([sobel, sobel.t(), diagonal, torch.flip(diagonal, [1])]).reshape(4, 1, 3, 3)
maps = F.conv2d(img, kernels, padding=1)
print(maps.shape)

titles = ["vertical", "horizontal", "diagonal /", "diagonal \\"]
fig, axes = plt.subplots(2, 5, figsize=(10, 4.2))
axes[0, 0].imshow(img[0, 0].numpy(), cmap="gray")
axes[0, 0].set_title("entrada")
axes[1, 0].axis("off")
for c in range(4):
    axes[0, c + 1].imshow(kernels[c, 0].numpy(), cmap="RdBu_r", vmin=-2, vmax=2)
    axes[0, c + 1].set_title(f"núcleo {titles[c]}")
    lim = float(maps[0, c].abs().max())
    axes[1, c + 1].imshow(maps[0, c].numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[1, c + 1].set_title(f"canal {c}")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %% [markdown]
# ## La convolución de 1×1
#
# Un núcleo de $1 \times 1$ no mira a los vecinos: en cada píxel combina los $c_i$ canales con una
# matriz de pesos $c_o \times c_i$. Es una **capa densa aplicada a cada píxel**, y se calcula con
# una sola multiplicación de matrices:

# %%
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # multiplicación de matrices de la capa densa
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))


X = torch.normal(0, 1, (3, 3, 3))
K = torch.normal(0, 1, (2, 3, 1, 1))
Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = corr2d_multi_in_out(X, K)
Y3 = F.conv2d(X[None], K)[0]
# iguales salvo el redondeo de float32 (cada camino suma los productos en otro orden)
assert torch.allclose(Y1, Y2, atol=1e-5) and torch.allclose(Y1, Y3, atol=1e-5)
print("bucle, matmul y F.conv2d coinciden; diferencia máxima:", float((Y1 - Y2).abs().max()))

# %% [markdown]
# Lo mismo con capas: una `nn.Conv2d(3, 2, kernel_size=1)` y una `nn.Linear(3, 2)` con los mismos
# pesos dan lo mismo si ponemos los canales al final (`permute`).

# %%
conv1x1 = nn.Conv2d(3, 2, kernel_size=1)
linear = nn.Linear(3, 2)
with torch.no_grad():
    linear.weight.copy_(conv1x1.weight.reshape(2, 3))
    linear.bias.copy_(conv1x1.bias)
X = torch.randn(4, 3, 5, 5)                                  # (lote, canales, alto, ancho)
by_conv = conv1x1(X)
by_linear = linear(X.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
by_conv.shape, torch.allclose(by_conv, by_linear, atol=1e-6)

# %% [markdown]
# La convolución de $1 \times 1$ sirve para cambiar el número de canales sin tocar el alto y el
# ancho (la veremos en NiN, GoogLeNet y ResNet). ¿Cuántos parámetros tiene cada capa? Una de
# $k \times k$ con $c_i$ canales de entrada y $c_o$ de salida tiene $c_o c_i k^2 + c_o$:

# %%
for k in [1, 3, 5]:
    layer = nn.Conv2d(64, 128, kernel_size=k)
    print(f"núcleo {k}×{k}: {sum(p.numel() for p in layer.parameters()):,} parámetros "
          f"(= 128·64·{k}² + 128 = {128 * 64 * k * k + 128:,})")

# %% [markdown]
# ## Ejercicios
#
# 1. Dos capas seguidas de núcleos $k_1 \times k_1$ y $k_2 \times k_2$ (sin no linealidad entre
#    ellas): ¿a qué convolución única equivalen?
# 2. ¿Cuántas multiplicaciones cuesta una capa de $c_o \times c_i \times k_h \times k_w$ sobre una
#    entrada de $c_i \times h \times w$?
# 3. Aplica `nn.Conv2d(1, 8, kernel_size=3)` con sus pesos iniciales (al azar) al dígito y dibuja
#    los ocho mapas. ¿Alguno ya parece un detector de bordes?
