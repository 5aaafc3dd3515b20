"""Local SPLADE models (sparse vectors): their pooling read from the config files, and the batched encoder."""

from hfgate.local.sparse.config import SpladeConfig, read_splade
from hfgate.local.sparse.encoder import Encoded, SpladeEncoder

__all__ = ["Encoded", "SpladeConfig", "SpladeEncoder", "read_splade"]
