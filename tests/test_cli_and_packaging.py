"""The command line, and torch staying optional."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from profundo import cli


def test_import_does_not_import_torch():
    code = "import sys, profundo; x = profundo.ones(2, requires_grad=True); (x * 2).sum().backward(); " \
           "sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_demo_prints_gradients(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "dL/dw = tensor([-0.2369, -0.4738,  0.2369])" in out
    assert "SigmoidBackward0" in out and "AccumulateGrad" in out
    assert "by hand: dL/db = 2 (y - t) y (1 - y) = -0.2369  (autograd: -0.2369)" in out


def test_info_and_help(capsys):
    assert cli.main(["info"]) == 0
    assert "profundo 0.1.0" in capsys.readouterr().out
    assert cli.main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "profundo", "demo"], capture_output=True, text=True)
    assert r.returncode == 0 and "dL/db" in r.stdout


# ------------------------------------------------------------------ the README's commands and the extras
ROOT = Path(__file__).resolve().parent.parent


def readme_bash_blocks(section_start, section_end):
    """The ```bash commands of README.md between two headings."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    part = text[text.index(section_start):text.index(section_end)]
    return re.findall(r"```bash\n([^\n]+)\n```", part)


def extras():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]


def names(requirements):
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_ci_runs_the_readme_commands_exactly_as_written():
    # .ci/run reads the commands from README.md with the Python snippet of its heredoc; run that snippet alone
    # (running .ci/run itself would install packages: never from a test)
    script = (ROOT / ".ci" / "run").read_text()
    snippet = re.search(r"python3 - \"\$1\" <<'EOF'\n(.*?)\nEOF\n", script, re.S)[1]
    printed = [subprocess.run([sys.executable, "-c", snippet, name], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip() for name in ("quick-start", "tests")]
    english = readme_bash_blocks("## Quick start", "## What is here")
    spanish = readme_bash_blocks("### Empezar", "### Lo que ya funciona")
    assert printed == english == spanish
    assert printed[0].endswith("profundo train mlp") and "pytest" in printed[1]
    # each in a fresh clone and a fresh venv
    assert 'quick_start="$(readme_command quick-start)"' in script and 'test_command="$(readme_command tests)"' \
        in script
    assert 'run_fresh quickstart "$quick_start"' in script and 'run_fresh tests "$test_command"' in script
    assert "git clone" in script and "python3 -m venv" in script


def test_every_extra_the_readme_installs_exists_and_holds_what_the_quick_start_needs():
    opt = extras()
    for command in readme_bash_blocks("## Quick start", "## What is here"):
        for group in re.findall(r'\.\[([\w,]+)\]', command):
            for extra in group.split(","):
                assert extra in opt, f"README installs the extra {extra!r}, which pyproject.toml lacks"
    assert {"scikit-learn", "tqdm", "matplotlib"} <= names(opt["train"])
    # `all` is train + datasets + viz + notebooks, and leaves torch out (a CUDA build on Linux)
    assert opt["all"] == ["profundo[train,datasets,viz,notebooks]"]
    assert "torch" not in names(sum((opt[e] for e in ("train", "datasets", "viz", "notebooks")), []))
    assert {"tqdm", "safetensors", "scikit-learn", "matplotlib", "pytest"} <= names(opt["test"])


def test_the_torch_extra_admits_the_tested_torch():
    specifiers = pytest.importorskip("packaging.specifiers")
    (requirement,) = extras()["torch"]
    assert "2.13.0" in specifiers.SpecifierSet(requirement[len("torch"):])
