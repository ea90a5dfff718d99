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
# # Unidad 3.2 — Modelos de secuencias y de lenguaje
#
# Hasta ahora cada ejemplo era independiente de los demás. En una **secuencia** (una serie de
# tiempo, un texto) el orden importa: lo que viene depende de lo que pasó. Este cuaderno sigue las
# secciones 9.1 y 9.3 de d2l:
#
# - un modelo **autorregresivo** que predice una serie a partir de sus últimos valores, y por qué
#   predecir muchos pasos adelante es difícil;
# - los **modelos de lenguaje**, los *n*-gramas y la **perplejidad** para medirlos;
# - cómo cortar un texto largo en **minilotes** de subsecuencias.

# %%
import math

from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn, text
from profundo.datasets import noisy_sine
from profundo.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

# %% [markdown]
# ## Un modelo autorregresivo
#
# Una serie de 1000 valores: un seno con ruido. Queremos predecir $x_t$ a partir del pasado
# $x_{t-1}, \ldots, x_1$. Un modelo **autorregresivo** de orden $\tau$ sólo mira los últimos $\tau$
# valores (una aproximación de **Markov**): cada ejemplo tiene como rasgos
# $(x_{t-\tau}, \ldots, x_{t-1})$ y como etiqueta $x_t$.

# %%
T, tau, num_train = 1000, 4, 600
time, x = noisy_sine(T)
features = torch.stack([x[i: T - tau + i] for i in range(tau)], 1)
labels = x[tau:].reshape((-1, 1))
print(features.shape, labels.shape)

plt.figure(figsize=(7, 2.5))
plt.plot(time.numpy(), x.numpy())
plt.xlabel("tiempo")
plt.ylabel("x")
plt.show()

# %% [markdown]
# Una regresión lineal basta: la entrenamos con los primeros 600 ejemplos.

