"""``launch``: run one program in N local processes of one group (a small ``torchrun`` for one machine).

Each process gets the variables ``init_process_group()`` reads: ``RANK`` and
``LOCAL_RANK`` (0 .. N-1), ``WORLD_SIZE`` (N), ``MASTER_ADDR`` (127.0.0.1)
and ``MASTER_PORT`` (a free port); ``PYTHONPATH`` starts with the folder of
this profundo, so they import the same one.  If one process fails, the others see its
closed connection at their next collective and stop too; any still running
after ``grace`` seconds are terminated, so a launch never hangs on a dead rank.
Across machines, use ``torchrun`` (``--nnodes``, ``--node-rank``, ``--master-addr``).
"""
import os
import socket
import subprocess
import sys
import time

from .._errors import error

__all__ = ["launch", "free_port"]


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def launch(argv, nproc, *, master_addr="127.0.0.1", master_port=None, env=None, grace=10.0, timeout=None):
    """Run ``python argv...`` as ``nproc`` processes of one group; wait for them.

    Returns 0 when every process succeeded, else the first failing exit code
    (its error is in its own stderr, which the processes share with this one).
    ``env``: extra environment variables; ``timeout``: seconds before all are
    terminated (None: no limit).
    """
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise error(ValueError, "launch", f"nproc must be a positive integer, got {nproc!r}",
                    "nproc es el número de procesos: 1, 2, ...")
    port = free_port(master_addr) if master_port is None else int(master_port)
    base = dict(os.environ, **(env or {}))
    # the processes import this same profundo (a source checkout, not another installed one)
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    base["PYTHONPATH"] = os.pathsep.join([here] + ([base["PYTHONPATH"]] if base.get("PYTHONPATH") else []))
    base.update(MASTER_ADDR=str(master_addr), MASTER_PORT=str(port), WORLD_SIZE=str(nproc),
                LOCAL_WORLD_SIZE=str(nproc))
    procs = []
    try:
        for rank in range(nproc):
            procs.append(subprocess.Popen([sys.executable, *argv],
                                          env=dict(base, RANK=str(rank), LOCAL_RANK=str(rank))))
        return _wait(procs, grace, timeout)
    finally:
        for p in procs:  # only the processes started here
            if p.poll() is None:
                p.kill()
                p.wait()


def _wait(procs, grace, timeout):
    start, failed_at, code = time.monotonic(), None, 0
    while True:
        codes = [p.poll() for p in procs]
        bad = [c for c in codes if c not in (None, 0)]
        if bad and failed_at is None:
            failed_at, code = time.monotonic(), bad[0]
        if all(c is not None for c in codes):
            return code
        now = time.monotonic()
        if failed_at is not None and now - failed_at > grace:
            return code  # the rest are terminated by launch's finally
        if timeout is not None and now - start > timeout:
            print(f"profundo.distributed.launch: stopped after {timeout} s", file=sys.stderr)
            return 124
        time.sleep(0.05)
