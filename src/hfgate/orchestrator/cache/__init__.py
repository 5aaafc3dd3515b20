"""The embedding cache's read-through: what the orchestrator asks a service goes through the cache here.

Storage (tiers, keys, codecs) is :mod:`hfgate.embed_cache`; this package decides what is looked up,
computed and stored. The one algorithm is :mod:`~hfgate.orchestrator.cache.read_through`; one small module
per kind says how its entries are keyed, packed and computed: ``dense`` (vectors), ``sparse``, ``rerank``
(a score per query and document) and ``spans`` (where the chunker cut each input); ``stored_chunks`` is
what ``embed-corpus`` reads without computing. ``front`` decides which requests go through the cache at
all and is what the orchestrator holds.
"""

from hfgate.orchestrator.cache.front import CacheFront
from hfgate.orchestrator.cache.stored_chunks import StoredChunk

__all__ = ["CacheFront", "StoredChunk"]
