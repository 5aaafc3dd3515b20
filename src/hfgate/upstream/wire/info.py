"""``GET /info`` of a TEI or TGI server: what the server is and how much a request may hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerInfo:
    """The parts of ``/info`` hfgate uses.

    ``kind`` is TEI's ``model_type`` key (``embedding``, ``classifier``, ``reranker``) or ``generation``
    for TGI; ``pooling`` is TEI's embedding pooling (``splade`` for a sparse model); ``engine`` is
    ``tei`` or ``tgi`` when the body says which.
    """

    model_id: str | None = None
    kind: str | None = None
    max_client_batch_size: int | None = None
    max_input_tokens: int | None = None
    pooling: str | None = None
    engine: str | None = None


def parse_info(body: Any) -> ServerInfo:
    """A :class:`ServerInfo` from either server's ``/info`` (unknown shapes give an empty one).

    Example:
        >>> parse_info({"model_id": "BAAI/bge-small-en-v1.5", "model_type": {"embedding": {"pooling": "cls"}},
        ...             "max_client_batch_size": 32}).kind
        'embedding'
    """
    if not isinstance(body, dict):
        return ServerInfo()
    model_type = body.get("model_type")
    kind = next(iter(model_type), None) if isinstance(model_type, dict) else None
    engine = "tei" if kind is not None else None
    if kind is None and ("max_total_tokens" in body or body.get("router") == "text-generation-router"):
        kind, engine = "generation", "tgi"
    details = model_type.get(kind) if isinstance(model_type, dict) and kind else None
    return ServerInfo(
        model_id=_str(body.get("model_id")),
        kind=kind,
        max_client_batch_size=_int(body.get("max_client_batch_size")),
        max_input_tokens=_int(body.get("max_input_tokens", body.get("max_input_length"))),
        pooling=_str(details.get("pooling")) if isinstance(details, dict) else None,
        engine=engine,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
