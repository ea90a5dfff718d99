"""``Trainer``: the training loop of the course, with metrics, curves, early stopping and checkpoints.

    trainer = Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1))
    history = trainer.fit(train_loader, val_loader, epochs=10)
    trainer.evaluate(test_loader)      # {"loss": ..., "accuracy": ...}

One epoch is the loop every student writes by hand: for each batch, forward,
loss, ``zero_grad``, ``backward``, (clip), ``step``.  With ``out_dir`` a
checkpoint (model, optimizer, scheduler, history and RNG state) is written
after every epoch, and ``fit(..., resume=True)`` continues from it: the
resumed run ends bitwise identical to an uninterrupted one.
"""
import time
from pathlib import Path

from .._errors import error
from ..autograd.grad_mode import no_grad
from ..nn.utils import clip_grad_norm_
from ..serialization import load, save
from ..tensor import Tensor
from . import display
from .metrics import resolve

CHECKPOINT = "checkpoint.safetensors"
CURVES = "curves.png"


def _check_not_empty(count, method, name):
    # an empty loader would report a loss of 0.0 (and fit would save a checkpoint of nothing): refuse it
    if count == 0:
        raise error(ValueError, f"Trainer.{method}", f"{name} gave no examples: its data set is empty, or it has "
                    "fewer examples than batch_size and drop_last=True",
                    f"revisa {name}: len(dataset) debe ser > 0 (y, con drop_last=True, al menos batch_size)")


class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs (and restore the best)."""

    def __init__(self, patience=5, monitor="val_loss", mode="min", min_delta=0.0, restore_best=True):
        if mode not in ("min", "max"):
            raise error(ValueError, "EarlyStopping", f"mode must be 'min' or 'max', got {mode!r}",
                        "usa 'min' para pérdidas y 'max' para exactitud")
        self.patience, self.monitor, self.mode = patience, monitor, mode
        self.min_delta, self.restore_best = min_delta, restore_best
        self.best, self.bad_epochs, self.best_state = None, 0, None

    def update(self, value, model):
        """Record this epoch's value; True when training should stop."""
        better = self.best is None or (value < self.best - self.min_delta if self.mode == "min"
                                       else value > self.best + self.min_delta)
        if better:
            self.best, self.bad_epochs = value, 0
            if self.restore_best:
                self.best_state = {k: Tensor._make(v._data.copy()) for k, v in model.state_dict().items()}
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience


