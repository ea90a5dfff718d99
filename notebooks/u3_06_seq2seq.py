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
# # Unidad 3.6 — Traducción automática: codificador–decodificador
#
# Traducir no es predecir el siguiente token de *una* secuencia: la entrada (inglés) y la salida
# (francés) tienen largos distintos y no se corresponden palabra por palabra. La arquitectura
# **codificador–decodificador** (sección 10.6 de d2l) separa el trabajo:
#
# - el **codificador** lee la frase de origen entera y la resume en un estado;
# - el **decodificador** genera la traducción token a token, a partir de ese estado y de lo que
#   ya generó.
#
# Con dos GRU tenemos el modelo *seq2seq* (Sutskever et al., 2014; sección 10.7). Lo entrenamos
# con pares inglés–francés, traducimos con **decodificación voraz** y medimos con **BLEU**.

# %%
from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn, text
from profundo.nn import functional as F

torch.manual_seed(0)

# %% [markdown]
# ## Los datos (d2l 10.5)
#
# Pares de frases de [Tatoeba](https://tatoeba.org) (vía manythings.org), una por línea, separadas
# por un tabulador. profundo trae los primeros 2000 pares.

# %%
raw_text = text.fra_eng()
print(raw_text[:120])

# %% [markdown]
# Preprocesamiento: minúsculas, espacios no separables convertidos en espacios, y un espacio antes
# de la puntuación para que sea un token propio. Tokenizamos por **palabras** y agregamos `<eos>`
# (fin de la secuencia) a cada frase.

# %%
clean = text.preprocess_nmt(raw_text)
print(clean[:80])
src, tgt = text.tokenize_nmt(clean)
print(src[:3], tgt[:3])

# %%
plt.figure(figsize=(5, 3))
plt.hist([[len(l) for l in src], [len(l) for l in tgt]], bins=range(1, 12), label=["inglés", "francés"])
plt.xlabel("tokens por frase")
plt.ylabel("frases")
plt.legend()
plt.show()

# %% [markdown]
# Las frases son cortas. Para hacer minilotes, todas deben tener el mismo largo `num_steps`: las
# largas se **truncan** y las cortas se **rellenan** con `<pad>`. El **largo válido** (sin relleno)
# se guarda aparte, para que ni la atención ni la pérdida miren el relleno.

# %%
text.truncate_pad(src[0], 9, "<pad>")

# %% [markdown]
# El módulo de datos `MTFraEng` de d2l (en `profundo.text`) hace todo: vocabularios de origen y de
# destino (las palabras que aparecen menos de 2 veces pasan a `<unk>`), truncar y rellenar, y
# cuatro tensores por lote: la frase de origen, la entrada del decodificador (la traducción con
# `<bos>` delante), el largo válido del origen y la etiqueta (la traducción corrida un token).

# %%
data = text.MTFraEng(batch_size=64, num_steps=9, num_train=512, num_val=128)   # d2l: lotes de 128
src, tgt, src_valid_len, label = next(iter(data.train_dataloader()))
print("origen:", src[0].tolist(), data.src_vocab.to_tokens(src[0]))
print("entrada del decodificador:", data.tgt_vocab.to_tokens(tgt[0]))
print("largo válido del origen:", int(src_valid_len[0]))
print("etiqueta:", data.tgt_vocab.to_tokens(label[0]))
print(len(data.src_vocab), len(data.tgt_vocab))

# %% [markdown]
# ## La interfaz codificador–decodificador (d2l 10.6)
#
# Dos clases abstractas: el codificador toma la secuencia de origen y devuelve lo que sea que el
# decodificador necesite; el decodificador arma su **estado** inicial con eso (`init_state`) y
# luego, dado un trozo de la secuencia de destino y el estado, da las puntuaciones y el estado
# nuevo. `EncoderDecoder` las encadena.

# %%
class Encoder(nn.Module):
    """La interfaz base de los codificadores (d2l 10.6)."""

    def forward(self, X, *args):
        raise NotImplementedError


class Decoder(nn.Module):
    """La interfaz base de los decodificadores (d2l 10.6)."""

    def init_state(self, enc_all_outputs, *args):
        raise NotImplementedError

    def forward(self, X, state):
        raise NotImplementedError


