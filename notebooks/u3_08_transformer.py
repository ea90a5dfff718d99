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
# # Unidad 3.8 — Atención de varias cabezas y el Transformer
#
# El Transformer (Vaswani et al., 2017, *Attention Is All You Need*) quita la recurrencia por
# completo: cada token mira a todos los demás con **autoatención**, muchas veces en paralelo
# (**varias cabezas**), y el orden entra por una **codificación posicional**. Sin bucle sobre el
# tiempo, todos los pasos se calculan a la vez. Seguimos las secciones 11.5–11.7 de d2l y
# terminamos con las clases de PyTorch: `nn.MultiheadAttention` y `nn.Transformer`.

# %%
import math

from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn, text
from profundo.models import AttentionDecoder, DotProductAttention, Encoder, Seq2Seq

torch.manual_seed(0)


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

# %% [markdown]
# ## Atención de varias cabezas
#
# Una sola atención promedia un solo tipo de relación. Con $h$ **cabezas**, cada una proyecta
# consultas, claves y valores a un subespacio propio (de tamaño $p = d/h$) y atiende por su
# cuenta; las $h$ salidas se concatenan y una capa lineal $\mathbf{W}_o$ las mezcla:
#
# $$\mathbf{h}_i = \mathrm{Atención}(\mathbf{W}_i^{(q)}\mathbf{q}, \mathbf{W}_i^{(k)}\mathbf{k},
# \mathbf{W}_i^{(v)}\mathbf{v}), \qquad \mathrm{salida} = \mathbf{W}_o [\mathbf{h}_1; \ldots; \mathbf{h}_h].$$
#
# El truco de d2l: una sola capa lineal de $d$ salidas hace las $h$ proyecciones a la vez, y
# `transpose_qkv` reacomoda el resultado para que las cabezas sean parte del lote de `bmm`. La
# atención de producto punto es la del cuaderno 3.7 (está en `profundo.models`).

# %%
class MultiHeadAttention(nn.Module):
    """Atención de varias cabezas (d2l 11.5)."""

    def __init__(self, num_hiddens, num_heads, dropout, bias=False):
        super().__init__()
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_k = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_v = nn.LazyLinear(num_hiddens, bias=bias)
        self.W_o = nn.LazyLinear(num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens):
        # queries, keys, values: (lote, n o m, num_hiddens)
        # tras transpose_qkv: (lote * num_heads, n o m, num_hiddens / num_heads)
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))
        if valid_lens is not None:
            # el largo válido de cada ejemplo, repetido para cada una de sus cabezas
            valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        # output: (lote * num_heads, n, num_hiddens / num_heads)
        output = self.attention(queries, keys, values, valid_lens)
        # output_concat: (lote, n, num_hiddens)
        output_concat = self.transpose_output(output)
        return self.W_o(output_concat)

    def transpose_qkv(self, X):
        """Reacomoda para calcular las cabezas en paralelo."""
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1)   # (lote, n, cabezas, p)
        X = X.permute(0, 2, 1, 3)                                   # (lote, cabezas, n, p)
        return X.reshape(-1, X.shape[2], X.shape[3])                # (lote * cabezas, n, p)

    def transpose_output(self, X):
        """Deshace transpose_qkv."""
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2])
        X = X.permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)


num_hiddens, num_heads = 100, 5
attention = MultiHeadAttention(num_hiddens, num_heads, 0.5)
batch_size, num_queries, num_kvpairs = 2, 4, 6
valid_lens = torch.tensor([3, 2])
X = torch.ones((batch_size, num_queries, num_hiddens))
Y = torch.ones((batch_size, num_kvpairs, num_hiddens))
attention(X, Y, Y, valid_lens).shape

# %% [markdown]
# PyTorch tiene su propia capa, `nn.MultiheadAttention(embed_dim, num_heads)`: las mismas cuentas
# (con sesgos, y con las tres proyecciones de entrada en una sola matriz `in_proj_weight`). Recibe
# una **máscara** booleana de claves de relleno (`key_padding_mask`, `True` = ignorar) en lugar de
# largos válidos, y devuelve también los pesos de atención (promediados entre las cabezas, salvo
# que se pida `average_attn_weights=False`).

