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
# # Unidad 4.1 — Sistemas de recomendación
#
# Una tienda, una plataforma de películas o de música tiene **usuarios** e **ítems**, y quiere
# mostrarle a cada usuario los ítems que le gustarán. Lo que sabe está en una matriz enorme
# $R$ (usuarios × ítems) casi vacía: cada usuario vio una fracción mínima del catálogo. Recomendar
# es **completar la matriz**: estimar las celdas vacías a partir de las llenas.
#
# Hay dos tipos de datos:
#
# - **Retroalimentación explícita**: el usuario dice cuánto le gustó (una calificación de 1 a 5
#   estrellas). Es un problema de **regresión** y se mide con el error (RMSE).
# - **Retroalimentación implícita**: solo vemos qué hizo (vio, compró, hizo clic). Todo lo observado
#   es un positivo; lo no observado *no* es un negativo (quizá no lo conocía). Es un problema de
#   **ranking**: ordenar los ítems no vistos, y se mide con HitRate@k y NDCG@k.
#
# Seguimos el capítulo 21 de d2l (escrito para MXNet; aquí, con la API de PyTorch):
# factorización de matrices, AutoRec, BPR y NeuMF. Usamos datos **sintéticos** con la forma de
# MovieLens para que el cuaderno corra en segundos; al final están los comandos y las cifras con
# MovieLens 100K de verdad.

# %%
import math

import numpy as np
from matplotlib import pyplot as plt

import profundo as torch
from profundo.models import AutoRec, BPRLoss, MatrixFactorization, NeuMF
from profundo.recsys import (as_interactions, hit_rate_at_k, ndcg_at_k, negative_sampling, ranking_candidates,
                             rmse, split_interactions)
from profundo.utils.data import DataLoader

torch.manual_seed(0)

# %% [markdown]
# ## Datos: un MovieLens de juguete
#
# Cada usuario $u$ tiene gustos $\mathbf{p}_u \in \mathbb{R}^5$ y cada ítem rasgos
# $\mathbf{q}_i \in \mathbb{R}^5$; la afinidad es $\mathbf{p}_u^\top \mathbf{q}_i$ más un sesgo del
# usuario (hay quien califica todo alto) y uno del ítem (hay películas buenas para casi todos).
# Como en la realidad, cada uno **ve sobre todo lo que espera que le guste**: la probabilidad de
# calificar un ítem crece con la afinidad. La calificación (1 a 5) es la afinidad con ruido,
# redondeada. Las columnas son las de MovieLens: `user`, `item`, `rating`, `timestamp`.

# %%
rng = np.random.default_rng(0)
num_users, num_items, rango = 300, 200, 5
P_real = rng.normal(size=(num_users, rango))
Q_real = rng.normal(size=(num_items, rango))
afinidad = (P_real @ Q_real.T) / math.sqrt(rango) + rng.normal(0, 0.5, (num_users, 1)) + rng.normal(0, 0.5, num_items)
vista = rng.random((num_users, num_items)) < 1 / (1 + np.exp(-(1.5 * afinidad - 2.5)))  # se ve lo que gusta
usuarios, items = np.nonzero(vista)
notas = np.clip(np.rint(2.6 + 0.8 * afinidad[usuarios, items] + rng.normal(0, 0.3, len(usuarios))), 1, 5)
datos = as_interactions({"user": usuarios, "item": items, "rating": notas,
                         "timestamp": rng.permutation(len(usuarios))}, num_users, num_items)
