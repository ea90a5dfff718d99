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
# # Unidad 2.5 — LeNet
#
# LeNet-5 (LeCun et al., 1998) fue la primera red convolucional usada en serio: leía los códigos
# postales y los cheques en los bancos de Estados Unidos. Tiene dos partes: un **codificador
# convolucional** (dos capas convolucionales, cada una seguida de una no linealidad y de un
# agrupamiento) y un **bloque denso** (tres capas lineales). La entrenamos con los dígitos
# escritos a mano, ampliados a 28×28 como MNIST, y miramos qué aprendió.

# %%
from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.datasets import Digits
from profundo.train import Trainer
from profundo.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

# %% [markdown]
# ## Los datos
#
# Los 1797 dígitos de scikit-learn (8×8) ampliados a 28×28; cada imagen es un tensor
# (1, 28, 28): un canal.

# %%
def load(train):
    data = Digits(train=train, size=28)
    return TensorDataset(data.data.float().unsqueeze(1) / 255, data.targets)


train_data, test_data = load(True), load(False)
train_iter = DataLoader(train_data, batch_size=64, shuffle=True)
test_iter = DataLoader(test_data, batch_size=256)
X_test, y_test = test_data.tensors
X_test.shape, y_test.shape

# %%
fig, axes = plt.subplots(1, 8, figsize=(10, 1.6))
for ax, img, label in zip(axes, X_test, y_test):
    ax.imshow(img[0].numpy(), cmap="gray")
    ax.set_title(int(label))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## El modelo
#
# Como en d2l: capas *perezosas* (`LazyConv2d`, `LazyLinear`) que deducen el tamaño de su entrada
# en la primera pasada, así no hay que calcular a mano cuántos números salen de las convoluciones
# (16 canales de 5×5 = 400).

