"""d2l chapter 2, Preliminaries (PyTorch edition): the sections tests/test_d2l_ch2.py does not cover (data
manipulation, linear algebra and automatic differentiation are there), run as the book writes it with
``import torch`` -> ``import profundo as torch`` and ``from d2l import torch as d2l`` -> ``from profundo import
d2l`` (see _book.py)."""
import numpy as np
import pytest

from _book import as_numpy, assert_same, run

from profundo import d2l

# --- 2.2 Data Preprocessing (pandas.md) ----------------------------------------------------------------------
PANDAS = """
import os

os.makedirs(os.path.join('..', 'data'), exist_ok=True)
data_file = os.path.join('..', 'data', 'house_tiny.csv')
with open(data_file, 'w') as f:
    f.write('''NumRooms,RoofType,Price
NA,NA,127500
2,NA,106000
4,Slate,178100
NA,NA,140000''')

import pandas as pd

data = pd.read_csv(data_file)
print(data)

inputs, targets = data.iloc[:, 0:2], data.iloc[:, 2]
inputs = pd.get_dummies(inputs, dummy_na=True)
print(inputs)

inputs = inputs.fillna(inputs.mean())
print(inputs)

import torch

X = torch.tensor(inputs.to_numpy(dtype=float))
y = torch.tensor(targets.to_numpy(dtype=float))
X, y
"""


def test_data_preprocessing():
    pytest.importorskip("pandas")
    ns = run(PANDAS)
    np.testing.assert_array_equal(as_numpy(ns["X"]), [[3.0, 0, 1], [2, 0, 1], [4, 1, 0], [3, 0, 1]])
    assert str(ns["X"].dtype) == "profundo.float64"
    assert_same(ns, run(PANDAS, "torch"), ["X", "y"])


# --- 2.4 Calculus (calculus.md) ------------------------------------------------------------------------------
CALCULUS = """
import numpy as np
from matplotlib_inline import backend_inline
from d2l import torch as d2l

def f(x):
    return 3 * x ** 2 - 4 * x

for h in 10.0**np.arange(-1, -6, -1):
    print(f'h={h:.5f}, numerical limit={(f(1+h)-f(1))/h:.5f}')

def use_svg_display():  #@save
    \"\"\"Use the svg format to display a plot in Jupyter.\"\"\"
    backend_inline.set_matplotlib_formats('svg')

def set_figsize(figsize=(3.5, 2.5)):  #@save
    \"\"\"Set the figure size for matplotlib.\"\"\"
    use_svg_display()
    d2l.plt.rcParams['figure.figsize'] = figsize

#@save
def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend):
    \"\"\"Set the axes for matplotlib.\"\"\"
    axes.set_xlabel(xlabel), axes.set_ylabel(ylabel)
    axes.set_xscale(xscale), axes.set_yscale(yscale)
    axes.set_xlim(xlim),     axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()

#@save
def plot(X, Y=None, xlabel=None, ylabel=None, legend=[], xlim=None,
         ylim=None, xscale='linear', yscale='linear',
         fmts=('-', 'm--', 'g-.', 'r:'), figsize=(3.5, 2.5), axes=None):
    \"\"\"Plot data points.\"\"\"

    def has_one_axis(X):  # True if X (tensor or list) has 1 axis
        return (hasattr(X, "ndim") and X.ndim == 1 or isinstance(X, list)
                and not hasattr(X[0], "__len__"))

    if has_one_axis(X): X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)

    set_figsize(figsize)
    if axes is None:
        axes = d2l.plt.gca()
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        axes.plot(x,y,fmt) if len(x) else axes.plot(y,fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)

x = np.arange(0, 3, 0.1)
plot(x, [f(x), 2 * x - 3], 'x', 'f(x)', legend=['f(x)', 'Tangent line (x=1)'])
"""


@pytest.mark.skipif(not hasattr(d2l, "plt"), reason="profundo.d2l.plt is not built yet")
def test_calculus(capsys):
    pytest.importorskip("matplotlib_inline")
    ns = run(CALCULUS)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "h=0.10000, numerical limit=2.30000" and lines[-1].endswith("numerical limit=2.00003")
    axes = ns["d2l"].plt.gca()
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["f(x)", "Tangent line (x=1)"]
    assert len(axes.get_lines()) == 2 and axes.get_xlabel() == "x"
    ns["d2l"].plt.close("all")


# --- 2.6 Probability and Statistics (probability.md) ---------------------------------------------------------
PROBABILITY = """
import random
import torch
from torch.distributions.multinomial import Multinomial
from d2l import torch as d2l

num_tosses = 100
heads = sum([random.random() > 0.5 for _ in range(num_tosses)])
tails = num_tosses - heads
print("heads, tails: ", [heads, tails])

fair_probs = torch.tensor([0.5, 0.5])
first = Multinomial(100, fair_probs).sample()

freq = Multinomial(100, fair_probs).sample() / 100

counts = Multinomial(10000, fair_probs).sample()
freq_10000 = counts / 10000

counts = Multinomial(1, fair_probs).sample((10000,))
cum_counts = counts.cumsum(dim=0)
estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
estimates = estimates.numpy()

d2l.set_figsize((4.5, 3.5))
d2l.plt.plot(estimates[:, 0], label=("P(coin=heads)"))
d2l.plt.plot(estimates[:, 1], label=("P(coin=tails)"))
d2l.plt.axhline(y=0.5, color='black', linestyle='dashed')
d2l.plt.gca().set_xlabel('Samples')
d2l.plt.gca().set_ylabel('Estimated probability')
d2l.plt.legend();
"""


@pytest.mark.skipif(not hasattr(d2l, "set_figsize"), reason="profundo.d2l.set_figsize is not built yet")
def test_probability():
    ns = run(PROBABILITY)
    first = as_numpy(ns["first"])
    assert first.shape == (2,) and first.sum() == 100 and (first == np.round(first)).all()
    assert as_numpy(ns["freq"]).sum() == pytest.approx(1.0)
    # law of large numbers: 10000 fair tosses are within 0.05 of one half (about 10 standard deviations)
    np.testing.assert_allclose(as_numpy(ns["freq_10000"]), [0.5, 0.5], atol=0.05)
    est = ns["estimates"]
    assert isinstance(est, np.ndarray) and est.shape == (10000, 2)
    np.testing.assert_allclose(est.sum(axis=1), 1.0, rtol=1e-6)
    assert abs(est[-1, 0] - 0.5) < 0.05 and abs(est[-1, 0] - 0.5) <= 0.5
    assert set(np.unique(as_numpy(ns["counts"]))) == {0.0, 1.0}
    plt = ns["d2l"].plt
    assert [t.get_text() for t in plt.gca().get_legend().get_texts()] == ["P(coin=heads)", "P(coin=tails)"]
    plt.close("all")