# %%
mha = nn.MultiheadAttention(num_hiddens, num_heads, batch_first=True)
key_padding_mask = torch.arange(num_kvpairs)[None, :] >= valid_lens[:, None]   # True en el relleno
out, weights = mha(X, Y, Y, key_padding_mask=key_padding_mask, average_attn_weights=False)
print(out.shape, weights.shape)
for name, p in mha.named_parameters():
    print(f"{name:20} {tuple(p.shape)}")

# %% [markdown]
# ## Autoatención y codificación posicional
#
# En la **autoatención** las consultas, las claves y los valores son la misma secuencia: cada
# token produce una salida mirando a todos los tokens (él incluido). Comparada con una RNN, el
# camino entre dos posiciones cualesquiera tiene largo 1 (en una RNN, $n$), y todo se calcula en
# paralelo; a cambio el costo crece como $n^2$.

# %%
X = torch.ones((batch_size, num_queries, num_hiddens))
attention(X, X, X, valid_lens).shape

# %% [markdown]
# Pero la autoatención no sabe de **orden**: si permutamos los tokens, las salidas se permutan
# igual. La codificación posicional suma a cada incrustación un vector que depende de su posición
# $i$, con senos y cosenos de frecuencias decrecientes:
#
# $$p_{i, 2j} = \sin\left(\frac{i}{10000^{2j/d}}\right), \qquad
# p_{i, 2j+1} = \cos\left(\frac{i}{10000^{2j/d}}\right).$$

# %%
class PositionalEncoding(nn.Module):
    """Codificación posicional (d2l 11.6)."""

    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        # una P lo bastante larga
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :]
        return self.dropout(X)


encoding_dim, num_steps = 32, 60
pos_encoding = PositionalEncoding(encoding_dim, 0)
X = pos_encoding(torch.zeros((1, num_steps, encoding_dim)))
P = pos_encoding.P[:, :X.shape[1], :]
plt.figure(figsize=(6, 2.5))
for d in range(6, 10):
    plt.plot(torch.arange(num_steps).numpy(), P[0, :, d].numpy(), label=f"columna {d}")
plt.xlabel("fila (posición)")
plt.legend()
plt.show()

# %% [markdown]
# Como los bits de un número en binario (el bit más bajo cambia en cada número, el siguiente cada
# dos...), las columnas de la izquierda oscilan rápido y las de la derecha despacio:

# %%
for i in range(8):
    print(f"{i} en binario es {i:>03b}")
show_heatmaps(P[0, :, :].unsqueeze(0).unsqueeze(0), xlabel="columna (dimensión de la codificación)",
              ylabel="fila (posición)", figsize=(3.5, 4), cmap="Blues")

# %% [markdown]
# ## El Transformer
#
# El **codificador** apila bloques iguales, cada uno con dos subcapas: autoatención de varias
# cabezas y una red densa aplicada a cada posición por separado (*positionwise FFN*). Cada
# subcapa va envuelta en una **conexión residual** seguida de **normalización de capa**
# (`AddNorm`: $\mathrm{LayerNorm}(X + \mathrm{subcapa}(X))$).

# %%
class PositionWiseFFN(nn.Module):
    """La red densa por posición (d2l 11.7)."""

    def __init__(self, ffn_num_hiddens, ffn_num_outputs):
        super().__init__()
        self.dense1 = nn.LazyLinear(ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.LazyLinear(ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))


class AddNorm(nn.Module):
    """La conexión residual seguida de normalización de capa (d2l 11.7)."""

    def __init__(self, norm_shape, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)


