"""Dynamic batching: requests wait in a bounded queue and are packed into shared forward passes."""

from hfgate.local.batching.batcher import Batcher
from hfgate.local.batching.limits import BatchLimits
from hfgate.local.batching.packing import pack_by_length

__all__ = ["BatchLimits", "Batcher", "pack_by_length"]
