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
# # Unidad 3.3 — Una red neuronal recurrente desde cero
#
# Un modelo de lenguaje predice el siguiente símbolo a partir de los anteriores. Un modelo de
# *n*-gramas mira sólo los últimos $n-1$; una **red neuronal recurrente** (RNN) resume *todo* el
# pasado en un **estado oculto** $\mathbf{H}_t$ que se actualiza en cada paso:
#
# $$\mathbf{H}_t = \phi(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{H}_{t-1} \mathbf{W}_{hh} + \mathbf{b}_h),
# \qquad \mathbf{O}_t = \mathbf{H}_t \mathbf{W}_{hq} + \mathbf{b}_q.$$
#
# Los mismos pesos se usan en todos los pasos: el número de parámetros no crece con la longitud
# de la secuencia. Aquí la escribimos con multiplicaciones de matrices y `tanh` (como en las
# secciones 9.4–9.7 de d2l), la entrenamos letra por letra con *La máquina del tiempo* de H. G.
# Wells y le pedimos que siga escribiendo.

# %%
import math

from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.nn import functional as F

torch.manual_seed(0)

# %% [markdown]
# ## Los datos
#
# El texto del libro, en minúsculas y sólo con letras y espacios, partido en caracteres (el
# cuaderno 3.1 explica cada paso). Cada ejemplo es una ventana de `num_steps` caracteres, y su
# objetivo es la misma ventana corrida un carácter: en cada posición, el carácter que sigue.

# %%
from profundo.text import TimeMachine

# d2l usa lotes de 1024 y 100 épocas; con lotes de 128 aprende en muchas menos épocas
data = TimeMachine(batch_size=128, num_steps=32, num_train=10000, num_val=2000)
vocab = data.vocab
print(f"{len(data.corpus)} caracteres, vocabulario de {len(vocab)}: {vocab.idx_to_token}")
X, Y = next(iter(data.train_dataloader()))
print(X.shape, Y.shape)
print(repr("".join(vocab.to_tokens(X[0]))))
print(repr("".join(vocab.to_tokens(Y[0]))))

# %% [markdown]
# ## El estado oculto
#
# Con una entrada de $d$ números por paso y $h$ unidades ocultas, $\mathbf{W}_{xh}$ es
# $d \times h$ y $\mathbf{W}_{hh}$ es $h \times h$. La entrada llega con forma
# (pasos, lote, $d$): recorremos la primera dimensión, un paso de tiempo cada vez.

# %%
class RNNScratch(nn.Module):
    """La RNN desde cero (d2l, sección 9.5)."""

    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        if state is None:
            # estado inicial: ceros, forma (lote, num_hiddens)
            state = torch.zeros((inputs.shape[1], self.num_hiddens))
        outputs = []
        for X in inputs:  # inputs: (num_steps, lote, num_inputs)
            state = torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


batch_size, num_inputs, num_hiddens, num_steps = 2, 16, 32, 100
rnn = RNNScratch(num_inputs, num_hiddens)
X = torch.ones((num_steps, batch_size, num_inputs))
outputs, state = rnn(X)
print(len(outputs), outputs[0].shape, state.shape)

# %% [markdown]
# Una salida por paso, cada una de forma (lote, `num_hiddens`), y el último estado, que es la
# última salida.
#
# ## El modelo de lenguaje
#
# Los caracteres son índices; la red los recibe **codificados en one-hot**: el índice $i$ se
# vuelve un vector de ceros con un 1 en la posición $i$. `F.one_hot` lo hace para todo un lote.
# Tras la RNN, una capa de salida lleva cada estado oculto a una puntuación por carácter del
# vocabulario.

# %%
F.one_hot(torch.tensor([0, 2]), 5)

