"""The embedding cache's storage: packed entries by key, kept in memory and shared.

``key`` names what a vector depends on, ``vectors`` packs a vector into bytes and back without
changing a bit (``sparse_rows`` a sparse vector), ``cache`` is this process's least-recently-used
store and puts it together with the shared one, ``redis_tier`` or ``disk_tier`` (the fleet's Redis, or a
diskcache directory in the data directory); ``coalesce`` joins the shared tier's calls and ``bypass``
skips it while it fails. What is looked up, computed and stored for a request (the
read-through) is the orchestrator's :mod:`hfgate.orchestrator.cache`.
"""

from hfgate.embed_cache.cache import EmbedCache, build_cache
from hfgate.embed_cache.key import VectorSpace, content_keys, model_prefix, text_keys

__all__ = ["EmbedCache", "VectorSpace", "build_cache", "content_keys", "model_prefix", "text_keys"]
