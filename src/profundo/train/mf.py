"""``profundo train mf``: matrix factorization on MovieLens ratings (Unit 4, explicit feedback).

    profundo train mf                                  # MovieLens 100K in --root (never downloaded unasked)
    profundo train mf --data ruta/ml-100k --epochs 20
    profundo train mf --sparse --optimizer sparseadam  # row-sparse gradients: a step touches only its rows
    profundo train mf --nproc 2                        # data-parallel, 2 local processes (needs PyTorch)
    torchrun --nproc-per-node 2 -m profundo train mf   # the same through torchrun (--nnodes: several machines)

As d2l's chapter 21.3 with a global mean: the ratings are split at random (90 % train, 10 % test, --seed),
and ``r_ui = p_u . q_i + b_u + b_i + mu`` (``models.MatrixFactorization``, ``mu`` the mean training rating)
is trained on the squared error plus an L2 penalty on the rows each batch looks up (--l2), through the
project's Trainer.  Each epoch prints the train and test RMSE (``val`` is the test split, as in d2l; the
train loss includes the penalty, the val loss is the test's mean squared error).  The
run folder (--out) gets config.json, model.safetensors, checkpoint.safetensors and curves.png.

The pieces of ``run`` can be reused one by one (data-parallel training wraps them): ``load_ratings`` and
``split`` give the data, ``make_loaders(train, test, batch_size, sampler=None)`` the loaders (a sampler,
e.g. a ``DistributedSampler``, replaces the shuffling), ``build_model`` the ``MatrixFactorization`` and the
Trainer's model ``RatingRegression`` (the module to wrap), ``make_optimizer`` its optimizer.
"""
import argparse
import json
import math
import time

from .. import nn
from .._errors import error
from .options import NONNEG_FLOAT, NONNEG_INT, POS_FLOAT, POS_INT, out_dir, typed
from .recsys_common import VARIANTS, add_data_options, describe, load_ratings, written_line

OP = "profundo train mf"
OPTIMIZERS = ("adam", "sgd", "sparseadam")
# 30 factors, Adam lr 3e-3, batch 256, L2 0.1 on the batch's rows: test RMSE 0.894 on MovieLens 100K
# (10 epochs, as the README says)
DEFAULTS = {"factors": 30, "epochs": 10, "lr": None, "batch_size": 256, "optimizer": "adam", "l2": 0.1,
            "weight_decay": 0.0, "test_ratio": 0.1, "seed": 0}
# SGD on a mean over the batch moves each row by ~lr/batch of its gradient: it needs a large lr
# (10 epochs on MovieLens 100K: test RMSE 0.932 with lr 0.5, 0.917 with 5)
LR = {"adam": 3e-3, "sparseadam": 3e-3, "sgd": 5.0}
RATIO = typed(float, lambda v: 0 < v < 1, "a number in (0, 1)", "la fracción de prueba, p. ej. 0.1")


def parser():
    description = __doc__.split("\n\n")[2].strip().replace("``", "")
    p = argparse.ArgumentParser(prog=OP, description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = DEFAULTS
    add_data_options(p)
    p.add_argument("--factors", type=POS_INT, default=d["factors"], help=f"latent factors (default {d['factors']})")
    p.add_argument("--epochs", type=POS_INT, default=d["epochs"], help=f"default {d['epochs']}")
    p.add_argument("--batch-size", type=POS_INT, default=d["batch_size"], help=f"default {d['batch_size']}")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d["optimizer"],
                   help="adam (default), sgd, or sparseadam (needs --sparse)")
    p.add_argument("--lr", type=POS_FLOAT, help="learning rate (default: " +
                   ", ".join(f"{k} {v:g}" for k, v in LR.items()) + ")")
    p.add_argument("--l2", type=NONNEG_FLOAT, default=d["l2"],
                   help=f"L2 penalty on the rows each batch looks up: l2 * mean(|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2) "
                        f"(default {d['l2']:g}; 0 turns it off)")
    p.add_argument("--weight-decay", type=NONNEG_FLOAT, default=d["weight_decay"],
                   help="the optimizer's weight decay over whole tables (default 0; not with --sparse)")
    p.add_argument("--sparse", action="store_true",
                   help="nn.Embedding(sparse=True): row-sparse gradients (with sgd or sparseadam)")
    p.add_argument("--test-ratio", type=RATIO, default=d["test_ratio"], help="fraction of the ratings held out "
                   f"at random for the test split (default {d['test_ratio']:g})")
    p.add_argument("--seed", type=NONNEG_INT, default=d["seed"],
                   help=f"the split's and the model's (default {d['seed']})")
    p.add_argument("--out", help="run folder (default runs/mf-DATA)")
    p.add_argument("--quiet", action="store_true", help="no progress bar nor per-epoch lines")
    from .dataparallel import add_nproc_option
    add_nproc_option(p)
    return p