print(datos)
print(f"densidad: {len(datos) / (num_users * num_items):.1%} de las celdas (MovieLens 100K: 6.3 %)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
matriz = np.zeros((num_users, num_items))
matriz[datos.user, datos.item] = datos.rating
axes[0].imshow(matriz[:60, :100], cmap="Blues", vmin=0, vmax=5)
axes[0].set_title("R: 60 usuarios × 100 ítems (blanco = sin dato)")
axes[0].set_xlabel("ítem")
axes[0].set_ylabel("usuario")
axes[1].hist(datos.rating, bins=np.arange(0.5, 6), rwidth=0.8)
axes[1].set_title("calificaciones")
plt.show()

# %% [markdown]
# ## Retroalimentación explícita: factorización de matrices
#
# La idea (el premio Netflix, 2009): si $R$ tiene rango bajo, $R \approx P Q^\top$, con una fila
# $\mathbf{p}_u$ de $k$ factores por usuario y una $\mathbf{q}_i$ por ítem. Con sesgos y la media
# global $\mu$:
#
# $$\hat r_{ui} = \mathbf{p}_u^\top \mathbf{q}_i + b_u + b_i + \mu .$$
#
# Se entrena solo con las celdas observadas, minimizando el error cuadrático más una penalización
# L2 **de las filas que usa cada lote** (cada calificación tira de sus propios vectores hacia cero):
#
# $$\frac{1}{|B|}\sum_{(u,i)\in B} (r_{ui} - \hat r_{ui})^2 + \lambda\,
# \frac{1}{|B|}\sum_{(u,i)\in B}\left(\|\mathbf{p}_u\|^2 + \|\mathbf{q}_i\|^2 + b_u^2 + b_i^2\right).$$
#
# `MatrixFactorization` guarda $P$, $Q$ y los sesgos en `nn.Embedding`: buscar la fila de un usuario
# es indexar una tabla. Separamos un 10 % de las calificaciones al azar para la prueba.

# %%
train, test = split_interactions(datos, "random", test_ratio=0.1, seed=0)
mu = float(train.rating.mean())
print(f"{len(train)} de entrenamiento, {len(test)} de prueba; media global {mu:.3f}")
print(f"predecir siempre la media: RMSE de prueba {rmse(np.full(len(test), mu), test.rating):.4f}")

# %%
def rmse_de(modelo, parte):
    with torch.no_grad():
        return rmse(modelo(torch.tensor(parte.user), torch.tensor(parte.item)), parte.rating)


mf = MatrixFactorization(num_users, num_items, num_factors=10, global_mean=mu)
optimizador = torch.optim.Adam(mf.parameters(), lr=0.01)
lam = 0.1
cargador = DataLoader(train.explicit(), batch_size=128, shuffle=True)
curvas = {"train": [], "prueba": []}
for epoca in range(15):
    for u, i, r in cargador:
        p, q = mf.P(u), mf.Q(i)
        b_u, b_i = mf.user_bias(u).squeeze(-1), mf.item_bias(i).squeeze(-1)
        r_hat = (p * q).sum(-1) + b_u + b_i + mf.global_mean
        penalizacion = ((p ** 2).sum(-1) + (q ** 2).sum(-1) + b_u ** 2 + b_i ** 2).mean()
        perdida = ((r_hat - r) ** 2).mean() + lam * penalizacion
        optimizador.zero_grad()
        perdida.backward()
        optimizador.step()
    curvas["train"].append(rmse_de(mf, train))
    curvas["prueba"].append(rmse_de(mf, test))
print(f"MF: RMSE de entrenamiento {curvas['train'][-1]:.4f}, de prueba {curvas['prueba'][-1]:.4f}")

# %%
plt.figure(figsize=(4.5, 3))
for nombre, valores in curvas.items():
    plt.plot(range(1, len(valores) + 1), valores, "o-", label=nombre)
plt.axhline(rmse(np.full(len(test), mu), test.rating), color="gray", ls="--", label="media global")
plt.xlabel("época")
plt.ylabel("RMSE")
plt.legend()
plt.show()

# %% [markdown]
# Los factores aprendidos **no** son los reales (cualquier rotación de $P$ y $Q$ da el mismo
# producto), pero el producto sí se parece: la predicción de una celda que el modelo nunca vio
# sale de usuarios parecidos e ítems parecidos. Esto es el **filtrado colaborativo**.
#
# ## AutoRec: un autocodificador por ítem
#
# AutoRec (Sedhain et al., 2015) mira cada **ítem** como el vector de sus calificaciones de todos
# los usuarios (0 = sin dato), lo comprime en una capa oculta con sigmoide y lo reconstruye. En
# entrenamiento solo cuentan las celdas observadas (`AutoRec` multiplica su salida por
# `sign(entrada)`, y `AutoRec.masked_mse` promedia el error solo sobre ellas); en evaluación, la
# reconstrucción de una celda vacía es la predicción.

# %%
R_train = np.zeros((num_items, num_users), dtype=np.float32)     # filas: ítems, columnas: usuarios
R_train[train.item, train.user] = train.rating
R = torch.tensor(R_train)
autorec = AutoRec(num_hidden=100, num_users=num_users, dropout=0.05)
optimizador = torch.optim.Adam(autorec.parameters(), lr=0.01, weight_decay=1e-5)
for epoca in range(60):
    autorec.train()
    for filas in torch.randperm(num_items).split(32):
        perdida = AutoRec.masked_mse(autorec(R[filas]), R[filas])
        optimizador.zero_grad()
        perdida.backward()
        optimizador.step()
autorec.eval()
with torch.no_grad():
    reconstruccion = autorec(R).numpy()
print(f"AutoRec: RMSE de prueba {rmse(reconstruccion[test.item, test.user], test.rating):.4f}")

# %% [markdown]
# ## Retroalimentación implícita: BPR y NeuMF
#
# Ahora olvidamos las estrellas: cada calificación es solo "el usuario vio el ítem". Para medir
# como se usa un recomendador, la prueba es **secuencial**: de cada usuario se aparta su
# interacción **más reciente**, y el modelo, entrenado con el pasado, debe ponerla arriba.
#
# Sin negativos observados, se muestrean: para cada par (usuario, ítem visto) se sortea un ítem que
# el usuario **no** vio. La pérdida **BPR** (*Bayesian personalized ranking*) pide que el visto
# puntúe más que el no visto:
#
# $$-\sum_{(u, i, j)} \log \sigma\big(\hat y_{ui} - \hat y_{uj}\big).$$
#
# **NeuMF** (He et al., 2017) combina dos vistas del par: GMF, el producto elemento a elemento
# $\mathbf{p}_u \odot \mathbf{q}_i$ (la factorización de antes), y un MLP sobre
# $[\mathbf{u}_u, \mathbf{v}_i]$ concatenados; una capa lineal y una sigmoide dan la puntuación.

# %%
train_i, test_i = split_interactions(datos, "seq-aware")
vistos = train_i.implicit()                   # los ítems de cada usuario, en formato CSR
print(f"{len(train_i)} interacciones de entrenamiento; {len(test_i)} de prueba (una por usuario)")
u, pos, neg = negative_sampling(train_i, num_negatives=1, seen=vistos, seed=0)
print("tripletas (usuario, visto, no visto):", list(zip(u[:3], pos[:3], neg[:3])))
print("¿algún negativo ya visto?", bool(vistos.contains(u, neg).any()))

# %% [markdown]
# ### Evaluación: HitRate@k y NDCG@k
#
# Para cada usuario de prueba se ordena su ítem apartado entre 50 candidatos: él y 49 ítems que el
# usuario no vio (muestreados una vez, fijos). Si el ítem queda en la posición $r$ (0 = primero):
#
# - **HitRate@k** vale 1 si $r < k$: ¿apareció entre los $k$ primeros?
# - **NDCG@k** vale $1/\log_2(r + 2)$ si $r < k$: además premia estar más arriba (1 en el primer
#   puesto, 0.63 en el segundo, ...).
#
# Un orden al azar da HitRate@10 ≈ 10/50 = 0.2.

# %%
candidatos = ranking_candidates(vistos, test_i, num_negatives=49, seed=0)


def evaluar(modelo, k=10):
    modelo.eval()
    with torch.no_grad():
        puntos = modelo(torch.tensor(np.repeat(candidatos.users, candidatos.items.shape[1])),
                        torch.tensor(candidatos.items.reshape(-1))).numpy().reshape(candidatos.items.shape)
    modelo.train()
    return hit_rate_at_k(puntos, candidatos.labels, k), ndcg_at_k(puntos, candidatos.labels, k)


popularidad = np.bincount(train_i.item, minlength=num_items).astype(float)
print("al azar:       HitRate@10 {:.3f}, NDCG@10 {:.3f}".format(
    hit_rate_at_k(rng.random(candidatos.items.shape), candidatos.labels, 10),
    ndcg_at_k(rng.random(candidatos.items.shape), candidatos.labels, 10)))
print("popularidad:   HitRate@10 {:.3f}, NDCG@10 {:.3f}".format(
    hit_rate_at_k(popularidad[candidatos.items], candidatos.labels, 10),
    ndcg_at_k(popularidad[candidatos.items], candidatos.labels, 10)))

# %%
torch.manual_seed(0)
neumf = NeuMF(num_factors=8, num_users=num_users, num_items=num_items, nums_hiddens=[16, 8])
optimizador = torch.optim.Adam(neumf.parameters(), lr=0.01)
bpr = BPRLoss(reduction="mean")
historia = []
for epoca in range(8):
    u, pos, neg = negative_sampling(train_i, seen=vistos)     # negativos nuevos en cada época
    for lote in torch.randperm(len(u)).split(256):
        uu, pp, nv = (torch.tensor(a)[lote] for a in (u, pos, neg))
        perdida = bpr(neumf(uu, pp), neumf(uu, nv))
        optimizador.zero_grad()
        perdida.backward()
        optimizador.step()
    historia.append(evaluar(neumf))
print("NeuMF (BPR):   HitRate@10 {:.3f}, NDCG@10 {:.3f}".format(*historia[-1]))

# %%
plt.figure(figsize=(4.5, 3))
plt.plot(range(1, len(historia) + 1), [h[0] for h in historia], "o-", label="HitRate@10")
plt.plot(range(1, len(historia) + 1), [h[1] for h in historia], "s-", label="NDCG@10")
plt.axhline(0.2, color="gray", ls="--", label="al azar (HitRate)")
plt.xlabel("época")
plt.legend()
plt.show()

# %% [markdown]
# NeuMF supera al azar con holgura y también a la **popularidad** (recomendar a todos lo más
# visto), una línea base difícil: aquí, como en MovieLens, los ítems "buenos para casi todos"
# (sesgo alto) son también los más vistos. Lo que gana NeuMF es la **personalización**: los gustos
# $\mathbf{p}_u$ de cada usuario.
#
# ## Con MovieLens de verdad, desde la terminal
#
# La licencia de MovieLens (GroupLens) no permite redistribuirlo: cada uno lo descarga
# (`--download` baja el zip oficial y verifica su md5; sin él, el comando nunca descarga nada y
# explica dónde poner `u.data`). Luego:
#
# ```bash
# profundo train mf --data movielens-100k        # MF, RMSE de entrenamiento y de prueba por época
# profundo train neumf --data movielens-100k     # NeuMF, HitRate@10 y NDCG@10 por época
# ```
#
# Con los valores por defecto (30 factores, Adam, λ = 0.1), `mf` llega a un RMSE de prueba de
# **0.894** en 10 épocas (unos 8 s); un SVD clásico bien ajustado da cerca de 0.93. `neumf` (BPR,
# 10 épocas) llega a HitRate@10 0.617 y NDCG@10 0.342 entre 100 candidatos muestreados (la
# popularidad: 0.410 y 0.229). Una diferencia con d2l: el comando aplica BPR a la puntuación
# *antes* de la sigmoide de NeuMF; después, las diferencias quedan en $(-1, 1)$ y la pérdida no
# distingue un buen orden de uno seguro. En el próximo
# cuaderno (`u4_02_escala`) vemos cómo entrenar esto con millones de usuarios: gradientes
# dispersos y entrenamiento en paralelo.