# %%
model = nn.Linear(tau, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()
train_iter = DataLoader(TensorDataset(features[:num_train], labels[:num_train]), batch_size=16, shuffle=True)
for epoch in range(5):
    for X, y in train_iter:
        optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        optimizer.step()
    with torch.no_grad():
        val_loss = float(loss_fn(model(features[num_train:]), labels[num_train:]))
    print(f"época {epoch + 1}, pérdida de validación {val_loss:.4f}")

# %% [markdown]
# ### Predecir uno o muchos pasos adelante
#
# Las predicciones **a un paso** (cada una con los valores verdaderos anteriores) son buenas. Pero
# si, pasado el tiempo 604, usamos nuestras propias predicciones como entrada para seguir
# prediciendo, los errores se **acumulan** y la predicción se apaga hacia una constante.

# %%
with torch.no_grad():
    onestep_preds = model(features)
    multistep_preds = torch.zeros(T)
    multistep_preds[:] = x
    for i in range(num_train + tau, T):
        multistep_preds[i] = model(multistep_preds[i - tau:i].reshape((1, -1)))

plt.figure(figsize=(7, 2.5))
plt.plot(time.numpy(), x.numpy(), label="datos", alpha=0.5)
plt.plot(time[tau:].numpy(), onestep_preds.numpy(), label="a un paso")
plt.plot(time[num_train + tau:].numpy(), multistep_preds[num_train + tau:].numpy(), label="a muchos pasos")
plt.xlabel("tiempo")
plt.legend()
plt.show()

# %% [markdown]
# Las predicciones a $k$ pasos: para $k = 1, 4, 16, 64$, cada una construida sobre las anteriores.
# Cuanto más lejos, peor.

# %%
def k_step_pred(k):
    features = []
    for i in range(tau):
        features.append(x[i: i + T - tau - k + 1])
    # el elemento (i + tau) guarda las predicciones a (i + 1) pasos
    for i in range(k):
        preds = model(torch.stack(features[i: i + tau], 1))
        features.append(preds.reshape(-1))
    return features[tau:]


steps = (1, 4, 16, 64)
with torch.no_grad():
    preds = k_step_pred(steps[-1])
plt.figure(figsize=(7, 2.5))
for i in steps:
    plt.plot(time[tau + i - 1: T - steps[-1] + i].numpy(), preds[i - 1].numpy(), label=f"{i} pasos")
plt.xlabel("tiempo")
plt.legend()
plt.show()

# %% [markdown]
# ## Modelos de lenguaje
#
# Un texto es una secuencia de tokens $x_1, \ldots, x_T$. Un **modelo de lenguaje** estima su
# probabilidad con la regla de la cadena,
#
# $$P(x_1, \ldots, x_T) = \prod_{t=1}^T P(x_t \mid x_1, \ldots, x_{t-1}),$$
#
# y con eso puede **generar** texto: muestrear $x_t$ dado lo anterior, una y otra vez. Con la
# aproximación de Markov de orden $n - 1$ (sólo los últimos $n-1$ tokens importan) se llama un
# modelo de ***n*-gramas**, y se puede estimar contando:
#
# $$\hat P(x_t \mid x_{t-1}) = \frac{n(x_{t-1}, x_t)}{n(x_{t-1})}.$$
#
# Un par nunca visto tendría probabilidad 0; el **suavizado de Laplace** suma un pseudoconteo
# $\epsilon$ a todos: $\hat P(x_t \mid x_{t-1}) = \frac{n(x_{t-1}, x_t) + \epsilon}{n(x_{t-1}) +
# \epsilon\,|V|}$.
#
# ### La perplejidad
#
# ¿Cómo medimos un modelo de lenguaje? Por lo poco que lo **sorprende** un texto real: el promedio
# de la entropía cruzada sobre los $n$ tokens,
#
# $$\frac{1}{n} \sum_{t=1}^n -\log P(x_t \mid x_{t-1}, \ldots, x_1),$$
#
# y su exponencial, la **perplejidad**. Se lee como el número de opciones entre las que el modelo
# duda en promedio: un modelo perfecto tiene perplejidad 1, y uno que reparte la probabilidad por
# igual entre los $|V|$ tokens, perplejidad $|V|$.
#
# Probémoslo con caracteres: modelos de 0 (frecuencias de las letras), 1 y 2 caracteres de
# contexto, contados en los primeros 150 000 caracteres y medidos en el resto.

# %%
tm = text.TimeMachine(batch_size=1, num_steps=1)
corpus, vocab = torch.tensor(tm.corpus), tm.vocab
V = len(vocab)
train_c, val_c = corpus[:150000], corpus[150000:]


def ngram_perplexity(n, eps=0.1):
    # cuenta de cada n-grama, en un tensor de V^n casillas: los índices de n tokens seguidos
    # se combinan en un solo número en base V
    def codes(c):
        return sum(c[i: len(c) - n + 1 + i] * V ** (n - 1 - i) for i in range(n))
    c = codes(train_c)
    counts = torch.zeros(V ** n).index_add_(0, c, torch.ones(len(c))).reshape((-1, V)) + eps
    log_probs = torch.log(counts / counts.sum(1, keepdim=True))   # fila: el contexto; columna: el siguiente
    val = codes(val_c)
    nll = -log_probs.reshape(-1)[val].mean()
    return math.exp(float(nll))


print(f"al azar (uniforme): {V}")
for n in (1, 2, 3):
    print(f"{n}-gramas ({n - 1} caracteres de contexto): perplejidad {ngram_perplexity(n):.2f}")

# %% [markdown]
# Cada carácter más de contexto ayuda mucho. Pero con $n$ grande la tabla tiene $|V|^n$ casillas
# y casi todas quedan vacías (la cola larga de la ley de Zipf del cuaderno 3.1). Las redes
# recurrentes evitan la tabla: resumen el contexto en un vector.
#
# ## Partir un texto largo en minilotes
#
# Una red lee subsecuencias de largo fijo `num_steps`; el objetivo de cada subsecuencia es la
# misma corrida un token. ¿Dónde las cortamos? Con un "corpus" de juguete, los números 0 a 34:

# %%
my_seq = list(range(35))

# %% [markdown]
# **d2l (1.ª edición de PyTorch, `TimeMachine`)**: todas las ventanas posibles, empezando en cada
# posición, barajadas por un `DataLoader`. Ventanas vecinas se solapan casi enteras.

# %%
X, Y = text.lm_windows(my_seq, num_steps=5)
print(X.shape)
print(X[:3], Y[:3], sep="\n")

# %% [markdown]
# **Partición aleatoria**: empezamos en un desplazamiento al azar (así cada pasada ve cortes
# distintos), cortamos en trozos de `num_steps` sin solaparse y los tomamos en orden aleatorio.
# Dos minilotes seguidos no tienen relación.

# %%
for X, Y in text.seq_data_iter_random(my_seq, batch_size=2, num_steps=5):
    print("X:", X.tolist(), "\nY:", Y.tolist())

# %% [markdown]
# **Partición secuencial**: la fila $i$ de un minilote **continúa** la fila $i$ del anterior. Así el
# estado oculto de una RNN al final de un minilote sirve como estado inicial del siguiente (sin
# propagar el gradiente hacia atrás entre minilotes: `state.detach()`).

# %%
for X, Y in text.seq_data_iter_sequential(my_seq, batch_size=2, num_steps=5):
    print("X:", X.tolist(), "\nY:", Y.tolist())

# %% [markdown]
# ## Ejercicios
#
# 1. Con el modelo autorregresivo, prueba $\tau = 1, 16, 64$. ¿Mejora la predicción a 64 pasos?
# 2. Cambia el pseudoconteo $\epsilon$ de los *n*-gramas (0.001, 1, 10). ¿Cómo cambia la
#    perplejidad de validación? ¿Y con $n = 4$?
# 3. Con el corpus del libro, ¿cuántos minilotes da una pasada de cada partición con
#    `batch_size=32, num_steps=35`? ¿Cuántas ventanas da `lm_windows`?
