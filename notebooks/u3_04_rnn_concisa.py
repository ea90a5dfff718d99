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
# # Unidad 3.4 — La RNN concisa: `nn.RNN`
#
# En el cuaderno 3.3 escribimos la RNN con un bucle de Python sobre los pasos de tiempo. PyTorch
# (y profundo) la traen hecha: `nn.RNN`, con los mismos nombres de parámetros, las mismas formas
# y los mismos resultados. Como en la sección 9.6 de d2l, la usamos para el mismo modelo de
# lenguaje por caracteres, comprobamos que calcula exactamente la fórmula del cuaderno anterior y
# medimos cuánto más rápida es.

# %%
import math
import time

from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.models import RNNLMScratch, RNNScratch
from profundo.text import TimeMachine

torch.manual_seed(0)

# %% [markdown]
# ## `nn.RNN` por dentro
#
# `nn.RNN(num_inputs, num_hiddens)` recibe la entrada con el tiempo primero, (pasos, lote,
# entradas), y un estado inicial opcional de forma (capas, lote, ocultas). Devuelve **dos** cosas:
# los estados ocultos de la última capa en todos los pasos y el estado final de cada capa.

# %%
num_inputs, num_hiddens, num_steps, batch_size = 28, 32, 35, 4
rnn_layer = nn.RNN(num_inputs, num_hiddens)
X = torch.rand(num_steps, batch_size, num_inputs)
outputs, state = rnn_layer(X)
print(outputs.shape, state.shape)
for name, p in rnn_layer.named_parameters():
    print(f"{name:14} {tuple(p.shape)}")

# %% [markdown]
# Los pesos se guardan transpuestos respecto de d2l (`weight_ih_l0` es ocultas × entradas) y hay
# dos sesgos, pero la cuenta es la misma:
#
# $$\mathbf{H}_t = \tanh(\mathbf{X}_t \mathbf{W}_{ih}^\top + \mathbf{b}_{ih} + \mathbf{H}_{t-1}
# \mathbf{W}_{hh}^\top + \mathbf{b}_{hh}).$$
#
# Copiamos esos pesos en la `RNNScratch` del cuaderno 3.3 (también está en `profundo.models`) y
# comparamos:

# %%
scratch = RNNScratch(num_inputs, num_hiddens)
with torch.no_grad():
    scratch.W_xh.copy_(rnn_layer.weight_ih_l0.T)
    scratch.W_hh.copy_(rnn_layer.weight_hh_l0.T)
    scratch.b_h.copy_(rnn_layer.bias_ih_l0 + rnn_layer.bias_hh_l0)
    scratch_outputs, scratch_state = scratch(X)
print(torch.allclose(torch.stack(scratch_outputs), outputs, atol=1e-6),
      torch.allclose(scratch_state, state[0], atol=1e-6))

# %% [markdown]
# ## El modelo de lenguaje
#
# Como en d2l: una envoltura `RNN` que guarda la capa, y un `RNNLM` que hereda del modelo desde
# cero (`RNNLMScratch`: one-hot, `predict`, la pérdida) y sólo cambia la capa de salida por un
# `nn.LazyLinear`, que se aplica a todos los pasos a la vez.

# %%
class RNN(nn.Module):
    """La RNN implementada con la API de alto nivel (d2l 9.6)."""

    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.num_inputs, self.num_hiddens = num_inputs, num_hiddens
        self.rnn = nn.RNN(num_inputs, num_hiddens)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class RNNLM(RNNLMScratch):
    """El modelo de lenguaje RNN con la API de alto nivel (d2l 9.6)."""

    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)


data = TimeMachine(batch_size=128, num_steps=32, num_train=10000, num_val=2000)
rnn = RNN(num_inputs=len(data.vocab), num_hiddens=32)
model = RNNLM(rnn, vocab_size=len(data.vocab), lr=1)
_ = model(torch.zeros((1, 1), dtype=torch.int64))   # una pasada crea los pesos del LazyLinear

# %% [markdown]
# Antes de entrenar, la predicción es cualquier cosa:

# %%
model.predict("it has", 20, data.vocab)

