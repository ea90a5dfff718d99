"""``profundo train neumf``: neural matrix factorization on MovieLens interactions (Unit 4, implicit feedback).

    profundo train neumf                               # MovieLens 100K in --root (never downloaded unasked)
    profundo train neumf --loss bce --negatives 4
    profundo train neumf --candidates all              # rank every unseen item, as d2l

As d2l's chapter 21.6: every rating is an interaction (a positive), each user's latest interaction is held
out for the test (sequence-aware split), and NeuMF (GMF + MLP, ``models.NeuMF``) learns from each positive
against --negatives items the user did not see in training, drawn again every epoch, with the BPR loss (on
the scores before NeuMF's sigmoid) or binary cross-entropy, through the project's Trainer.  After each
epoch the held-out item is ranked among --candidates (100 sampled unseen items by default, or all unseen
items) and HitRate@k and NDCG@k are printed.  The run folder (--out) gets config.json, model.safetensors,
checkpoint.safetensors and curves.png.
"""
import argparse
import json
import time

import numpy as np

from .. import nn
from .._errors import error
from .options import NONNEG_FLOAT, NONNEG_INT, POS_FLOAT, POS_INT, out_dir
from .recsys_common import VARIANTS, add_data_options, describe, load_ratings, written_line

OP = "profundo train neumf"
# d2l's NeuMF: 10 factors, MLP 10-10-10, Adam lr 0.01, batch 1024, BPR loss; but no weight decay (d2l: 1e-5):
# from the N(0, 0.01^2) initialization the gradients are ~1e-7, as small as the decay's pull (1e-5 x 0.01), and
# on MovieLens 100K the loss then stays at log 2 and every score at 0.5 (HitRate@10 0 after 10 epochs)
DEFAULTS = {"factors": 10, "hidden": [10, 10, 10], "epochs": 10, "lr": 0.01, "batch_size": 1024,
            "optimizer": "adam", "weight_decay": 0.0, "loss": "bpr", "negatives": 1, "candidates": "100",
            "k": 10, "seed": 0}


def _candidates(text):
    if text == "all":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 'all' or a positive number of sampled negatives, got {text!r} "
                                         "(Pista: p. ej. 100, o all para todos los ítems no vistos)")
    return str(value)


def parser():
    description = __doc__.split("\n\n")[2].strip().replace("``", "")
    p = argparse.ArgumentParser(prog=OP, description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = DEFAULTS
    add_data_options(p)
    p.add_argument("--factors", type=POS_INT, default=d["factors"], help=f"embedding size (default {d['factors']})")
    p.add_argument("--hidden", type=POS_INT, nargs="+", default=d["hidden"],
                   help=f"the MLP's layer sizes (default {' '.join(map(str, d['hidden']))})")
    p.add_argument("--epochs", type=POS_INT, default=d["epochs"], help=f"default {d['epochs']}")
    p.add_argument("--batch-size", type=POS_INT, default=d["batch_size"], help=f"default {d['batch_size']}")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default=d["optimizer"], help="adam (default) or sgd")
    p.add_argument("--lr", type=POS_FLOAT, default=d["lr"], help=f"learning rate (default {d['lr']:g})")
    p.add_argument("--weight-decay", type=NONNEG_FLOAT, default=d["weight_decay"],
                   help=f"default {d['weight_decay']:g}")
    p.add_argument("--loss", choices=("bpr", "bce"), default=d["loss"],
                   help="bpr: -log sigmoid(logit(positive) - logit(negative)) (default); bce: binary "
                        "cross-entropy, positives 1 and negatives 0")
    p.add_argument("--negatives", type=POS_INT, default=d["negatives"],
                   help="negative items drawn per positive, every epoch (default 1)")
    p.add_argument("--candidates", type=_candidates, default=d["candidates"],
                   help="ranking at evaluation: the held-out item among this many sampled unseen items "
                        "(default 100), or 'all' unseen items")
    p.add_argument("--k", type=POS_INT, default=d["k"], help="HitRate@k and NDCG@k (default 10)")
    p.add_argument("--seed", type=NONNEG_INT, default=d["seed"], help=f"default {d['seed']}")
    p.add_argument("--out", help="run folder (default runs/neumf-DATA)")
    p.add_argument("--quiet", action="store_true", help="no progress bar nor per-epoch lines")
    return p