# %%
def init_cnn(module):
    """Inicializa los pesos de las capas de una CNN (Xavier)."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


def lenet(num_classes=10):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120), nn.Sigmoid(),
        nn.LazyLinear(84), nn.Sigmoid(),
        nn.LazyLinear(num_classes))


def layer_summary(net, X_shape):
    """Imprime la forma de la salida de cada capa (d2l)."""
    X = torch.randn(*X_shape)
    for layer in net:
        X = layer(X)
        print(f"{layer.__class__.__name__:12} forma de la salida: {tuple(X.shape)}")


model = lenet()
layer_summary(model, (1, 1, 28, 28))
model.apply(init_cnn)  # ahora las capas ya tienen forma (la pasada de arriba las creó)

# %% [markdown]
# El alto y el ancho se reducen (28 → 14 → 10 → 5) mientras los canales crecen (1 → 6 → 16). ¿Cuántos
# parámetros tiene cada capa?

# %%
for name, p in model.named_parameters():
    print(f"{name:10} {str(tuple(p.shape)):16} {p.numel():6,}")
print(f"total: {sum(p.numel() for p in model.parameters()):,}")

# %% [markdown]
# ## Entrenar la LeNet original
#
# Con sigmoides y agrupamiento promedio, como en 1998. Con tan pocos ejemplos (1438, unos 23
# pasos por época) el descenso por gradiente simple casi no se mueve en diez épocas; usamos Adam,
# que adapta el paso de cada parámetro. El `Trainer` (de la Unidad 1) dibuja las curvas de
# pérdida y exactitud en cada época.

# %%
loss_fn = nn.CrossEntropyLoss()
trainer = Trainer(model, loss_fn, torch.optim.Adam(model.parameters(), lr=0.003), progress=False, plot=True)
trainer.fit(train_iter, test_iter, epochs=8)
trainer.evaluate(test_iter)

# %% [markdown]
# Las sigmoides aprenden despacio: su gradiente es a lo sumo 1/4 y se achica al pasar por cada
# capa, y las primeras épocas se quedan en adivinar al azar (10 %). La versión moderna cambia la
# sigmoide por **ReLU** y el promedio por el **máximo**, con el mismo optimizador.

# %% [markdown]
# ## LeNet moderna: ReLU y máximo

# %%
def lenet_relu(num_classes=10):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120), nn.ReLU(),
        nn.LazyLinear(84), nn.ReLU(),
        nn.LazyLinear(num_classes))


torch.manual_seed(0)
model = lenet_relu()
model(torch.zeros(1, 1, 28, 28))
model.apply(init_cnn)
trainer = Trainer(model, loss_fn, torch.optim.Adam(model.parameters(), lr=0.003), progress=False, plot=True)
trainer.fit(train_iter, test_iter, epochs=6)
result = trainer.evaluate(test_iter)
print(f"exactitud de prueba: {result['accuracy']:.3f}")

# %% [markdown]
# ## ¿Qué aprendió?
#
# Los seis núcleos de 5×5 de la primera capa (rojo: peso positivo, azul: negativo):

# %%
conv1 = model[0]
w = conv1.weight.detach()
fig, axes = plt.subplots(1, 6, figsize=(9, 1.8))
for c, ax in enumerate(axes):
    lim = float(w[c].abs().max())
    ax.imshow(w[c, 0].numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_title(f"núcleo {c}")
    ax.axis("off")
plt.show()

# %% [markdown]
# Y los **mapas de características** de un dígito: los 6 canales tras la primera convolución (y su
# ReLU), y los 16 tras la segunda. Cada canal se enciende con un rasgo distinto (trazos en una
# dirección, bordes, curvas); en la segunda capa los mapas son más pequeños y más abstractos.

# %%
x = X_test[:1]
with torch.no_grad():
    maps1 = model[:2](x)       # conv + ReLU: (1, 6, 28, 28)
    maps2 = model[:5](x)       # ... + max + conv + ReLU: (1, 16, 10, 10)
print(maps1.shape, maps2.shape)

fig, axes = plt.subplots(3, 8, figsize=(11, 4.4))
axes[0, 0].imshow(x[0, 0].numpy(), cmap="gray")
axes[0, 0].set_title(f"entrada ({int(y_test[0])})")
for c in range(6):
    axes[0, c + 1].imshow(maps1[0, c].numpy(), cmap="viridis")
    axes[0, c + 1].set_title(f"capa 1, canal {c}", fontsize=8)
for c in range(16):
    ax = axes[1 + c // 8, c % 8]
    ax.imshow(maps2[0, c].numpy(), cmap="viridis")
    ax.set_title(f"capa 2, canal {c}", fontsize=8)
for ax in axes.flat:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Los errores
#
# Las predicciones sobre el conjunto de prueba: ¿con qué dígitos se equivoca? (Encima de cada
# imagen: la clase verdadera → la predicha.)

# %%
pred = trainer.predict(X_test).argmax(1)
wrong = (pred != y_test).nonzero().flatten()
print(f"{len(wrong)} errores de {len(y_test)}")
if len(wrong):
    fig, axes = plt.subplots(1, min(8, len(wrong)), figsize=(10, 1.8), squeeze=False)
    for ax, i in zip(axes[0], wrong[:8]):
        ax.imshow(X_test[int(i), 0].numpy(), cmap="gray")
        ax.set_title(f"{int(y_test[i])} → {int(pred[i])}")
        ax.axis("off")
    plt.show()

# %% [markdown]
# ## La LeNet de `profundo.models`
#
# profundo trae esta red ya escrita, con las dos variantes: `LeNet()` es la del libro (sigmoide y
# promedio) y `LeNet(activation="relu", pooling="max")` la moderna. `summary` muestra cada capa,
# la forma de su salida y sus parámetros. Sus capas están en `.net`, en el mismo orden que las
# nuestras, así que puede cargar los pesos que acabamos de entrenar y da la misma exactitud.

# %%
from profundo.models import LeNet, summary

net = LeNet(activation="relu", pooling="max")
print(summary(net, (1, 1, 28, 28)))
net.net.load_state_dict(model.state_dict())
net.eval()
with torch.no_grad():
    print(f"exactitud con los mismos pesos: {float((net(X_test).argmax(1) == y_test).float().mean()):.3f}")

# %% [markdown]
# ## Ejercicios
#
# 1. Entrena desde la terminal: `profundo train lenet` (dígitos 28×28) y mira
#    `runs/lenet-digits/curves.png`; con `--data fashion-mnist` descarga Fashion-MNIST.
# 2. Cambia el tamaño de los núcleos (3×3 o 7×7) o el número de canales. ¿Mejora? ¿Cuánto tarda?
# 3. Quita el agrupamiento y usa `stride=2` en las convoluciones. ¿Qué pasa con la exactitud?