class EncoderDecoder(nn.Module):
    """La clase base de la arquitectura codificador–decodificador (d2l 10.6)."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        enc_all_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_all_outputs, *args)
        # sólo las salidas del decodificador, no su estado
        return self.decoder(dec_X, dec_state)[0]

    def loss(self, Y_hat, Y, averaged=True):
        # la entropía cruzada de d2l.Classifier, sobre todos los pasos
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        return F.cross_entropy(Y_hat, Y, reduction="mean" if averaged else "none")


def init_seq2seq(module):
    """Inicializa los pesos para seq2seq (d2l 10.7): Xavier en las capas lineales y en la GRU."""
    if type(module) == nn.Linear:
        nn.init.xavier_uniform_(module.weight)
    if type(module) == nn.GRU:
        for param in module._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(module._parameters[param])

# %% [markdown]
# ## El codificador
#
# Cada token de origen pasa por una capa de **incrustación** (`nn.Embedding`: una tabla con un
# vector aprendido por token; es lo mismo que multiplicar el one-hot por una matriz, sin armar el
# one-hot) y luego por una GRU de varias capas. La salida son los estados de la última capa en
# todos los pasos y el estado final de cada capa.

# %%
class Seq2SeqEncoder(Encoder):
    """El codificador RNN para aprendizaje de secuencia a secuencia (d2l 10.7)."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=dropout)
        self.apply(init_seq2seq)   # Xavier, como en d2l

    def forward(self, X, *args):
        # X: (lote, pasos)
        embs = self.embedding(X.t().type(torch.int64))
        # embs: (pasos, lote, embed_size)
        outputs, state = self.rnn(embs)
        # outputs: (pasos, lote, num_hiddens); state: (num_layers, lote, num_hiddens)
        return outputs, state


vocab_size, embed_size, num_hiddens, num_layers = 10, 8, 16, 2
batch_size, num_steps = 4, 9
encoder = Seq2SeqEncoder(vocab_size, embed_size, num_hiddens, num_layers)
X = torch.zeros((batch_size, num_steps))
enc_outputs, enc_state = encoder(X)
print(enc_outputs.shape, enc_state.shape)

# %% [markdown]
# ## El decodificador
#
# El estado inicial del decodificador es el estado final del codificador. En cada paso, la
# entrada es el token anterior de la traducción **y** el **contexto**: la salida del codificador
# en su último paso, el resumen de toda la frase de origen. Una capa lineal da la puntuación de
# cada palabra francesa.

