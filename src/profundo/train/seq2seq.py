"""``profundo train seq2seq``: English-French translation with an encoder-decoder (d2l 10.7, 11.4, 11.7).

    profundo train seq2seq                       # GRU encoder-decoder, d2l's sizes, the bundled pairs
    profundo train seq2seq --model bahdanau      # with Bahdanau attention
    profundo train seq2seq --model transformer   # the Transformer

The data are d2l's ``MTFraEng`` (the first ``--pairs`` pairs train, the next ``--val-pairs`` are held out),
the loop is the course's ``Trainer`` (Adam, gradient clipping, the loss ignoring ``<pad>``).  Afterwards:
the BLEU (k=2, d2l's) of greedy translations of the held-out pairs, d2l's four example translations, and
in ``--out``: ``model.safetensors``, ``config.json``, ``checkpoint.safetensors``, ``curves.png`` and the
attention heat maps (``attention*.png``, for the models with attention).
"""
import argparse
import json
import sys
import time
from pathlib import Path

from .._errors import error
from ..nn import Module
from .options import DROPOUT, POS_FLOAT, POS_INT, out_dir, typed

MODELS = ("gru", "bahdanau", "transformer")
# d2l's sizes and learning rates (chapters 10.7, 11.4, 11.7), 30 epochs with gradient clipping at 1 for all
RNN_SIZES = {"embed_size": 256, "num_hiddens": 256, "num_layers": 2, "dropout": 0.2, "lr": 0.005}
DEFAULTS = {"gru": RNN_SIZES, "bahdanau": RNN_SIZES,
            "transformer": {"num_hiddens": 256, "num_blks": 2, "dropout": 0.2, "ffn_num_hiddens": 64,
                            "num_heads": 4, "lr": 0.001}}
COMMON = {"epochs": 30, "batch_size": 128, "pairs": 512, "val_pairs": 128, "num_steps": 9, "clip": 1.0,
          "seed": 0}
# d2l's examples (10.7.6, 11.4.3, 11.7.4)
ENGS = ["go .", "i lost .", "he's calm .", "i'm home ."]
FRAS = ["va !", "j'ai perdu .", "il est calme .", "je suis chez moi ."]


# torch.manual_seed's range (negative seeds wrap around)
_SEED = typed(int, lambda v: -2 ** 63 <= v < 2 ** 64, "an integer in [-2**63, 2**64)", "p. ej. --seed 0")


def parser():
    p = argparse.ArgumentParser(prog="profundo train seq2seq", description="English-French translation with an "
                                "encoder-decoder (d2l 10.7, 11.4, 11.7), trained on the first --pairs pairs; "
                                "prints the BLEU of held-out pairs and d2l's example translations, and saves the "
                                "weights, the curves and the attention heat maps in --out.")
    p.add_argument("--model", default="gru", choices=MODELS, help="gru (default): d2l's RNN encoder-decoder; "
                   "bahdanau: with additive attention; transformer")
    size = p.add_argument_group("sizes (defaults: d2l's)")
    size.add_argument("--embed-size", type=POS_INT, help="gru, bahdanau: token embedding size (256)")
    size.add_argument("--num-hiddens", type=POS_INT, help="hidden size (256)")
    size.add_argument("--num-layers", type=POS_INT, help="gru, bahdanau: GRU layers (2)")
    size.add_argument("--num-blks", type=POS_INT, help="transformer: blocks in encoder and decoder (2)")
    size.add_argument("--num-heads", type=POS_INT, help="transformer: attention heads (4)")
    size.add_argument("--ffn-num-hiddens", type=POS_INT, help="transformer: FFN hidden size (64)")
    size.add_argument("--dropout", type=DROPOUT, help="in [0, 1) (0.2)")
    p.add_argument("--epochs", type=POS_INT, help=f"default {COMMON['epochs']}")
    p.add_argument("--lr", type=POS_FLOAT, help="Adam's learning rate (gru, bahdanau 0.005; transformer 0.001)")
    p.add_argument("--batch-size", type=POS_INT, help=f"default {COMMON['batch_size']}")
    p.add_argument("--clip", type=POS_FLOAT, help=f"gradient norm clipping (default {COMMON['clip']})")
    p.add_argument("--pairs", type=POS_INT, help=f"training pairs, the first of the file (default "
                   f"{COMMON['pairs']})")
    p.add_argument("--val-pairs", type=POS_INT, help=f"held-out pairs after them, for the validation loss "
                   f"and BLEU (default {COMMON['val_pairs']})")
    p.add_argument("--num-steps", type=POS_INT, help=f"tokens per sentence, padded or cut (default "
                   f"{COMMON['num_steps']})")
    p.add_argument("--data", help="an English<TAB>French pairs file (default: the bundled head of d2l's fra-eng)")
    p.add_argument("--out", help="run folder (default runs/seq2seq-MODEL)")
    p.add_argument("--seed", type=_SEED, help=f"default {COMMON['seed']}")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no per-epoch lines")
    return p


