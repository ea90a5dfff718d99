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
# # Unidad 3.5 — Redes recurrentes modernas: LSTM, GRU, profundas y bidireccionales
#
# La RNN simple olvida rápido: el gradiente se desvanece al retroceder en el tiempo (lo vimos en
# el cuaderno 3.3). Las redes con **compuertas** deciden, con números entre 0 y 1, qué guardar en
# la memoria, qué olvidar y qué mostrar. Seguimos el capítulo 10 de d2l: la **LSTM** (1997) y la
# **GRU** (2014) desde cero y con `nn.LSTM` / `nn.GRU`, y luego las RNN **profundas** (varias capas)
# y **bidireccionales** (que leen la secuencia en los dos sentidos).

# %%
import math

from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.models import RNNLM, RNNLMScratch, RNNScratch
from profundo.text import TimeMachine

torch.manual_seed(0)
data = TimeMachine(batch_size=128, num_steps=32, num_train=4000, num_val=1000)
vocab = data.vocab


def perplexity(model, data_iter):
    total, count = 0.0, 0
    with torch.no_grad():
        for X, Y in data_iter:
            total += float(model.loss(model(X), Y)) * Y.numel()
            count += Y.numel()
    return math.exp(total / count)


def train(model, data, num_epochs, lr, grad_clip_val=1.0):
    """Descenso por gradiente con recorte; devuelve la perplejidad de validación de cada época."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    val = []
    for epoch in range(num_epochs):
        for X, Y in data.train_dataloader():
            loss = model.loss(model(X), Y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip_val)
            optimizer.step()
        val.append(perplexity(model, data.val_dataloader()))
    print(f"perplejidad de validación: {val[-1]:.2f}")
    return val

# %% [markdown]
# ## La LSTM
#
# La *memoria de corto y largo plazo* guarda, además del estado oculto $\mathbf{H}_t$, una
# **celda de memoria** $\mathbf{C}_t$. Tres compuertas, cada una una capa con sigmoide, la
# controlan: la de **entrada** $\mathbf{I}_t$ (cuánto del nuevo candidato $\tilde{\mathbf{C}}_t$
# entra), la de **olvido** $\mathbf{F}_t$ (cuánto de la memoria vieja queda) y la de **salida**
# $\mathbf{O}_t$ (cuánto de la memoria se muestra):
#
# $$\begin{aligned}
# \mathbf{I}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xi} + \mathbf{H}_{t-1} \mathbf{W}_{hi} + \mathbf{b}_i), &
# \mathbf{F}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xf} + \mathbf{H}_{t-1} \mathbf{W}_{hf} + \mathbf{b}_f), \\
# \mathbf{O}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xo} + \mathbf{H}_{t-1} \mathbf{W}_{ho} + \mathbf{b}_o), &
# \tilde{\mathbf{C}}_t &= \tanh(\mathbf{X}_t \mathbf{W}_{xc} + \mathbf{H}_{t-1} \mathbf{W}_{hc} + \mathbf{b}_c), \\
# \mathbf{C}_t &= \mathbf{F}_t \odot \mathbf{C}_{t-1} + \mathbf{I}_t \odot \tilde{\mathbf{C}}_t, &
# \mathbf{H}_t &= \mathbf{O}_t \odot \tanh(\mathbf{C}_t).
# \end{aligned}$$
#
# Si la compuerta de olvido vale 1 y la de entrada 0, la memoria pasa intacta de un paso al
# siguiente, y el gradiente también: así llega lejos hacia atrás.

# %%
class LSTMScratch(nn.Module):
    """La LSTM desde cero (d2l 10.1)."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma

        def init_weight(*shape):
            return nn.Parameter(torch.randn(*shape) * sigma)

        def triple():
            return (init_weight(num_inputs, num_hiddens), init_weight(num_hiddens, num_hiddens),
                    nn.Parameter(torch.zeros(num_hiddens)))

        self.W_xi, self.W_hi, self.b_i = triple()  # compuerta de entrada
        self.W_xf, self.W_hf, self.b_f = triple()  # compuerta de olvido
        self.W_xo, self.W_ho, self.b_o = triple()  # compuerta de salida
        self.W_xc, self.W_hc, self.b_c = triple()  # nodo de entrada (el candidato)

    def forward(self, inputs, H_C=None):
        if H_C is None:
            # estado inicial: (lote, num_hiddens)
            H = torch.zeros((inputs.shape[1], self.num_hiddens))
            C = torch.zeros((inputs.shape[1], self.num_hiddens))
        else:
            H, C = H_C
        outputs = []
        for X in inputs:
            I = torch.sigmoid(torch.matmul(X, self.W_xi) + torch.matmul(H, self.W_hi) + self.b_i)
            F = torch.sigmoid(torch.matmul(X, self.W_xf) + torch.matmul(H, self.W_hf) + self.b_f)
            O = torch.sigmoid(torch.matmul(X, self.W_xo) + torch.matmul(H, self.W_ho) + self.b_o)
            C_tilde = torch.tanh(torch.matmul(X, self.W_xc) + torch.matmul(H, self.W_hc) + self.b_c)
            C = F * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H)
        return outputs, (H, C)

