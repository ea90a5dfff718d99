"""The Spanish notebooks (jupytext percent files in notebooks/) run from top to bottom.

Each file becomes a notebook (jupytext) and runs in a real Jupyter kernel
(nbclient), as in Jupyter or Colab.  Skipped when those tools are not installed.
"""
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def test_there_are_notebooks_for_class_2():
    names = [p.stem for p in NOTEBOOKS]
    for topic in ["manipulacion_de_datos", "preprocesamiento_de_datos", "algebra_lineal", "calculo",
                  "diferenciacion_automatica", "probabilidad"]:
        assert any(topic in n for n in names), topic


def test_there_are_notebooks_for_unit_1():
    names = [p.stem for p in NOTEBOOKS]
    for topic in ["regresion_lineal", "regresion_softmax", "perceptron_multicapa"]:
        assert any(n.startswith("u1_") and topic in n for n in names), topic


def test_there_are_notebooks_for_unit_2():
    names = [p.stem for p in NOTEBOOKS]
    for topic in ["convolucion", "relleno_y_paso", "canales", "agrupamiento", "lenet", "normalizacion_por_lotes",
                  "resnet"]:
        assert any(n.startswith("u2_") and topic in n for n in names), topic


def test_there_are_notebooks_for_unit_3():
    names = [p.stem for p in NOTEBOOKS]
    for topic in ["preprocesamiento_de_texto", "modelos_de_lenguaje", "rnn_desde_cero", "rnn_concisa", "gru_y_lstm",
                  "seq2seq", "atencion", "transformer"]:
        assert any(n.startswith("u3_") and topic in n for n in names), topic


def test_there_is_a_getting_started_notebook():
    assert "00_empezar" in [p.stem for p in NOTEBOOKS]  # how to run the book's own code on profundo (Colab)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_uses_the_books_imports(path):
    """Every notebook is the book's code on profundo: it imports ``import profundo as torch`` or ``from profundo
    import d2l`` (issue 15), and never PyTorch itself."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    assert "import profundo as torch" in lines or "from profundo import d2l" in lines
    assert not any(re.match(r"(import torch\b|from torch\b|import d2l\b|from d2l\b)", line) for line in lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # Jupyter's inline backend (ipykernel depends on it): headless, and plt.show() leaves a PNG in the
    # cell's outputs, as in Jupyter or Colab (with "Agg" the pictures would be silently dropped)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # one BLAS thread, as benchmarks/ use (unless the caller chose): the notebooks' matrices are small, and
    # on a busy machine extra threads cost more than they give (u2_05_lenet: 132 s -> 56 s on a shared 2-core box)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if var not in os.environ:
            monkeypatch.setenv(var, "1")
    # the kernel is a new process: give it this working tree's profundo too (as conftest.py does for the tests)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src")] + [p for p in [os.environ.get(
        "PYTHONPATH")] if p]))
    notebook = jupytext.read(path)
    assert notebook.cells[0].cell_type == "code" and "pip" in notebook.cells[0].source  # Colab installs first
    assert sum(c.cell_type == "markdown" for c in notebook.cells) >= 5  # a lesson, not just code
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    if "diferenciacion" in path.stem:  # the graph drawings are shown as pictures
        assert any("image/svg+xml" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))
    if path.stem.startswith(("u2_", "u3_")):  # Unit 2 draws kernels, feature maps and curves; Unit 3 curves
        # and attention heat maps
        assert any("image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", []))
