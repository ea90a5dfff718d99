"""profundo.train: the Trainer, bitwise resume, early stopping, and `profundo train` / `evaluate`."""
import re

import numpy as np
import pytest

import profundo
from profundo import nn, optim
from profundo._errors import is_checked
from profundo.cli import main as cli
from profundo.train import EarlyStopping, Trainer
from profundo.utils.data import DataLoader, TensorDataset

pytest.importorskip("sklearn")


def digits(train=True, n=None):
    from profundo.datasets import Digits
    d = Digits(train=train)
    X = d.data.float().reshape(len(d), -1) / 255.0
    return (X[:n], d.targets[:n]) if n else (X, d.targets)


def setup(seed=0, out_dir=None, scheduler=True):
    profundo.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5) if scheduler else None
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=sched, progress=False, out_dir=out_dir)
    loader = DataLoader(TensorDataset(*digits(n=400)), batch_size=32, shuffle=True)
    return trainer, loader


def weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_fit_evaluate_predict():
    trainer, loader = setup()
    test = DataLoader(TensorDataset(*digits(False)), batch_size=128)
    history = trainer.fit(loader, test, epochs=4)
    assert history["epoch"] == [1, 2, 3, 4] and len(history["val_accuracy"]) == 4
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["lr"] == [0.01, 0.01, 0.005, 0.005]  # the lr each epoch trained with
    result = trainer.evaluate(test)
    assert result["accuracy"] > 0.8 and result["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert tuple(trainer.predict(test).shape) == (359, 10)
    assert tuple(trainer.predict(digits(False)[0][:5]).shape) == (5, 10)


def test_interrupted_run_resumes_bitwise_identical(tmp_path):
    straight, loader = setup(out_dir=tmp_path / "a")
    straight.fit(loader, epochs=4)
    first, loader = setup(out_dir=tmp_path / "b")
    first.fit(loader, epochs=2)
    profundo.manual_seed(123)  # a different process: other random state, fresh weights
    resumed, loader = setup(seed=99, out_dir=tmp_path / "b")
    resumed.fit(loader, epochs=4, resume=True)
    a, b = weights(straight.model), weights(resumed.model)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert resumed.history == straight.history | {"time": resumed.history["time"]}
    assert (tmp_path / "b" / "curves.png").is_file()


def test_manual_seed_makes_runs_repeat():
    one, loader = setup(seed=5)
    one.fit(loader, epochs=2)
    two, loader = setup(seed=5)
    two.fit(loader, epochs=2)
    a, b = weights(one.model), weights(two.model)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_early_stopping_and_clipping():
    trainer, loader = setup(scheduler=False)
    trainer.early_stopping = EarlyStopping(patience=2, monitor="train_loss", min_delta=100.0)
    history = trainer.fit(loader, epochs=10)
    assert history["epoch"] == [1, 2, 3]  # no 'improvement' of 100 after the first epoch
    before = weights(trainer.model)
    trainer.fit(loader, epochs=3)  # already at epoch 3: nothing to do
    assert all(np.array_equal(before[k], weights(trainer.model)[k]) for k in before)
    # with SGD a step is lr * gradient: clipping the gradient norm to 1e-9 must pin the weights
    moved = {}
    for clip in (None, 1e-9):
        run, loader = setup(scheduler=False)
        run.optimizer = optim.SGD(run.model.parameters(), lr=0.1)
        run.clip_grad_norm = clip
        start = weights(run.model)
        run.fit(loader, epochs=1)
        moved[clip] = max(np.abs(start[k] - weights(run.model)[k]).max() for k in start)
    assert moved[None] > 1e-2 and moved[1e-9] <= 13 * 0.1 * 1e-9 * 1.01
    with pytest.raises(ValueError) as e:
        setup()[0].fit([profundo.ones(3)], epochs=1)
    assert is_checked(e.value) and "(X, y)" in str(e.value)
    with pytest.raises(ValueError):
        t, loader = setup()
        t.early_stopping = EarlyStopping(monitor="val_loss")
        t.fit(loader, epochs=1)


def test_cli_train_reaches_97_percent_and_evaluate_agrees(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["train", "mlp", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    acc = float(re.search(r"test accuracy ([\d.]+)", printed)[1])
    assert acc >= 0.97, printed
    for name in ("model.safetensors", "checkpoint.safetensors", "curves.png", "config.json"):
        assert (out / name).is_file()
    assert cli(["evaluate", str(out)]) == 0
    assert f"accuracy {acc:.4f}" in capsys.readouterr().out


def test_cli_resume_and_errors(tmp_path, capsys):
    out = tmp_path / "r"
    assert cli(["train", "softmax", "--out", str(out), "--epochs", "2", "--quiet"]) == 0
    assert cli(["train", "--out", str(out), "--epochs", "3", "--resume", "--quiet"]) == 0
    assert "(3 epochs" in capsys.readouterr().out
    assert cli(["train", "cnn", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "unknown model 'cnn'" in capsys.readouterr().err
    assert cli(["train", "mlp", "--data", "cifar", "--out", str(tmp_path / "y"), "--quiet"]) == 2
    assert "unknown data set 'cifar'" in capsys.readouterr().err
    assert cli(["train", "--resume", "--out", str(tmp_path / "nothing"), "--quiet"]) == 2
    assert cli(["evaluate", str(tmp_path / "nothing")]) == 2
    assert cli(["train", "mlp", "--optimizer", "lbfgs", "--out", str(tmp_path / "z"), "--quiet"]) == 2