def plan(args):
    """The run's options: d2l's defaults for the model, with the ones given; options the model does not have
    are refused (never ignored)."""
    defaults = {**DEFAULTS[args.model], **COMMON}
    given = {k: v for k, v in vars(args).items() if v is not None and k not in ("model", "data", "out", "quiet")}
    extra = sorted(k for k in given if k not in defaults)
    if extra:
        names = ", ".join("--" + k.replace("_", "-") for k in extra)
        raise error(ValueError, "profundo train seq2seq", f"{names} does not apply to --model {args.model}",
                    "quita esa opción: " + ("el Transformer no tiene capas GRU ni embed-size propio"
                                           if args.model == "transformer" else "solo el Transformer tiene bloques "
                                           "y cabezas de atención"))
    config = {"model": args.model, **defaults, **given}
    config["data"] = str(args.data) if args.data is not None else "bundled"
    return config


def build_model(config, src_vocab_size, tgt_vocab_size, tgt_pad):
    from .. import models
    c = config
    if c["model"] == "transformer":
        encoder = models.TransformerEncoder(src_vocab_size, c["num_hiddens"], c["ffn_num_hiddens"], c["num_heads"],
                                            c["num_blks"], c["dropout"])
        decoder = models.TransformerDecoder(tgt_vocab_size, c["num_hiddens"], c["ffn_num_hiddens"], c["num_heads"],
                                            c["num_blks"], c["dropout"])
    else:
        encoder = models.Seq2SeqEncoder(src_vocab_size, c["embed_size"], c["num_hiddens"], c["num_layers"],
                                        c["dropout"])
        dec = models.Seq2SeqDecoder if c["model"] == "gru" else models.Seq2SeqAttentionDecoder
        decoder = dec(tgt_vocab_size, c["embed_size"], c["num_hiddens"], c["num_layers"], c["dropout"])
    return models.Seq2Seq(encoder, decoder, tgt_pad=tgt_pad, lr=c["lr"])


class TeacherForcing(Module):
    """The Trainer's model: a batch's inputs are (source, target input, source valid lengths)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, X):
        return self.model(*X)


class PairBatches:
    """d2l's (src, tgt, src_valid_len, label) batches as the Trainer's (inputs, targets) pairs."""

    def __init__(self, loader):
        self.loader = loader

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for src, tgt, src_valid_len, label in self.loader:
            yield (src, tgt, src_valid_len), label


def translate(model, data, engs, fras):
    """Greedy translations of ``engs`` (token lists, up to ``<eos>``) and the decoder's attention weights."""
    batch = data.build(engs, fras)
    from ..models import AttentionDecoder
    preds, attention = model.predict_step(batch, None, data.num_steps,
                                          save_attention_weights=isinstance(model.decoder, AttentionDecoder))
    eos = data.tgt_vocab["<eos>"]
    out = []
    for p in preds.tolist():
        n = p.index(eos) if eos in p else len(p)
        out.append(data.tgt_vocab.to_tokens(p[:n]))
    return out, attention


