"""What a careless or hostile user of the command line and the Trainer found (issue 10): each case is refused
with a clear message (exit code 1 or 2, a Spanish hint, no traceback) or honoured as PyTorch does."""
import json
import re
import sys
import warnings

import numpy as np
import pytest

import profundo
from profundo import nn
from profundo._errors import is_checked
from profundo.cli import main as cli
from profundo.train import Trainer
from profundo.utils.data import DataLoader, TensorDataset

try:
    import torch
except ImportError:  # the suite also runs without torch: the parity checks skip, the rest still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs PyTorch (the oracle)")
try:
    import sklearn
except ImportError:
    sklearn = None
needs_sklearn = pytest.mark.skipif(sklearn is None, reason="the CLI's digits need scikit-learn")

ZERO_WARNING = "Initializing zero-element tensors is a no-op"


def refused(argv, capsys, code=2, *needles):
    """Run the CLI; it must end with ``code`` (argparse's SystemExit or a return value) and explain itself."""
    try:
        rc = cli(argv)
    except SystemExit as e:  # argparse refuses a bad option value itself
        rc = e.code
    err = capsys.readouterr().err
    assert rc == code, err
    assert "Traceback" not in err and "Pista" in err, err
    for needle in needles:
        assert needle in err, err
    return err


# ------------------------------------------------------------------ nn.Linear(0, n) and the initializers
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_linear_with_a_zero_size_works_like_torch(shape):
    in_f, out_f = shape
    with pytest.warns(UserWarning, match=ZERO_WARNING):
        layer = nn.Linear(in_f, out_f)
    assert tuple(layer.weight.shape) == (out_f, in_f)
    x = profundo.ones(2, in_f, requires_grad=True)
    y = layer(x)
    # with no input features, x @ W.T is a sum over nothing: the output is the bias
    np.testing.assert_array_equal(y.detach().numpy(), np.broadcast_to(layer.bias.detach().numpy(), (2, out_f)))
    if in_f == 0:  # bound = 1/sqrt(fan_in) would divide by 0: PyTorch uses 0, so the bias is 0
        assert np.all(layer.bias.detach().numpy() == 0)


@needs_torch
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_linear_with_a_zero_size_matches_torch(shape):
    with pytest.warns(UserWarning, match=ZERO_WARNING):
        theirs = torch.nn.Linear(*shape)
    with pytest.warns(UserWarning, match=ZERO_WARNING):
        ours = nn.Linear(*shape)
    x = np.ones((2, shape[0]), np.float32)
    y, ty = ours(profundo.tensor(x)), theirs(torch.tensor(x))
    assert tuple(y.shape) == tuple(ty.shape)
    if shape[0] == 0:  # no input features: both give their bias, which is 0 (nothing random left to differ)
        np.testing.assert_array_equal(ours.bias.detach().numpy(), theirs.bias.detach().numpy())
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())


