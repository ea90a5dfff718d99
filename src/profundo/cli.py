"""The ``profundo`` command line."""
import argparse
import sys


def demo(args):
    """Build a small computational graph, backpropagate, print the gradients."""
    import profundo as torch

    torch.manual_seed(0)
    print("profundo demo: y = sigmoid(w · x + b), L = (y - t)^2\n")
    x = torch.tensor([1.0, 2.0, -1.0])
    w = torch.tensor([0.5, -0.25, 0.1], requires_grad=True)
    b = torch.tensor(0.2, requires_grad=True)
    t = torch.tensor(1.0)
    z = w @ x + b
    y = torch.sigmoid(z)
    loss = (y - t) ** 2
    print(f"z = w · x + b = {z.item():.4f}")
    print(f"y = sigmoid(z) = {y.item():.4f}")
    print(f"L = (y - t)^2  = {loss.item():.4f}\n")
    print("graph (from the output back to the leaves):")
    _print_graph(loss.grad_fn)
    loss.backward()
    print("\ngradients after L.backward():")
    print(f"dL/dw = {w.grad}")
    print(f"dL/db = {b.grad}")
    s = y.item()
    check = 2 * (s - 1) * s * (1 - s)
    print(f"\nby hand: dL/db = 2 (y - t) y (1 - y) = {check:.4f}  (autograd: {b.grad.item():.4f})")
    return 0


def _print_graph(node, depth=0, seen=None):
    seen = set() if seen is None else seen
    name = type(node).__name__
    if name == "AccumulateGrad":
        v = node.variable
        print("  " * depth + f"AccumulateGrad -> leaf {tuple(v.shape)} {v.dtype}")
        return
    print("  " * depth + name + (" (seen above)" if node in seen else ""))
    if node in seen:
        return
    seen.add(node)
    for nxt, _ in node.next_functions:
        if nxt is not None:
            _print_graph(nxt, depth + 1, seen)


def info(args):
    import numpy as np

    import profundo
    print(f"profundo {profundo.__version__}")
    print(f"numpy {np.__version__}")
    try:
        import torch
        print(f"torch {torch.__version__} (optional)")
    except ImportError:
        print("torch: not installed (optional: pip install 'profundo[torch]')")
    try:
        import cupy
        print(f"cupy {cupy.__version__}")
    except ImportError:
        print("cupy: not installed (the GPU backend is on the roadmap)")
    from profundo.viz import dot_available
    print(f"graphviz dot: {'found' if dot_available() else 'not found (apt-get install graphviz)'}")
    threads = _blas_threads()
    print(f"BLAS threads: {threads}")
    return 0


def _blas_threads():
    """How many threads NumPy's BLAS uses (threadpoolctl when installed, else the environment)."""
    import os
    try:
        from threadpoolctl import threadpool_info
        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            return ", ".join(f"{i['internal_api']} {i['num_threads']}" for i in infos)
    except ImportError:
        pass
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return f"{os.environ[var]} ({var})"
    return f"default (up to {os.cpu_count()} cores)"