def held_out_bleu(model, data, source, k=2):
    """Mean BLEU of the greedy translations of the held-out pairs against their (whole) references."""
    from ..text import fra_eng, preprocess_nmt, tokenize_nmt
    first, count = data.num_train, data.num_val
    src, tgt = tokenize_nmt(preprocess_nmt(fra_eng(source)), first + count)
    engs = [" ".join(t for t in s if t != "<eos>") for s in src[first:first + count]]
    fras = [" ".join(t for t in s if t != "<eos>") for s in tgt[first:first + count]]
    from ..text import bleu
    scores, examples = [], []
    for i in range(0, len(engs), 256):
        translations, _ = translate(model, data, engs[i:i + 256], fras[i:i + 256])
        for en, fr, tr in zip(engs[i:i + 256], fras[i:i + 256], translations):
            scores.append(bleu(" ".join(tr), fr, k) if tr else 0.0)
            examples.append((en, fr, tr))
    return sum(scores) / len(scores), examples


def attention_maps(config, attention, n_src, n_tgt):
    """[(title, matrix (queries, keys))]: the decoder's attention over the source for one translated sentence
    (all ``num_steps`` rows; ``n_tgt`` of them up to ``<eos>``), as numpy arrays."""
    import numpy as np
    if config["model"] == "bahdanau":
        # one entry per decoded step: [weights (batch, 1, num_steps)]
        w = np.concatenate([step[0][0].numpy() for step in attention], 0)
        return [("Bahdanau attention", w[:n_tgt, :n_src])]
    heads = config["num_heads"]
    maps = []
    for b in range(config["num_blks"]):
        # step s: [self-attention per block, encoder-decoder attention per block], (batch * heads, 1, num_steps)
        w = np.concatenate([step[1][b].numpy()[:heads] for step in attention], 1)  # (heads, steps, num_steps)
        maps += [(f"block {b + 1}, head {h + 1}", w[h, :n_tgt, :n_src]) for h in range(heads)]
    return maps


