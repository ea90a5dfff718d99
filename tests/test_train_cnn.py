"""`profundo train` for the convolutional networks (issue 12): LeNet on digits up-sampled to 28x28 reaches
97 %, ResNet-18 trains and resumes, MNIST-style data go through the same path, and the MLP's options are refused
for a CNN instead of being ignored."""
import gzip
import hashlib
import json
import re
import time

import numpy as np
import pytest

import profundo
from profundo import datasets, models
from profundo.cli import main as cli
from profundo.datasets.idx import write_idx

pytest.importorskip("sklearn")  # the digits


def refused(argv, capsys, *needles):
    try:
        rc = cli(argv)
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err and "Pista" in err, err
    for needle in needles:
        assert needle in err, err
    return err


def test_lenet_on_digits_upsampled_to_28_reaches_97_percent_and_evaluate_agrees(tmp_path, capsys):
    out = tmp_path / "lenet"
    start = time.perf_counter()
    assert cli(["train", "lenet", "--out", str(out), "--quiet"]) == 0
    seconds = time.perf_counter() - start
    printed = capsys.readouterr().out
    acc = float(re.search(r"test accuracy ([\d.]+)", printed)[1])
    print(f"profundo train lenet (digits 28x28, 20 epochs): test accuracy {acc:.4f} in {seconds:.1f} s")
    assert acc >= 0.97, printed
    config = json.loads((out / "config.json").read_text())
    # the plan of a CNN has no --hidden / --dropout, and LeNet's own default learning rate
    assert config == {"model": "lenet", "data": "digits", "optimizer": "sgd", "lr": 0.02, "batch_size": 64,
                      "epochs": 20, "seed": 0, "in_features": 64, "num_classes": 10}
    state = profundo.load(out / "model.safetensors")
    # the images are standardized with one mean and one std (a convolution slides over every pixel alike)
    assert tuple(state["standardize.mean"].shape) == () and tuple(state["net.net.0.weight"].shape) == (6, 1, 5, 5)
    assert cli(["evaluate", str(out)]) == 0
    assert f"accuracy {acc:.4f}" in capsys.readouterr().out


def test_the_classifier_resizes_digits_to_28_like_the_data_set_does():
    digits8, digits28 = datasets.Digits(train=False), datasets.Digits(train=False, size=28)
    net = models.ImageClassifier(profundo.nn.Flatten(), 28, profundo.tensor(0.0), profundo.tensor(1.0))
    x = digits8.data[:5].float() / 255
    got = net(x).numpy().reshape(5, 28, 28)
    # Digits(size=28) rounds the up-sampled images to uint8
    np.testing.assert_allclose(got * 255, digits28.data[:5].numpy(), atol=0.5 + 1e-3)
    assert tuple(net(x.unsqueeze(1)).shape) == (5, 784)  # (N, 1, H, W) too


def test_resnet18_trains_from_the_command_line_and_resumes(tmp_path, capsys, monkeypatch):
    from profundo.train import run
    real = run.load_split
    # 64 training and 32 test digits: the whole path (resize to 28, batch norm in train and eval mode, the
    # checkpoint with running statistics, --resume, evaluate) in a few steps of an 11-million-weight network
    monkeypatch.setattr(run, "load_split", lambda name, train, root=None: tuple(
        t[:64 if train else 32] for t in real(name, train, root)))
    out = tmp_path / "resnet"
    assert cli(["train", "resnet18", "--out", str(out), "--batch-size", "32", "--epochs", "1", "--quiet"]) == 0
    first = capsys.readouterr().out
    assert "resnet18 on digits" in first and "(1 epochs" in first
    assert cli(["train", "--resume", "--out", str(out), "--epochs", "2", "--quiet"]) == 0
    printed = capsys.readouterr().out
    acc = float(re.search(r"test accuracy ([\d.]+)", printed)[1])
    assert "(2 epochs" in printed, printed
    state = profundo.load(out / "model.safetensors")
    assert int(state["net.net.b2.0.bn1.num_batches_tracked"]) == 2 * 2  # 2 batches an epoch
    assert tuple(state["net.net.last.2.weight"].shape) == (10, 512)
    assert cli(["evaluate", str(out)]) == 0
    assert f"accuracy {acc:.4f}" in capsys.readouterr().out


