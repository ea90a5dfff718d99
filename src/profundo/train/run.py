"""``profundo train`` and ``profundo evaluate``: the main job of the command line.

A run folder holds ``config.json`` (model and data), ``model.safetensors``
(the trained weights, loadable in PyTorch), ``checkpoint.safetensors`` (the
whole training state, for ``--resume``) and ``curves.png``.
"""
import json
import math
import time
from pathlib import Path

from .._errors import error

DATASETS = ("digits", "mnist", "fashion-mnist")
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
# the plan of a run: what `profundo train` takes (and config.json keeps) when an option is left out.  DEFAULTS is
# the MLP's plan; OPTIONS says which model-specific options each model has (others are refused, never ignored)
DEFAULTS = {"model": "mlp", "data": "digits", "hidden": [256], "dropout": 0.2, "optimizer": "sgd", "lr": 0.05,
            "batch_size": 64, "epochs": 20, "seed": 0}
MODEL_OPTIONS = ("hidden", "dropout")
OPTIONS = {"mlp": ("hidden", "dropout")}  # a model not listed has none (softmax and the image models)
# where a model trains better with another default: LeNet (ReLU) with SGD + momentum diverges in some runs at
# lr 0.05 on digits (1 seed in 5), and reaches >= 98 % at 0.02 (5 seeds of 5, 20 epochs; PyTorch twin runs)
MODEL_DEFAULTS = {"lenet": {"lr": 0.02}}
# what config.json adds: the shapes the data gave, needed to rebuild the model
DERIVED = ("in_features", "num_classes")


def plan_keys(model):
    """The keys of a run's plan for ``model``, in config.json's order."""
    return [k for k in DEFAULTS if k not in MODEL_OPTIONS or k in OPTIONS.get(model, ())]


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _models():
    from ..models import MODELS
    return sorted(MODELS)


# key -> (is the value valid?, what it must be, Spanish hint); shared by the command line and config.json
CHECKS = {
    "model": (lambda v: v in _models(), lambda: f"one of {_models()}", "p. ej. profundo train mlp"),
    "data": (lambda v: v in DATASETS, lambda: f"one of {list(DATASETS)}",
             "p. ej. --data digits (viene con scikit-learn, sin descargas)"),
    "optimizer": (lambda v: v in OPTIMIZERS, lambda: f"one of {sorted(OPTIMIZERS)}", "p. ej. --optimizer sgd"),
    "hidden": (lambda v: isinstance(v, list) and len(v) > 0 and all(_int(h) and h > 0 for h in v),
               lambda: "a non-empty list of positive layer sizes",
               "p. ej. --hidden 256 128 (cada capa oculta con al menos 1 neurona)"),
    "dropout": (lambda v: _number(v) and 0 <= v < 1, lambda: "a number in [0, 1)",
                "p es la probabilidad de apagar cada neurona, p. ej. --dropout 0.2 (0 la desactiva)"),
    "lr": (lambda v: _number(v) and v > 0, lambda: "a positive finite number",
           "la tasa de aprendizaje debe ser > 0, p. ej. --lr 0.05"),
    "batch_size": (lambda v: _int(v) and v > 0, lambda: "a positive integer", "p. ej. --batch-size 64"),
    "epochs": (lambda v: _int(v) and v > 0, lambda: "a positive integer",
               "el número total de épocas debe ser >= 1, p. ej. --epochs 20"),
    # torch.manual_seed's range (negative seeds wrap around)
    "seed": (lambda v: _int(v) and -2 ** 63 <= v < 2 ** 64, lambda: "an integer in [-2**63, 2**64)",
             "p. ej. --seed 0"),
    "in_features": (lambda v: _int(v) and v > 0, lambda: "a positive integer", None),
    "num_classes": (lambda v: _int(v) and v > 1, lambda: "an integer > 1", None),
}


def _invalid(key, value):
    """None when ``value`` is valid for ``key``, else the text of what is wrong."""
    ok, expected, _ = CHECKS[key]
    return None if ok(value) else f"{key} must be {expected()}, got {value!r}"


