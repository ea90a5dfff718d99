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
# # Clase 2.5 — Diferenciación automática
#
# Cada operación sobre tensores con `requires_grad=True` queda anotada en un **grafo
# computacional**. `backward()` lo recorre de la salida hacia las entradas aplicando la regla
# de la cadena. Con `profundo.viz` podemos **ver** ese grafo antes y después.

# %%
import profundo as torch
from profundo import viz

# %% [markdown]
# ## Un ejemplo sencillo: $y = 2\,\mathbf{x}^\top\mathbf{x}$

# %%
x = torch.arange(4.0, requires_grad=True)
x.grad is None  # todavía no hay gradiente

# %%
y = 2 * torch.dot(x, x)
y

# %% [markdown]
# El grafo **antes** de `backward()`: cajas para los tensores (azul = hoja, verde = salida),
# óvalos para las operaciones. Los números `#1, #2, …` dicen en qué orden las visitará
# `backward()`. Fíjate en `grad None`: aún no ha fluido nada.

# %%
viz.draw(y)

# %%
y.backward()
x.grad, x.grad == 4 * x

# %% [markdown]
# **Después** de `backward()` la hoja `x` ya tiene su gradiente:

# %%
viz.draw(y)

# %% [markdown]
# ## Paso a paso
#
# `viz.backward_steps` ejecuta `backward()` y guarda un cuadro por paso: qué nodo se procesa y
# qué gradiente envía a cada entrada. En Jupyter, `pasos.play()` muestra un deslizador.

# %%
x = torch.tensor([1.0, 2.0], requires_grad=True)
w = torch.tensor(3.0, requires_grad=True)
z = x * w
y = (z + x).sum()
pasos = viz.backward_steps(y)
for texto in pasos.captions:
    print(texto)

# %%
pasos[2]

# %% [markdown]
# ## Los gradientes se acumulan
#
# Cada `backward()` **suma** en `.grad`. Por eso en entrenamiento se reinicia en cada paso.

# %%
x = torch.arange(4.0, requires_grad=True)
x.sum().backward()
x.sum().backward()
print(x.grad)  # 2, no 1
x.grad.zero_()
x.sum().backward()
x.grad

# %% [markdown]
# ## Salidas no escalares
#
# `backward()` necesita un escalar; para un vector pasa `gradient=` (o suma primero).

# %%
x.grad = None
y = x * x
try:
    y.backward()
except RuntimeError as error:
    print(error)

# %%
y.backward(gradient=torch.ones(len(y)))
x.grad

# %% [markdown]
# ## Separar cálculos: `detach`
#
# `u = y.detach()` es un tensor con los mismos valores pero **fuera del grafo**: el gradiente
# no pasa por él.

# %%
x.grad = None
y = x * x
u = y.detach()
z = u * x
z.sum().backward()
x.grad == u

# %% [markdown]
# ## Gradientes a través del flujo de control de Python
#
# El grafo se construye mientras el código corre, así que `while` e `if` funcionan.

# %%
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.randn(size=(), requires_grad=True)
d = f(a)
d.backward()
a.grad == d / a

# %% [markdown]
# ## Segundas derivadas
#
# Con `create_graph=True` el gradiente también es diferenciable.

# %%
x = torch.tensor(2.0, requires_grad=True)
y = x ** 3
(dy,) = torch.autograd.grad(y, x, create_graph=True)
(d2y,) = torch.autograd.grad(dy, x)
dy, d2y  # 3x² = 12 y 6x = 12

# %% [markdown]
# ## Verificar gradientes: `gradcheck`
#
# Compara el gradiente de autograd con diferencias finitas (en `float64`).

# %%
entrada = torch.randn(3, dtype=torch.float64, requires_grad=True)
torch.autograd.gradcheck(lambda t: (t.tanh() * t).sum(), (entrada,))

# %% [markdown]
# ## Ejercicios
#
# 1. Dibuja el grafo de $f(x) = \sin(x)\,e^x$ y comprueba $f'(x)$ contra la derivada a mano.
# 2. ¿Qué pasa si llamas `backward()` dos veces sobre el mismo grafo? Lee el error.
