"""``profundo.utils.data``: datasets, samplers and the DataLoader, with PyTorch's names."""
from ._worker import WorkerInfo, get_worker_info  # noqa: F401
from .collate import default_collate, default_convert  # noqa: F401
from .dataloader import DataLoader  # noqa: F401
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,  # noqa: F401
                      random_split)
from .distributed import DistributedSampler  # noqa: F401
from .frames import dataset_from_dataframe  # noqa: F401
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,  # noqa: F401
                      WeightedRandomSampler)
