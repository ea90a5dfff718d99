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
# # Unidad 2.6 — Normalización por lotes (batch normalization)
#
# Las redes profundas se entrenan mal cuando la escala de las activaciones cambia de capa en capa
# y de paso en paso. La **normalización por lotes** (Ioffe y Szegedy, 2015) normaliza cada canal
# con la media y la varianza **del minilote** y luego aplica una escala $\boldsymbol\gamma$ y un
# desplazamiento $\boldsymbol\beta$ que se aprenden:
#
# $$\mathrm{BN}(\mathbf{x}) = \boldsymbol\gamma \odot \frac{\mathbf{x} - \hat{\boldsymbol\mu}_\mathcal{B}}
# {\sqrt{\hat{\boldsymbol\sigma}^2_\mathcal{B} + \epsilon}} + \boldsymbol\beta.$$
#
# Durante el entrenamiento usa las estadísticas del lote; en evaluación, promedios móviles
# calculados durante el entrenamiento (así la predicción de un ejemplo no depende de los demás).

# %%
from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.datasets import Digits
from profundo.train import Trainer
from profundo.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

# %% [markdown]
# ## Desde cero
#
# Como en d2l: para una capa densa (entrada de 2 dimensiones) la media es por característica
# (sobre el lote); para una convolucional (4 dimensiones) es por **canal**, sobre el lote, el alto y
# el ancho. Para saber si estamos entrenando o prediciendo, d2l mira si se registran gradientes
# (`torch.is_grad_enabled()`).

# %%
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # ¿entrenamos o predecimos?
    if not torch.is_grad_enabled():
        # predicción: usamos la media y la varianza móviles
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            # capa densa: media y varianza de cada característica
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            # capa convolucional: media y varianza de cada canal (dim=1); keepdim para el broadcasting
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        # en entrenamiento usamos la media y la varianza del lote
        X_hat = (X - mean) / torch.sqrt(var + eps)
        # actualizamos los promedios móviles
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta  # escala y desplazamiento
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    # num_features: salidas de una capa densa o canales de una convolucional
    # num_dims: 2 para una capa densa, 4 para una convolucional
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        # escala y desplazamiento: parámetros que se aprenden, iniciados en 1 y 0
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        # los promedios móviles no son parámetros: empiezan en 0 y 1
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


# %% [markdown]
# Tras normalizar, cada canal tiene media 0 y varianza 1 en el lote (casi: el $\epsilon$ del
# denominador se nota en el canal de varianza pequeña):

# %%
X = torch.randn(16, 3, 5, 5) * torch.tensor([1.0, 5.0, 0.2]).reshape(1, 3, 1, 1) + 4
bn = BatchNorm(3, num_dims=4)
Y = bn(X)
print("medias antes:      ", X.mean(dim=(0, 2, 3)))
print("varianzas antes:   ", X.var(dim=(0, 2, 3), unbiased=False))
print("medias después:    ", Y.mean(dim=(0, 2, 3)).detach())
print("varianzas después: ", Y.var(dim=(0, 2, 3), unbiased=False).detach())

# %% [markdown]
# ## Contra `nn.BatchNorm2d`
#
# La capa de PyTorch (y de profundo) da lo mismo en entrenamiento. Sus promedios móviles se llaman
# `running_mean` y `running_var` y son *buffers*: van en el `state_dict` pero no son parámetros.
# Un detalle: PyTorch guarda en `running_var` la varianza **insesgada** (divide entre $n-1$, con
# $n$ = lote × alto × ancho), mientras que d2l usa la sesgada (entre $n$).

# %%
layer = nn.BatchNorm2d(3)
print(layer)
print(torch.allclose(layer(X), Y, atol=1e-5))
n = 16 * 5 * 5
print("media móvil:  ", torch.allclose(layer.running_mean, bn.moving_mean.flatten(), atol=1e-5))
print("var. móvil:   ", torch.allclose(layer.running_var, 0.9 + (bn.moving_var.flatten() - 0.9) * n / (n - 1),
                                        atol=1e-4))
print(list(layer.state_dict()))

# %% [markdown]
# En evaluación (`eval()`) la capa ya no mira el lote: usa los promedios móviles. Así el resultado
# de un ejemplo no cambia según con quién venga en el lote.

# %%
layer.eval()
one = layer(X[:1])
with_others = layer(X)[:1]
print("eval, solo o acompañado: ", torch.allclose(one, with_others))
layer.train()
print("train, solo o acompañado:", torch.allclose(layer(X[:2])[:1], layer(X)[:1]))

