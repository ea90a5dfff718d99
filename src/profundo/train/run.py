"""``profundo train`` and ``profundo evaluate``: the main job of the command line.

A run folder holds ``config.json`` (model and data), ``model.safetensors``
(the trained weights, loadable in PyTorch), ``checkpoint.safetensors`` (the
whole training state, for ``--resume``) and ``curves.png``.
"""
import json
import time
from pathlib import Path

from .._errors import error

DATASETS = ("digits", "mnist", "fashion-mnist")
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def load_split(name, train, root=None):
    """(images as float tensor (N, H, W) in [0, 1], int64 labels) of a data set split."""
    from .. import datasets
    if name == "digits":
        ds = datasets.Digits(train=train)
    elif name == "mnist":
        ds = datasets.MNIST(root, train=train)
    elif name == "fashion-mnist":
        ds = datasets.FashionMNIST(root, train=train)
    else:
        raise error(ValueError, "profundo train", f"unknown data set {name!r}; choose one of {list(DATASETS)}",
                    "p. ej. --data digits (viene con scikit-learn, sin descargas)")
    return ds.data.float() / 255.0, ds.targets


def build_model(config, mean=None, std=None):
    from ..models import MODELS
    name = config["model"]
    if name not in MODELS:
        raise error(ValueError, "profundo train", f"unknown model {name!r}; choose one of {sorted(MODELS)}",
                    "p. ej. profundo train mlp")
    kwargs = {k: v for k, v in config.items() if k in ("in_features", "hidden", "num_classes", "dropout")}
    if name == "softmax":
        kwargs = {k: v for k, v in kwargs.items() if k in ("in_features", "num_classes")}
    return MODELS[name](mean=mean, std=std, **kwargs)


def train(args):
    import profundo
    from ..nn import CrossEntropyLoss
    from ..utils.data import DataLoader, TensorDataset
    from .trainer import Trainer
    profundo.manual_seed(args.seed)
    out = Path(args.out or f"runs/{args.model}-{args.data}")
    config_path = out / "config.json"
    if args.resume:
        if not config_path.is_file():
            raise error(FileNotFoundError, "profundo train", f"nothing to resume in {out} (no config.json)",
                        "quita --resume o indica la carpeta del entrenamiento con --out")
        config = json.loads(config_path.read_text())
    else:
        config = {"model": args.model, "data": args.data, "hidden": args.hidden, "dropout": args.dropout,
                  "optimizer": args.optimizer, "lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs,
                  "seed": args.seed}
    config["epochs"] = args.epochs
    X, y = load_split(config["data"], True, args.root)
    X_test, y_test = load_split(config["data"], False, args.root)
    config["in_features"] = int(X[0].numel())
    config["num_classes"] = int(y.max()) + 1
    mean, std = X.mean(0), X.std(0) + 0.1  # per-pixel statistics of the training images
    model = build_model(config, mean, std)
    if config["optimizer"] not in OPTIMIZERS:
        raise error(ValueError, "profundo train", f"unknown optimizer {config['optimizer']!r}; choose one of "
                    f"{sorted(OPTIMIZERS)}", "p. ej. --optimizer sgd")
    opt_cls = getattr(profundo.optim, OPTIMIZERS[config["optimizer"]])
    opt = opt_cls(model.parameters(), lr=config["lr"], **({"momentum": 0.9} if config["optimizer"] == "sgd" else {}))
    out.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(config, indent=2))
    trainer = Trainer(model, CrossEntropyLoss(), opt, progress=not args.quiet, out_dir=out)
    loader = DataLoader(TensorDataset(X, y), batch_size=config["batch_size"], shuffle=True)
    start = time.perf_counter()
    trainer.fit(loader, epochs=config["epochs"], resume=args.resume)
    seconds = time.perf_counter() - start
    result = trainer.evaluate(DataLoader(TensorDataset(X_test, y_test), batch_size=1024))
    profundo.save(model.state_dict(), out / "model.safetensors")
    print(f"{config['model']} on {config['data']}: test accuracy {result['accuracy']:.4f}, test loss "
          f"{result['loss']:.4f} ({trainer.epoch} epochs, {seconds:.1f} s)")
    print(f"wrote {out / 'model.safetensors'}, {out / 'checkpoint.safetensors'} and {out / 'curves.png'}")
    return result


def evaluate(args):
    import profundo
    from ..nn import CrossEntropyLoss
    from ..utils.data import DataLoader, TensorDataset
    from .trainer import Trainer
    path = Path(args.checkpoint)
    folder = path if path.is_dir() else path.parent
    weights = folder / "model.safetensors" if path.is_dir() else path
    config_path = folder / "config.json"
    if not config_path.is_file() or not weights.is_file():
        raise error(FileNotFoundError, "profundo evaluate", f"expected {config_path} and {weights}",
                    "pasa la carpeta creada por profundo train (o su model.safetensors)")
    config = json.loads(config_path.read_text())
    state = profundo.load(weights)
    if "model" in state and isinstance(state["model"], dict):  # a training checkpoint
        state = state["model"]
    model = build_model(config, state.get("standardize.mean"), state.get("standardize.std"))
    model.load_state_dict(state)
    X_test, y_test = load_split(config["data"], False, args.root)
    result = Trainer(model, CrossEntropyLoss(), profundo.optim.SGD(model.parameters(), lr=0.0), progress=False) \
        .evaluate(DataLoader(TensorDataset(X_test, y_test), batch_size=1024))
    print(f"{config['model']} on {config['data']} (test split): accuracy {result['accuracy']:.4f}, "
          f"loss {result['loss']:.4f}")
    return result