# %% [markdown]
# El modelo de lenguaje es el `RNNLMScratch` de d2l (también en `profundo.models`): one-hot,
# la red recurrente y una capa de salida. Lo entrenamos poco (la versión desde cero registra
# ~20 operaciones por paso de tiempo) con la tasa del libro, 4.

# %%
lstm = LSTMScratch(num_inputs=len(vocab), num_hiddens=32)
model = RNNLMScratch(lstm, vocab_size=len(vocab))
lstm_scratch_val = train(model, data, num_epochs=3, lr=4)
model.predict("it has", 20, vocab)

# %% [markdown]
# ## La GRU
#
# La *unidad recurrente con compuertas* simplifica la LSTM: no hay celda aparte y sólo dos
# compuertas. La de **reinicio** $\mathbf{R}_t$ decide cuánto del estado anterior usa el candidato
# $\tilde{\mathbf{H}}_t$; la de **actualización** $\mathbf{Z}_t$ mezcla el estado viejo con el
# candidato:
#
# $$\begin{aligned}
# \mathbf{R}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xr} + \mathbf{H}_{t-1} \mathbf{W}_{hr} + \mathbf{b}_r), &
# \mathbf{Z}_t &= \sigma(\mathbf{X}_t \mathbf{W}_{xz} + \mathbf{H}_{t-1} \mathbf{W}_{hz} + \mathbf{b}_z), \\
# \tilde{\mathbf{H}}_t &= \tanh(\mathbf{X}_t \mathbf{W}_{xh} + (\mathbf{R}_t \odot \mathbf{H}_{t-1})
# \mathbf{W}_{hh} + \mathbf{b}_h), &
# \mathbf{H}_t &= \mathbf{Z}_t \odot \mathbf{H}_{t-1} + (1 - \mathbf{Z}_t) \odot \tilde{\mathbf{H}}_t.
# \end{aligned}$$
#
# Con $\mathbf{Z}_t = 1$ el estado se copia tal cual (memoria larga); con $\mathbf{R}_t = 0$ se
# olvida el pasado (la red se reinicia).

