"""``profundo.nn.parallel``: ``DistributedDataParallel``, as ``torch.nn.parallel`` (defined in ``profundo.distributed``)."""

__all__ = ["DistributedDataParallel"]


def __getattr__(name):
    # loaded on first use, so ``import profundo`` does not load profundo.distributed
    if name == "DistributedDataParallel":
        from ...distributed.ddp import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module 'profundo.nn.parallel' has no attribute {name!r}")
