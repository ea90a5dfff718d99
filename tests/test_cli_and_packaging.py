"""The command line, and torch staying optional."""
import subprocess
import sys

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