# %%
class GRUScratch(nn.Module):
    """La GRU desde cero (d2l 10.2)."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma

        def init_weight(*shape):
            return nn.Parameter(torch.randn(*shape) * sigma)

        def triple():
            return (init_weight(num_inputs, num_hiddens), init_weight(num_hiddens, num_hiddens),
                    nn.Parameter(torch.zeros(num_hiddens)))

        self.W_xz, self.W_hz, self.b_z = triple()  # compuerta de actualización
        self.W_xr, self.W_hr, self.b_r = triple()  # compuerta de reinicio
        self.W_xh, self.W_hh, self.b_h = triple()  # estado oculto candidato

    def forward(self, inputs, H=None):
        if H is None:
            H = torch.zeros((inputs.shape[1], self.num_hiddens))
        outputs = []
        for X in inputs:
            Z = torch.sigmoid(torch.matmul(X, self.W_xz) + torch.matmul(H, self.W_hz) + self.b_z)
            R = torch.sigmoid(torch.matmul(X, self.W_xr) + torch.matmul(H, self.W_hr) + self.b_r)
            H_tilde = torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(R * H, self.W_hh) + self.b_h)
            H = Z * H + (1 - Z) * H_tilde
            outputs.append(H)
        return outputs, H


gru = GRUScratch(num_inputs=len(vocab), num_hiddens=32)
outputs, H = gru(torch.zeros(7, 3, len(vocab)))
print(len(outputs), H.shape, sum(p.numel() for p in gru.parameters()), "parámetros")

# %% [markdown]
# ## Las versiones concisas: `nn.LSTM` y `nn.GRU`
#
# Mismas cuentas, con los nombres de PyTorch: los pesos de las cuatro compuertas de la LSTM van
# apilados en `weight_ih_l0` (4·ocultas × entradas), en el orden entrada, olvido, candidato,
# salida; y la LSTM devuelve el estado como el par `(h, c)`.

# %%
lstm_layer = nn.LSTM(len(vocab), 32)
for name, p in lstm_layer.named_parameters():
    print(f"{name:14} {tuple(p.shape)}")
outputs, (h, c) = lstm_layer(torch.zeros(7, 3, len(vocab)))
print(outputs.shape, h.shape, c.shape)

# %% [markdown]
# Como en d2l, envolvemos la capa y la damos al `RNNLM` (el modelo de lenguaje con capa de salida
# `nn.Linear`). Entrenamos con los mismos datos una RNN simple, una GRU y una LSTM, y comparamos
# la perplejidad de validación.

# %%
class GRU(nn.Module):
    """GRU con la API de alto nivel (d2l 10.2), con varias capas si se pide (d2l 10.3)."""

    def __init__(self, num_inputs, num_hiddens, num_layers=1, dropout=0):
        super().__init__()
        self.num_inputs, self.num_hiddens = num_inputs, num_hiddens
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers, dropout=dropout)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class LSTM(nn.Module):
    """LSTM con la API de alto nivel (d2l 10.1)."""

    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.num_inputs, self.num_hiddens = num_inputs, num_hiddens
        self.rnn = nn.LSTM(num_inputs, num_hiddens)

    def forward(self, inputs, H_C=None):
        return self.rnn(inputs, H_C)


num_epochs = 5
curves = {}
torch.manual_seed(0)
curves["RNN"] = train(RNNLM(nn.RNN(len(vocab), 32), vocab_size=len(vocab)), data, num_epochs, lr=1)
torch.manual_seed(0)
gru_model = RNNLM(GRU(len(vocab), 32), vocab_size=len(vocab))
curves["GRU"] = train(gru_model, data, num_epochs, lr=4)
torch.manual_seed(0)
lstm_model = RNNLM(LSTM(len(vocab), 32), vocab_size=len(vocab))
curves["LSTM"] = train(lstm_model, data, num_epochs, lr=4)

# %% [markdown]
# ## Redes recurrentes profundas
#
# Apilar capas: la salida de cada paso de la capa $l$ es la entrada de la capa $l+1$,
#
# $$\mathbf{H}_t^{(l)} = \phi(\mathbf{H}_t^{(l-1)} \mathbf{W}_{xh}^{(l)} + \mathbf{H}_{t-1}^{(l)}
# \mathbf{W}_{hh}^{(l)} + \mathbf{b}_h^{(l)}).$$
#
# Desde cero es una lista de RNN; con la API, el argumento `num_layers` (y `dropout` entre capas).

# %%
class StackedRNNScratch(nn.Module):
    """RNN de varias capas desde cero (d2l 10.3)."""

    def __init__(self, num_inputs, num_hiddens, num_layers, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.num_layers = num_inputs, num_hiddens, num_layers
        self.rnns = nn.Sequential(*[RNNScratch(num_inputs if i == 0 else num_hiddens, num_hiddens, sigma)
                                    for i in range(num_layers)])

    def forward(self, inputs, Hs=None):
        outputs = inputs
        if Hs is None:
            Hs = [None] * self.num_layers
        for i in range(self.num_layers):
            outputs, Hs[i] = self.rnns[i](outputs, Hs[i])
            outputs = torch.stack(outputs, 0)
        return outputs, Hs


stacked = StackedRNNScratch(len(vocab), 32, num_layers=2)
outputs, Hs = stacked(torch.zeros(7, 3, len(vocab)))
print(outputs.shape, [H.shape for H in Hs])

torch.manual_seed(0)
deep_gru_model = RNNLM(GRU(len(vocab), 32, num_layers=2), vocab_size=len(vocab))
curves["GRU, 2 capas"] = train(deep_gru_model, data, num_epochs, lr=4)

# %%
plt.figure(figsize=(6, 3.5))
plt.plot(range(1, len(lstm_scratch_val) + 1), lstm_scratch_val, "k:", label="LSTM desde cero")
for name, val in curves.items():
    plt.plot(range(1, num_epochs + 1), val, "o-", label=name)
plt.xlabel("época")
plt.ylabel("perplejidad de validación")
plt.legend()
plt.show()
for name, model in [("GRU", gru_model), ("LSTM", lstm_model), ("GRU, 2 capas", deep_gru_model)]:
    print(f"{name:13} {model.predict('time traveller', 30, vocab)!r}")

# %% [markdown]
# En tan pocas épocas la LSTM puede quedar incluso detrás de la RNN simple: tiene cuatro veces más
# pesos por capa y al principio aprende más despacio. Su ventaja (y la de la GRU) aparece con más
# entrenamiento y dependencias más largas: prueba `profundo train charlm --model lstm --epochs 50`.
#
# ## Redes bidireccionales
#
# Para **etiquetar** cada palabra de una frase (¿es un nombre? ¿un verbo?) sirve ver también lo
# que viene después. Una RNN **bidireccional** corre una RNN hacia adelante y otra hacia atrás y
# concatena sus estados en cada paso: $\mathbf{H}_t = [\overrightarrow{\mathbf{H}}_t,
# \overleftarrow{\mathbf{H}}_t]$. (No sirve para un modelo de lenguaje: para predecir el siguiente
# carácter no podemos mirarlo.)

# %%
class BiRNNScratch(nn.Module):
    """RNN bidireccional desde cero (d2l 10.4)."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens = num_inputs, 2 * num_hiddens
        self.f_rnn = RNNScratch(num_inputs, num_hiddens, sigma)
        self.b_rnn = RNNScratch(num_inputs, num_hiddens, sigma)

    def forward(self, inputs, Hs=None):
        f_H, b_H = Hs if Hs is not None else (None, None)
        f_outputs, f_H = self.f_rnn(inputs, f_H)
        # la secuencia al revés (d2l escribe reversed(inputs); torch.flip da el tensor invertido)
        b_outputs, b_H = self.b_rnn(torch.flip(inputs, [0]), b_H)
        outputs = [torch.cat((f, b), -1) for f, b in zip(f_outputs, reversed(b_outputs))]
        return outputs, (f_H, b_H)