def _parse_values(items):
    """``["x=2.0", "y=[1,2,3]"]`` -> {name: float tensor that requires grad} (literals only)."""
    import ast

    import profundo
    from profundo._errors import error
    values = {}
    for item in items:
        name, sep, literal = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or name.startswith("_"):
            raise error(ValueError, "profundo graph", f"--values expects name=number or name=[numbers], got {item!r}",
                        "p. ej. --values x=2.0 y=[1,2,3]")
        try:
            data = ast.literal_eval(literal.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as e:
            raise error(ValueError, "profundo graph", f"value of {name!r} must be a number or a list of numbers, "
                        f"got {literal!r} ({e})", "p. ej. x=2.0 o y=[1,2,3]") from None
        bad = _non_real(data)
        if bad is not None:
            bad = bad[0]
            # a complex number (x=1+2j), a string or a bool would be dropped or coerced silently: refuse them
            raise error(ValueError, "profundo graph", f"value of {name!r} must hold real numbers only, got "
                        f"{bad!r} ({type(bad).__name__}) in {literal!r}",
                        "los gráficos usan números reales, p. ej. x=2.0 o y=[1,2,3] (sin complejos como 1+2j)")
        values[name] = profundo.tensor(data, dtype=profundo.float32, requires_grad=True)
    return values


def _non_real(data):
    """``(item,)`` for the first item of a (nested) literal that is not an int or a float, or None when all are."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        elif isinstance(item, bool) or not isinstance(item, (int, float)):
            return (item,)
    return None


def graph(args):
    """Parse an expression safely, evaluate it on tensors, backpropagate and draw the graph."""
    from profundo._errors import error
    from profundo.viz import draw, expr, render
    # refuse an unwritable output or a missing dot program before any work is done
    if render.check_output(args.output) not in ("dot", "gv") and args.engine == "dot":
        render.require_dot()
    tree, names = expr.parse(args.expression)
    values = _parse_values(args.values or [])
    if not names:
        raise error(ValueError, "profundo graph", f"{args.expression!r} has no variables: there is nothing to "
                    "differentiate", "usa al menos una variable, p. ej. \"x**2 + 1\" --values x=3")
    missing = [n for n in names if n not in values]
    if missing:
        given = " ".join(f"{n}=1.0" for n in missing)
        raise error(ValueError, "profundo graph", f"no value for {missing}; give one with --values",
                    f"p. ej. --values {given}")
    unused = [n for n in values if n not in names]
    if unused:
        raise error(ValueError, "profundo graph", f"{unused} given with --values but not used in the expression",
                    "quita esos valores o úsalos en la expresión")
    result = expr.evaluate(tree, values)
    if result.dim():
        print(f"the result has shape {tuple(result.shape)}: backpropagating result.sum()")
    (result.sum() if result.dim() else result).backward()
    print(f"{args.expression} = {result.detach().numpy()}")
    for name, t in values.items():
        print(f"d/d{name} = {t.grad.numpy()}")
    g = draw(result, names={**values, "result": result}, show_values=not args.no_values, rankdir=args.rankdir)
    path = g.render(args.output, engine=args.engine)
    print(f"wrote {path}")
    return 0


# ``profundo train NAME`` for tasks whose options are their own (text models): NAME -> module with main(argv)
TASKS = {"charlm": "profundo.train.charlm", "seq2seq": "profundo.train.seq2seq", "mf": "profundo.train.mf",
         "neumf": "profundo.train.neumf"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="profundo", description="profundo: deep learning in NumPy, "
                                     "PyTorch's API, for learning.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="a computational graph, backpropagated, with its gradients")
    sub.add_parser("info", help="versions of profundo and its dependencies")
    g = sub.add_parser("graph", help="draw the computational graph of a math expression, with its gradients",
                       description='e.g. profundo graph "x**2 * sin(x) + y" --values x=2.0 y=[1,2,3] -o grafo.svg')
    g.add_argument("expression", help="numbers, variables, + - * / ** @ and functions like sin, exp, log, sum")
    g.add_argument("--values", nargs="*", metavar="NAME=VALUE", help="x=2.0 y=[1,2,3]")
    g.add_argument("-o", "--output", default="grafo.svg", help="picture file: .svg, .png, .pdf or .dot")
    g.add_argument("--rankdir", default="LR", choices=["LR", "TB"], help="left-to-right or top-to-bottom")
    g.add_argument("--engine", choices=["dot", "matplotlib"], help="default: dot if installed, else matplotlib")
    g.add_argument("--no-values", action="store_true", help="do not print values and gradients in the boxes")
    from profundo.train import run
    t = sub.add_parser("train", help="train a model (the main job): profundo train mlp; a character language model "
                       "on The Time Machine: profundo train charlm (see profundo train charlm --help); "
                       "English-French translation: profundo train seq2seq (see profundo train seq2seq --help); "
                       "recommenders on MovieLens: profundo train mf (ratings) and profundo train neumf "
                       "(implicit feedback)",
                       description="Train a model on a data set, print its test accuracy, save the weights, "
                                   "the training checkpoint and the loss curves (train and validation: the test "
                                   "split, as in d2l). With --resume, continue the run in --out up to its own "
                                   "number of epochs (or a larger --epochs); its other options cannot change.")
    d = run.DEFAULTS
    # defaults are None so that --resume can tell an option given on purpose from one left out
    t.add_argument("model", nargs="?", help="mlp (default), softmax, or a convolutional network: lenet (ReLU + max "
                   "pooling), lenet-sigmoid (the book's), alexnet, vgg, nin, googlenet, resnet18, densenet")
    t.add_argument("--data", help="digits (default, no download), mnist or fashion-mnist")
    t.add_argument("--epochs", type=run.arg_type("epochs"), help=f"epochs in total (default {d['epochs']})")
    t.add_argument("--batch-size", type=run.arg_type("batch_size"), help=f"default {d['batch_size']}")
    t.add_argument("--lr", type=run.arg_type("lr"), help=f"learning rate (default {d['lr']}; " +
                   ", ".join(f"{m} {o['lr']}" for m, o in run.MODEL_DEFAULTS.items() if "lr" in o) + ")")
    t.add_argument("--optimizer", help="sgd (default, with momentum 0.9), adam, adamw, rmsprop, adagrad (default " +
                   ", ".join(f"{m} {o['optimizer']}" for m, o in run.MODEL_DEFAULTS.items() if "optimizer" in o) + ")")
    t.add_argument("--hidden", type=run.arg_type("hidden"), nargs="+",
                   help=f"mlp only: hidden layer sizes, e.g. 256 128 (default {' '.join(map(str, d['hidden']))})")
    t.add_argument("--dropout", type=run.arg_type("dropout"), help=f"mlp only: in [0, 1) (default {d['dropout']})")
    t.add_argument("--seed", type=run.arg_type("seed"), help=f"default {d['seed']}")
    t.add_argument("--out", help="run folder (default runs/MODEL-DATA)")
    t.add_argument("--root", help="data folder for mnist / fashion-mnist (default: the cache)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    e = sub.add_parser("evaluate", help="test accuracy of a trained model: profundo evaluate runs/mlp-digits")
    e.add_argument("checkpoint", help="a run folder, or its model.safetensors")
    e.add_argument("--root", help="data folder for mnist / fashion-mnist")
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) >= 2 and argv[0] == "train" and argv[1] in TASKS:
        # a task with options of its own (Unit 3's text models): its module parses the rest
        import importlib
        task = importlib.import_module(TASKS[argv[1]])
        return _guarded(f"train {argv[1]}", lambda: task.main(argv[2:]))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command in ("train", "evaluate"):
        def job():
            if args.command == "train" and args.model in TASKS:
                # options before the task name were parsed as the image models' options: refuse, do not guess
                from profundo._errors import error
                raise error(ValueError, "profundo train", f"{args.model} has options of its own: write them after "
                            f"it, e.g. profundo train {args.model} --epochs 1",
                            f"pon primero la tarea: profundo train {args.model} OPCIONES "
                            f"(ver profundo train {args.model} --help)")
            getattr(run, args.command)(args)  # returns the result (for tests), the exit code is 0
            return 0
        return _guarded(args.command, job)
    return _guarded(args.command, lambda: {"demo": demo, "info": info, "graph": graph}[args.command](args))


def _guarded(command, job):
    """Run ``job()`` and return its exit code; a checked error (ours) or the file system's is one line, no traceback."""
    from profundo._errors import is_checked, msg
    try:
        return job() or 0
    except Exception as e:
        if is_checked(e):
            print(f"error: {e}", file=sys.stderr)
            return 2
        if isinstance(e, OSError):  # the file system said no (permissions, full disk, ...): no traceback
            print("error: " + msg(f"profundo {command}", f"{e.strerror or e}" +
                                  (f": {e.filename}" if e.filename else ""),
                                  "revisa la ruta, los permisos y el espacio libre"), file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
