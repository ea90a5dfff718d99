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
# # Unidad 4.2 — Escalar: gradientes dispersos y paralelismo de datos
#
# Un recomendador real tiene millones de usuarios y de artículos, y cientos de millones de
# valoraciones. Eso trae dos problemas distintos:
#
# 1. **Tablas enormes.** Una factorización de matrices guarda un vector por usuario y otro por
#    artículo (`nn.Embedding`). Un lote de 256 valoraciones solo lee 256 filas de cada tabla,
#    pero el gradiente *denso* de la tabla tiene tantas filas como la tabla entera, casi todas
#    cero. Los **gradientes dispersos** guardan solo las filas tocadas.
# 2. **Muchos datos.** Una época entera tarda demasiado en un solo proceso. El **paralelismo de
#    datos** reparte cada lote entre varios procesos (en una máquina o en varias), cada uno con
#    una copia del modelo, y promedia sus gradientes antes de cada paso.
#
# Las dos ideas son las de PyTorch, con sus mismos nombres: `nn.Embedding(sparse=True)`,
# `DistributedSampler` y `DistributedDataParallel`.

# %%
import time

import numpy as np
from matplotlib import pyplot as plt

import profundo as torch
from profundo import nn

torch.manual_seed(0)

# %% [markdown]
# ## 1. Gradientes dispersos
#
# `nn.Embedding(num, dim)` es una tabla de `num` filas; `emb(indices)` devuelve las filas
# pedidas. El gradiente de la pérdida respecto a la tabla es cero en todas las filas que el lote
# no leyó. Con `sparse=True`, `emb.weight.grad` es un `RowSparseTensor` (el equivalente del
# `torch.sparse_coo_tensor` que da PyTorch): la lista de filas tocadas (`_indices()`) y una fila
# de valores por cada una (`_values()`).

# %%
num_items, dim = 100_000, 32
emb = nn.Embedding(num_items, dim, sparse=True)
lote = torch.randint(0, num_items, (256,))
perdida = emb(lote).pow(2).sum()
perdida.backward()
g = emb.weight.grad
print(type(g).__name__, "forma", tuple(g.shape))
print("filas guardadas:", g._indices().shape[1], "de", num_items)
print("valores:", tuple(g._values().shape))

# %% [markdown]
# Si un índice aparece dos veces en el lote, su fila aparece dos veces en el gradiente
# ("sin consolidar", *uncoalesced*): el tensor significa la **suma** de sus filas repetidas.
# `coalesce()` las suma y ordena los índices. Comprobamos que el gradiente disperso es el denso:

# %%
denso = nn.Embedding(num_items, dim)
denso.weight.data.copy_(emb.weight.data)
denso(lote).pow(2).sum().backward()
print("¿iguales?", torch.equal(g.to_dense(), denso.weight.grad))
print("filas distintas en el lote:", g.coalesce()._indices().shape[1])

# %% [markdown]
# ### Memoria
#
# El gradiente denso ocupa `num × dim` números, crezca o no el lote; el disperso, `lote × dim`
# números más `lote` índices, sea cual sea el tamaño de la tabla.

# %%
def bytes_denso(num, dim, bytes_por_numero=4):
    return num * dim * bytes_por_numero


def bytes_disperso(lote, dim, bytes_por_numero=4):
    return lote * dim * bytes_por_numero + lote * 8  # valores + índices int64


tamanos = np.array([1e3, 1e4, 1e5, 1e6, 1e7])
plt.figure(figsize=(5, 3.2))
plt.loglog(tamanos, [bytes_denso(n, dim) / 2**20 for n in tamanos], "o-", label="denso")
plt.loglog(tamanos, [bytes_disperso(256, dim) / 2**20 for _ in tamanos], "s-", label="disperso (lote 256)")
plt.xlabel("filas de la tabla")
plt.ylabel("MiB por gradiente")
plt.legend()
plt.grid(True, which="both", alpha=0.3)
plt.show()
print(f"con {num_items:,} filas: denso {bytes_denso(num_items, dim) / 2**20:.1f} MiB, "
      f"disperso {bytes_disperso(256, dim) / 2**10:.1f} KiB")