def save_heatmaps(maps, xlabels, ylabels, path, title):
    """Draw the maps side by side as a PNG (without pyplot: the user's backend is never touched); False when
    matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return False
    cols = min(len(maps), 4)
    rows = -(-len(maps) // cols)
    fig = Figure(figsize=(0.5 + 2.6 * cols, 0.8 + 2.9 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    # one color scale for all the maps (the colorbar's), from 0 to the largest weight drawn
    top = max(float(m.max()) for _, m in maps if m.size) if any(m.size for _, m in maps) else 1.0
    for ax, (name, m) in zip(axes.flat, maps):
        im = ax.imshow(m, cmap="Reds", vmin=0, vmax=top)
        ax.set_xticks(range(len(xlabels)), xlabels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(ylabels)), ylabels, fontsize=7)
        ax.set_title(name, fontsize=8)
    for ax in list(axes.flat)[len(maps):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6)
    fig.savefig(path, format="png", dpi=100)
    return True


def main(argv):
    """Run the task with its own options (``argv`` after ``profundo train seq2seq``); returns the exit code."""
    args = parser().parse_args(argv)
    config = plan(args)
    run(config, out_dir(args.out or Path("runs") / f"seq2seq-{config['model']}", "profundo train seq2seq"),
        quiet=args.quiet)
    return 0


def run(config, out, quiet=False):
    """Train as ``config`` says, report, and write the run folder ``out``; returns the results (a dict)."""
    import profundo
    from .. import optim
    from ..autograd.grad_mode import no_grad
    from ..text import MTFraEng
    from . import display
    from .trainer import CHECKPOINT, Trainer
    c = config
    source = c["data"]
    profundo.manual_seed(c["seed"])
    data = MTFraEng(c["batch_size"], c["num_steps"], c["pairs"], c["val_pairs"], source=source)
    tgt_pad = data.tgt_vocab["<pad>"]
    model = build_model(c, len(data.src_vocab), len(data.tgt_vocab), tgt_pad)
    with no_grad():  # materialize the Lazy layers before the optimizer takes the parameters
        src, tgt, src_valid_len, _ = (a[:1] for a in data.arrays)
        model(src, tgt, src_valid_len)
    opt = optim.Adam(model.parameters(), lr=c["lr"])
    trainer = Trainer(TeacherForcing(model), model.loss, opt, metrics=(), clip_grad_norm=c["clip"],
                      progress=not quiet, out_dir=out)
    trainer.run_info = {"config": c}
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({**c, "src_vocab_size": len(data.src_vocab),
                                                 "tgt_vocab_size": len(data.tgt_vocab)}, indent=2) + "\n",
                                     encoding="utf-8")
    if not quiet and not display.tqdm_available():
        print("no progress bar: tqdm is not installed (pip install -e \".[train]\")", file=sys.stderr)
    start = time.perf_counter()
    history = trainer.fit(PairBatches(data.get_dataloader(True)), PairBatches(data.get_dataloader(False)),
                          epochs=c["epochs"])
    seconds = time.perf_counter() - start
    score, _ = held_out_bleu(model, data, source)
    print(f"{c['model']}: train loss {history['train_loss'][-1]:.4f}, val loss {history['val_loss'][-1]:.4f}, "
          f"BLEU {score:.3f} on {data.num_val} held-out pairs ({c['epochs']} epoch{'s' if c['epochs'] != 1 else ''}, "
          f"{seconds:.1f} s)")
    from ..text import bleu
    translations, attention = translate(model, data, ENGS, FRAS)
    examples = []
    for en, fr, tr in zip(ENGS, FRAS, translations):
        b = bleu(" ".join(tr), fr, 2) if tr else 0.0
        examples.append((en, tr, b))
        print(f"{en} => {tr}, bleu {b:.3f}")
    profundo.save(model.state_dict(), out / "model.safetensors")
    written = [out / "model.safetensors", out / CHECKPOINT, out / "config.json"]
    if trainer.curves_path is not None:
        written.append(trainer.curves_path)
    pictures = []
    if c["model"] == "gru":
        print("gru has no attention: no heat map")
    else:
        # the last example, as d2l draws it: queries are the decoded tokens, keys the source's
        en, tr = ENGS[-1], translations[-1]
        src_tokens = en.split() + ["<eos>"]
        tgt_tokens = tr + ["<eos>"] if len(tr) < c["num_steps"] else tr
        maps = attention_maps(c, _last_example(attention, c), len(src_tokens), len(tgt_tokens))
        drawings = [(out / "attention.png", maps, tgt_tokens, f"{c['model']}: {en} => {' '.join(tr)} "
                     "(rows: decoded tokens, columns: source)")]
        if c["model"] == "transformer":
            # the encoder's self-attention of the same sentence, as d2l draws it (block x head)
            heads, n = c["num_heads"], len(src_tokens)
            enc = [(f"block {b + 1}, head {h + 1}", w.numpy()[-heads:][h, :n, :n])
                   for b, w in enumerate(model.encoder.attention_weights) for h in range(heads)]
            drawings.append((out / "attention-encoder.png", enc, src_tokens, f"encoder self-attention: {en}"))
        for path, maps, ylabels, title in drawings:
            if save_heatmaps(maps, src_tokens, ylabels, path, title):
                pictures.append(path)
            else:
                print(f"{path} not written: matplotlib is not installed (pip install -e \".[train]\")",
                      file=sys.stderr)
    written += pictures
    print("wrote " + ", ".join(str(p) for p in written if p.is_file()))
    return {"history": history, "bleu": score, "examples": examples, "pictures": pictures}


def _last_example(attention, config):
    """The attention weights of the batch's last sentence only (the maps draw one sentence)."""
    if config["model"] == "bahdanau":
        return [[w[-1:] for w in step] for step in attention]
    heads = config["num_heads"]
    return [[[w[-heads:] for w in kind] for kind in step] for step in attention]
