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
# # Clase 2.2 — Preprocesamiento de datos
#
# Los datos reales llegan en archivos CSV con **valores faltantes** y **columnas de texto**.
# Para eso está **pandas**: leemos, limpiamos y convertimos a números, y recién entonces
# pasamos a tensores. profundo no reimplementa pandas: recibe su resultado sin fricción y,
# si algo falta, dice qué columna arreglar.

# %%
import os
import tempfile

import pandas as pd

import profundo as torch

# %% [markdown]
# ## Leer el conjunto de datos
#
# Creamos un archivo CSV pequeño (el del libro): número de habitaciones, tipo de techo y precio.

# %%
data_file = os.path.join(tempfile.mkdtemp(), "house_tiny.csv")
with open(data_file, "w") as f:
    f.write("""NumRooms,RoofType,Price
NA,NA,127500
2,NA,106000
4,Slate,178100
NA,NA,140000""")

data = pd.read_csv(data_file)
data

# %% [markdown]
# ## Valores faltantes
#
# Separamos entradas y objetivo. Para la columna **categórica** `RoofType`, `get_dummies` crea
# una columna 0/1 por categoría; con `dummy_na=True`, también una para "faltante".

# %%
inputs, targets = data.iloc[:, 0:2], data.iloc[:, 2]
inputs = pd.get_dummies(inputs, dummy_na=True)
inputs

# %% [markdown]
# Para la columna **numérica** imputamos la media (otra opción: la mediana, o borrar filas).

# %%
inputs = inputs.fillna(inputs.mean())
inputs

# %% [markdown]
# ## Convertir a tensores
#
# Todas las columnas son ahora numéricas o booleanas: `torch.tensor` las acepta
# (las booleanas se vuelven 0/1 en el tipo pedido).

# %%
X = torch.tensor(inputs.to_numpy(dtype=float))
y = torch.tensor(targets.to_numpy(dtype=float))
X, y

# %%
torch.tensor(inputs, dtype=torch.float32)  # también directamente desde el DataFrame

# %% [markdown]
# ## Lo que sale mal (y lo que dice profundo)
#
# Si olvidamos convertir una columna de texto, el error **nombra la columna** y sugiere la solución:

# %%
try:
    torch.tensor(data)
except TypeError as error:
    print(error)

# %% [markdown]
# `dataset_from_dataframe` arma directamente un `TensorDataset` (entradas, objetivo) y revisa
# que no queden valores faltantes ni columnas de texto:

# %%
from profundo.utils.data import DataLoader, dataset_from_dataframe

try:
    dataset_from_dataframe(pd.get_dummies(data, dummy_na=True), "Price")
except ValueError as error:
    print(error)

# %%
ready = pd.get_dummies(data, dummy_na=True)
ready["NumRooms"] = ready["NumRooms"].fillna(ready["NumRooms"].mean())
dataset = dataset_from_dataframe(ready, "Price")
for Xb, yb in DataLoader(dataset, batch_size=2, shuffle=True):
    print(Xb.shape, yb)

# %% [markdown]
# ## Ejercicios
#
# 1. Borra la columna con más valores faltantes (`data.isna().sum()` te dice cuál).
# 2. Escala las columnas numéricas a media 0 y varianza 1 (`(x - x.mean()) / x.std()` o
#    `sklearn.preprocessing.StandardScaler`) antes de convertir a tensor.