def arg_type(key):
    """An argparse ``type=`` that parses and checks one option (a bad value is an argparse error, exit code 2)."""
    import argparse
    convert = float if key in ("lr", "dropout") else int

    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = text
        # --hidden takes several values: argparse checks them one by one
        ok = CHECKS[key][0]([value] if key == "hidden" else value)
        if not ok:
            expected = "a positive integer (a layer size)" if key == "hidden" else CHECKS[key][1]()
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r} (Pista: {CHECKS[key][2]})")
        return value

    parse.__name__ = key
    return parse


def check_config(config, where, op, derived=True):
    """Refuse a config (from the command line or a config.json) with a missing, unknown or invalid key."""
    hint = ("config.json está dañado o fue editado: corrígelo, o entrena de nuevo en otra carpeta con --out"
            if where.endswith("config.json") else None)
    if not isinstance(config, dict):
        raise error(ValueError, op, f"{where} must hold a JSON object, got {type(config).__name__}", hint)
    model = config.get("model")
    # an unknown or missing model is reported by name below: meanwhile expect the keys any model may have
    keys = (plan_keys(model) if isinstance(model, str) and model in _models() else list(DEFAULTS)) + \
        (list(DERIVED) if derived else [])
    missing = [k for k in keys if k not in config]
    unknown = sorted(k for k in config if k not in keys)
    if missing or unknown:
        raise error(ValueError, op, f"{where}: " + "; ".join(
            ([f"missing {missing}"] if missing else []) + ([f"unknown {unknown}"] if unknown else [])), hint)
    for key in keys:
        problem = _invalid(key, config[key])
        if problem:
            if key in ("model", "data", "optimizer") and hint is None:  # the command line's own wording
                what = {"model": "model", "data": "data set", "optimizer": "optimizer"}[key]
                raise error(ValueError, op, f"unknown {what} {config[key]!r}; choose {CHECKS[key][1]()}",
                            CHECKS[key][2])
            raise error(ValueError, op, f"{where}: {problem}", hint or CHECKS[key][2])
    return config


