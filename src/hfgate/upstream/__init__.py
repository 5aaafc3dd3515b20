"""HTTP to Hugging Face: the pooled client, wire formats, retries, rate limits and error translation.

Five rooms: ``http/`` (plumbing), ``wire/`` (wire formats), ``engines/`` and ``providers/`` (one
protocol class per engine or provider and task, in registries) and ``hub/`` (the Hub's APIs).

- :mod:`~hfgate.upstream.http.transport` — the pooled HTTP client (aiohttp), injectable.
- :mod:`~hfgate.upstream.http.client` — rate limit, send, retry, translate: every upstream call.
- rate limits: the injected :class:`~hfgate.ratelimit.limiter.Limiter` (:mod:`hfgate.ratelimit`).
- :mod:`~hfgate.upstream.http.retry` — which answers are retried, and the backoff.
- :mod:`~hfgate.upstream.http.failures` — upstream failures to :mod:`hfgate.errors`, in one place.
- :mod:`~hfgate.upstream.http.url_policy` — which urls hfgate may call on a user's behalf.
- :mod:`~hfgate.upstream.engines` — TEI, TGI, vLLM, SGLang, llama.cpp, OpenAI-compatible, pipeline.
- :mod:`~hfgate.upstream.providers` — Inference Providers' own routes (hf-inference, together, …).
- wire formats: :mod:`~hfgate.upstream.wire.embeddings`, :mod:`~hfgate.upstream.wire.tgi`,
  :mod:`~hfgate.upstream.wire.text2text`, :mod:`~hfgate.upstream.wire.chat`, :mod:`~hfgate.upstream.wire.rerank`,
  :mod:`~hfgate.upstream.wire.info`, :mod:`~hfgate.upstream.wire.sse`, :mod:`~hfgate.upstream.wire.completions`,
  :mod:`~hfgate.upstream.wire.sparse`, :mod:`~hfgate.upstream.wire.models`.
- create-time checks: :mod:`~hfgate.upstream.hub.model_info`, :mod:`~hfgate.upstream.hub.endpoints_api`.
"""
