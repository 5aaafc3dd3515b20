"""Local cross-encoders (rerankers): their scoring read from the config files, and the batched scorer."""

from hfgate.local.rerank.config import CrossEncoderConfig, read_cross_encoder
from hfgate.local.rerank.scorer import CrossEncoderScorer, Scored

__all__ = ["CrossEncoderConfig", "CrossEncoderScorer", "Scored", "read_cross_encoder"]