def read_config(folder, op):
    """The checked config.json of a run folder."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise error(FileNotFoundError, op, f"no run in {folder} (no config.json)",
                    "indica la carpeta creada por profundo train (p. ej. runs/mlp-digits)")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise error(ValueError, op, f"{path} is not valid JSON ({type(e).__name__}: {str(e)[:200]})",
                    "config.json está dañado: corrígelo, o entrena de nuevo en otra carpeta con --out") from None
    return check_config(config, str(path), op)


def _write_config(path, config):
    # write then rename: a killed command never leaves a half-written config.json
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


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
    """The model a config describes; an image model gets its images resized and standardized first."""
    from ..models import IMAGE_SIZES, MODELS, ImageClassifier
    name = config["model"]
    if name not in MODELS:
        raise error(ValueError, "profundo train", f"unknown model {name!r}; choose one of {sorted(MODELS)}",
                    "p. ej. profundo train mlp")
    if name in IMAGE_SIZES:
        return ImageClassifier(MODELS[name](num_classes=config["num_classes"], in_channels=1), IMAGE_SIZES[name],
                               mean, std)
    kwargs = {k: v for k, v in config.items() if k in ("in_features", "num_classes", *OPTIONS.get(name, ()))}
    return MODELS[name](mean=mean, std=std, **kwargs)


def _inapplicable(model, given, op):
    """Refuse options that ``model`` does not have (e.g. --hidden for a CNN) instead of ignoring them."""
    if model not in _models():
        return
    extra = [k for k in given if k not in plan_keys(model)]
    if extra:
        flags = " and ".join(f"--{k.replace('_', '-')}" for k in extra)
        owners = sorted({m for m, opts in OPTIONS.items() if set(extra) <= set(opts)})
        raise error(ValueError, op, f"{flags} does not apply to the model {model!r}" +
                    (f" (only to {', '.join(owners)})" if owners else ""),
                    f"quita {flags}: {model} no tiene esa opción" + (f" (solo {', '.join(owners)})" if owners else ""))


def _plan(args):
    """(run folder, config, config.json to be written?) from the command line, or from config.json (--resume)."""
    given = {k: getattr(args, k) for k in DEFAULTS if getattr(args, k, None) is not None}
    out = Path(args.out or f"runs/{given.get('model', DEFAULTS['model'])}-{given.get('data', DEFAULTS['data'])}")
    if out.exists() and not out.is_dir():
        raise error(NotADirectoryError, "profundo train", f"--out {out} is a file, not a folder",
                    "elige una carpeta con --out (se crea si no existe)")
    if not args.resume:
        model = given.get("model", DEFAULTS["model"])
        _inapplicable(model, given, "profundo train")
        keys = plan_keys(model) if model in _models() else list(DEFAULTS)
        defaults = {**DEFAULTS, **MODEL_DEFAULTS.get(model, {})}
        plan = {k: given.get(k, defaults[k]) for k in keys}
        return out, check_config(plan, "the command line", "profundo train", derived=False), True
    config = read_config(out, "profundo train --resume")
    _inapplicable(config["model"], given, "profundo train --resume")
    changed = {k: (config[k], v) for k, v in given.items() if k != "epochs" and config[k] != v}
    if changed:
        flags = ", ".join(f"--{k.replace('_', '-')} {_show(v)} (the run has {_show(saved)})"
                          for k, (saved, v) in changed.items())
        raise error(ValueError, "profundo train --resume", f"{out} cannot continue with other options: {flags}",
                    "quita esas opciones para terminar el entrenamiento tal como empezó, o entrena desde cero "
                    "en otra carpeta con --out")
    extend = given.get("epochs", config["epochs"]) != config["epochs"]
    if extend:  # a larger --epochs extends the plan (checked against the checkpoint below)
        config["epochs"] = given["epochs"]
    return out, config, extend


def _resume(trainer, out, config):
    """Load the run's checkpoint into ``trainer``, refusing one that config.json no longer describes."""
    import profundo
    from .trainer import CHECKPOINT
    op, path = "profundo train --resume", out / CHECKPOINT
    if not path.is_file():
        raise error(FileNotFoundError, op, f"{out} has no {CHECKPOINT}: the run stopped before its first epoch ended",
                    "entrena de nuevo sin --resume")
    state = profundo.load(path)
    trained = (state.get("run_info") or {}).get("config") if isinstance(state, dict) else None
    if isinstance(trained, dict):
        edited = sorted(k for k in config if k != "epochs" and trained.get(k) != config[k])
        if edited:
            raise error(ValueError, op, f"{out / 'config.json'} was edited: " + ", ".join(
                f"{k} {_show(config[k])} (the checkpoint was trained with {_show(trained.get(k))})" for k in edited),
                "deja config.json como lo escribió profundo train, o entrena de nuevo en otra carpeta con --out")
    _matching(path, out, op, lambda: trainer.load_state_dict(state))


def _matching(weights, folder, op, load):
    """Run ``load``; a state that does not fit the model built from config.json names both files."""
    from .._errors import is_checked
    try:
        return load()
    except RuntimeError as e:
        if not is_checked(e):
            raise
        raise error(RuntimeError, op, f"{weights} does not match the model of {Path(folder) / 'config.json'} "
                    f"(was config.json edited?)\n{e}", "config.json debe ser el que escribió profundo train "
                    "para esos pesos") from None