# %% [markdown]
# ## LeNet con normalización por lotes
#
# La normalización va **después** de la capa lineal o convolucional y **antes** de la no
# linealidad. Usamos la LeNet con sigmoides del cuaderno 2.5 (que aprendía despacio) y la
# entrenamos con y sin nuestra `BatchNorm`, con el mismo descenso por gradiente (SGD, tasa 0.1).

# %%
def load(train):
    data = Digits(train=train, size=28)
    return TensorDataset(data.data.float().unsqueeze(1) / 255, data.targets)


train_iter = DataLoader(load(True), batch_size=64, shuffle=True)
test_iter = DataLoader(load(False), batch_size=256)


def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


def lenet(bn=False):
    """La LeNet de d2l; con bn=True, con nuestra BatchNorm tras cada capa salvo la última."""
    def norm(features, num_dims):
        return [BatchNorm(features, num_dims=num_dims)] if bn else []
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5), *norm(6, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5), *norm(16, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.LazyLinear(120), *norm(120, 2), nn.Sigmoid(),
        nn.LazyLinear(84), *norm(84, 2), nn.Sigmoid(),
        nn.LazyLinear(10))


def train(model, epochs=4, lr=0.1):
    torch.manual_seed(0)
    with torch.no_grad():
        model(torch.zeros(2, 1, 28, 28))   # crea las capas perezosas
    model.apply(init_cnn)
    trainer = Trainer(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=lr), progress=False,
                      plot=False)
    trainer.fit(train_iter, test_iter, epochs=epochs)
    return trainer.history


models = {"sin normalización": lenet(), "con BatchNorm (a mano)": lenet(bn=True)}
histories = {name: train(model) for name, model in models.items()}

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for name, h in histories.items():
    axes[0].plot(h["epoch"], h["train_loss"], "o-", label=name)
    axes[1].plot(h["epoch"], h["val_accuracy"], "o-", label=name)
axes[0].set_title("pérdida de entrenamiento")
axes[1].set_title("exactitud de prueba")
for ax in axes:
    ax.set_xlabel("época")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# Sin normalización, con esta tasa de aprendizaje, la red no sale de adivinar al azar en estas
# pocas épocas; con ella aprende en las primeras.
#
# Lo que aprendió cada canal de la primera capa: su escala $\gamma$ y su desplazamiento $\beta$,
# y los promedios móviles que se usan al predecir.

# %%
bn1 = models["con BatchNorm (a mano)"][1]
print("gamma:         ", bn1.gamma.detach().flatten())
print("beta:          ", bn1.beta.detach().flatten())
print("media móvil:   ", bn1.moving_mean.flatten())
print("varianza móvil:", bn1.moving_var.flatten())

# %% [markdown]
# ## Implementación concisa
#
# `nn.BatchNorm2d(canales)` para las convolucionales, `nn.BatchNorm1d(características)` para las
# densas (o sus versiones perezosas `nn.LazyBatchNorm2d()` y `nn.LazyBatchNorm1d()`, que deducen el
# número). El `Trainer` llama a `model.train()` y `model.eval()` por nosotros.

# %%
torch.manual_seed(0)
model = nn.Sequential(
    nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
    nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(), nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.Sigmoid(),
    nn.LazyLinear(84), nn.LazyBatchNorm1d(), nn.Sigmoid(),
    nn.LazyLinear(10))
history = train(model)
print(f"exactitud de prueba: {history['val_accuracy'][-1]:.3f}")
model

# %% [markdown]
# Las activaciones de la primera capa convolucional de un lote, antes y después de la
# normalización (y de la sigmoide que sigue):

# %%
X, _ = next(iter(test_iter))
model.eval()
with torch.no_grad():
    before = model[0](X)
    after = model[1](before)
fig, axes = plt.subplots(1, 3, figsize=(10, 2.8))
axes[0].hist(before.flatten().numpy(), bins=60)
axes[0].set_title("tras la convolución")
axes[1].hist(after.flatten().numpy(), bins=60)
axes[1].set_title("tras BatchNorm2d")
axes[2].hist(torch.sigmoid(after).flatten().numpy(), bins=60)
axes[2].set_title("tras la sigmoide")
plt.show()
print("buffers:", [name for name, _ in model[1].named_buffers()])

# %% [markdown]
# ## Ejercicios
#
# 1. Quita $\boldsymbol\gamma$ y $\boldsymbol\beta$ (`affine=False` en `nn.BatchNorm2d`). ¿Cambia la exactitud?
# 2. Prueba tasas de aprendizaje más grandes (0.5, 1.0) con y sin normalización.
# 3. Con lotes de 2 ejemplos, ¿qué pasa? ¿Y con un lote de 1 en `BatchNorm1d`?