def plan(args):
    """The run's settings (``config.json``) from the parsed options; impossible combinations are refused."""
    if args.optimizer == "sparseadam" and not args.sparse:
        raise error(ValueError, OP, "--optimizer sparseadam needs row-sparse gradients: add --sparse",
                    "SparseAdam solo acepta gradientes dispersos: añade --sparse (o usa --optimizer adam)")
    if args.optimizer == "adam" and args.sparse:
        raise error(ValueError, OP, "--optimizer adam does not support sparse gradients (--sparse): use "
                    "--optimizer sparseadam or sgd", "con --sparse usa --optimizer sparseadam o sgd")
    if args.sparse and args.weight_decay:
        raise error(ValueError, OP, "--weight-decay is not supported with --sparse (it would touch every row at every "
                    "step): use --l2, which penalizes only the batch's rows",
                    "con --sparse regulariza con --l2 (solo las filas del lote)")
    c = {k: getattr(args, k) for k in ("data", "factors", "epochs", "batch_size", "optimizer", "l2", "weight_decay",
                                        "sparse", "test_ratio", "seed")}
    c["task"] = "mf"
    c["lr"] = args.lr if args.lr is not None else LR[args.optimizer]
    return c


class RatingRegression(nn.Module):
    """The Trainer's model: inputs ``(user, item)``, output the predicted ratings; in training mode it also
    keeps ``penalty``, the L2 penalty of the rows the batch looked up (``RegularizedMSE`` adds it).

    Penalizing only the looked-up rows is the classic MF regularization (each rating pulls its own user's
    and item's vectors toward zero); weight decay over the whole table would shrink every row each step."""

    def __init__(self, mf, l2):
        super().__init__()
        self.mf, self.l2 = mf, l2
        self.penalty = None

    def forward(self, X):
        user, item = X
        mf = self.mf
        p, q = mf.P(user), mf.Q(item)
        b_u, b_i = mf.user_bias(user).squeeze(-1), mf.item_bias(item).squeeze(-1)
        # the same formula as MatrixFactorization.forward, from the rows already looked up
        pred = (p * q).sum(-1) + b_u + b_i + mf.global_mean
        self.penalty = None
        if self.training and self.l2:
            self.penalty = self.l2 * ((p * p).sum(-1) + (q * q).sum(-1) + b_u * b_u + b_i * b_i).mean()
        return pred


class RegularizedMSE:
    """The loss: mean squared error, plus the model's penalty while training (not when evaluating)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, pred, rating):
        loss = ((pred - rating) ** 2).mean()
        penalty = self.model.penalty if self.model.training else None
        return loss if penalty is None else loss + penalty


def squared_error(pred, rating):
    """Per-example metric for the Trainer: the mean squared error (its epoch mean gives the RMSE)."""
    return float(((pred - rating) ** 2).mean())


class Pairs:
    """A loader of ``(user, item, rating)`` batches as the Trainer's ``((user, item), rating)`` pairs."""

    def __init__(self, loader):
        self.loader = loader

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for user, item, rating in self.loader:
            yield (user, item), rating


def split(data, config):
    from ..recsys import split_interactions
    return split_interactions(data, "random", test_ratio=config["test_ratio"], seed=config["seed"])


def make_loaders(train, test, batch_size, sampler=None):
    """Train and test loaders of ``((user, item), rating)``; ``sampler`` (e.g. a ``DistributedSampler``)
    replaces the shuffling of the training set."""
    from ..utils.data import DataLoader
    train_ds, test_ds = train.explicit(), test.explicit()
    shuffle = sampler is None
    return (Pairs(DataLoader(train_ds, batch_size, shuffle=shuffle, sampler=sampler)),
            Pairs(DataLoader(test_ds, 8192)))


def build_model(config, num_users, num_items, global_mean):
    from ..models import MatrixFactorization
    mf = MatrixFactorization(num_users, num_items, config["factors"], sparse=config["sparse"],
                             global_mean=global_mean)
    return mf, RatingRegression(mf, config["l2"])


