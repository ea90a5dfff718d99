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
# # Unidad 3.1 — Del texto a los números
#
# Una red sólo sabe sumar y multiplicar números; el texto hay que convertirlo. El camino es
# siempre el mismo (sección 9.2 de d2l):
#
# 1. leer el texto crudo,
# 2. partirlo en **tokens** (caracteres o palabras),
# 3. construir un **vocabulario** que asigne un índice a cada token,
# 4. convertir el texto en una secuencia de índices.
#
# Usamos *La máquina del tiempo* (*The Time Machine*, H. G. Wells, 1895): unas 30 000 palabras.
# profundo trae una copia, así que no hace falta descargar nada.

# %%
import collections
import re

from matplotlib import pyplot as plt

import profundo as torch
from profundo import text

# %% [markdown]
# ## Leer el texto

# %%
raw_text = text.time_machine()
print(f"{len(raw_text):,} caracteres")
raw_text[:60]

# %% [markdown]
# Para simplificar, como en el libro, ignoramos la puntuación y las mayúsculas: cada racha de
# caracteres que no son letras se vuelve un espacio, y todo pasa a minúsculas.

# %%
def preprocess(text):
    return re.sub("[^A-Za-z]+", " ", text).lower()


clean = preprocess(raw_text)
clean[:60]

# %% [markdown]
# ## Tokens
#
# Un token es la unidad mínima que ve el modelo. Con **caracteres** el vocabulario es diminuto (26
# letras y el espacio) pero las secuencias son largas; con **palabras** las secuencias son cortas
# y el vocabulario enorme. Empezamos por caracteres:

# %%
def tokenize(text):
    return list(text)


tokens = tokenize(clean)
",".join(tokens[:30])

# %% [markdown]
# ## El vocabulario
#
# La clase `Vocab` de d2l cuenta cuántas veces aparece cada token, descarta los que aparecen
# menos de `min_freq` veces y numera los demás, junto con el token especial `<unk>` (desconocido:
# lo que no está en el vocabulario se convierte en él) y los **tokens reservados** que pidamos
# (más adelante: `<pad>` para rellenar, `<bos>` y `<eos>` para marcar el comienzo y el fin de una
# frase). `vocab[token]` da el índice y `vocab.to_tokens(índices)` hace el camino de vuelta.

# %%
class Vocab:
    """Vocabulario para texto (d2l, sección 9.2)."""

    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):
        # aplanamos una lista de listas si hace falta
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        # contamos las frecuencias
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        # la lista de tokens distintos
        self.idx_to_token = list(sorted(set(["<unk>"] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if hasattr(indices, "__len__") and len(indices) > 1:
            return [self.idx_to_token[int(index)] for index in indices]
        return self.idx_to_token[indices]

    @property
    def unk(self):  # índice del token desconocido
        return self.token_to_idx["<unk>"]


vocab = Vocab(tokens)
indices = vocab[tokens[:10]]
print("índices:", indices)
print("tokens:", vocab.to_tokens(indices))

# %% [markdown]
# ## Todo junto
#
# `build` devuelve el **corpus** (el texto entero como lista de índices) y el vocabulario:

# %%
def build(raw_text, vocab=None):
    tokens = tokenize(preprocess(raw_text))
    if vocab is None:
        vocab = Vocab(tokens)
    corpus = [vocab[token] for token in tokens]
    return corpus, vocab


corpus, vocab = build(raw_text)
print(len(corpus), len(vocab))
# para la red, el corpus es un tensor de índices enteros
torch.tensor(corpus[:20])

# %% [markdown]
# Esto mismo está en `profundo.text`, con errores claros cuando algo no encaja: `text.Vocab`
# (la misma clase), `text.tokenize(..., token="char" | "word")` y `text.TimeMachine`, el módulo
# de datos de d2l que usaremos para entrenar modelos de lenguaje. Dan lo mismo que nuestro código:

# %%
tm = text.TimeMachine(batch_size=2, num_steps=10)
print(tm.vocab)
print(tm.corpus[:10] == corpus[:10], tm.vocab.idx_to_token == vocab.idx_to_token)

# %% [markdown]
# ## Estadísticas del lenguaje
#
# Pasemos a **palabras**. ¿Cuáles son las más frecuentes?

# %%
words = text.word_tokenize(clean)
vocab = text.Vocab(words)
vocab.token_freqs[:10]

# %% [markdown]
# Las más frecuentes son palabras vacías (*stop words*: "the", "i", "and", "of"), que dicen poco.
# La frecuencia cae muy rápido: la palabra número $i$ aparece aproximadamente
#
# $$n_i \propto \frac{1}{i^\alpha},$$
#
# la **ley de Zipf**: en escala log-log es una recta. Lo mismo pasa con los pares de palabras
# seguidas (**bigramas**) y los tríos (**trigramas**), con pendientes menores: hay muchísimas
# combinaciones que casi nunca se ven. Por eso contar (*n*-gramas) no alcanza para modelar el
# lenguaje, y hacen falta modelos que generalicen.

# %%
bigram_tokens = ["--".join(pair) for pair in zip(words[:-1], words[1:])]
bigram_vocab = text.Vocab(bigram_tokens)
trigram_tokens = ["--".join(triple) for triple in zip(words[:-2], words[1:-1], words[2:])]
trigram_vocab = text.Vocab(trigram_tokens)
print(bigram_vocab.token_freqs[:5])
print(trigram_vocab.token_freqs[:5])

plt.figure(figsize=(5, 3.5))
for v, label in [(vocab, "unigramas"), (bigram_vocab, "bigramas"), (trigram_vocab, "trigramas")]:
    freqs = [freq for token, freq in v.token_freqs]
    plt.loglog(range(1, len(freqs) + 1), freqs, label=label)
plt.xlabel("token: x (rango)")
plt.ylabel("frecuencia: n(x)")
plt.legend()
plt.show()

# %% [markdown]
# ## El tamaño del vocabulario
#
# Con palabras, `min_freq` recorta la cola larga: las palabras raras pasan a ser `<unk>`.
# ¿Cuántas quedan, y qué fracción del texto cubren?

# %%
total = len(words)
for min_freq in [1, 2, 5, 10]:
    v = text.Vocab(words, min_freq=min_freq)
    covered = sum(freq for token, freq in v.token_freqs if freq >= min_freq) / total
    print(f"min_freq={min_freq:2}: {len(v):5} tokens, cubren el {covered:.1%} del texto")

# %% [markdown]
# Con `min_freq=5` el vocabulario se reduce a menos de una quinta parte y aun así cubre más del
# 80 % del texto: las palabras raras son muchas, pero cada una aparece poco.
#
# ## Ejercicios
#
# 1. Cambia `preprocess` para conservar los signos de puntuación como tokens propios. ¿Cuánto crece
#    el vocabulario de caracteres? ¿Y el de palabras?
# 2. Calcula la pendiente $\alpha$ de la ley de Zipf ajustando una recta (`torch.linalg.lstsq`)
#    a los logaritmos de las frecuencias de los unigramas.
# 3. ¿Qué fracción de las palabras del texto son palabras vacías (las 10 más frecuentes)?
