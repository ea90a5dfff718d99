"""``set_num_threads`` / ``get_num_threads``: the threads NumPy's BLAS uses (PyTorch's intra-op threads).

profundo's heavy work is NumPy's matrix products, run by its BLAS (OpenBLAS or MKL) with one thread
per core by default.  On a busy or small machine, and for the small products of an RNN or a CNN on
28x28 images, extra threads cost more than they give (measured on a shared 2-core box: a charlm
epoch 70 s with the default threads, 5 s with one).  threadpoolctl (installed with scikit-learn)
changes the count while the program runs; without it, set ``OMP_NUM_THREADS`` before starting Python.
"""
import os

from ._errors import error


def _blas_pools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def get_num_threads():
    """How many threads a matrix product may use (the largest of NumPy's BLAS thread pools)."""
    pools = _blas_pools()
    if pools:
        return max(int(p["num_threads"]) for p in pools)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def set_num_threads(int):  # noqa: A002  (PyTorch's parameter name)
    """Let NumPy's BLAS use ``int`` threads from now on (``torch.set_num_threads``)."""
    n = int
    if isinstance(n, bool) or not isinstance(n, type(1)):
        raise error(RuntimeError, "set_num_threads", f"set_num_threads expects an int, but got {type(n).__name__}",
                    "p. ej. torch.set_num_threads(1)")
    if n < 1:
        raise error(RuntimeError, "set_num_threads", "set_num_threads expects a positive integer",
                    "p. ej. torch.set_num_threads(1)")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise error(RuntimeError, "set_num_threads", "changing NumPy's BLAS threads while Python runs needs "
                    "threadpoolctl (pip install threadpoolctl); or set OMP_NUM_THREADS before starting Python",
                    "instala threadpoolctl, o exporta OMP_NUM_THREADS=1 antes de abrir Python") from None
    threadpool_limits(limits=n, user_api="blas")  # applied now, and kept (not used as a context manager)