def _show(value):
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def train(args):
    import sys

    import profundo
    from ..nn import CrossEntropyLoss
    from ..utils.data import DataLoader, TensorDataset
    from . import display
    from .trainer import CHECKPOINT, Trainer
    out, config, write_config = _plan(args)
    profundo.manual_seed(config["seed"])
    X, y = load_split(config["data"], True, args.root)
    X_test, y_test = load_split(config["data"], False, args.root)
    shapes = {"in_features": int(X[0].numel()), "num_classes": int(y.max()) + 1}
    if args.resume and any(config[k] != v for k, v in shapes.items()):
        raise error(ValueError, "profundo train --resume", f"the data now give {shapes}, but the run in {out} was "
                    f"trained with in_features={config['in_features']}, num_classes={config['num_classes']}",
                    "¿cambiaron los datos? entrena de nuevo en otra carpeta con --out")
    config.update(shapes)
    from ..models import IMAGE_SIZES
    if config["model"] in IMAGE_SIZES:  # one mean and std for all pixels: a convolution slides over them all
        mean, std = X.mean(), X.std()
    else:
        mean, std = X.mean(0), X.std(0) + 0.1  # per-pixel statistics of the training images
    model = build_model(config, mean, std)
    opt_cls = getattr(profundo.optim, OPTIMIZERS[config["optimizer"]])
    opt = opt_cls(model.parameters(), lr=config["lr"], **({"momentum": 0.9} if config["optimizer"] == "sgd" else {}))
    progress = not args.quiet
    trainer = Trainer(model, CrossEntropyLoss(), opt, progress=progress, out_dir=out)
    if args.resume:
        _resume(trainer, out, config)
        if trainer.epoch > config["epochs"]:
            raise error(ValueError, "profundo train --resume", f"the run in {out} has already trained "
                        f"{trainer.epoch} epochs; --epochs {config['epochs']} is fewer",
                        f"--epochs es el total de épocas: pon al menos {trainer.epoch}, o quítalo")
    trainer.run_info = {"config": config}  # saved in each checkpoint: the plan as it is now (--epochs included)
    out.mkdir(parents=True, exist_ok=True)
    if write_config:
        _write_config(out / "config.json", config)
    if trainer.epoch == config["epochs"]:
        print(f"the run in {out} has already trained its {trainer.epoch} epochs: nothing to train "
              f"(a larger --epochs continues it)")
    elif progress and not display.tqdm_available():
        print("no progress bar: tqdm is not installed (pip install -e \".[train]\")", file=sys.stderr)
    train_loader = DataLoader(TensorDataset(X, y), batch_size=config["batch_size"], shuffle=True)
    # the validation curve is the test split's, as in d2l (its val_dataloader is the test set): nothing is
    # chosen from it (no early stopping), and the training set keeps all its examples
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=1024)
    trained_before = trainer.epoch
    start = time.perf_counter()
    trainer.fit(train_loader, test_loader, epochs=config["epochs"])
    seconds = time.perf_counter() - start
    result = trainer.evaluate(test_loader, "the test split")
    timing = f", {seconds:.1f} s" if trainer.epoch > trained_before else ""
    print(f"{config['model']} on {config['data']}: test accuracy {result['accuracy']:.4f}, test loss "
          f"{result['loss']:.4f} ({trainer.epoch} epochs{timing})")
    if trainer.epoch == trained_before:
        return result
    profundo.save(model.state_dict(), out / "model.safetensors")
    written = [out / "model.safetensors", out / CHECKPOINT]
    if trainer.curves_path is not None:
        written.append(trainer.curves_path)
    written = [str(p) for p in written if p.is_file()]
    print(f"wrote {', '.join(written[:-1])} and {written[-1]}")
    if trainer.curves_path is None:
        print(f"{out / 'curves.png'} not written: matplotlib is not installed (pip install -e \".[train]\")",
              file=sys.stderr)
    return result


def evaluate(args):
    import profundo
    from ..nn import CrossEntropyLoss
    from ..utils.data import DataLoader, TensorDataset
    from .trainer import Trainer
    path = Path(args.checkpoint)
    if not path.exists():
        raise error(FileNotFoundError, "profundo evaluate", f"{path} does not exist",
                    "pasa la carpeta creada por profundo train (o su model.safetensors)")
    folder = path if path.is_dir() else path.parent
    weights = folder / "model.safetensors" if path.is_dir() else path
    config = read_config(folder, "profundo evaluate")
    if not weights.is_file():
        raise error(FileNotFoundError, "profundo evaluate", f"no weights at {weights}",
                    "pasa la carpeta creada por profundo train (o su model.safetensors)")
    state = profundo.load(weights)
    if "model" in state and isinstance(state["model"], dict):  # a training checkpoint
        state = state["model"]
    model = build_model(config, state.get("standardize.mean"), state.get("standardize.std"))
    _matching(weights, folder, "profundo evaluate", lambda: model.load_state_dict(state))
    X_test, y_test = load_split(config["data"], False, args.root)
    result = Trainer(model, CrossEntropyLoss(), profundo.optim.SGD(model.parameters(), lr=0.0), progress=False) \
        .evaluate(DataLoader(TensorDataset(X_test, y_test), batch_size=1024), "the test split")
    print(f"{config['model']} on {config['data']} (test split): accuracy {result['accuracy']:.4f}, "
          f"loss {result['loss']:.4f}")
    return result
