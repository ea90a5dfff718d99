"""``profundo train charlm``: a character-level language model on The Time Machine (Unit 3).

    profundo train charlm                       # d2l's RNN from scratch on the bundled Time Machine
    profundo train charlm --model lstm --epochs 20 --prefix "the time traveller"
    profundo train charlm --text mi_libro.txt   # any UTF-8 text (letters and spaces are kept)

As d2l 1.0 (chapter 9): the text keeps its letters (lower case) and single spaces, each character is a
token, the data are the windows of ``--seq-len`` characters (the first ``--num-train`` train, the next
``--num-val`` validate), and the model is trained with SGD and gradient clipping through the project's
Trainer.  Each epoch prints the loss and the perplexity (``exp`` of the mean cross-entropy per character);
the end prints a generation from ``--prefix``.  The run folder (``--out``) gets ``config.json`` (the
options and the vocabulary), ``model.safetensors``, ``checkpoint.safetensors`` and ``curves.png``.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

from .._errors import error

MODELS = ("scratch", "rnn", "gru", "lstm")
# d2l 1.0's settings (sections 9.5-10.2): batch 1024, 32 steps, 32 hidden units, gradient clipping at 1,
# lr 1 for the RNNs and 4 for GRU/LSTM.  The book trains 100 epochs (LSTM: 50); the default here is shorter
DEFAULTS = {"model": "scratch", "hidden": 32, "layers": 1, "seq_len": 32, "batch_size": 1024, "epochs": 10,
            "lr": None, "clip": 1.0, "seed": 0}
LR = {"scratch": 1.0, "rnn": 1.0, "gru": 4.0, "lstm": 4.0}
NUM_TRAIN, NUM_VAL = 10000, 5000  # d2l's TimeMachine split (windows)


def _typed(convert, check, expected, hint):
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not check(value):
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r} (Pista: {hint})")
        return value
    return parse


_POS_INT = _typed(int, lambda v: v > 0, "a positive integer", "p. ej. 32")
_POS_FLOAT = _typed(float, lambda v: math.isfinite(v) and v > 0, "a positive number", "p. ej. 1.0")
_NONNEG_FLOAT = _typed(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0",
                       "0 elige el carácter más probable; 1 muestrea de la distribución del modelo")
_NONNEG_INT = _typed(int, lambda v: v >= 0, "an integer >= 0", "p. ej. 50")


def parser():
    description = __doc__.split("\n\n")[2].strip().replace("``", "")
    p = argparse.ArgumentParser(prog="profundo train charlm", description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = DEFAULTS
    p.add_argument("--model", choices=MODELS, default=d["model"],
                   help="scratch (d2l's RNN from scratch, default), or the library's rnn, gru, lstm")
    p.add_argument("--hidden", type=_POS_INT, default=d["hidden"], help=f"hidden units (default {d['hidden']})")
    p.add_argument("--layers", type=_POS_INT, default=d["layers"],
                   help="recurrent layers, stacked (rnn/gru/lstm; default 1)")
    p.add_argument("--seq-len", type=_POS_INT, default=d["seq_len"],
                   help=f"characters per training window (default {d['seq_len']})")
    p.add_argument("--batch-size", type=_POS_INT, default=d["batch_size"], help=f"default {d['batch_size']}")
    p.add_argument("--epochs", type=_POS_INT, default=d["epochs"], help=f"default {d['epochs']} (the book: 100)")
    p.add_argument("--lr", type=_POS_FLOAT, help="SGD learning rate (default: " +
                   ", ".join(f"{m} {v:g}" for m, v in LR.items()) + ")")
    p.add_argument("--clip", type=_POS_FLOAT, default=d["clip"],
                   help=f"gradient clipping: largest norm of all the gradients together (default {d['clip']:g})")
    p.add_argument("--num-train", type=_POS_INT, help=f"training windows (default {NUM_TRAIN}, or 2/3 of a "
                   "shorter text's)")
    p.add_argument("--num-val", type=_NONNEG_INT, help=f"validation windows after them (default {NUM_VAL}, or "
                   "the rest of a shorter text's)")
    p.add_argument("--text", help="a UTF-8 text file (default: The Time Machine bundled with profundo)")
    p.add_argument("--prefix", default="time traveller", help="start of the generated text (default: "
                   "'time traveller')")
    p.add_argument("--num-preds", type=_NONNEG_INT, default=50, help="characters to generate (default 50)")
    p.add_argument("--temperature", type=_NONNEG_FLOAT, default=0.0,
                   help="0 (default): the most likely character each step; > 0: sample, more varied as it grows")
    p.add_argument("--out", help="run folder (default runs/charlm-MODEL)")
    p.add_argument("--seed", type=_NONNEG_INT, default=d["seed"], help=f"default {d['seed']}")
    p.add_argument("--quiet", action="store_true", help="no progress bar nor per-epoch lines")
    return p


def load_corpus(text_path):
    """(name, corpus indices, vocab) of the text: d2l's preprocessing, character tokens."""
    from ..text import Vocab, preprocess_time_machine, read_text, time_machine
    if text_path is None:
        name, raw = "The Time Machine (bundled)", time_machine("bundled")
    else:
        name, raw = text_path, read_text(text_path)
    tokens = list(preprocess_time_machine(raw))
    if len(set(tokens) - {" "}) == 0:
        raise error(ValueError, "profundo train charlm", f"{name} has no letters: the model reads a-z and spaces",
                    "usa un texto con letras (los demás caracteres se convierten en espacios)")
    vocab = Vocab(tokens)
    return name, vocab[tokens], vocab


