"""HTTP to Hugging Face: the pooled client, wire formats, retries, rate limits and error translation.

Three rooms: ``http/`` (plumbing), ``wire/`` (protocols) and ``hub/`` (the Hub's APIs).

- :mod:`~hfgate.upstream.http.transport` — the pooled HTTP client (aiohttp), injectable.
- :mod:`~hfgate.upstream.http.client` — rate limit, send, retry, translate: every upstream call.
- :mod:`~hfgate.upstream.http.ratelimit` — token buckets per (target, api key) with a bounded queue.
- :mod:`~hfgate.upstream.http.retry` — which answers are retried, and the backoff.
- :mod:`~hfgate.upstream.http.failures` — upstream failures to :mod:`hfgate.errors`, in one place.
- :mod:`~hfgate.upstream.target` — a hosted model id or a server url, and its routes.
- wire formats: :mod:`~hfgate.upstream.wire.embeddings`, :mod:`~hfgate.upstream.wire.tgi`,
  :mod:`~hfgate.upstream.wire.text2text`, :mod:`~hfgate.upstream.wire.chat`, :mod:`~hfgate.upstream.wire.rerank`,
  :mod:`~hfgate.upstream.wire.info`, :mod:`~hfgate.upstream.wire.sse`.
- create-time checks: :mod:`~hfgate.upstream.hub.model_info`, :mod:`~hfgate.upstream.hub.endpoints_api`.
"""