# %% [markdown]
# ## Entrenar
#
# El mismo bucle del cuaderno 3.3: descenso por gradiente, recorte de la norma del gradiente
# (ahora con `nn.utils.clip_grad_norm_`, la función de PyTorch) y la perplejidad de
# entrenamiento y de validación en cada época.

# %%
def perplexity(model, data_iter):
    total, count = 0.0, 0
    with torch.no_grad():
        for X, Y in data_iter:
            total += float(model.loss(model(X), Y)) * Y.numel()
            count += Y.numel()
    return math.exp(total / count)


def train(model, data, num_epochs, grad_clip_val=1.0):
    optimizer = torch.optim.SGD(model.parameters(), lr=model.lr)
    history = {"train": [], "val": []}
    start = time.perf_counter()
    for epoch in range(num_epochs):
        total, count = 0.0, 0
        for X, Y in data.train_dataloader():
            loss = model.loss(model(X), Y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip_val)
            optimizer.step()
            total, count = total + float(loss) * Y.numel(), count + Y.numel()
        history["train"].append(math.exp(total / count))
        history["val"].append(perplexity(model, data.val_dataloader()))
    history["seconds"] = time.perf_counter() - start
    print(f"perplejidad final {history['train'][-1]:.2f} (entrenamiento), {history['val'][-1]:.2f} "
          f"(validación); {history['seconds'] / num_epochs:.2f} s por época")
    return history


history = train(model, data, num_epochs=10)
model.predict("it has", 20, data.vocab)

# %% [markdown]
# ¿Cuánto tarda la RNN desde cero? La entrenamos 4 épocas (bastan para medir el tiempo de cada
# una). Ambas hacen las mismas cuentas;
# `nn.RNN` proyecta las entradas de todos los pasos con **un solo** producto de matrices antes del
# bucle y calcula el paso hacia atrás de toda la secuencia en una sola operación, en vez de
# registrar en el grafo cada suma y cada `tanh` de cada paso.

# %%
torch.manual_seed(0)
scratch_model = RNNLMScratch(RNNScratch(num_inputs=len(data.vocab), num_hiddens=32), vocab_size=len(data.vocab),
                             lr=1)
scratch_history = train(scratch_model, data, num_epochs=4)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
ax1.plot(range(1, 11), history["train"], "o-", label="nn.RNN, entrenamiento")
ax1.plot(range(1, 11), history["val"], "o--", label="nn.RNN, validación")
ax1.plot(range(1, 5), scratch_history["train"], "s-", label="desde cero, entrenamiento")
ax1.plot(range(1, 5), scratch_history["val"], "s--", label="desde cero, validación")
ax1.set_xlabel("época")
ax1.set_ylabel("perplejidad")
ax1.legend(fontsize=8)
ax2.bar(["desde cero", "nn.RNN"], [scratch_history["seconds"] / 4, history["seconds"] / 10])
ax2.set_ylabel("segundos por época")
plt.tight_layout()
plt.show()

# %% [markdown]
# Las curvas se parecen (las inicializaciones son distintas: `nn.RNN` usa la uniforme
# $\mathcal{U}(-1/\sqrt{h}, 1/\sqrt{h})$ de PyTorch y d2l $\mathcal{N}(0, 0.01^2)$).
#
# ## Generar con temperatura
#
# Elegir siempre el carácter más probable (decodificación **voraz**) hace que el modelo se repita.
# En cambio podemos **muestrear** de $\mathrm{softmax}(\mathbf{o} / T)$: con una temperatura $T$
# baja se parece a la voraz; con $T$ alta el texto es más variado, y más disparatado.

# %%
generator = torch.Generator().manual_seed(1)
for temperature in (0, 0.5, 1.0, 1.5):
    generated = model.predict("time traveller", 40, data.vocab, temperature=temperature, generator=generator)
    print(f"T = {temperature}: {generated!r}")

# %% [markdown]
# ## Ejercicios
#
# 1. ¿Puedes hacer que el modelo sobreajuste con la API de alto nivel? (Más unidades ocultas,
#    más épocas, menos datos de entrenamiento.)
# 2. Usa `nn.RNN(..., nonlinearity="relu")`. ¿Entrena igual de bien? ¿Hace falta cambiar la tasa?
# 3. Cambia la decodificación voraz por muestreo en la prueba de perplejidad: ¿qué temperatura da
#    el texto que te parece más natural?