# %%
class RNNLMScratch(nn.Module):
    """Modelo de lenguaje con una RNN desde cero (d2l, sección 9.5)."""

    def __init__(self, rnn, vocab_size):
        super().__init__()
        self.rnn, self.vocab_size = rnn, vocab_size
        self.W_hq = nn.Parameter(torch.randn(rnn.num_hiddens, vocab_size) * rnn.sigma)
        self.b_q = nn.Parameter(torch.zeros(vocab_size))

    def one_hot(self, X):
        # forma de la salida: (num_steps, lote, vocab_size)
        return F.one_hot(X.T, self.vocab_size).type(torch.float32)

    def output_layer(self, rnn_outputs):
        outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return torch.stack(outputs, 1)  # (lote, num_steps, vocab_size)

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)


model = RNNLMScratch(RNNScratch(num_inputs=len(vocab), num_hiddens=32), vocab_size=len(vocab))
outputs = model(torch.ones((batch_size, num_steps), dtype=torch.int64))
outputs.shape

# %% [markdown]
# ## Recortar el gradiente
#
# La retropropagación a través del tiempo multiplica por $\mathbf{W}_{hh}^\top$ (y por la
# derivada de `tanh`) una vez por paso: en 32 pasos el gradiente puede **explotar**. Una defensa
# simple: si la norma de todo el gradiente $\|\mathbf{g}\|$ pasa de $\theta$, lo escalamos para
# que mida exactamente $\theta$,
#
# $$\mathbf{g} \leftarrow \min\left(1, \frac{\theta}{\|\mathbf{g}\|}\right) \mathbf{g}.$$
#
# La dirección no cambia; sólo se acorta el paso. (En PyTorch y en profundo esto es
# `nn.utils.clip_grad_norm_`.)

