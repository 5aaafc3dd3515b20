"""Every Prometheus metric hfgate exports, bound once at import.

All names start ``hfgate_``. Labels are few and bounded: ``face`` (elasticsearch, openai, anthropic,
gemini, hf, other), ``endpoint`` (an inference id, empty for management routes), ``task_type``, ``status`` (the HTTP
status), ``upstream`` (a configured url or model id), ``model`` (a local model). When
``PROMETHEUS_MULTIPROC_DIR`` is set (``hfgate serve --workers N``), prometheus-client keeps the values
in memory-mapped files there and ``/metrics`` sums every worker's.

``metric.labels(...)`` validates the values and takes a lock on every call; on the hot path hfgate
keeps the child it got the first time, keyed by the label tuple it was asked with (:class:`Bound`).
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from prometheus_client import Counter, Gauge, Histogram

C = TypeVar("C", covariant=True)


class _Labelled(Protocol[C]):
    def labels(self, *values: str) -> C: ...


class Bound(Generic[C]):
    """The children of one labelled metric, cached by their label values.

    Example:
        >>> from prometheus_client import CollectorRegistry, Counter
        >>> hits = Bound(Counter("hits", "Hits.", ["face"], registry=CollectorRegistry()))
        >>> hits("openai").inc()
    """

    __slots__ = ("_children", "_metric")

    def __init__(self, metric: _Labelled[C]) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], C] = {}

    def __call__(self, *values: str) -> C:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_LOAD_SECONDS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)

REQUESTS = Bound(
    Counter(
        "hfgate_requests",
        "HTTP requests answered, by face, endpoint, task type and status.",
        ["face", "endpoint", "task_type", "status"],
    )
)
REQUEST_SECONDS = Bound(
    Histogram(
        "hfgate_request_duration_seconds",
        "Whole request, first byte in to last byte out (streams included).",
        ["face", "endpoint", "task_type"],
        buckets=_SECONDS,
    )
)
UPSTREAM_SECONDS = Bound(
    Histogram(
        "hfgate_upstream_request_duration_seconds",
        "One upstream attempt, sent to answer headers; outcome is the status or the failure kind.",
        ["endpoint", "upstream", "outcome"],
        buckets=_SECONDS,
    )
)
QUEUE_WAIT_SECONDS = Bound(
    Histogram(
        "hfgate_queue_wait_seconds",
        "Time waited before work started: queue=rate_limit (upstream slot) or queue=local (batch).",
        ["queue", "name"],
        buckets=_SECONDS,
    )
)
FIRST_TOKEN_SECONDS = Bound(
    Histogram(
        "hfgate_time_to_first_token_seconds",
        "Streamed generation: request start to the first generated text.",
        ["endpoint"],
        buckets=_SECONDS,
    )
)
TOKENS = Bound(
    Counter("hfgate_tokens", "Tokens in (prompt) and out (completion), by endpoint.", ["endpoint", "direction"])
)
AUDIO_SECONDS = Bound(
    Counter("hfgate_audio_seconds", "Seconds of audio heard by the speech tasks, by endpoint.", ["endpoint"])
)
SPEND = Bound(
    Counter(
        "hfgate_spend_usd",
        "What requests cost at their endpoint's price, in USD (usage keeps the exact micro-dollars), by endpoint "
        "and key id (- when the gateway is open).",
        ["endpoint", "key_id"],
    )
)
RETRIES = Bound(
    Counter("hfgate_upstream_retries", "Upstream attempts repeated, by endpoint and reason.", ["endpoint", "reason"])
)
RATE_LIMIT_WAITS = Bound(
    Counter("hfgate_rate_limit_waits", "Requests that waited for an upstream rate-limit slot.", ["endpoint"])
)
RATE_LIMIT_REJECTIONS = Bound(
    Counter(
        "hfgate_rate_limit_rejections",
        "Requests refused by the rate limiter (queue_full or deadline).",
        ["endpoint", "why"],
    )
)
EJECTIONS = Bound(
    Counter(
        "hfgate_upstream_ejections",
        "Upstreams of a several-url endpoint taken out of rotation, by reason.",
        ["endpoint", "upstream", "reason"],
    )
)
AFFINITY = Bound(
    Counter(
        "hfgate_affinity",
        "Requests of a several-url endpoint with session affinity on, by endpoint and outcome (kept: the "
        "session's own upstream answered; moved: it was ejected or failed, the next in the session's order "
        "answered; none: no session key, the least busy upstream answered).",
        ["endpoint", "outcome"],
    )
)
FALLBACKS = Bound(
    Counter(
        "hfgate_fallbacks",
        "Requests served by an endpoint's fallback after its own upstreams failed.",
        ["endpoint", "fallback"],
    )
)
LOCAL_BATCH_SIZE = Bound(
    Histogram("hfgate_local_batch_size", "Texts per local forward pass.", ["model"], buckets=_BATCH_SIZES)
)
LOCAL_QUEUE_DEPTH = Bound(
    Gauge("hfgate_local_queue_depth", "Texts waiting for a local model.", ["model"], multiprocess_mode="livesum")
)
LOCAL_STEP_FAILURES = Bound(
    Counter(
        "hfgate_local_step_failures",
        "Requests of a local model answered with an error because a batch step they were in raised, by model "
        "and blame (input: their own input, the others ran without it; engine: no input to blame).",
        ["model", "blame"],
    )
)
MODEL_LOAD_SECONDS = Bound(
    Histogram("hfgate_model_load_seconds", "Time to load a local model.", ["model"], buckets=_LOAD_SECONDS)
)
EMBED_CACHE_TEXTS = Bound(
    Counter(
        "hfgate_embed_cache_texts",
        "Texts looked up in the embedding cache (dense or sparse; for a rerank, documents), by endpoint and "
        "outcome (hit: served from the cache; miss: computed by the model or upstream).",
        ["endpoint", "outcome"],
    )
)
EMBED_CACHE_BYTES = Bound(
    Counter(
        "hfgate_embed_cache_served_bytes",
        "Bytes of vectors (and rerank scores) served from the embedding cache.",
        ["endpoint"],
    )
)
EMBED_CACHE_EVICTIONS = Bound(
    Counter(
        "hfgate_embed_cache_evictions",
        "Entries pushed out of the in-process embedding cache for room, by the endpoint that stored them.",
        ["endpoint"],
    )
)
EMBED_CACHE_BYPASSES = Bound(
    Counter(
        "hfgate_embed_cache_bypasses",
        "Lookups and writes that skipped a shared embedding cache tier because it failed or was slow.",
        ["tier"],
    )
)
