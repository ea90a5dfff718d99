"""Data-parallel training across processes and machines on ``torch.distributed`` (gloo) (Unit 4, issue 14).

torch is optional: it is imported only when a function here needs it."""
__all__ = []
