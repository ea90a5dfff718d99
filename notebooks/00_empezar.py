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
# Celda de instalación (la primera de cada cuaderno). En Google Colab (o en una máquina nueva) instala profundo;
# si ya está instalado, no hace nada. Antes, indica de dónde instalarlo: la dirección git del repositorio del
# curso o la ruta de un .whl, p. ej.
#   os.environ["PROFUNDO_PIP"] = "git+https://github.com/<curso>/profundo"
# (es lo mismo que escribir en una celda: !pip install git+https://github.com/<curso>/profundo)
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
# # Empezar: el código del libro, tal cual, en profundo
#
# El curso sigue el libro *Dive into Deep Learning* (d2l), edición PyTorch. Su biblioteca, `pip install d2l`,
# fija versiones antiguas (`d2l==1.0.3` exige `numpy==1.23.5`, que no tiene *wheel* para el Python actual y choca
# con los paquetes de Colab): mucha gente pierde la primera clase instalando.
#
# **profundo** es un marco de aprendizaje profundo escrito sobre NumPy con la API de PyTorch, y trae la biblioteca
# del libro incorporada. Para ejecutar cualquier cuaderno del libro basta cambiar sus importaciones:
#
# | en el libro                       | con profundo                     |
# |-----------------------------------|----------------------------------|
# | `import torch`                    | `import profundo as torch`       |
# | `from torch import nn`            | `from profundo import nn`        |
# | `from torch.nn import functional as F` | `from profundo.nn import functional as F` |
# | `from d2l import torch as d2l`    | `from profundo import d2l`       |
# | `import torchvision`              | `import profundo as torchvision` |
# | `from torchvision import transforms` | `from profundo import transforms` |
#
# El resto del código no cambia.

# %% [markdown]
# ## En Colab, paso a paso
#
# 1. Abre este cuaderno en Colab (*Archivo → Abrir cuaderno → GitHub*, o sube el `.ipynb`).
# 2. Ejecuta la primera celda: instala profundo (unos segundos; no hace falta GPU: profundo calcula en la CPU).
# 3. Ejecuta el resto de celdas en orden (*Entorno de ejecución → Ejecutar todas*).
#
# Para seguir el libro, copia el código de cada sección en una celda y cambia solo las importaciones de la tabla.

# %%
import profundo as torch
from profundo import d2l

torch.__version__

# %% [markdown]
# ## El primer capítulo con código del libro: manipulación de datos (sección 2.1)
#
# Estas celdas son las del libro, sin tocar una línea más que la importación de arriba.

# %%
x = torch.arange(12, dtype=torch.float32)
x

# %%
x.numel(), x.shape

# %%
X = x.reshape(3, 4)
X

# %%
torch.zeros((2, 3, 4)), torch.ones((2, 3, 4)), torch.randn(3, 4)

# %%
torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])

# %% [markdown]
# ### Indexado y operaciones

# %%
X[-1], X[1:3]

# %%
X[1, 2] = 17
X[:2, :] = 12
X

# %%
torch.exp(x)

# %%
x = torch.tensor([1.0, 2, 4, 8])
y = torch.tensor([2, 2, 2, 2])
x + y, x - y, x * y, x / y, x ** y

# %%
X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
torch.cat((X, Y), dim=0), torch.cat((X, Y), dim=1)

# %%
X == Y, X.sum()

# %% [markdown]
# ### Difusión (*broadcasting*) y memoria

# %%
a = torch.arange(3).reshape((3, 1))
b = torch.arange(2).reshape((1, 2))
a, b, a + b

# %%
before = id(Y)
Y = Y + X
id(Y) == before

# %%
Z = torch.zeros_like(Y)
print('id(Z):', id(Z))
Z[:] = X + Y
print('id(Z):', id(Z))

# %% [markdown]
# ### Conversión a otros objetos de Python

# %%
A = X.numpy()
B = torch.from_numpy(A)
type(A), type(B)

# %%
a = torch.tensor([3.5])
a, a.item(), float(a), int(a)

# %% [markdown]
# ## La biblioteca del libro: `from profundo import d2l`
#
# Las funciones que el libro guarda en `d2l` (marcadas `#@save`) están en `profundo.d2l` con los mismos nombres.
# Por ejemplo, el dibujo de la sección 2.4 (Cálculo): la función $f(x) = 3x^2 - 4x$ y su recta tangente en $x=1$.

# %%
import numpy as np


def f(x):
    return 3 * x ** 2 - 4 * x


x = np.arange(0, 3, 0.1)
d2l.plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])

# %% [markdown]
# ## ¿Y la GPU?
#
# El libro pregunta por la GPU con `torch.cuda` y `d2l.try_gpu()`. profundo responde con honestidad: aún no tiene
# backend de GPU, así que dice que no hay ninguna y el código del libro elige la CPU sin cambiar nada.

# %%
torch.cuda.is_available(), d2l.num_gpus(), d2l.try_gpu()

# %% [markdown]
# ## Un entrenamiento completo del libro (sección 3.4, versión breve)
#
# `d2l.Trainer`, `d2l.SyntheticRegressionData` y `d2l.LinearRegressionScratch` son los del libro: el gráfico
# de la pérdida se actualiza en vivo mientras entrena.

# %%
model = d2l.LinearRegressionScratch(2, lr=0.03)
data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
trainer = d2l.Trainer(max_epochs=3)
trainer.fit(model, data)

with torch.no_grad():
    print(f'error in estimating w: {data.w - model.w.reshape(data.w.shape)}')
    print(f'error in estimating b: {data.b - model.b}')

# %% [markdown]
# ## Para seguir
#
# - Los cuadernos `01_…` a `06_…` recorren el capítulo 2 (preliminares) en español; `u1_…`, `u2_…` y `u3_…`,
#   las unidades del curso (regresión, redes convolucionales, redes recurrentes y atención).
# - Los conjuntos de datos del libro (Fashion-MNIST, *The Time Machine*, inglés-francés) se descargan la primera
#   vez, como en el libro; sin red, profundo dice qué archivo falta y dónde copiarlo.
# - Si una línea del libro no funciona en profundo, el mensaje de error lo dice (en inglés, con una pista en
#   español): avísanos, es un error nuestro.
