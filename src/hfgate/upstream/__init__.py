"""HTTP to Hugging Face: the pooled client, wire formats, retries, rate limits and error translation.

Modules, one concept each:

- :mod:`~hfgate.upstream.transport` — the pooled HTTP client (aiohttp), injectable.
- :mod:`~hfgate.upstream.client` — rate limit, send, retry, translate: every upstream call.
- :mod:`~hfgate.upstream.ratelimit` — token buckets per (target, api key) with a bounded queue.
- :mod:`~hfgate.upstream.retry` — which answers are retried, and the backoff.
- :mod:`~hfgate.upstream.failures` — upstream failures to :mod:`hfgate.errors`, in one place.
- :mod:`~hfgate.upstream.target` — a hosted model id or a server url, and its routes.
- wire formats: :mod:`~hfgate.upstream.embeddings`, :mod:`~hfgate.upstream.tgi`,
  :mod:`~hfgate.upstream.text2text`, :mod:`~hfgate.upstream.chat`, :mod:`~hfgate.upstream.rerank`,
  :mod:`~hfgate.upstream.info`, :mod:`~hfgate.upstream.sse`.
- create-time checks: :mod:`~hfgate.upstream.hub`, :mod:`~hfgate.upstream.endpoints_api`.
- :mod:`~hfgate.upstream.tokens` — token counts with the model's own tokenizer.
"""
