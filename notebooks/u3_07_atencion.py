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
# # Unidad 3.7 — Mecanismos de atención
#
# Una base de datos guarda pares (**clave**, **valor**); una **consulta** busca la clave que
# coincide y devuelve su valor. La **atención** es la versión suave y derivable de esa búsqueda:
# devuelve un promedio de *todos* los valores, pesado por cuánto se parece cada clave a la
# consulta,
#
# $$\mathrm{Atención}(\mathbf{q}, \mathcal{D}) = \sum_{i=1}^m \alpha(\mathbf{q}, \mathbf{k}_i)\, \mathbf{v}_i,
# \qquad \alpha \ge 0,\ \sum_i \alpha(\mathbf{q}, \mathbf{k}_i) = 1.$$
#
# Seguimos el capítulo 11 de d2l: la regresión de Nadaraya–Watson (atención sin aprender nada),
# las funciones de puntuación (producto punto escalado y aditiva), la máscara para ignorar el
# relleno y, al final, la atención de Bahdanau dentro de un traductor. Los **mapas de calor** de
# los pesos $\alpha$ muestran a dónde mira el modelo.

# %%
import math

from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn
from profundo.nn import functional as F

torch.manual_seed(0)

# %% [markdown]
# ## Mapas de calor
#
# Los pesos de atención forman una matriz (consultas × claves). Esta función de d2l dibuja una
# cuadrícula de ellas: `matrices` tiene forma (filas, columnas, consultas, claves).

# %%
def show_heatmaps(matrices, xlabel, ylabel, titles=None, figsize=(2.5, 2.5), cmap="Reds"):
    """Dibuja mapas de calor de matrices (d2l, sección 11.1)."""
    num_rows, num_cols, _, _ = matrices.shape
    fig, axes = plt.subplots(num_rows, num_cols, figsize=figsize, sharex=True, sharey=True, squeeze=False)
    for i, (row_axes, row_matrices) in enumerate(zip(axes, matrices)):
        for j, (ax, matrix) in enumerate(zip(row_axes, row_matrices)):
            pcm = ax.imshow(matrix.detach().numpy(), cmap=cmap)
            if i == num_rows - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
            if titles:
                ax.set_title(titles[j])
    fig.colorbar(pcm, ax=axes, shrink=0.6)
    plt.show()


# la atención que sólo mira la clave igual a la consulta es la matriz identidad
attention_weights = torch.eye(10).reshape((1, 1, 10, 10))
show_heatmaps(attention_weights, xlabel="claves", ylabel="consultas")

# %% [markdown]
# ## Atención por similitud: Nadaraya–Watson
#
# Regresión con 40 puntos ruidosos de $f(x) = 2\sin x + x$. Para predecir en $x$ (la consulta)
# promediamos los $y_i$ de entrenamiento (los valores), pesados por un **núcleo** de la distancia
# entre $x$ y cada $x_i$ (las claves):
#
# $$\hat f(x) = \sum_i \frac{k(x - x_i)}{\sum_j k(x - x_j)}\, y_i.$$
#
# Nada se aprende: los pesos salen de la similitud. Cuatro núcleos posibles:

# %%
def gaussian(x):
    return torch.exp(-x ** 2 / 2)


def boxcar(x):
    return torch.abs(x) < 1.0


def constant(x):
    return 1.0 + 0 * x


def epanechikov(x):
    return torch.max(1 - torch.abs(x), torch.zeros_like(x))


kernels = (gaussian, boxcar, constant, epanechikov)
names = ("Gauss", "Caja", "Constante", "Epanechnikov")
fig, axes = plt.subplots(1, 4, sharey=True, figsize=(12, 2.5))
x = torch.arange(-2.5, 2.5, 0.1)
for kernel, name, ax in zip(kernels, names, axes):
    ax.plot(x.numpy(), kernel(x).float().numpy())
    ax.set_xlabel(name)
plt.show()

# %%
def f(x):
    return 2 * torch.sin(x) + x


n = 40
x_train, _ = torch.sort(torch.rand(n) * 5)
y_train = f(x_train) + torch.randn(n)
x_val = torch.arange(0, 5, 0.1)
y_val = f(x_val)


