"""The embedding cache: one vector per text and model version, kept in memory and shared.

``key`` names what a vector depends on, ``vectors`` packs a vector into bytes and back without
changing a bit (``sparse_rows`` a sparse vector), ``memory_tier`` is this process's least-recently-used
store, ``redis_tier`` and ``disk_tier`` the shared one (the fleet's Redis, or a diskcache directory in
the data directory), and ``cache`` puts the tiers together. Its users are the orchestrator's ``cached.py`` (dense
vectors), ``cached_sparse.py`` and ``cached_rerank.py`` (rerank scores).
"""

from hfgate.embed_cache.cache import EmbedCache, build_cache
from hfgate.embed_cache.key import VectorSpace, model_prefix, text_keys

__all__ = ["EmbedCache", "VectorSpace", "build_cache", "model_prefix", "text_keys"]