# %% [markdown]
# ### Qué toca el optimizador
#
# `optim.SGD` (y `Adagrad`, y `SparseAdam`) saben aplicar un gradiente disperso: mueven solo las
# filas del lote, `w[filas] -= lr * valores`. `optim.Adam` lo rechaza con un error claro (sus
# medias móviles tocarían todas las filas en cada paso: por eso existe `SparseAdam`, que las
# actualiza solo en las filas del lote). Comprobamos que las demás filas no cambian, y medimos
# el paso:

# %%
antes = emb.weight.detach().clone()
opt = torch.optim.SGD(emb.parameters(), lr=0.1)
opt.step()
cambiadas = (emb.weight.detach() != antes).any(dim=1)
print("filas que cambiaron:", int(cambiadas.sum()), "— filas del lote:", g.coalesce()._indices().shape[1])

try:
    torch.optim.Adam(emb.parameters()).step()
except RuntimeError as e:
    print(str(e).splitlines()[0])


def tiempo_paso(sparse, repeticiones=5):
    tabla = nn.Embedding(num_items, dim, sparse=sparse)
    opt = torch.optim.SGD(tabla.parameters(), lr=0.1)
    mejor = float("inf")
    for _ in range(repeticiones):
        opt.zero_grad()
        tabla(torch.randint(0, num_items, (256,))).sum().backward()
        t = time.perf_counter()
        opt.step()
        mejor = min(mejor, time.perf_counter() - t)
    return mejor


print(f"paso de SGD con tabla de {num_items:,} filas: denso {tiempo_paso(False) * 1e3:.2f} ms, "
      f"disperso {tiempo_paso(True) * 1e3:.3f} ms")

# %% [markdown]
# ## 2. Paralelismo de datos
#
# La idea cabe en una igualdad. Si la pérdida es la **media** sobre el lote, y partimos un lote
# de $2b$ ejemplos en dos mitades de $b$,
#
# $$\nabla \frac{1}{2b}\sum_{i=1}^{2b} \ell_i = \frac{1}{2}\left(\nabla \frac{1}{b}\sum_{i=1}^{b}
# \ell_i + \nabla \frac{1}{b}\sum_{i=b+1}^{2b} \ell_i\right):$$
#
# el gradiente del lote entero es el **promedio** de los gradientes de las mitades. Así que dos
# procesos, cada uno con una copia del modelo y la mitad del lote, pueden calcular su gradiente
# por separado, promediarlo (una operación colectiva: *all-reduce*) y dar **el mismo paso** que
# un proceso con el lote entero. Lo comprobamos en un solo proceso:

# %%
torch.manual_seed(0)
red = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
X, y = torch.randn(64, 5), torch.randn(64, 1)


def gradientes(X, y):
    red.zero_grad()
    nn.functional.mse_loss(red(X), y).backward()
    return [p.grad.clone() for p in red.parameters()]


completo = gradientes(X, y)
mitad_a, mitad_b = gradientes(X[:32], y[:32]), gradientes(X[32:], y[32:])
promedio = [(a + b) / 2 for a, b in zip(mitad_a, mitad_b)]
print("máxima diferencia:", max(float((c - p).abs().max()) for c, p in zip(completo, promedio)))

# %% [markdown]
# (La diferencia no es cero exacto: las sumas en coma flotante dependen del orden. En float32,
# como aquí, es del orden de $10^{-7}$; en float64, de $10^{-16}$.)
#
# ### `DistributedSampler`: a cada proceso, su parte de cada época
#
# Cada proceso necesita ejemplos distintos. `DistributedSampler(dataset, num_replicas, rank)`
# hace lo mismo en todos los procesos (la misma permutación, sembrada con `seed + época`) y
# cada uno se queda con una posición de cada `num_replicas`: el proceso `rank` toma las
# posiciones `rank, rank + num_replicas, ...`. Si el tamaño no es divisible, **rellena**
# repitiendo el principio de la permutación, para que todos tengan el mismo número de ejemplos
# (con `drop_last=True`, en cambio, descarta la cola). Da exactamente los índices de
# `torch.utils.data.DistributedSampler` de PyTorch.
#
# Dentro de un grupo de procesos, `num_replicas` y `rank` se leen del grupo; aquí los pasamos a
# mano para ver los tres repartos a la vez:

# %%
from profundo.utils.data import DataLoader, DistributedSampler, TensorDataset

datos = list(range(10))
for rank in range(3):
    print(f"proceso {rank}:", list(DistributedSampler(datos, num_replicas=3, rank=rank, seed=0)))
print("con drop_last:", [list(DistributedSampler(datos, 3, r, seed=0, drop_last=True)) for r in range(3)])
print("sin barajar:  ", [list(DistributedSampler(datos, 3, r, shuffle=False)) for r in range(3)])

# %% [markdown]
# Con 10 ejemplos y 3 procesos, cada uno recibe 4: los 12 índices son la permutación de los 10
# más sus 2 primeros otra vez. Sin `set_epoch`, todas las épocas repiten el mismo orden; hay que
# llamarlo al empezar cada época:

# %%
muestreador = DistributedSampler(datos, num_replicas=2, rank=0, seed=0)
for epoca in range(3):
    muestreador.set_epoch(epoca)
    print(f"época {epoca}:", list(muestreador))

# %% [markdown]
# Se usa como cualquier muestreador, en el `DataLoader` (en lugar de `shuffle=True`):

# %%
ds = TensorDataset(torch.arange(10.0))
cargador = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, num_replicas=2, rank=1, seed=0))
print([lote[0].tolist() for lote in cargador])

# %% [markdown]
# ### `DistributedDataParallel`
#
# `DistributedDataParallel(modelo)` envuelve el modelo de cada proceso y hace tres cosas:
#
# 1. al construirse, **copia los parámetros del proceso 0** a todos (un *broadcast*): todas las
#    copias empiezan iguales;
# 2. `ddp(x)` llama al modelo y deja un *hook* en la salida;
# 3. cuando `loss.backward()` termina, **promedia los gradientes** de todos los procesos. Los
#    gradientes densos viajan en **un solo búfer plano y contiguo** por paso (el motor de
#    comunicación, gloo, lee bloques contiguos de memoria); los dispersos no se pueden sumar
#    como arreglos (cada proceso tocó otras filas): se reúnen las filas de todos (*all-gather*) y
#    el gradiente es su concatenación multiplicada por `1/procesos`.
#
# Después, cada proceso da el mismo paso con el mismo gradiente, y las copias siguen iguales.
# profundo no escribe nada de red: la comunicación es la de PyTorch, `torch.distributed` con el
# backend gloo (PyTorch es opcional: solo hace falta para esto).
#
# Un programa de entrenamiento data-parallel se ve así (cada proceso ejecuta el mismo archivo):
#
# ```python
# import profundo as torch
# import profundo.distributed as dist
#
# dist.init_process_group("gloo")              # lee MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE
# modelo = dist.DistributedDataParallel(MiModelo())
# muestreador = DistributedSampler(datos)      # num_replicas y rank, del grupo
# cargador = DataLoader(datos, batch_size=128, sampler=muestreador)
# for epoca in range(10):
#     muestreador.set_epoch(epoca)
#     for X, y in cargador:
#         opt.zero_grad()
#         perdida(modelo(X), y).backward()     # aquí se promedian los gradientes
#         opt.step()
# if dist.is_main_process():                   # solo el proceso 0 guarda y escribe
#     torch.save(modelo.module.state_dict(), "modelo.safetensors")
# ```
#
# y se lanza con `torchrun --nproc-per-node 2 entrenar.py` (o, en varias máquinas, con
# `--nnodes`, `--node-rank` y `--master-addr`; ver el README).
#
# Si PyTorch está instalado, lanzamos de verdad 2 procesos que entrenan una factorización de
# matrices con tablas dispersas, cada uno con la mitad de cada lote, y comparamos el resultado
# con un solo proceso que ve el lote entero:

# %%
import runpy
import tempfile
from pathlib import Path

import profundo.distributed as dist