def nadaraya_watson(x_train, y_train, x_val, kernel):
    dists = x_train.reshape((-1, 1)) - x_val.reshape((1, -1))
    # cada columna es una consulta y cada fila una clave
    k = kernel(dists).type(torch.float32)
    # normalizamos sobre las claves de cada consulta
    attention_w = k / k.sum(0)
    y_hat = y_train @ attention_w
    return y_hat, attention_w


def plot(x_train, y_train, x_val, y_val, kernels, names, attention=False):
    fig, axes = plt.subplots(1, 4, sharey=True, figsize=(12, 3))
    for kernel, name, ax in zip(kernels, names, axes):
        y_hat, attention_w = nadaraya_watson(x_train, y_train, x_val, kernel)
        if attention:
            pcm = ax.imshow(attention_w.numpy(), cmap="Reds")
        else:
            ax.plot(x_val.numpy(), y_hat.numpy())
            ax.plot(x_val.numpy(), y_val.numpy(), "m--")
            ax.plot(x_train.numpy(), y_train.numpy(), "o", alpha=0.5)
            ax.legend(["y_hat", "y"])
        ax.set_xlabel(name)
    if attention:
        fig.colorbar(pcm, ax=axes, shrink=0.7)
    plt.show()


plot(x_train, y_train, x_val, y_val, kernels, names)

# %% [markdown]
# Los pesos de atención (filas: las 40 claves $x_i$ ordenadas; columnas: las 50 consultas): cada
# consulta mira a las claves cercanas. El núcleo constante mira a todas por igual y predice el
# promedio de todos los $y_i$.

# %%
plot(x_train, y_train, x_val, y_val, kernels, names, attention=True)

# %% [markdown]
# ### El ancho del núcleo
#
# Con un núcleo gaussiano de ancho $\sigma$, $k(x) = \exp(-x^2 / 2\sigma^2)$: un $\sigma$ pequeño
# mira sólo a los vecinos más cercanos (y sigue el ruido); uno grande promedia mucho (y suaviza
# de más).

# %%
sigmas = (0.1, 0.2, 0.5, 1)
names = ["σ = " + str(sigma) for sigma in sigmas]


def gaussian_with_width(sigma):
    return lambda x: torch.exp(-x ** 2 / (2 * sigma ** 2))


kernels = [gaussian_with_width(sigma) for sigma in sigmas]
plot(x_train, y_train, x_val, y_val, kernels, names)
plot(x_train, y_train, x_val, y_val, kernels, names, attention=True)

# %% [markdown]
# ### Aprender el ancho
#
# ¿Y si dejamos que el gradiente elija $\sigma$? Es un solo parámetro (guardamos
# $\log \sigma$, así $\sigma$ es siempre positivo). Para no hacer trampa, cada punto de
# entrenamiento se predice con los **demás** (si no, $\sigma \to 0$ copia su propio $y_i$):
# ponemos a $-\infty$ la puntuación de la diagonal antes del softmax. La pérdida es el error
# cuadrático.