class TransformerEncoderBlock(nn.Module):
    """El bloque del codificador del Transformer (d2l 11.7)."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias=False):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoder(Encoder):
    """El codificador del Transformer (d2l 11.7)."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, use_bias=False):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module("block" + str(i), TransformerEncoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, use_bias))

    def forward(self, X, valid_lens):
        # las incrustaciones valen poco frente a la codificación posicional (que está entre -1 y 1):
        # se escalan por la raíz de su dimensión antes de sumarlas
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens)
            self.attention_weights[i] = blk.attention.attention.attention_weights
        return X


encoder = TransformerEncoder(200, 24, 48, 8, 2, 0.5)
encoder(torch.ones((2, 100), dtype=torch.int64), valid_lens).shape

# %% [markdown]
# El **decodificador** tiene tres subcapas por bloque: autoatención **enmascarada** (al predecir
# el token $t$ sólo puede mirar los tokens $1, \ldots, t$: no puede ver el futuro), atención
# **codificador–decodificador** (las consultas vienen del decodificador; las claves y los valores
# son las salidas del codificador) y la red densa. Al predecir, token a token, cada bloque guarda
# en `state[2]` los tokens ya generados, que son las claves y valores de su autoatención.

# %%
class TransformerDecoderBlock(nn.Module):
    """El i-ésimo bloque del decodificador del Transformer (d2l 11.7)."""

    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, i):
        super().__init__()
        self.i = i
        self.attention1 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.attention2 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm2 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm3 = AddNorm(num_hiddens, dropout)

    def forward(self, X, state):
        enc_outputs, enc_valid_lens = state[0], state[1]
        # al entrenar, todos los tokens de la secuencia se procesan a la vez: state[2][i] es None.
        # Al predecir, token a token, state[2][i] guarda lo decodificado hasta ahora
        if state[2][self.i] is None:
            key_values = X
        else:
            key_values = torch.cat((state[2][self.i], X), dim=1)
        state[2][self.i] = key_values
        if self.training:
            batch_size, num_steps, _ = X.shape
            # dec_valid_lens: (lote, pasos); la fila j es [1, 2, ..., pasos]: la consulta t mira t claves
            dec_valid_lens = torch.arange(1, num_steps + 1).repeat(batch_size, 1)
        else:
            dec_valid_lens = None
        # autoatención
        X2 = self.attention1(X, key_values, key_values, dec_valid_lens)
        Y = self.addnorm1(X, X2)
        # atención codificador–decodificador; enc_outputs: (lote, pasos, num_hiddens)
        Y2 = self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens)
        Z = self.addnorm2(Y, Y2)
        return self.addnorm3(Z, self.ffn(Z)), state


class TransformerDecoder(AttentionDecoder):
    """El decodificador del Transformer (d2l 11.7)."""

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout):
        super().__init__()
        self.num_hiddens = num_hiddens
        self.num_blks = num_blks
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_blks):
            self.blks.add_module("block" + str(i), TransformerDecoderBlock(
                num_hiddens, ffn_num_hiddens, num_heads, dropout, i))
        self.dense = nn.LazyLinear(vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens):
        return [enc_outputs, enc_valid_lens, [None] * self.num_blks]

    def forward(self, X, state):
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self._attention_weights = [[None] * len(self.blks) for _ in range(2)]
        for i, blk in enumerate(self.blks):
            X, state = blk(X, state)
            # pesos de la autoatención del decodificador
            self._attention_weights[0][i] = blk.attention1.attention.attention_weights
            # pesos de la atención codificador–decodificador
            self._attention_weights[1][i] = blk.attention2.attention.attention_weights
        return self.dense(X), state

    @property
    def attention_weights(self):
        return self._attention_weights

# %% [markdown]
# ## Entrenar con inglés–francés
#
# Los mismos datos que los traductores de los cuadernos 3.6 y 3.7, y el mismo `Seq2Seq` (pérdida
# con máscara, Adam). Un Transformer pequeño: 2 bloques, 4 cabezas, $d = 64$ (d2l usa 256).