@needs_torch
@pytest.mark.parametrize("in_f, out_f, lead", [(0, 3, (4,)), (3, 0, (4,)), (0, 0, (2, 5)), (3, 2, (0,)), (0, 3, (2, 0))])
def test_linear_backward_with_a_zero_size_matches_torch(in_f, out_f, lead):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = torch.nn.Linear(in_f, out_f).double(), nn.Linear(in_f, out_f).double()
    ours.load_state_dict({k: profundo.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).random(lead + (in_f,))
    tx, px = torch.tensor(x, requires_grad=True), profundo.tensor(x, requires_grad=True)
    theirs(tx).sum().backward()
    ours(px).sum().backward()  # it raised: reshape(-1, 0) is ambiguous
    for a, b in [(px.grad, tx.grad), (ours.weight.grad, theirs.weight.grad), (ours.bias.grad, theirs.bias.grad)]:
        np.testing.assert_allclose(a.numpy(), b.numpy())


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("shape", [(3, 0), (0, 3), (0,), (2, 3, 0)])
def test_kaiming_on_zero_element_tensors_is_a_no_op_with_a_warning(fn, shape):
    t = profundo.empty(*shape)
    with pytest.warns(UserWarning, match=ZERO_WARNING):
        assert getattr(nn.init, fn)(t) is t
    if torch is not None:  # the same warning, and no error even for a 1-D tensor (torch checks emptiness first)
        with pytest.warns(UserWarning, match=ZERO_WARNING):
            getattr(torch.nn.init, fn)(torch.empty(*shape))


@pytest.mark.parametrize("fn", ["xavier_uniform_", "xavier_normal_"])
def test_xavier_with_no_fan_at_all_raises_zero_division_like_torch(fn):
    with pytest.raises(ZeroDivisionError) as e:
        getattr(nn.init, fn)(profundo.empty(0, 0))
    assert is_checked(e.value) and "Pista" in str(e.value) and "(0, 0)" in str(e.value)
    if torch is not None:
        with pytest.raises(ZeroDivisionError):
            getattr(torch.nn.init, fn)(torch.empty(0, 0))
    # one zero fan is fine: fan_in + fan_out > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tuple(getattr(nn.init, fn)(profundo.empty(3, 0)).shape) == (3, 0)


# ---------------------------------------------------------------- option values refused by argparse
@pytest.mark.parametrize("args, option", [
    (["--epochs", "-3"], "--epochs"), (["--epochs", "0"], "--epochs"), (["--epochs", "two"], "--epochs"),
    (["--hidden", "0"], "--hidden"), (["--hidden", "256", "-1"], "--hidden"),
    (["--batch-size", "0"], "--batch-size"), (["--batch-size", "-1"], "--batch-size"),
    (["--lr", "0"], "--lr"), (["--lr", "-1"], "--lr"), (["--lr", "nan"], "--lr"), (["--lr", "inf"], "--lr"),
    (["--dropout", "1"], "--dropout"), (["--dropout", "-0.1"], "--dropout"), (["--dropout", "nan"], "--dropout"),
    (["--seed", str(2 ** 64)], "--seed"), (["--seed", "1.5"], "--seed"),
])
def test_bad_option_values_are_refused_before_anything_is_written(args, option, tmp_path, capsys):
    out = tmp_path / "run"
    err = refused(["train", "mlp", "--out", str(out), "--quiet", *args], capsys, 2, f"argument {option}")
    assert "must be" in err
    assert not out.exists()


@needs_sklearn
@pytest.mark.parametrize("args, needle", [
    (["cnn"], "unknown model 'cnn'"), (["--data", "cifar"], "unknown data set 'cifar'"),
    (["--optimizer", "lbfgs"], "unknown optimizer 'lbfgs'"),
])
def test_unknown_names_are_refused_before_anything_is_written(args, needle, tmp_path, capsys):
    out = tmp_path / "run"
    refused(["train", *args, "--out", str(out), "--quiet"], capsys, 2, needle)
    assert not out.exists()


@needs_sklearn
def test_hidden_zero_is_refused_and_accepted_values_still_train(tmp_path, capsys):
    refused(["train", "--hidden", "0", "--out", str(tmp_path / "h"), "--quiet"], capsys, 2, "--hidden")
    # the same checks let the edge values through: negative seeds wrap like torch.manual_seed, dropout 0 is off
    assert cli(["train", "--hidden", "3", "--dropout", "0", "--seed", "-1", "--epochs", "1", "--lr", "1e-3",
                "--out", str(tmp_path / "ok"), "--quiet"]) == 0
    config = json.loads((tmp_path / "ok" / "config.json").read_text())
    assert config["hidden"] == [3] and config["dropout"] == 0.0 and config["seed"] == -1 and config["epochs"] == 1


@needs_sklearn
def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("keep me")
    refused(["train", "--out", str(f), "--epochs", "1", "--quiet"], capsys, 2, "is a file, not a folder")
    assert f.read_text() == "keep me"


# ------------------------------------------------------------------------------- --resume
def _interrupt_after(monkeypatch, epochs):
    """Make the next training stop like a killed process once ``epochs`` epochs are checkpointed."""
    original = Trainer.train_epoch

    def train_epoch(self, loader):
        if self.epoch >= epochs:
            raise KeyboardInterrupt
        return original(self, loader)

    monkeypatch.setattr(Trainer, "train_epoch", train_epoch)
    return original


@needs_sklearn
def test_resume_finishes_the_runs_own_plan_bitwise(tmp_path, capsys, monkeypatch):
    common = ["--epochs", "3", "--hidden", "16", "--quiet"]
    assert cli(["train", "--out", str(tmp_path / "straight"), *common]) == 0
    original = _interrupt_after(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        cli(["train", "--out", str(tmp_path / "r"), *common])
    monkeypatch.setattr(Trainer, "train_epoch", original)
    config = (tmp_path / "r" / "config.json").read_text()
    capsys.readouterr()
    assert cli(["train", "--resume", "--out", str(tmp_path / "r"), "--quiet"]) == 0  # no --epochs: the run's 3
    assert "(3 epochs" in capsys.readouterr().out
    assert (tmp_path / "r" / "config.json").read_text() == config  # the plan is unchanged: not rewritten
    a = profundo.load(tmp_path / "straight" / "model.safetensors")
    b = profundo.load(tmp_path / "r" / "model.safetensors")
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


@needs_sklearn
def test_resume_of_a_finished_run_trains_nothing_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli(["train", "softmax", "--out", str(out), "--epochs", "2", "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert cli(["train", "--resume", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "nothing to train" in printed and "(2 epochs)" in printed and "wrote" not in printed
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # --epochs is the total: fewer than done is refused, more extends the plan (and config.json says so)
    refused(["train", "--resume", "--out", str(out), "--epochs", "1", "--quiet"], capsys, 2, "already trained 2")
    assert cli(["train", "--resume", "--out", str(out), "--epochs", "3", "--quiet"]) == 0
    assert "(3 epochs" in capsys.readouterr().out
    assert json.loads((out / "config.json").read_text())["epochs"] == 3
    assert profundo.load(out / "checkpoint.safetensors")["run_info"]["config"] == json.loads(
        (out / "config.json").read_text())


@needs_sklearn
def test_resume_refuses_options_that_differ_from_the_run(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli(["train", "mlp", "--out", str(out), "--epochs", "1", "--hidden", "16", "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for args, needle in [(["--hidden", "128"], "--hidden 128 (the run has 16)"),
                         (["--lr", "0.1"], "--lr 0.1 (the run has 0.05)"),
                         (["softmax"], "--model softmax (the run has mlp)"),
                         (["--optimizer", "adam"], "--optimizer adam"), (["--batch-size", "32"], "--batch-size 32"),
                         (["--dropout", "0.5"], "--dropout 0.5"), (["--seed", "1"], "--seed 1"),
                         (["--data", "mnist"], "--data mnist"), (["--hidden", "16", "16"], "--hidden 16 16")]:
        refused(["train", *args, "--resume", "--out", str(out), "--epochs", "2", "--quiet"], capsys, 2, needle)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # the same values given again are not a change
    assert cli(["train", "mlp", "--resume", "--out", str(out), "--hidden", "16", "--lr", "0.05", "--epochs", "2",
                "--quiet"]) == 0


# ------------------------------------------------------------------- damaged or edited config.json
GOOD = {"model": "mlp", "data": "digits", "hidden": [16], "dropout": 0.2, "optimizer": "sgd", "lr": 0.05,
        "batch_size": 64, "epochs": 1, "seed": 0, "in_features": 64, "num_classes": 10}
DAMAGED = [
    ("{bad", "not valid JSON"), (b"\xff\xfe{", "not valid JSON"), ("[1]", "must hold a JSON object"),
    ("[" * 100000 + "]" * 100000, "not valid JSON"),
    ({"model": "mlp"}, "missing"), ({**GOOD, "extra": 1}, "unknown ['extra']"),
    ({**GOOD, "hidden": "16"}, "hidden must be"), ({**GOOD, "hidden": []}, "hidden must be"),
    ({**GOOD, "lr": "0.05"}, "lr must be"), ({**GOOD, "epochs": 2.5}, "epochs must be"),
    ({**GOOD, "batch_size": True}, "batch_size must be"), ({**GOOD, "model": "cnn"}, "model must be"),
    ({**GOOD, "in_features": None}, "in_features must be"), ({**GOOD, "num_classes": 1}, "num_classes must be"),
    ("NAN", "not valid JSON"), (json.dumps(GOOD).replace('"lr": 0.05', '"lr": NaN'), "lr must be"),
    ({**GOOD, "hidden": [32]}, "edited"),  # the weights are 16 wide
]


@needs_sklearn
@pytest.mark.parametrize("content, needle", DAMAGED)
def test_damaged_or_edited_config_is_refused_by_evaluate_and_resume(content, needle, tmp_path, capsys):
    out = tmp_path / "r"
    assert cli(["train", "--out", str(out), "--epochs", "1", "--hidden", "16", "--quiet"]) == 0
    assert json.loads((out / "config.json").read_text()) == GOOD
    if isinstance(content, dict):
        content = json.dumps(content)
    (out / "config.json").write_bytes(content if isinstance(content, bytes) else content.encode())
    refused(["evaluate", str(out)], capsys, 2, needle, "config.json")
    refused(["train", "--resume", "--out", str(out), "--epochs", "2", "--quiet"], capsys, 2, needle, "config.json")


@needs_sklearn
def test_resume_refuses_a_config_edited_away_from_its_checkpoint(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli(["train", "--out", str(out), "--epochs", "1", "--hidden", "16", "--quiet"]) == 0
    for key, value, needle in [("optimizer", "adam", "optimizer adam (the checkpoint was trained with sgd)"),
                               ("batch_size", 32, "batch_size 32 (the checkpoint was trained with 64)"),
                               ("dropout", 0.5, "dropout 0.5 (the checkpoint was trained with 0.2)")]:
        (out / "config.json").write_text(json.dumps({**GOOD, key: value}))
        refused(["train", "--resume", "--out", str(out), "--epochs", "2", "--quiet"], capsys, 2, needle, "edited")
    # epochs is the plan, not how the weights were trained: editing it extends the run
    (out / "config.json").write_text(json.dumps({**GOOD, "epochs": 2}))
    assert cli(["train", "--resume", "--out", str(out), "--quiet"]) == 0
    assert "(2 epochs" in capsys.readouterr().out
    (out / "checkpoint.safetensors").unlink()  # killed before its first epoch ended
    refused(["train", "--resume", "--out", str(out), "--epochs", "3", "--quiet"], capsys, 2,
            "no checkpoint.safetensors")


def test_evaluate_of_a_missing_run_is_refused(tmp_path, capsys):
    refused(["evaluate", str(tmp_path / "nothing")], capsys, 2, "does not exist")
    (tmp_path / "empty").mkdir()
    refused(["evaluate", str(tmp_path / "empty")], capsys, 2, "no config.json")


# ------------------------------------------------------------------ files claimed, curves, progress
@needs_sklearn
def test_train_records_a_validation_curve_and_draws_it(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r"
    assert cli(["train", "--out", str(out), "--epochs", "3", "--hidden", "16", "--quiet"]) == 0
    printed = capsys.readouterr().out
    history = profundo.load(out / "checkpoint.safetensors")["history"]
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        assert len(history[key]) == 3, key
    # the validation set is the test split: its last point is the test accuracy printed
    acc = float(re.search(r"test accuracy ([\d.]+)", printed)[1])
    assert f"{history['val_accuracy'][-1]:.4f}" == f"{acc:.4f}"
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out / 'model.safetensors'}, {out / 'checkpoint.safetensors'} and {out / 'curves.png'}" \
        in printed


def test_plot_history_draws_the_validation_curve_beside_the_training_one():
    pytest.importorskip("matplotlib")
    from profundo.train import display
    train_only = {"epoch": [1, 2], "train_loss": [1.0, 0.5], "train_accuracy": [0.5, 0.7]}
    both = {**train_only, "val_loss": [1.1, 0.9], "val_accuracy": [0.4, 0.6]}
    assert display.plot_history(both) != display.plot_history(train_only)


@needs_sklearn
def test_without_matplotlib_the_cli_says_so_and_claims_no_curves(tmp_path, capsys, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if it were not installed
    out = tmp_path / "r"
    assert cli(["train", "--out", str(out), "--epochs", "1", "--hidden", "16", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert not (out / "curves.png").exists()
    assert "curves.png" not in captured.out
    assert "curves.png not written: matplotlib is not installed" in captured.err


@needs_sklearn
def test_train_shows_a_progress_bar_or_says_why_not(tmp_path, capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setenv("CI", "1")  # the command line's bar does not depend on the environment, only on --quiet
    assert cli(["train", "--out", str(tmp_path / "a"), "--epochs", "1", "--hidden", "16"]) == 0
    err = capsys.readouterr().err
    assert "epoch 1:" in err and "%|" in err  # tqdm's bar
    for name in ("tqdm", "tqdm.auto"):
        monkeypatch.setitem(sys.modules, name, None)
    assert cli(["train", "--out", str(tmp_path / "b"), "--epochs", "1", "--hidden", "16"]) == 0
    assert "no progress bar: tqdm is not installed" in capsys.readouterr().err


# ------------------------------------------------------------------------------ empty loaders
def _trainer(out_dir=None):
    model = nn.Linear(4, 3)
    return Trainer(model, nn.CrossEntropyLoss(), profundo.optim.SGD(model.parameters(), lr=0.1), progress=False,
                   out_dir=out_dir)


def _loader(n, **kw):
    return DataLoader(TensorDataset(profundo.randn(n, 4), profundo.zeros(n, dtype=profundo.int64)), **kw)


@pytest.mark.parametrize("loader", [_loader(0, batch_size=8), _loader(5, batch_size=8, drop_last=True), []])
def test_fit_on_an_empty_loader_is_refused_and_writes_nothing(loader, tmp_path):
    trainer = _trainer(tmp_path / "run")
    with pytest.raises(ValueError) as e:
        trainer.fit(loader, epochs=2)
    assert is_checked(e.value) and "Trainer.fit" in str(e.value) and "train_loader" in str(e.value)
    assert "Pista" in str(e.value)
    assert trainer.epoch == 0 and trainer.history["epoch"] == []
    assert not (tmp_path / "run").exists()


def test_evaluate_and_validation_on_an_empty_loader_are_refused(tmp_path):
    trainer = _trainer()
    with pytest.raises(ValueError) as e:
        trainer.evaluate(_loader(0, batch_size=8))
    assert is_checked(e.value) and "Trainer.evaluate" in str(e.value) and "loader gave no examples" in str(e.value)
    trainer = _trainer(tmp_path / "run")
    with pytest.raises(ValueError) as e:
        trainer.fit(_loader(8, batch_size=4), _loader(0, batch_size=4), epochs=1)
    assert "val_loader" in str(e.value)
    assert not (tmp_path / "run" / "checkpoint.safetensors").exists()


# --------------------------------------------------------------------------------- profundo graph
def test_graph_refuses_complex_and_non_numeric_values(tmp_path, capsys):
    out = tmp_path / "g.svg"
    for value, needle in [("x=1+2j", "(1+2j) (complex)"), ("x=[1,2j]", "2j (complex)"), ("x=True", "True (bool)"),
                          ("x=[1,'a']", "'a' (str)"), ("x=None", "None (NoneType)")]:
        refused(["graph", "x*2", "--values", value, "-o", str(out)], capsys, 2, needle, "real numbers")
    assert not out.exists()


def test_graph_refuses_an_output_it_cannot_write_before_any_work(tmp_path, capsys):
    missing = tmp_path / "missing" / "dir" / "g.svg"
    refused(["graph", "x*2", "--values", "x=1", "-o", str(missing)], capsys, 2, "does not exist", "mkdir")
    out = capsys.readouterr().out
    assert "d/dx" not in out  # refused before evaluating
    refused(["graph", "x*2", "--values", "x=1", "-o", str(tmp_path)], capsys, 2)
    (tmp_path / "d.svg").mkdir()
    refused(["graph", "x*2", "--values", "x=1", "-o", str(tmp_path / "d.svg")], capsys, 2, "is a folder")


def test_graph_engine_dot_without_graphviz_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from profundo import viz
    from profundo.viz import render
    monkeypatch.setattr(render, "dot_available", lambda: False)
    refused(["graph", "x*2", "--values", "x=1", "--engine", "dot", "-o", str(tmp_path / "g.svg")], capsys, 2,
            "Graphviz's dot program", "engine matplotlib")
    assert not (tmp_path / "g.svg").exists()
    # DOT text needs no program
    assert cli(["graph", "x*2", "--values", "x=1", "--engine", "dot", "-o", str(tmp_path / "g.dot")]) == 0
    x = profundo.tensor(2.0, requires_grad=True)
    g = viz.draw(x * 3)
    with pytest.raises(RuntimeError) as e:
        g.render(tmp_path / "h.svg", engine="dot")
    assert is_checked(e.value) and "Pista" in str(e.value)
    with pytest.raises(ValueError) as e:  # a typo is refused, not silently drawn with matplotlib
        g.pipe("svg", engine="Dot")
    assert is_checked(e.value) and "unknown engine 'Dot'" in str(e.value)


def test_filesystem_errors_are_reported_without_traceback(tmp_path, capsys, monkeypatch):
    from profundo.viz import render

    def no_space(self, data):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(render.Path, "write_bytes", no_space)
    err = refused(["graph", "x*2", "--values", "x=1", "-o", str(tmp_path / "g.png")], capsys, 1,
                  "No space left on device", "g.png")
    assert "error: profundo graph: No space left on device" in err
