"""Local text generation: loading (GGUF converted once), continuous batching, sampling, stop strings.

Modules, top to bottom: ``engine`` (:class:`~hfgate.local.generation.engine.TextGenerator`, the one
interface services use) → ``scheduler`` (requests join and leave a shared decode batch) →
``causal_batch`` / ``seq2seq_batch`` (the model calls) and ``sequence`` (one request's state:
``sampling``, ``detokenizer``, ``stops``) → ``loading``, ``gguf_cache``, ``architecture``,
``chat_template``, ``params``. Only ``params`` and ``architecture`` are light; the rest import torch, so
services import them lazily.
"""