# %%
data = text.MTFraEng(batch_size=64, num_steps=9, num_train=512, num_val=128)
num_hiddens, num_blks, dropout = 64, 2, 0.2
ffn_num_hiddens, num_heads = 128, 4
torch.manual_seed(0)
encoder = TransformerEncoder(len(data.src_vocab), num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout)
decoder = TransformerDecoder(len(data.tgt_vocab), num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout)
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
# ## Los pesos de atención
#
# La autoatención del codificador para la última frase, en cada bloque (filas) y cada cabeza
# (columnas). Las claves de relleno (más allá de `<eos>`) tienen peso 0: lo impone el largo
# válido.

# %%
_, dec_attention_weights = model.predict_step(data.build([engs[-1]], [fras[-1]]), num_steps=data.num_steps,
                                              save_attention_weights=True)
enc_attention_weights = torch.cat(model.encoder.attention_weights, 0)
shape = (num_blks, num_heads, -1, data.num_steps)
enc_attention_weights = enc_attention_weights.reshape(shape)
show_heatmaps(enc_attention_weights, xlabel="claves", ylabel="consultas",
              titles=[f"cabeza {i}" for i in range(1, 5)], figsize=(7, 3.5))

# %% [markdown]
# Y la atención **codificador–decodificador** mientras genera la traducción: cada fila es un token
# francés generado y cada columna una posición de la frase inglesa. Se arma pegando los pesos de
# los pasos de la decodificación voraz.

# %%
dec_attention_weights_2d = [head[0].tolist() for step in dec_attention_weights
                            for attn in step for blk in attn for head in blk]
dec_attention_weights_filled = torch.tensor(
    [row + [0.0] * (data.num_steps - len(row)) for row in dec_attention_weights_2d])
shape = (-1, 2, num_blks, num_heads, data.num_steps)
dec_attention_weights = dec_attention_weights_filled.reshape(shape)
dec_self_attention_weights, dec_inter_attention_weights = dec_attention_weights.permute(1, 2, 3, 0, 4)
show_heatmaps(dec_inter_attention_weights[:, :, :, :len(engs[-1].split()) + 1], xlabel="claves", ylabel="consultas",
              titles=[f"cabeza {i}" for i in range(1, 5)], figsize=(7, 3.5))

# %% [markdown]
# ## Las clases de PyTorch
#
# PyTorch trae el Transformer entero: `nn.TransformerEncoderLayer` (un bloque del codificador),
# `nn.TransformerEncoder` (la pila), los del decodificador y `nn.Transformer`. Usan máscaras en
# vez de largos válidos: `src_key_padding_mask` para el relleno y una máscara **causal** para que
# el decodificador no mire el futuro, que `nn.Transformer.generate_square_subsequent_mask` arma
# con $-\infty$ sobre la diagonal.

# %%
mask = nn.Transformer.generate_square_subsequent_mask(6)
print(mask)
layer = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, dropout=0.1, batch_first=True)
torch_encoder = nn.TransformerEncoder(layer, num_layers=2)
X = torch.rand(2, 9, 64)
padding = torch.arange(9)[None, :] >= torch.tensor([4, 9])[:, None]
print(torch_encoder(X, src_key_padding_mask=padding).shape)
transformer = nn.Transformer(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=128,
                             batch_first=True)
print(transformer(X, torch.rand(2, 6, 64), tgt_mask=mask).shape)
print(f"{sum(p.numel() for p in transformer.parameters()):,} parámetros")

# %% [markdown]
# ## Ejercicios
#
# 1. Entrena un Transformer más profundo (4 bloques). ¿Cambia la pérdida? ¿Y el tiempo?
# 2. Cambia la codificación posicional por una **aprendida** (`nn.Parameter` de forma
#    `(1, max_len, num_hiddens)`). ¿Traduce igual?
# 3. Reemplaza `TransformerEncoder` por una pila de `nn.TransformerEncoderLayer` con
#    `batch_first=True` y una `src_key_padding_mask` construida con los largos válidos.