# %%
log_sigma = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([log_sigma], lr=0.5)
diag = torch.eye(n, dtype=torch.bool)
for step in range(30):
    dists = x_train.reshape((-1, 1)) - x_train.reshape((1, -1))
    scores = -dists ** 2 / (2 * torch.exp(log_sigma) ** 2)
    attention_w = F.softmax(scores.masked_fill(diag, float("-inf")), dim=0)  # gaussiano normalizado
    loss = ((y_train @ attention_w - y_train) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
sigma = float(torch.exp(log_sigma))
print(f"σ aprendido: {sigma:.3f}, pérdida {float(loss):.3f}")
y_hat, attention_w = nadaraya_watson(x_train, y_train, x_val, gaussian_with_width(sigma))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
ax1.plot(x_val.numpy(), y_hat.numpy())
ax1.plot(x_val.numpy(), y_val.numpy(), "m--")
ax1.plot(x_train.numpy(), y_train.numpy(), "o", alpha=0.5)
ax1.legend(["y_hat", "y"])
ax1.set_xlabel(f"σ aprendido = {sigma:.2f}")
ax2.imshow(attention_w.numpy(), cmap="Reds")
ax2.set_xlabel("consultas")
ax2.set_ylabel("claves")
plt.show()

# %% [markdown]
# Fíjate en la línea del softmax: un núcleo gaussiano normalizado **es** un softmax de las
# puntuaciones $-(x - x_i)^2 / 2\sigma^2$. Eso nos lleva a las funciones de puntuación.
#
# ## Funciones de puntuación
#
# En general, $\alpha(\mathbf{q}, \mathbf{k}_i) = \mathrm{softmax}(a(\mathbf{q}, \mathbf{k}_i))$
# con una **función de puntuación** $a$. Desarrollando el gaussiano,
# $-\tfrac12\|\mathbf{q} - \mathbf{k}_i\|^2 = \mathbf{q}^\top \mathbf{k}_i
# - \tfrac12\|\mathbf{k}_i\|^2 - \tfrac12\|\mathbf{q}\|^2$; el último término es igual para todas
# las claves (el softmax lo cancela) y, si las claves tienen normas parecidas, queda el **producto
# punto**. Dividimos por $\sqrt{d}$ para que la varianza de la puntuación no crezca con la
# dimensión $d$:
#
# $$a(\mathbf{q}, \mathbf{k}_i) = \mathbf{q}^\top \mathbf{k}_i / \sqrt{d}.$$
#
# ### El softmax con máscara
#
# Las secuencias de un lote tienen largos distintos y se rellenan con `<pad>`; la atención no
# debe mirar el relleno. `masked_softmax` recibe el **largo válido** de cada secuencia y pone
# $-10^6$ en las puntuaciones de más allá, así su peso es 0.

# %%
def masked_softmax(X, valid_lens):
    """Softmax en el último eje, ignorando las posiciones más allá del largo válido (d2l 11.3)."""
    def _sequence_mask(X, valid_len, value=0):
        maxlen = X.size(1)
        mask = torch.arange((maxlen), dtype=torch.float32)[None, :] < valid_len[:, None]
        X[~mask] = value
        return X

    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    else:
        shape = X.shape
        if valid_lens.dim() == 1:
            valid_lens = torch.repeat_interleave(valid_lens, shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        # los elementos enmascarados del último eje se reemplazan por un número muy negativo,
        # cuya exponencial es 0
        X = _sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
        return nn.functional.softmax(X.reshape(shape), dim=-1)


print(masked_softmax(torch.rand(2, 2, 4), torch.tensor([2, 3])))
print(masked_softmax(torch.rand(2, 2, 4), torch.tensor([[1, 3], [2, 4]])))

# %% [markdown]
# ### Atención de producto punto escalado
#
# Con $n$ consultas $\mathbf{Q} \in \mathbb{R}^{n \times d}$, $m$ claves
# $\mathbf{K} \in \mathbb{R}^{m \times d}$ y $m$ valores $\mathbf{V} \in \mathbb{R}^{m \times v}$,
# todo es un par de productos de matrices (por lotes, con `torch.bmm`):
#
# $$\mathrm{softmax}\left(\frac{\mathbf{Q}\mathbf{K}^\top}{\sqrt{d}}\right) \mathbf{V}
# \in \mathbb{R}^{n \times v}.$$

# %%
class DotProductAttention(nn.Module):
    """Atención de producto punto escalado (d2l 11.3)."""

    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    # queries: (lote, n, d); keys: (lote, m, d); values: (lote, m, v)
    # valid_lens: (lote,) o (lote, n)
    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        # transponemos las dos últimas dimensiones de keys
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


queries = torch.normal(0, 1, (2, 1, 2))
keys = torch.normal(0, 1, (2, 10, 2))
values = torch.normal(0, 1, (2, 10, 4))
valid_lens = torch.tensor([2, 6])

attention = DotProductAttention(dropout=0.5)
attention.eval()
print(attention(queries, keys, values, valid_lens).shape)
show_heatmaps(attention.attention_weights.reshape((1, 1, 2, 10)), xlabel="claves", ylabel="consultas")

# %% [markdown]
# La primera secuencia sólo tiene 2 claves válidas y la segunda 6: el resto tiene peso 0.
#
# `F.scaled_dot_product_attention` de PyTorch hace lo mismo en una sola función (con una máscara
# booleana que dice qué claves se pueden mirar). Da el mismo resultado:

# %%
mask = torch.arange(10)[None, None, :] < valid_lens[:, None, None]   # (lote, 1, 10)
print(torch.allclose(F.scaled_dot_product_attention(queries, keys, values, attn_mask=mask),
                     attention(queries, keys, values, valid_lens), atol=1e-6))

# %% [markdown]
# ### Atención aditiva
#
# Cuando las consultas y las claves tienen dimensiones distintas, la **atención aditiva** las
# proyecta a un mismo espacio de tamaño $h$ y usa una red con una capa oculta:
#
# $$a(\mathbf{q}, \mathbf{k}) = \mathbf{w}_v^\top \tanh(\mathbf{W}_q \mathbf{q} + \mathbf{W}_k \mathbf{k}).$$

# %%
class AdditiveAttention(nn.Module):
    """Atención aditiva (d2l 11.3)."""

    def __init__(self, num_hiddens, dropout):
        super().__init__()
        self.W_k = nn.LazyLinear(num_hiddens, bias=False)
        self.W_q = nn.LazyLinear(num_hiddens, bias=False)
        self.w_v = nn.LazyLinear(1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        # con broadcasting: queries (lote, n, 1, h) + keys (lote, 1, m, h) -> (lote, n, m, h)
        features = queries.unsqueeze(2) + keys.unsqueeze(1)
        features = torch.tanh(features)
        # w_v tiene una sola salida: la quitamos. scores: (lote, n, m)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


queries = torch.normal(0, 1, (2, 1, 20))   # consultas de 20 números, claves de 2
attention = AdditiveAttention(num_hiddens=8, dropout=0.1)
attention.eval()
print(attention(queries, keys, values, valid_lens).shape)
show_heatmaps(attention.attention_weights.reshape((1, 1, 2, 10)), xlabel="claves", ylabel="consultas")

# %% [markdown]
# ## La atención de Bahdanau
#
# En el traductor del cuaderno 3.6 el decodificador recibía en todos los pasos el **mismo**
# contexto: el último estado del codificador, que debe resumir toda la frase. Bahdanau, Cho y
# Bengio (2014) proponen que, en cada paso $t'$, el decodificador **consulte** todas las salidas
# del codificador $\mathbf{h}_t$ (claves y valores a la vez) con su propio estado anterior
# $\mathbf{s}_{t'-1}$ como consulta:
#
# $$\mathbf{c}_{t'} = \sum_{t=1}^{T} \alpha(\mathbf{s}_{t'-1}, \mathbf{h}_t)\, \mathbf{h}_t,$$
#
# con la atención aditiva de arriba. Así el contexto cambia en cada paso: al traducir una palabra,
# el modelo puede mirar la palabra de origen que le corresponde. El codificador y el modelo
# `Seq2Seq` son los del cuaderno 3.6 (están en `profundo.models`); sólo cambia el decodificador.

# %%
from profundo import text
from profundo.models import AttentionDecoder, Seq2Seq, Seq2SeqEncoder, init_seq2seq


class Seq2SeqAttentionDecoder(AttentionDecoder):
    """El decodificador con atención de Bahdanau (d2l 11.4)."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.attention = AdditiveAttention(num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_outputs, enc_valid_lens):
        # outputs: (pasos, lote, num_hiddens); hidden_state: (num_layers, lote, num_hiddens)
        outputs, hidden_state = enc_outputs
        return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)

    def forward(self, X, state):
        # enc_outputs: (lote, pasos, num_hiddens)
        enc_outputs, hidden_state, enc_valid_lens = state
        # X: (pasos, lote, embed_size)
        X = self.embedding(X).permute(1, 0, 2)
        outputs, self._attention_weights = [], []
        for x in X:
            # query: (lote, 1, num_hiddens), el estado de la última capa
            query = torch.unsqueeze(hidden_state[-1], dim=1)
            # context: (lote, 1, num_hiddens)
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
            # concatenamos el contexto y la incrustación del token
            x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
            # x pasa a (1, lote, embed_size + num_hiddens)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)
            self._attention_weights.append(self.attention.attention_weights)
        # tras la capa densa: (pasos, lote, vocab_size)
        outputs = self.dense(torch.cat(outputs, dim=0))
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]

    @property
    def attention_weights(self):
        return self._attention_weights


vocab_size, embed_size, num_hiddens, num_layers = 10, 8, 16, 2
batch_size, num_steps = 4, 7
encoder = Seq2SeqEncoder(vocab_size, embed_size, num_hiddens, num_layers)
decoder = Seq2SeqAttentionDecoder(vocab_size, embed_size, num_hiddens, num_layers)
X = torch.zeros((batch_size, num_steps), dtype=torch.int64)
state = decoder.init_state(encoder(X), None)
output, state = decoder(X, state)
print(output.shape, state[0].shape, state[1].shape)

# %% [markdown]
# ### Entrenar y traducir
#
# Los mismos datos, tamaños y entrenamiento que el traductor sin atención del cuaderno 3.6
# (Adam, recorte del gradiente; un modelo más pequeño que el del libro).

# %%
data = text.MTFraEng(batch_size=64, num_steps=9, num_train=512, num_val=128)
torch.manual_seed(0)
embed_size, num_hiddens, num_layers, dropout = 64, 128, 2, 0.2
encoder = Seq2SeqEncoder(len(data.src_vocab), embed_size, num_hiddens, num_layers, dropout)
decoder = Seq2SeqAttentionDecoder(len(data.tgt_vocab), embed_size, num_hiddens, num_layers, dropout)
model = Seq2Seq(encoder, decoder, tgt_pad=data.tgt_vocab["<pad>"], lr=0.01)
optimizer = model.configure_optimizers()
losses = []
for epoch in range(20):
    for src, tgt, src_valid_len, label in data.train_dataloader():
        loss = model.loss(model(src, tgt, src_valid_len), label)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss))
plt.figure(figsize=(5, 3))
plt.plot(losses)
plt.xlabel("paso")
plt.ylabel("pérdida de entrenamiento")
plt.show()

# %%
engs = ["go .", "i lost .", "he's calm .", "i'm home ."]
fras = ["va !", "j'ai perdu .", "il est calme .", "je suis chez moi ."]
preds, _ = model.predict_step(data.build(engs, fras), num_steps=data.num_steps)
for en, fr, p in zip(engs, fras, preds):
    translation = []
    for token in data.tgt_vocab.to_tokens(p):
        if token == "<eos>":
            break
        translation.append(token)
    print(f"{en} => {' '.join(translation)!r}, BLEU {text.bleu(' '.join(translation), fr, k=2):.3f}")

# %% [markdown]
# ### A dónde mira el decodificador
#
# `predict_step(..., save_attention_weights=True)` guarda los pesos de atención de cada paso de la
# decodificación voraz. Para la última frase: cada fila es un paso del decodificador (una palabra
# francesa generada) y cada columna una posición de la frase de origen (más su `<eos>`).

# %%
_, dec_attention_weights = model.predict_step(data.build([engs[-1]], [fras[-1]]), num_steps=data.num_steps,
                                              save_attention_weights=True)
attention_weights = torch.cat([step[0][0][0] for step in dec_attention_weights], 0)
attention_weights = attention_weights.reshape((1, 1, -1, data.num_steps))
# más uno para incluir el token de fin de secuencia
show_heatmaps(attention_weights[:, :, :, :len(engs[-1].split()) + 1], xlabel="posiciones de las claves",
              ylabel="posiciones de las consultas")

# %% [markdown]
# ## Ejercicios
#
# 1. En Nadaraya–Watson, ¿qué pasa con la predicción fuera del intervalo de entrenamiento (por
#    ejemplo en $x = 7$)? Explícalo con los pesos de atención.
# 2. Quita la división por $\sqrt{d}$ en `DotProductAttention` y usa consultas y claves de
#    dimensión 512 al azar. ¿Cómo se ven los pesos? ¿Por qué?
# 3. Compara el tiempo de `DotProductAttention` y de `AdditiveAttention` con 100 consultas y 100
#    claves. ¿Cuál es más barata y por qué?
