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
# # Unidad 2.7 — Redes residuales (ResNet)
#
# ¿Más capas dan siempre un modelo mejor? Sólo si el modelo más grande **contiene** al más pequeño:
# si la capa nueva puede aprender la identidad $f(\mathbf{x}) = \mathbf{x}$, añadirla nunca empeora.
# ResNet (He et al., 2016) lo hace fácil: cada bloque calcula $f(\mathbf{x}) = g(\mathbf{x}) +
# \mathbf{x}$, así que sólo tiene que aprender el **residuo** $g(\mathbf{x}) = f(\mathbf{x}) -
# \mathbf{x}$, y la identidad es $g = 0$. El atajo (la suma con $\mathbf{x}$) deja pasar también
# el gradiente sin atenuarse, y con él se entrenan redes de cientos de capas.

# %%
from matplotlib import pyplot as plt

import profundo as torch
import profundo.nn.functional as F
from profundo import nn, viz
from profundo.datasets import Digits
from profundo.train import Trainer
from profundo.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

# %% [markdown]
# ## El bloque residual
#
# Como en d2l: dos convoluciones de $3 \times 3$, cada una con normalización por lotes (cuaderno
# 2.6), ReLU entre ellas, y la entrada sumada antes de la última ReLU. Si el bloque cambia el
# número de canales o reduce la resolución (`strides=2`), la entrada pasa por una convolución de
# $1 \times 1$ (cuaderno 2.3) para tener la misma forma que la salida.

# %%
class Residual(nn.Module):
    """El bloque residual de ResNet."""
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


# %% [markdown]
# Con la misma forma a la entrada y a la salida:

# %%
blk = Residual(3)
X = torch.randn(4, 3, 6, 6)
blk(X).shape

# %% [markdown]
# Duplicando los canales y reduciendo el alto y el ancho a la mitad:

# %%
blk = Residual(6, use_1x1conv=True, strides=2)
blk(X).shape

# %% [markdown]
# El grafo de un bloque (cada capa plegada en un solo nodo): el atajo sale de la entrada y llega a
# la suma `AddBackward0`, al lado de las dos convoluciones.

# %%
blk = Residual(3)
x = torch.randn(1, 3, 6, 6, requires_grad=True)
blk(x)                               # crea las capas perezosas
viz.draw(blk(x).sum(), names={"x": x}, collapse=True, show_values=False)

# %% [markdown]
# ## ResNet-18
#
# Empieza como GoogLeNet: una convolución de $7 \times 7$ con 64 canales y paso 2, normalización,
# ReLU y un máximo de $3 \times 3$ con paso 2. Siguen cuatro etapas de bloques residuales (64, 128,
# 256 y 512 canales); cada una, salvo la primera, reduce a la mitad el alto y el ancho al empezar.
# Al final, un promedio global (`AdaptiveAvgPool2d`) y una capa densa.

# %%
class ResNet(nn.Module):
    def __init__(self, arch, num_classes=10, b1_channels=64):
        super().__init__()
        self.net = nn.Sequential(self.b1(b1_channels))
        for i, b in enumerate(arch):
            self.net.add_module(f"b{i + 2}", self.block(*b, first_block=(i == 0)))
        self.net.add_module("last", nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
            nn.LazyLinear(num_classes)))

    def b1(self, channels):
        return nn.Sequential(
            nn.LazyConv2d(channels, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    def block(self, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels))
        return nn.Sequential(*blk)

    def forward(self, X):
        return self.net(X)


class ResNet18(ResNet):
    def __init__(self, num_classes=10):
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), num_classes)


def layer_summary(net, X_shape):
    """Imprime la forma de la salida de cada parte de la red (d2l)."""
    X = torch.randn(*X_shape)
    for name, layer in net.named_children():
        X = layer(X)
        print(f"{name:5} {layer.__class__.__name__:12} forma de la salida: {tuple(X.shape)}")


model = ResNet18()
layer_summary(model.net, (1, 1, 96, 96))
print(f"parámetros: {sum(p.numel() for p in model.parameters()):,}")

# %% [markdown]
# La misma red está en `profundo.models` (`ResNet18`, con la disposición del libro; `resnet18`
# es la de torchvision, la de los pesos preentrenados, con otra primera etapa):