# %%
class Seq2SeqDecoder(Decoder):
    """El decodificador RNN para aprendizaje de secuencia a secuencia (d2l 10.7)."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.LazyLinear(vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_all_outputs, *args):
        return enc_all_outputs

    def forward(self, X, state):
        # X: (lote, pasos); embs: (pasos, lote, embed_size)
        embs = self.embedding(X.t().type(torch.int32))
        enc_output, hidden_state = state
        # context: (lote, num_hiddens), repetido en cada paso
        context = enc_output[-1]
        context = context.repeat(embs.shape[0], 1, 1)
        embs_and_context = torch.cat((embs, context), -1)
        outputs, hidden_state = self.rnn(embs_and_context, hidden_state)
        outputs = self.dense(outputs).swapaxes(0, 1)
        # outputs: (lote, pasos, vocab_size)
        return outputs, [enc_output, hidden_state]


decoder = Seq2SeqDecoder(vocab_size, embed_size, num_hiddens, num_layers)
state = decoder.init_state(encoder(X))
dec_outputs, state = decoder(X, state)
print(dec_outputs.shape, state[1].shape)

# %% [markdown]
# ## La pérdida con máscara
#
# `EncoderDecoder` encadena los dos: `model(src, tgt_in, src_valid_len)` da las puntuaciones de
# cada paso. Al entrenar, el decodificador recibe la
# traducción **correcta** desplazada (*teacher forcing*), no sus propias predicciones. La pérdida
# es la entropía cruzada, pero los `<pad>` de la etiqueta no deben contar: los multiplicamos por
# una máscara de ceros.

# %%
class Seq2Seq(EncoderDecoder):
    """El codificador–decodificador RNN para secuencia a secuencia (d2l 10.7)."""

    def __init__(self, encoder, decoder, tgt_pad, lr):
        super().__init__(encoder, decoder)
        self.tgt_pad, self.lr = tgt_pad, lr

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)

    def loss(self, Y_hat, Y):
        l = super().loss(Y_hat, Y, averaged=False)
        mask = (Y.reshape(-1) != self.tgt_pad).type(torch.float32)
        return (l * mask).sum() / mask.sum()

# %% [markdown]
# ## Entrenar
#
# Adam y recorte del gradiente (norma 1), como en el libro, pero con un modelo más pequeño (d2l usa
# incrustaciones y estados de 256, con tasa 0.005) para que el cuaderno corra en segundos.

# %%
def train_seq2seq(model, data, num_epochs, grad_clip_val=1.0):
    optimizer = model.configure_optimizers()
    history = {"train": [], "val": []}
    for epoch in range(num_epochs):
        model.train()
        total, count = 0.0, 0
        for src, tgt, src_valid_len, label in data.train_dataloader():
            loss = model.loss(model(src, tgt, src_valid_len), label)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip_val)
            optimizer.step()
            total, count = total + float(loss), count + 1
        history["train"].append(total / count)
        model.eval()
        with torch.no_grad():
            val = [float(model.loss(model(s, t, v), l)) for s, t, v, l in data.val_dataloader()]
        history["val"].append(sum(val) / len(val))
    print(f"pérdida final: {history['train'][-1]:.3f} (entrenamiento), {history['val'][-1]:.3f} (validación)")
    return history


def plot_history(history):
    plt.figure(figsize=(5, 3))
    plt.plot(range(1, len(history["train"]) + 1), history["train"], label="entrenamiento")
    plt.plot(range(1, len(history["val"]) + 1), history["val"], "--", label="validación")
    plt.xlabel("época")
    plt.ylabel("pérdida")
    plt.legend()
    plt.show()


torch.manual_seed(0)
embed_size, num_hiddens, num_layers, dropout = 64, 128, 2, 0.2
encoder = Seq2SeqEncoder(len(data.src_vocab), embed_size, num_hiddens, num_layers, dropout)
decoder = Seq2SeqDecoder(len(data.tgt_vocab), embed_size, num_hiddens, num_layers, dropout)
model = Seq2Seq(encoder, decoder, tgt_pad=data.tgt_vocab["<pad>"], lr=0.01)
history = train_seq2seq(model, data, num_epochs=20)
plot_history(history)

# %% [markdown]
# ## Traducir: decodificación voraz
#
# Al predecir no tenemos la traducción correcta: el decodificador empieza con `<bos>`, y en cada
# paso toma el token **más probable** y lo da como entrada del paso siguiente, hasta `<eos>`
# (`predict_step`, el de d2l). Es voraz: una elección temprana no se corrige después (la búsqueda
# en haz, *beam search*, guarda varias candidatas).
#
# ## BLEU
#
# BLEU compara los *n*-gramas de la predicción con los de la referencia: $p_n$ es la fracción de
# *n*-gramas de la predicción que aparecen en la referencia, y
#
# $$\mathrm{BLEU} = \exp\left(\min\left(0,
# 1 - \frac{\mathrm{len}_{\mathrm{ref}}}{\mathrm{len}_{\mathrm{pred}}}\right)\right)
# \prod_{n=1}^k p_n^{1/2^n}.$$
#
# Vale 1 para una traducción idéntica; el primer factor castiga las traducciones cortas (que
# tendrían precisión alta diciendo poco), y los *n*-gramas largos, más difíciles de acertar, pesan
# más.

# %%
def predict_step(self, batch, device, num_steps, save_attention_weights=False):
    """Decodificación voraz (d2l 10.7): empieza con <bos> y realimenta el token más probable."""
    batch = [a.to(device) for a in batch]
    src, tgt, src_valid_len, _ = batch
    enc_all_outputs = self.encoder(src, src_valid_len)
    dec_state = self.decoder.init_state(enc_all_outputs, src_valid_len)
    outputs, attention_weights = [tgt[:, 0].unsqueeze(1)], []
    for _ in range(num_steps):
        Y, dec_state = self.decoder(outputs[-1], dec_state)
        outputs.append(Y.argmax(2))
        # guardamos los pesos de atención (los usaremos en el cuaderno 3.7)
        if save_attention_weights:
            attention_weights.append(self.decoder.attention_weights)
    return torch.cat(outputs[1:], 1), attention_weights


EncoderDecoder.predict_step = predict_step   # d2l lo agrega con @d2l.add_to_class


def translate(model, data, engs, fras):
    model.eval()   # sin dropout
    with torch.no_grad():
        preds, _ = model.predict_step(data.build(engs, fras), "cpu", data.num_steps)
    for en, fr, p in zip(engs, fras, preds):
        translation = []
        for token in data.tgt_vocab.to_tokens(p):
            if token == "<eos>":
                break
            translation.append(token)
        print(f"{en} => {' '.join(translation)!r}, BLEU {text.bleu(' '.join(translation), fr, k=2):.3f}")


engs = ["go .", "i lost .", "he's calm .", "i'm home ."]
fras = ["va !", "j'ai perdu .", "il est calme .", "je suis chez moi ."]
translate(model, data, engs, fras)

# %% [markdown]
# Con 512 frases de entrenamiento y un modelo pequeño, acierta algunas palabras frecuentes y se
# equivoca en las demás (`<unk>` es una palabra que apareció una sola vez: no está en el
# vocabulario). El problema de fondo: **todo** el origen debe caber en un único vector de
# contexto. El próximo cuaderno lo resuelve con **atención**: en cada paso, el decodificador mira
# las salidas del codificador que le sirven.
#
# Desde la terminal, `profundo train seq2seq` entrena el mismo modelo con los tamaños del libro
# (256 unidades, 30 épocas), y `--model bahdanau` o `--model transformer` los de los próximos
# cuadernos.
#
# ## Ejercicios
#
# 1. Cambia `num_layers`, `num_hiddens` y `dropout`. ¿Qué combinación da la menor pérdida de
#    validación?
# 2. Sin la máscara en la pérdida (con la entropía cruzada de todos los tokens), ¿qué aprende el
#    modelo? Mira sus traducciones.
# 3. Calcula el BLEU promedio sobre el conjunto de validación.