# %%
def clip_gradients(grad_clip_val, model):
    params = [p for p in model.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
    if norm > grad_clip_val:
        for param in params:
            param.grad[:] *= grad_clip_val / norm
    return float(norm)

# %% [markdown]
# ## Entrenar
#
# La pérdida es la entropía cruzada promedio de predecir cada carácter. Su exponencial es la
# **perplejidad**: el número de caracteres entre los que el modelo "duda" en promedio. Un modelo
# que adivina al azar tiene perplejidad igual al tamaño del vocabulario (28); uno perfecto, 1.
# Descenso por gradiente con tasa 1 y recorte $\theta = 1$, como en el libro (con lotes más
# pequeños y menos épocas, para que el cuaderno corra en segundos).

# %%
def loss_fn(Y_hat, Y):
    return F.cross_entropy(Y_hat.reshape(-1, Y_hat.shape[-1]), Y.reshape(-1))


def perplexity(model, data_iter):
    """exp de la pérdida promedio sobre todos los caracteres de data_iter."""
    total, count = 0.0, 0
    with torch.no_grad():
        for X, Y in data_iter:
            total, count = total + float(loss_fn(model(X), Y)) * Y.numel(), count + Y.numel()
    return math.exp(total / count)


def train(model, data, lr=1.0, num_epochs=10, grad_clip_val=1.0):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    history = {"train": [], "val": [], "norm": []}
    for epoch in range(num_epochs):
        total, count = 0.0, 0
        for X, Y in data.train_dataloader():
            loss = loss_fn(model(X), Y)
            optimizer.zero_grad()
            loss.backward()
            history["norm"].append(clip_gradients(grad_clip_val, model))
            optimizer.step()
            total, count = total + float(loss) * Y.numel(), count + Y.numel()
        history["train"].append(math.exp(total / count))
        history["val"].append(perplexity(model, data.val_dataloader()))
        print(f"época {epoch + 1}: perplejidad {history['train'][-1]:.2f} (entrenamiento), "
              f"{history['val'][-1]:.2f} (validación)")
    return history


def plot_history(history):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
    epochs = range(1, len(history["train"]) + 1)
    ax1.plot(epochs, history["train"], "o-", label="entrenamiento")
    ax1.plot(epochs, history["val"], "s--", label="validación")
    ax1.set_xlabel("época")
    ax1.set_ylabel("perplejidad")
    ax1.legend()
    ax2.plot(history["norm"], lw=0.8)
    ax2.axhline(1.0, color="k", ls=":", label="umbral θ")
    ax2.set_yscale("log")
    ax2.set_xlabel("paso")
    ax2.set_ylabel("norma del gradiente")
    ax2.legend()
    plt.tight_layout()
    plt.show()


torch.manual_seed(0)
model = RNNLMScratch(RNNScratch(num_inputs=len(vocab), num_hiddens=32), vocab_size=len(vocab))
history = train(model, data, lr=1.0, num_epochs=10)
plot_history(history)

# %% [markdown]
# ## Generar texto
#
# Para continuar un prefijo, primero lo pasamos por la red carácter a carácter (el
# **calentamiento**: sólo actualiza el estado), y después, en cada paso, tomamos el carácter más
# probable y lo volvemos a dar como entrada.

# %%
def predict(model, prefix, num_preds, vocab):
    state, outputs = None, [vocab[prefix[0]]]
    for i in range(len(prefix) + num_preds - 1):
        X = torch.tensor([[outputs[-1]]])
        embs = model.one_hot(X)
        rnn_outputs, state = model.rnn(embs, state)
        if i < len(prefix) - 1:  # calentamiento
            outputs.append(vocab[prefix[i + 1]])
        else:  # predecir num_preds pasos
            Y = model.output_layer(rnn_outputs)
            outputs.append(int(Y.argmax(axis=2).reshape(1)))
    return "".join([vocab.idx_to_token[i] for i in outputs])


with torch.no_grad():
    print(predict(model, "it has", 20, vocab))
    print(predict(model, "time traveller", 30, vocab))

# %% [markdown]
# Con una RNN pequeña y unos segundos de entrenamiento, el modelo ya arma palabras frecuentes
# ("the", "and") y espacios entre ellas, pero pronto se repite. Los modelos con compuertas
# (GRU, LSTM: cuaderno 3.5) recuerdan mucho mejor.
#
# ## ¿Cuánto llega el gradiente hacia atrás?
#
# La pérdida en el **último** paso depende de todos los estados anteriores. Pedimos a autograd
# el gradiente respecto a cada estado oculto (`retain_grad`) y medimos su norma: cuanto más lejos
# en el pasado, más pequeño. Es el **desvanecimiento del gradiente** (sección 9.7 de d2l): lo que
# pasó hace muchos pasos casi no influye en el aprendizaje.

# %%
X, Y = next(iter(data.train_dataloader()))
states, state = [], None
embs = model.one_hot(X)
for x in embs:
    _, state = model.rnn(x.unsqueeze(0), state)
    state.retain_grad()
    states.append(state)
last = model.output_layer([states[-1]])
F.cross_entropy(last[:, 0], Y[:, -1]).backward()
norms = [float(h.grad.norm()) for h in states]

plt.figure(figsize=(5, 3))
plt.semilogy(range(len(norms)), norms, "o-")
plt.xlabel("paso t (el último es la predicción)")
plt.ylabel(r"$\|\partial L / \partial \mathbf{H}_t\|$")
plt.show()

# %% [markdown]
# ## Ejercicios
#
# 1. Entrena más épocas o con más unidades ocultas (64, 128). ¿Baja la perplejidad de validación?
#    ¿Cuándo empieza el sobreajuste?
# 2. Quita el recorte del gradiente (`grad_clip_val=float("inf")`) y sube la tasa de aprendizaje.
#    ¿Qué pasa con la pérdida?
# 3. En `predict`, en lugar del carácter más probable, **muestrea** de la distribución
#    `F.softmax(Y, -1)` (con `torch.multinomial`). ¿El texto se vuelve más variado?
# 4. Cambia `tanh` por `relu` en `RNNScratch`. ¿Sigue entrenando?