def make_optimizer(config, params):
    from .. import optim
    name, lr, wd = config["optimizer"], config["lr"], config["weight_decay"]
    if name == "sparseadam":
        return optim.SparseAdam(params, lr=lr)
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    return optim.Adam(params, lr=lr, weight_decay=wd)


def add_rmse(trainer, row):
    """Each epoch's RMSE from its mean squared error (train: during the epoch; val: the test split)."""
    for split_name in ("train", "val"):
        mse = row.pop(f"{split_name}_squared_error", None)
        if mse is not None:
            row[f"{split_name}_rmse"] = math.sqrt(mse)
    ordered = sorted(row.items(), key=lambda kv: not kv[0].startswith("train_"))  # train first (stable)
    row.clear()
    row.update(ordered)


def main(argv):
    """Run the task with its own options (``argv`` after ``profundo train mf``); returns the exit code."""
    args = parser().parse_args(argv)
    from .dataparallel import launch_if_asked
    code = launch_if_asked(args, argv, OP, check=plan)  # --nproc N: this process starts and waits for N others
    if code is not None:
        return code
    config = plan(args)
    name = config["data"] if config["data"] in VARIANTS else "folder"
    run(config, out_dir(args.out or f"runs/mf-{name}", OP), root=args.root, download=args.download, quiet=args.quiet)
    return 0


def run(config, out, root=None, download=False, quiet=False):
    """Train as ``config`` says and write the run folder ``out``; returns the history, RMSEs, model.

    Launched as several processes (``--nproc``, torchrun), each trains on its ``DistributedSampler`` share
    of every epoch through ``DistributedDataParallel``; rank 0 prints and writes the run folder."""
    from .dataparallel import Group
    group = Group(OP)
    try:
        return _run(config, out, root, download, quiet or not group.main, group)
    finally:
        group.close()


def _run(config, out, root, download, quiet, group):
    import profundo
    from .trainer import CHECKPOINT, Trainer
    c = config
    data, label = load_ratings(c["data"], root, download, OP)
    train, test = split(data, c)
    global_mean = float(train.rating.mean())
    profundo.manual_seed(c["seed"])
    mf, model = build_model(c, data.num_users, data.num_items, global_mean)
    sampler = group.sampler(train.explicit(), c["seed"])
    train_loader, test_loader = make_loaders(train, test, group.batch_size(c["batch_size"]), sampler=sampler)
    trainer = Trainer(group.wrap(model), RegularizedMSE(model), make_optimizer(c, mf.parameters()),
                      metrics=(squared_error,), progress=not quiet, plot=False, out_dir=out if group.main else None,
                      on_epoch_end=group.mean_train_metrics(add_rmse))
    info = {**c, "num_users": data.num_users, "num_items": data.num_items, "global_mean": global_mean,
            "num_train": len(train), "num_test": len(test)}
    if group.world > 1:
        info["nproc"] = group.world
    trainer.run_info = {"config": info}
    if group.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    baseline = math.sqrt(float(((test.rating - global_mean) ** 2).mean()))
    if not quiet:
        print(f"matrix factorization on {label}: {describe(data)}; {len(train):,} train and {len(test):,} test "
              f"ratings (random split, seed {c['seed']}; val = the test split); predicting the global mean "
              f"{global_mean:.3f} gives test RMSE {baseline:.4f}"
              + (f"; data-parallel over {group.world} processes" if group.world > 1 else ""))
    start = time.perf_counter()
    history = trainer.fit(group.epochs(train_loader, sampler), test_loader, epochs=c["epochs"])
    seconds = time.perf_counter() - start
    rmse = {"train": history["train_rmse"][-1], "test": history["val_rmse"][-1]}
    if group.main:
        print(f"mf ({c['factors']} factors, {c['optimizer']}{', sparse' if c['sparse'] else ''}) on {label}: "
              f"train RMSE {rmse['train']:.4f}, test RMSE {rmse['test']:.4f} (global mean: {baseline:.4f}; "
              f"{trainer.epoch} epoch{'s' if trainer.epoch != 1 else ''}, {seconds:.1f} s"
              + (f", {group.world} processes" if group.world > 1 else "") + ")")
        profundo.save(mf.state_dict(), out / "model.safetensors")
        written_line(out, ("config.json", "model.safetensors", CHECKPOINT), trainer.curves_path)
    return {"history": history, "rmse": rmse, "baseline_rmse": baseline, "model": mf, "seconds": seconds}