PROGRAMA = '''
import sys
import numpy as np
import profundo as torch
import profundo.distributed as dist
from profundo import nn
from profundo.utils.data import DataLoader, DistributedSampler, TensorDataset


class MF(nn.Module):
    def __init__(self):
        super().__init__()
        self.P = nn.Embedding(50, 8, sparse=True)
        self.Q = nn.Embedding(40, 8, sparse=True)

    def forward(self, u, i):
        return (self.P(u) * self.Q(i)).sum(1)


def datos():
    rs = np.random.RandomState(0)
    return (torch.tensor(rs.randint(0, 50, 64)), torch.tensor(rs.randint(0, 40, 64)),
            torch.tensor(rs.randn(64)))


def entrenar(modelo, lotes, pasos=30):
    opt = torch.optim.SGD(modelo.parameters(), lr=2.0)
    for paso in range(pasos):
        u, i, r = lotes(paso)
        opt.zero_grad()
        nn.functional.mse_loss(modelo(u, i), r).backward()
        opt.step()


if __name__ == "__main__":
    dist.init_process_group("gloo", timeout=30)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    mf = MF()
    ddp = dist.DistributedDataParallel(mf)
    ds = TensorDataset(*datos())
    muestreador = DistributedSampler(ds, seed=0)
    cargador = DataLoader(ds, batch_size=64 // dist.get_world_size(), sampler=muestreador)

    def lotes(paso):
        muestreador.set_epoch(paso)
        return next(iter(cargador))

    entrenar(ddp, lotes)
    dist.save_main(mf.state_dict(), sys.argv[1])
    dist.destroy_process_group()
'''

if dist.is_available():
    carpeta = Path(tempfile.mkdtemp())
    (carpeta / "mf_ddp.py").write_text(PROGRAMA)
    t = time.perf_counter()
    codigo = dist.launch([str(carpeta / "mf_ddp.py"), str(carpeta / "mf.safetensors")], nproc=2)
    print(f"2 procesos: código de salida {codigo}, {time.perf_counter() - t:.1f} s (sobre todo, importar torch)")
else:
    codigo = None
    print("PyTorch no está instalado: profundo.distributed lo necesita para comunicar procesos "
          "(pip install torch). El resto del cuaderno no lo necesita.")

# %% [markdown]
# El mismo entrenamiento en un proceso, con el lote entero en cada paso:

# %%
if codigo == 0:
    ns = runpy.run_path(str(carpeta / "mf_ddp.py"))  # las mismas definiciones, sin lanzar procesos
    anterior = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    uno = ns["MF"]()
    lote = ns["datos"]()
    ns["entrenar"](uno, lambda paso: lote)
    dos = torch.load(carpeta / "mf.safetensors")
    diferencia = max(float((uno.state_dict()[k] - dos[k]).abs().max()) for k in dos)
    print("máxima diferencia entre los parámetros de 1 y 2 procesos:", f"{diferencia:.1e}")
    torch.set_default_dtype(anterior)

# %% [markdown]
# Las dos ejecuciones terminan con los mismos parámetros salvo redondeo (~$10^{-16}$ en
# float64): repartir el lote entre procesos no cambia el entrenamiento, solo quién hace las
# cuentas.
#
# ## 3. Desde la línea de órdenes
#
# `profundo train mf` entrena la factorización de matrices de la unidad 4; con `--nproc N`
# lanza N procesos locales (cada uno con su `DistributedSampler` y `DistributedDataParallel`;
# el proceso 0 escribe los registros y el punto de control). `--batch-size` es el lote total:
# cada proceso toma `batch-size / N`.
#
# ```
# profundo train mf --sparse --optimizer sgd --nproc 2
# torchrun --nproc-per-node 2 -m profundo train mf --sparse --optimizer sgd       # lo mismo, con torchrun
# ```
#
# En varias máquinas (cada una con los datos), en cada máquina `R = 0, 1, ...`:
#
# ```
# torchrun --nnodes 2 --node-rank R --nproc-per-node 2 --master-addr IP_DE_LA_MAQUINA_0 \
#          --master-port 29500 -m profundo train mf
# ```
#
# ## Resumen
#
# - `nn.Embedding(sparse=True)` da gradientes dispersos: memoria y pasos proporcionales al lote,
#   no a la tabla; `SGD`, `Adagrad` y `SparseAdam` los aplican fila a fila.
# - El gradiente de una media es la media de los gradientes de sus partes: con
#   `DistributedSampler` (los datos) y `DistributedDataParallel` (el promedio de gradientes),
#   N procesos dan el mismo paso que uno con el lote entero.
# - La comunicación es la de PyTorch (`torch.distributed`, gloo), en una máquina o en varias.
