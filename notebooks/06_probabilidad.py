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
# # Clase 2.6 — Probabilidad
#
# Muestreo, estimación de probabilidades, probabilidad conjunta y condicional, regla de Bayes,
# esperanza y varianza, con las funciones aleatorias de profundo y `profundo.distributions`
# (la misma API que `torch.distributions`).

# %%
import profundo as torch
from profundo.distributions.multinomial import Multinomial

torch.manual_seed(0)  # los mismos números en cada ejecución

# %% [markdown]
# ## Lanzar un dado
#
# `Multinomial(n, probs)` cuenta cuántas veces sale cada cara en `n` lanzamientos.

# %%
fair_probs = torch.ones(6) / 6
Multinomial(1, fair_probs).sample()

# %%
Multinomial(10, fair_probs).sample()

# %% [markdown]
# Con muchos lanzamientos, la frecuencia relativa se acerca a la probabilidad 1/6 ≈ 0.167:

# %%
counts = Multinomial(1000, fair_probs).sample()
counts / 1000

# %% [markdown]
# ¿Cómo converge? 500 experimentos de 10 lanzamientos, acumulados:

# %%
counts = Multinomial(10, fair_probs).sample((500,))
cum_counts = counts.cumsum(dim=0)
estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
estimates[[0, 9, 99, 499]]

# %%
from matplotlib import pyplot as plt

for i in range(6):
    plt.plot(estimates[:, i].numpy(), label=f"P(cara={i + 1})")
plt.axhline(y=1 / 6, color="black", linestyle="dashed")
plt.xlabel("grupos de experimentos")
plt.ylabel("probabilidad estimada")
plt.legend()
plt.show()

# %% [markdown]
# ## Probabilidad conjunta, condicional y regla de Bayes
#
# Ejemplo del libro: una prueba de VIH con falsos positivos del 1 % y sin falsos negativos,
# en una población donde $P(H=1) = 0.0015$. Si la prueba sale positiva, ¿qué tan probable es
# estar infectado?
#
# $$P(H=1 \mid D=1) = \frac{P(D=1 \mid H=1)\,P(H=1)}{P(D=1)}.$$

# %%
p_h = torch.tensor([0.9985, 0.0015])            # P(H=0), P(H=1)
p_d_given_h = torch.tensor([0.01, 1.0])         # P(D=1 | H=0), P(D=1 | H=1)
p_d = (p_d_given_h * p_h).sum()                 # marginalización
p_h_given_d = p_d_given_h[1] * p_h[1] / p_d     # Bayes
p_d, p_h_given_d

# %% [markdown]
# Lo comprobamos simulando un millón de personas:

# %%
n = 1_000_000
infected = torch.bernoulli(torch.full((n,), 0.0015))
positive = torch.where(infected == 1, torch.ones(n), torch.bernoulli(torch.full((n,), 0.01)))
infected[positive == 1].mean()

# %% [markdown]
# ## Esperanza y varianza
#
# $E[X] = \sum_x x\,P(X=x)$ y $\mathrm{Var}[X] = E[X^2] - E[X]^2$. Para un dado: 3.5 y 35/12.

# %%
faces = torch.arange(1.0, 7.0)
mean = (faces * fair_probs).sum()
var = (faces ** 2 * fair_probs).sum() - mean ** 2
mean, var, torch.tensor(35 / 12)

# %% [markdown]
# ## Distribuciones continuas
#
# `Normal(loc, scale)`: muestras, densidad (`log_prob`), media y varianza.

# %%
from profundo.distributions import Normal

normal = Normal(torch.tensor(1.0), torch.tensor(2.0))
samples = normal.sample((100_000,))
samples.mean(), samples.var(), normal.mean, normal.variance

# %%
normal.log_prob(torch.tensor([1.0, 3.0])).exp()  # densidad en x = 1 y x = 3

# %% [markdown]
# `rsample()` (el *truco de reparametrización*) deja pasar gradientes hacia los parámetros:
# aquí estimamos $\frac{d}{d\mu} E[X^2] = 2\mu$ con muestras.

# %%
mu = torch.tensor(1.5, requires_grad=True)
x = Normal(mu, torch.tensor(1.0)).rsample((50_000,))
(x ** 2).mean().backward()
mu.grad  # ≈ 3

# %% [markdown]
# Los parámetros imposibles dan un error claro:

# %%
try:
    Normal(torch.tensor(0.0), torch.tensor(-1.0))
except ValueError as error:
    print(error)

# %% [markdown]
# ## Ejercicios
#
# 1. Repite el experimento del dado con un dado cargado (`probs = [0.5, 0.1, 0.1, 0.1, 0.1, 0.1]`).
# 2. En el ejemplo de VIH, ¿qué pasa si se hace una segunda prueba independiente, también positiva?
