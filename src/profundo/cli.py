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
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="profundo", description="profundo: deep learning in NumPy, "
                                     "PyTorch's API, for learning.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("demo", help="a computational graph, backpropagated, with its gradients")
    sub.add_parser("info", help="versions of profundo and its dependencies")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return {"demo": demo, "info": info}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
