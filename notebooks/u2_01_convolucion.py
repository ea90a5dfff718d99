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
# # Unidad 2.1 — La convolución a mano
#
# Una imagen tiene estructura: un píxel se parece a sus vecinos, y un borde es un borde en
# cualquier parte de la imagen. Una **capa convolucional** aprovecha las dos cosas: mira sólo una
# ventana pequeña (localidad) y usa los mismos pesos en todas las posiciones (invariancia a la
# traslación). Aquí la escribimos a mano, detectamos bordes con ella y, al final, **aprendemos**
# el núcleo a partir de ejemplos.

# %%
from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.datasets import Digits

torch.manual_seed(0)

# %% [markdown]
# ## La correlación cruzada
#
# El **núcleo** (kernel) `K` de tamaño $k_h \times k_w$ se desliza sobre la entrada `X`; en cada
# posición se multiplican elemento a elemento la ventana y el núcleo, y se suma:
#
# $$Y_{i,j} = \sum_{a=0}^{k_h-1} \sum_{b=0}^{k_w-1} X_{i+a,\,j+b}\, K_{a,b}.$$
#
# La salida tiene $(n_h - k_h + 1) \times (n_w - k_w + 1)$ elementos: la ventana debe caber
# entera dentro de la imagen. Con rebanadas (*slicing*) de tensores, como en d2l:

# %%
def corr2d(X, K):
    """Calcula la correlación cruzada 2D."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
corr2d(X, K)

# %% [markdown]
# Por ejemplo, $Y_{0,0} = 0\cdot 0 + 1\cdot 1 + 3\cdot 2 + 4\cdot 3 = 19$.
#
# La capa `nn.Conv2d` de PyTorch (y de profundo) hace **esta misma operación**, aunque se llame
# convolución: la convolución de los matemáticos voltea el núcleo antes. Como el núcleo se
# aprende, da igual: aprender `K` o aprenderlo volteado es lo mismo. Lo comprobamos con
# `F.conv2d`, que espera la forma (lote, canales, alto, ancho):

# %%
import profundo.nn.functional as F

print(F.conv2d(X.reshape(1, 1, 3, 3), K.reshape(1, 1, 2, 2)))
# la convolución "de verdad" es la correlación con el núcleo volteado en las dos direcciones
print(corr2d(X, torch.flip(K, [0, 1])))

# %% [markdown]
# ## Una capa convolucional propia
#
# Una capa convolucional es una correlación cruzada más un sesgo escalar; el núcleo y el sesgo
# son sus parámetros.

# %%
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


Conv2D((2, 2))(X)

# %% [markdown]
# ## Detectar bordes
#
# Una imagen de $6 \times 8$: blanca (1) a los lados y negra (0) en el centro. El núcleo
# `[1, -1]` resta cada píxel de su vecino de la derecha: da 0 donde la imagen no cambia, 1 en el
# borde de blanco a negro y −1 en el de negro a blanco.

# %%
X = torch.ones((6, 8))
X[:, 2:6] = 0
K = torch.tensor([[1.0, -1.0]])
Y = corr2d(X, K)
Y

# %%
def show(images, titles, cmaps, size=2.2):
    """Dibuja varias imágenes (tensores 2D) una al lado de otra.

    Con el mapa de colores "RdBu_r" el 0 es blanco, lo positivo rojo y lo negativo azul.
    """
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size))
    for ax, img, title, cmap in zip(axes, images, titles, cmaps):
        lim = float(img.abs().max()) if cmap == "RdBu_r" else None
        ax.imshow(img.detach().numpy(), cmap=cmap, vmin=-lim if lim else None, vmax=lim)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
    plt.show()


show([X, K, Y], ["entrada X", "núcleo K = [1, −1]", "salida Y"], ["gray", "RdBu_r", "RdBu_r"])

# %% [markdown]
# El núcleo sólo ve bordes **verticales**: sobre la imagen transpuesta (bordes horizontales) da
# todo ceros.

# %%
corr2d(X.t(), K)

# %% [markdown]
# ### Bordes en un dígito de verdad
#
# Con un dígito de 28×28 (los de scikit-learn, ampliados) y dos núcleos de $3 \times 3$: uno que
# responde a los cambios de izquierda a derecha (bordes verticales) y su transpuesto (bordes
# horizontales).

# %%
digits = Digits(train=False, size=28)
img = digits.data[0].float() / 255
K_v = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])  # el filtro de Sobel
K_h = K_v.t()
show([img, K_v, corr2d(img, K_v), corr2d(img, K_h)],
     [f"el dígito {int(digits.targets[0])}", "núcleo K_v", "bordes verticales", "bordes horizontales"],
     ["gray", "RdBu_r", "RdBu_r", "RdBu_r"])

# %% [markdown]
# ## Aprender el núcleo
#
# ¿Podemos encontrar `K` sólo a partir de pares entrada–salida `(X, Y)`? Sí: partimos de un
# núcleo al azar, medimos el error cuadrático entre `Y` y nuestra salida y bajamos por el
# gradiente. Usamos `nn.LazyConv2d` (deduce el número de canales de entrada en la primera
# llamada), con una entrada y una salida de un canal, y sin sesgo.

# %%
conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)

# la capa trabaja con (lote, canales, alto, ancho)
X = X.reshape((1, 1, 6, 8))
Y = Y.reshape((1, 1, 6, 7))
lr = 3e-2  # tasa de aprendizaje

losses = []
for i in range(10):
    Y_hat = conv2d(X)
    loss = (Y_hat - Y) ** 2
    conv2d.zero_grad()
    loss.sum().backward()
    # actualizamos el núcleo
    conv2d.weight.data[:] -= lr * conv2d.weight.grad
    losses.append(float(loss.sum()))
    if (i + 1) % 2 == 0:
        print(f"época {i + 1}, pérdida {loss.sum():.3f}")

# %%
print(conv2d.weight.data.reshape((1, 2)))   # muy cerca de [1, -1]
plt.figure(figsize=(4, 2.5))
plt.plot(range(1, 11), losses, "o-")
plt.yscale("log")
plt.xlabel("época")
plt.ylabel("pérdida")
plt.show()

# %% [markdown]
# Lo mismo con nuestra `Conv2D`, que calcula con el bucle de `corr2d`: la diferenciación
# automática pasa por cada `Y[i, j] = ...`, sólo que mucho más despacio que `nn.Conv2d`, que hace
# toda la correlación con una sola multiplicación de matrices. Como también aprende el sesgo, y el
# gradiente del sesgo suma los 42 errores, usamos una tasa más pequeña (con 0.03 diverge: pruébalo).

# %%
mine = Conv2D((1, 2))
for i in range(30):
    loss = ((mine(X[0, 0]) - Y[0, 0]) ** 2).sum()
    mine.zero_grad()
    loss.backward()
    with torch.no_grad():
        mine.weight -= 1e-2 * mine.weight.grad
        mine.bias -= 1e-2 * mine.bias.grad
print(f"pérdida {float(loss):.4f}, núcleo {mine.weight.data}, sesgo {float(mine.bias):.4f}")

# %% [markdown]
# ## Mapas de características y campo receptivo
#
# La salida de una capa convolucional se llama **mapa de características**: cada elemento dice
# cuánto se parece su ventana al núcleo. El **campo receptivo** de un elemento son los píxeles de
# la entrada que pueden cambiarlo: $2 \times 2$ tras una capa con núcleo $2 \times 2$, y
# $3 \times 3$ si encima ponemos otra igual. Apilar capas hace que cada neurona vea una zona cada
# vez más grande de la imagen.

# %% [markdown]
# ## Ejercicios
#
# 1. Construye una imagen `X` con bordes diagonales. ¿Qué da el núcleo `K`? ¿Y sobre `X.t()`?
# 2. Diseña a mano un núcleo que calcule la segunda derivada (pista: `[1, -2, 1]`) y aplícalo al dígito.
# 3. Intenta aprender el núcleo de Sobel `K_v` con `nn.LazyConv2d(1, kernel_size=3)` a partir del dígito y
#    `corr2d(img, K_v)`.