class Trainer:
    def __init__(self, model, loss_fn, optimizer, *, scheduler=None, scheduler_step="epoch", metrics=("accuracy",),
                 clip_grad_norm=None, early_stopping=None, progress=None, plot=None, out_dir=None, on_epoch_end=None):
        if scheduler_step not in ("epoch", "batch"):
            raise error(ValueError, "Trainer", f"scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}",
                        "OneCycleLR avanza por lote ('batch'); la mayoría, por época ('epoch')")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler, self.scheduler_step = scheduler, scheduler_step
        self.metrics = resolve(metrics)
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = EarlyStopping(early_stopping) if isinstance(early_stopping, int) else early_stopping
        self.progress = not display.quiet_by_default() if progress is None else progress
        self.plot = display.in_notebook() if plot is None else plot
        self.out_dir = Path(out_dir) if out_dir is not None else None
        # on_epoch_end(trainer, row): called after each epoch with its row of results (train_loss, val_loss, ...),
        # before it is recorded and printed; it may add entries (a language model adds its perplexity)
        self.on_epoch_end = on_epoch_end
        self.history = {"epoch": [], "lr": [], "time": []}
        self.epoch = 0
        self.step_count = 0
        self.curves_path = None  # where fit() last wrote the curves (None: not written)
        # plain values (str, numbers, lists, dicts) kept in the checkpoint: `profundo train` keeps its config here
        # so that --resume can tell when config.json was edited
        self.run_info = {}

    # ------------------------------------------------------------------- one epoch
    def _batches(self, loader):
        for batch in loader:
            if not isinstance(batch, (list, tuple)) or len(batch) != 2:
                raise error(ValueError, "Trainer", "each batch must be a pair (inputs, targets), got "
                            f"{type(batch).__name__}" + (f" of length {len(batch)}" if hasattr(batch, "__len__")
                                                         else ""),
                            "el DataLoader debe dar (X, y), p. ej. sobre un TensorDataset(X, y)")
            yield batch

    def train_epoch(self, loader):
        self.model.train()
        totals, count = {"loss": 0.0, **{k: 0.0 for k in self.metrics}}, 0
        bar = display.progress_bar(self._batches(loader), self.progress, desc=f"epoch {self.epoch + 1}",
                                   total=len(loader) if hasattr(loader, "__len__") else None)
        for X, y in bar:
            y_hat = self.model(X)
            loss = self.loss_fn(y_hat, y)
            self.optimizer.zero_grad()
            loss.backward()
            if self.clip_grad_norm is not None:
                clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
            self.optimizer.step()
            self.step_count += 1
            if self.scheduler is not None and self.scheduler_step == "batch":
                self.scheduler.step()
            n = len(y)
            count += n
            totals["loss"] += float(loss) * n
            with no_grad():
                for k, fn in self.metrics.items():
                    totals[k] += fn(y_hat.detach(), y) * n
            bar.set_postfix(loss=f"{totals['loss'] / count:.4f}", refresh=False)
        bar.close()
        _check_not_empty(count, "fit", "train_loader")
        return {k: v / count for k, v in totals.items()}

    def evaluate(self, loader, name="loader"):
        """Mean loss and metrics over ``loader``, in eval mode and without recording gradients."""
        was_training = self.model.training
        self.model.eval()
        totals, count = {"loss": 0.0, **{k: 0.0 for k in self.metrics}}, 0
        with no_grad():
            for X, y in self._batches(loader):
                y_hat = self.model(X)
                n = len(y)
                count += n
                totals["loss"] += float(self.loss_fn(y_hat, y)) * n
                for k, fn in self.metrics.items():
                    totals[k] += fn(y_hat, y) * n
        self.model.train(was_training)
        _check_not_empty(count, "evaluate", name)
        return {k: v / count for k, v in totals.items()}

    def predict(self, data):
        """Model outputs for a tensor, or for every batch of a loader (concatenated)."""
        from ..ops import FUNCTIONS
        self.model.eval()
        with no_grad():
            if isinstance(data, Tensor):
                return self.model(data)
            outs = [self.model(b[0] if isinstance(b, (list, tuple)) else b) for b in data]
        return FUNCTIONS["cat"](outs)

    # ------------------------------------------------------------------------ fit
    def fit(self, train_loader, val_loader=None, epochs=10, resume=False):
        """Train for ``epochs`` epochs in total (a resumed run continues up to the same number)."""
        if resume:
            self.load_checkpoint()
        live = None
        if self.plot and display.in_notebook():
            from IPython.display import display as show
            live = show(display_id=True)
        while self.epoch < epochs:
            start = time.perf_counter()
            row = {f"train_{k}": v for k, v in self.train_epoch(train_loader).items()}
            if val_loader is not None:
                row.update({f"val_{k}": v for k, v in self.evaluate(val_loader, "val_loader").items()})
            self.epoch += 1
            if self.on_epoch_end is not None:
                self.on_epoch_end(self, row)
            self.history["epoch"].append(self.epoch)
            self.history["lr"].append(self.optimizer.param_groups[0]["lr"])
            self.history["time"].append(time.perf_counter() - start)
            for k, v in row.items():
                self.history.setdefault(k, []).append(v)
            if self.scheduler is not None and self.scheduler_step == "epoch":
                if type(self.scheduler).__name__ == "ReduceLROnPlateau":
                    self.scheduler.step(row.get("val_loss", row["train_loss"]))
                else:
                    self.scheduler.step()
            if self.progress:
                print(f"epoch {self.epoch}/{epochs}  " + "  ".join(f"{k} {v:.4f}" for k, v in row.items()) +
                      f"  ({self.history['time'][-1]:.1f} s)")
            if live is not None:
                display.plot_history(self.history, live=live)
            stop = False
            if self.early_stopping is not None:
                monitor = self.early_stopping.monitor
                if monitor not in row:
                    raise error(ValueError, "EarlyStopping", f"cannot monitor {monitor!r}: this epoch has "
                                f"{sorted(row)}", "pasa un val_loader, o monitor='train_loss'")
                stop = self.early_stopping.update(row[monitor], self.model)
            if self.out_dir is not None:
                self.save_checkpoint()
            if stop:
                if self.early_stopping.restore_best and self.early_stopping.best_state is not None:
                    self.model.load_state_dict(self.early_stopping.best_state)
                break
        if self.out_dir is not None and self.history["epoch"]:
            # None when matplotlib is missing: the caller can say so instead of pointing at a file that is not there
            written = display.plot_history(self.history, path=self.out_dir / CURVES)
            self.curves_path = self.out_dir / CURVES if written is not None else None
        return self.history

    # ---------------------------------------------------------------- checkpoints
    def state_dict(self):
        from ..random import get_rng_state
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                "epoch": self.epoch, "step": self.step_count, "history": self.history,
                "rng_state": get_rng_state(), "run_info": self.run_info}

    def load_state_dict(self, state):
        from ..random import set_rng_state
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.step_count = state["epoch"], state["step"]
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.run_info = dict(state.get("run_info") or {})
        set_rng_state(state["rng_state"])

    def save_checkpoint(self, path=None):
        path = Path(path) if path is not None else self._checkpoint_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        save(self.state_dict(), path)
        return path

    def load_checkpoint(self, path=None):
        path = Path(path) if path is not None else self._checkpoint_path()
        if not path.is_file():
            raise error(FileNotFoundError, "Trainer", f"no checkpoint to resume from at {path}",
                        "entrena primero con out_dir=..., o quita resume=True")
        self.load_state_dict(load(path))
        return path

    def _checkpoint_path(self):
        if self.out_dir is None:
            raise error(ValueError, "Trainer", "no out_dir: where should the checkpoint go?",
                        "crea el Trainer con out_dir='runs/mi_modelo'")
        return self.out_dir / CHECKPOINT