birnn = BiRNNScratch(len(vocab), 32)
outputs, (f_H, b_H) = birnn(torch.zeros(7, 3, len(vocab)))
print(len(outputs), outputs[0].shape)

bigru = nn.GRU(len(vocab), 32, bidirectional=True)
outputs, H = bigru(torch.zeros(7, 3, len(vocab)))
print(outputs.shape, H.shape)   # H: (2 sentidos, lote, ocultas)

# %% [markdown]
# En la salida de `nn.GRU(..., bidirectional=True)` cada paso tiene $2 \times 32$ números: los
# primeros 32 del sentido hacia adelante y los otros 32 del sentido hacia atrás. El estado final
# tiene una fila por sentido. Lo comprobamos: el último paso hacia adelante y el **primer** paso
# hacia atrás son los estados finales.

# %%
print(torch.allclose(outputs[-1, :, :32], H[0]), torch.allclose(outputs[0, :, 32:], H[1]))

# %% [markdown]
# ## Ejercicios
#
# 1. Cuenta los parámetros de la RNN, la GRU y la LSTM con 32 unidades ocultas. ¿Cuál es más cara
#    por paso? ¿Compensa en perplejidad?
# 2. Entrena la LSTM con 3 capas y `dropout=0.2`. ¿Mejora la perplejidad de validación?
# 3. Escribe la LSTM concisa usando `nn.LSTMCell` en un bucle sobre los pasos y comprueba que da lo
#    mismo que `nn.LSTM` con los mismos pesos.