# %%
from profundo.models import ResNet18 as BookResNet18
from profundo.models import resnet18

print(f"profundo.models.ResNet18: {sum(p.numel() for p in BookResNet18().parameters()):,} parámetros")
print(f"profundo.models.resnet18: {sum(p.numel() for p in resnet18(num_classes=10, in_channels=1).parameters()):,} "
      "parámetros")

# %% [markdown]
# Dieciocho capas con pesos: la primera convolución, 4 etapas × 2 bloques × 2 convoluciones y la
# capa densa (las convoluciones de $1 \times 1$ de los atajos no se cuentan). Una imagen de
# $96 \times 96$ termina en 512 canales de $3 \times 3$.

# %% [markdown]
# ## Entrenar una ResNet pequeña
#
# ResNet-18 tiene 11 millones de parámetros: demasiado para 1438 dígitos y para una CPU en clase.
# Con la misma clase armamos una de dos etapas (16 y 32 canales, un bloque cada una) y la
# entrenamos unas pocas épocas con los dígitos de 28×28.

# %%
def load(train):
    data = Digits(train=train, size=28)
    return TensorDataset(data.data.float().unsqueeze(1) / 255, data.targets)


train_iter = DataLoader(load(True), batch_size=64, shuffle=True)
test_iter = DataLoader(load(False), batch_size=256)

torch.manual_seed(0)
small = ResNet(((1, 16), (1, 32)), b1_channels=16)
layer_summary(small.net, (2, 1, 28, 28))   # también crea las capas perezosas
print(f"parámetros: {sum(p.numel() for p in small.parameters()):,}")

# %%
trainer = Trainer(small, nn.CrossEntropyLoss(), torch.optim.SGD(small.parameters(), lr=0.05, momentum=0.9),
                  progress=False, plot=True)
trainer.fit(train_iter, test_iter, epochs=4)
result = trainer.evaluate(test_iter)
print(f"exactitud de prueba: {result['accuracy']:.3f}")

# %% [markdown]
# ## ¿Por qué la prueba va por detrás?
#
# La exactitud de entrenamiento sube rápido, pero la de prueba va más atrás. Parte de la
# diferencia no es sobreajuste: en evaluación cada `BatchNorm2d` usa sus **promedios móviles**
# (con `momentum=0.1`), y con sólo 23 pasos por época todavía recuerdan las estadísticas de pesos
# de hace varias épocas. Los recalculamos con los pesos finales: `reset_running_stats()` y
# `momentum=None` (un promedio de todos los lotes por igual), y una pasada por los datos de
# entrenamiento en modo `train()` sin gradientes (no cambia ningún peso).

# %%
for m in small.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.reset_running_stats()
        m.momentum = None
small.train()
with torch.no_grad():
    for X, _ in train_iter:
        small(X)
print(f"exactitud de prueba con las estadísticas recalculadas: {trainer.evaluate(test_iter)['accuracy']:.3f}")

# %% [markdown]
# ## Los mapas de la primera etapa
#
# Los 16 canales que salen de la primera etapa residual para un dígito ($7 \times 7$ tras la
# convolución con paso 2 y el máximo):

# %%
X_test, y_test = load(False).tensors
small.eval()
with torch.no_grad():
    maps = small.net[:2](X_test[:1])
fig, axes = plt.subplots(2, 9, figsize=(11, 2.8))
axes[0, 0].imshow(X_test[0, 0].numpy(), cmap="gray")
axes[0, 0].set_title(f"entrada ({int(y_test[0])})")
axes[1, 0].axis("off")
for c in range(16):
    ax = axes[c // 8, 1 + c % 8]
    ax.imshow(maps[0, c].numpy(), cmap="viridis")
    ax.set_title(f"canal {c}", fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %% [markdown]
# ## Ejercicios
#
# 1. Entrena desde la terminal: `profundo train resnet18` (dígitos ampliados; tarda bastante más
#    que LeNet en una CPU).
# 2. Quita el atajo (`Y += X`) de `Residual` y entrena la misma red pequeña. ¿Cambia algo con tan
#    pocas capas? Prueba con 4 bloques por etapa.
# 3. En ResNet-50 y más profundas se usa el bloque *cuello de botella* ($1 \times 1$ que reduce los
#    canales, $3 \times 3$, $1 \times 1$ que los restaura). Escríbelo.