def split(num_windows, num_train, num_val, name):
    """(num_train, num_val): d2l's 10000/5000, or 2/3 and 1/3 of a shorter text's windows; too many is refused."""
    op = "profundo train charlm"
    if num_train is None:
        num_train = min(NUM_TRAIN, (2 * num_windows) // 3)
    if num_val is None:
        num_val = max(0, min(NUM_VAL, num_windows - num_train))
    if num_train < 1 or num_train + num_val > num_windows:
        raise error(ValueError, op, f"{name} has {num_windows} windows of --seq-len + 1 characters: not enough for "
                    f"{num_train} training and {num_val} validation windows",
                    "usa un texto más largo, un --seq-len menor, o menos --num-train/--num-val")
    return num_train, num_val


def build_model(model, vocab_size, hidden, layers):
    from .. import nn
    from ..models import RNNLM, RNNLMScratch, RNNScratch
    if model == "scratch":
        if layers != 1:
            raise error(ValueError, "profundo train charlm", f"--layers {layers}: the RNN from scratch has one layer",
                        "usa --model rnn, gru o lstm para apilar capas")
        return RNNLMScratch(RNNScratch(vocab_size, hidden), vocab_size)
    layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[model]
    return RNNLM(layer(vocab_size, hidden, num_layers=layers), vocab_size)


def main(argv):
    """Run the task with its own options (``argv`` after ``profundo train charlm``); returns the exit code."""
    train(argv)
    return 0


def train(argv):
    """Train as the command line says; returns the history, final perplexities, generation, model and vocab."""
    import profundo
    from ..text import lm_windows
    from ..utils.data import DataLoader, TensorDataset
    from .trainer import CHECKPOINT, Trainer
    args = parser().parse_args(argv)
    op = "profundo train charlm"
    out = Path(args.out or f"runs/charlm-{args.model}")
    if out.exists() and not out.is_dir():
        raise error(NotADirectoryError, op, f"--out {out} is a file, not a folder",
                    "elige una carpeta con --out (se crea si no existe)")
    lr = args.lr if args.lr is not None else LR[args.model]
    name, corpus, vocab = load_corpus(args.text)
    unknown = sorted(set(args.prefix) - set(vocab.idx_to_token))
    if not args.prefix or unknown:
        raise error(ValueError, op, f"--prefix {args.prefix!r} " + (f"has characters the text lacks: {unknown}"
                    if unknown else "is empty"), "usa letras minúsculas y espacios que aparezcan en el texto")
    if len(corpus) <= args.seq_len:
        raise error(ValueError, op, f"{name} has {len(corpus)} characters after preprocessing, not more than "
                    f"--seq-len {args.seq_len}", "usa un texto más largo o un --seq-len menor")
    num_train, num_val = split(len(corpus) - args.seq_len, args.num_train, args.num_val, name)
    # only the windows used (d2l builds all of them: 173,000 x 33 indices for the whole book)
    X, Y = lm_windows(corpus[:num_train + num_val + args.seq_len], args.seq_len)
    profundo.manual_seed(args.seed)
    model = build_model(args.model, len(vocab), args.hidden, args.layers)
    train_loader = DataLoader(TensorDataset(X[:num_train], Y[:num_train]), args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(X[num_train:], Y[num_train:]), args.batch_size) if num_val else None

    def add_perplexity(trainer, row):
        for split_name in ("train", "val"):
            if f"{split_name}_loss" in row:
                row[f"{split_name}_perplexity"] = math.exp(row[f"{split_name}_loss"])

    config = {"task": "charlm", "model": args.model, "hidden": args.hidden, "layers": args.layers,
              "seq_len": args.seq_len, "batch_size": args.batch_size, "epochs": args.epochs, "lr": lr,
              "clip": args.clip, "num_train": num_train, "num_val": num_val, "seed": args.seed,
              "text": str(args.text) if args.text is not None else "bundled:timemachine.txt",
              "vocab": vocab.idx_to_token}
    trainer = Trainer(model, model.loss, profundo.optim.SGD(model.parameters(), lr=lr), metrics=(),
                      clip_grad_norm=args.clip, progress=not args.quiet, plot=False, out_dir=out,
                      on_epoch_end=add_perplexity)
    trainer.run_info = {"config": config}
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    if not args.quiet:
        print(f"{args.model} language model on {name}: {len(corpus)} characters, vocabulary of {len(vocab)}, "
              f"{num_train} training and {num_val} validation windows of {args.seq_len}")
    start = time.perf_counter()
    history = trainer.fit(train_loader, val_loader, epochs=args.epochs)
    seconds = time.perf_counter() - start
    ppl = {k: history[f"{k}_perplexity"][-1] for k in ("train", "val") if f"{k}_perplexity" in history}
    print(f"{args.model} on {name}: perplexity " + ", ".join(f"{k} {v:.2f}" for k, v in ppl.items()) +
          f" ({trainer.epoch} epochs, {seconds:.1f} s)")
    generated = model.predict(args.prefix, args.num_preds, vocab, temperature=args.temperature)
    print(f"{args.prefix!r} -> {generated!r}")
    profundo.save(model.state_dict(), out / "model.safetensors")
    written = [str(p) for p in (out / "config.json", out / "model.safetensors", out / CHECKPOINT)]
    if trainer.curves_path is not None:
        written.append(str(trainer.curves_path))
    print(f"wrote {', '.join(written[:-1])} and {written[-1]}")
    if trainer.curves_path is None:
        print(f"{out / 'curves.png'} not written: matplotlib is not installed (pip install -e \".[train]\")",
              file=sys.stderr)
    return {"history": history, "perplexity": ppl, "generated": generated, "model": model, "vocab": vocab}