def plan(args):
    if args.candidates != "all" and args.k > int(args.candidates):
        # 1 held-out item among candidates + 1: with k > candidates it is always in the top k
        raise error(ValueError, OP, f"--k {args.k} ranks the held-out item among only {int(args.candidates) + 1} "
                    f"items (--candidates {args.candidates} + itself): every user would count as a hit",
                    "usa un --k menor que --candidates (p. ej. --k 10 con --candidates 100) o --candidates all")
    c = {k: getattr(args, k) for k in ("data", "factors", "hidden", "epochs", "batch_size", "optimizer", "lr",
                                        "weight_decay", "loss", "negatives", "candidates", "k", "seed")}
    c["task"] = "neumf"
    return c


class PairScores(nn.Module):
    """The Trainer's model: inputs ``(user, positive, negative)``, output ``(batch, 2)``: the logits (NeuMF's
    scores before its sigmoid) of the positive (column 0) and of the negative (column 1) items."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, X):
        from ..ops import FUNCTIONS
        user, positive, negative = X
        return FUNCTIONS["stack"]([logits(self.model, user, positive), logits(self.model, user, negative)], dim=1)


def bpr_loss(scores, labels):
    """BPR on the pair of logits, ``-log sigmoid(x_ui - x_uj)`` as Rendle et al. (the labels, always [1, 0],
    only say which column is the positive).  d2l applies it to NeuMF's sigmoid outputs instead: their
    differences stay in (-1, 1), so the loss cannot tell a good ranking from a sure one; on MovieLens 100K,
    among all unseen items, it reached HitRate@10 0.065 (below recommending the most popular items, 0.084)."""
    from ..models import BPRLoss
    return BPRLoss(reduction="mean")(scores[:, 0], scores[:, 1])


def bce_loss(scores, labels):
    """Binary cross-entropy of NeuMF's probability ``sigmoid(logit)``: positives toward 1, negatives toward 0
    (from the logits, which is exact where the sigmoid rounds to 0 or 1)."""
    from ..nn import functional as F
    return F.binary_cross_entropy_with_logits(scores, labels)


class NegativeSampling:
    """The training batches: every epoch draws new negatives for every positive (``recsys.negative_sampling``,
    items the user did not see in training), shuffles the triples and yields ``((user, pos, neg), [1, 0])``."""

    def __init__(self, train, seen, num_negatives, batch_size):
        self.train, self.seen, self.num_negatives, self.batch_size = train, seen, num_negatives, batch_size

    def __len__(self):
        return -(-len(self.train) * self.num_negatives // self.batch_size)

    def __iter__(self):
        from ..creation import tensor
        from ..recsys import negative_sampling
        from ..utils.data import DataLoader, TensorDataset
        users, pos, neg = negative_sampling(self.train, self.num_negatives, seen=self.seen)
        labels = tensor(np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (len(users), 1)))
        loader = DataLoader(TensorDataset(tensor(users), tensor(pos), tensor(neg), labels), self.batch_size,
                            shuffle=True)
        for u, p, n, y in loader:
            yield (u, p, n), y


def logits(model, user, item):
    """NeuMF's score before its final sigmoid (``models.NeuMF.forward`` without it).  Rankings use it: the
    sigmoid keeps the order but rounds every logit above ~17 to exactly 1.0 in float32, and those ties count
    against the model (after 10 epochs of BPR on MovieLens 100K, up to 190 of a user's 1,682 items scored 1.0)."""
    from ..ops import FUNCTIONS
    cat = FUNCTIONS["cat"]
    gmf = model.P(user) * model.Q(item)
    mlp = model.mlp(cat([model.U(user), model.V(item)], dim=-1))
    return model.prediction_layer(cat([gmf, mlp], dim=-1)).squeeze(-1)


def score_candidates(model, candidates, chunk=65536):
    """The model's score (logit) of every candidate, as a ``(test users, candidates)`` matrix (a ragged list
    of all unseen items is padded with -inf, which ranks last and is never relevant), and the relevance mask."""
    from ..autograd.grad_mode import no_grad
    from ..creation import tensor
    if candidates.indptr is None:
        users = np.repeat(candidates.users, candidates.items.shape[1])
        items, labels = candidates.items.reshape(-1), candidates.labels
        shape = candidates.items.shape
    else:
        sizes = np.diff(candidates.indptr)
        users, items = np.repeat(candidates.users, sizes), candidates.items
    was_training = model.training
    model.eval()
    with no_grad():
        flat = np.concatenate([logits(model, tensor(users[s:s + chunk]), tensor(items[s:s + chunk])).numpy()
                               for s in range(0, len(users), chunk)])
    model.train(was_training)
    if candidates.indptr is None:
        return flat.reshape(shape), labels
    rows = np.repeat(np.arange(len(sizes)), sizes)
    cols = np.arange(len(items)) - candidates.indptr[rows]
    scores = np.full((len(sizes), sizes.max()), -np.inf)
    mask = np.zeros(scores.shape, dtype=bool)
    scores[rows, cols], mask[rows, cols] = flat, candidates.labels
    return scores, mask


def main(argv):
    """Run the task with its own options (``argv`` after ``profundo train neumf``); returns the exit code."""
    args = parser().parse_args(argv)
    config = plan(args)
    name = config["data"] if config["data"] in VARIANTS else "folder"
    run(config, out_dir(args.out or f"runs/neumf-{name}", OP), root=args.root, download=args.download,
        quiet=args.quiet)
    return 0


def run(config, out, root=None, download=False, quiet=False):
    """Train as ``config`` says and write the run folder ``out``; returns the history, metrics and model."""
    import profundo
    from .. import optim
    from ..models import NeuMF
    from ..recsys import hit_rate_at_k, ndcg_at_k, ranking_candidates, split_interactions
    from .trainer import CHECKPOINT, Trainer
    c = config
    data, label = load_ratings(c["data"], root, download, OP)
    if data.num_users < 1 or (np.bincount(data.user, minlength=data.num_users) < 2).any():
        raise error(ValueError, OP, f"{label}: every user needs at least 2 interactions (the latest is held out "
                    "for the test)", "usa datos donde cada usuario tenga al menos 2 valoraciones")
    train, test = split_interactions(data, "seq-aware")
    seen = train.implicit()
    unseen = data.num_items - seen.counts
    need = 1 + (int(c["candidates"]) if c["candidates"] != "all" else 0)
    if (unseen < max(need, c["negatives"])).any():
        raise error(ValueError, OP, f"{label} has {data.num_items} items: some user has seen all but "
                    f"{int(unseen.min())} of them in training, fewer than the {max(need, c['negatives'])} needed "
                    f"(--candidates {c['candidates']}, --negatives {c['negatives']})",
                    "usa --candidates all o menos --candidates/--negatives")
    num = None if c["candidates"] == "all" else int(c["candidates"])
    candidates = ranking_candidates(seen, test, num_negatives=num, seed=c["seed"] if num else None)
    profundo.manual_seed(c["seed"])
    model = NeuMF(c["factors"], data.num_users, data.num_items, c["hidden"])
    opt_class = optim.Adam if c["optimizer"] == "adam" else optim.SGD
    opt = opt_class(model.parameters(), lr=c["lr"], weight_decay=c["weight_decay"])
    k = c["k"]
    metric_names = (f"test_hit_rate@{k}", f"test_ndcg@{k}")

    def evaluate(trainer, row):
        scores, mask = score_candidates(model, candidates)
        row[metric_names[0]] = hit_rate_at_k(scores, mask, k)
        row[metric_names[1]] = ndcg_at_k(scores, mask, k)

    trainer = Trainer(PairScores(model), bpr_loss if c["loss"] == "bpr" else bce_loss, opt, metrics=(),
                      progress=not quiet, plot=False, out_dir=out, on_epoch_end=evaluate)
    info = {**c, "num_users": data.num_users, "num_items": data.num_items, "num_train": len(train),
            "num_test": len(test)}
    trainer.run_info = {"config": info}
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    ranked = "all unseen items" if num is None else f"{num} sampled unseen items"
    if not quiet:
        print(f"NeuMF on {label}: {describe(data)}; {len(train):,} training interactions, each user's latest "
              f"({len(test):,}) held out and ranked among {ranked}")
    start = time.perf_counter()
    history = trainer.fit(NegativeSampling(train, seen, c["negatives"], c["batch_size"]), epochs=c["epochs"])
    seconds = time.perf_counter() - start
    hr, ndcg = history[metric_names[0]][-1], history[metric_names[1]][-1]
    print(f"neumf ({c['loss']}) on {label}: HitRate@{k} {hr:.4f}, NDCG@{k} {ndcg:.4f} among {ranked} "
          f"({trainer.epoch} epoch{'s' if trainer.epoch != 1 else ''}, {seconds:.1f} s)")
    profundo.save(model.state_dict(), out / "model.safetensors")
    written_line(out, ("config.json", "model.safetensors", CHECKPOINT), trainer.curves_path)
    return {"history": history, "hit_rate": hr, "ndcg": ndcg, "model": model, "candidates": candidates,
            "seconds": seconds}