def _tiny_idx(folder, rng, n_train, n_test):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": (np.arange(n_train) % 10).astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": (np.arange(n_test) % 10).astype(np.uint8)}
    for name, a in arrays.items():
        write_idx(folder / name, a)
    return tuple((name, hashlib.md5((folder / name).read_bytes()).hexdigest(),
                  hashlib.md5(gzip.decompress((folder / name).read_bytes())).hexdigest()) for name in arrays)


@pytest.mark.parametrize("data, cls", [("fashion-mnist", "FashionMNIST"), ("mnist", "MNIST")])
def test_mnist_style_data_train_a_cnn_at_28x28(data, cls, tmp_path, capsys, monkeypatch, no_network):
    """The same path with 28x28 images (no resize): a tiny local copy stands in for the download."""
    resources = _tiny_idx(tmp_path / "server", np.random.default_rng(0), 40, 20)
    tiny = type(cls, (getattr(datasets, cls),), {"mirrors": ((tmp_path / "server").as_uri() + "/",),
                                                  "resources": resources})
    monkeypatch.setattr(datasets, cls, tiny)
    out = tmp_path / "run"
    assert cli(["train", "lenet", "--data", data, "--root", str(tmp_path / "data"), "--out", str(out),
                "--epochs", "1", "--quiet"]) == 0
    assert f"lenet on {data}: test accuracy" in capsys.readouterr().out
    config = json.loads((out / "config.json").read_text())
    assert config["data"] == data and config["in_features"] == 784
    assert cli(["evaluate", str(out), "--root", str(tmp_path / "data")]) == 0


@pytest.mark.parametrize("argv, needle", [
    (["lenet", "--hidden", "16"], "--hidden does not apply to the model 'lenet' (only to mlp)"),
    (["resnet18", "--dropout", "0.1"], "--dropout does not apply to the model 'resnet18'"),
    (["lenet", "--hidden", "8", "--dropout", "0.1"], "--hidden and --dropout does not apply"),
    (["softmax", "--hidden", "16"], "--hidden does not apply to the model 'softmax'"),
])
def test_options_a_model_does_not_have_are_refused_not_ignored(argv, needle, tmp_path, capsys):
    out = tmp_path / "run"
    refused(["train", *argv, "--out", str(out), "--quiet"], capsys, needle)
    assert not out.exists()


def test_resume_of_a_cnn_run_refuses_mlp_options(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["train", "lenet", "--out", str(out), "--epochs", "1", "--quiet"]) == 0
    capsys.readouterr()
    refused(["train", "--resume", "--out", str(out), "--epochs", "2", "--hidden", "16", "--quiet"], capsys,
            "--hidden does not apply to the model 'lenet'")
    # a config.json edited to carry an MLP option is refused by evaluate and --resume alike
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "hidden": [16]}))
    refused(["evaluate", str(out)], capsys, "unknown ['hidden']", "config.json")
    refused(["train", "--resume", "--out", str(out), "--epochs", "2", "--quiet"], capsys, "unknown ['hidden']")


def test_cnn_names_and_help(capsys):
    with pytest.raises(SystemExit):
        cli(["train", "--help"])
    text = capsys.readouterr().out
    assert "lenet" in text and "resnet18" in text and "mlp only" in text
    # every model the CLI lists can be built by the run's own builder, with the shapes the data give
    from profundo.train import run
    for name in models.MODELS:
        config = {"model": name, "in_features": 64, "num_classes": 10, "hidden": [8], "dropout": 0.0}
        net = run.build_model({k: v for k, v in config.items() if k in run.plan_keys(name) + list(run.DERIVED)},
                              profundo.tensor(0.5), profundo.tensor(0.25))
        assert isinstance(net, models.ImageClassifier) == (name in models.IMAGE_SIZES)
