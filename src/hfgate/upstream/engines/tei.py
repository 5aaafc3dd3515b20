"""text-embeddings-inference (``engine: tei``): ``/embed``, ``/embed_sparse`` and ``/rerank``
(TEI ``router/src/http/server.rs``, ``types.rs``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hfgate.upstream.engines.base import Address, EmbedProtocol, Kind, Protocol, SparseProtocol, SparseVectors, Vectors
from hfgate.upstream.engines.tgi_protocols import TeiRerank
from hfgate.upstream.wire.embeddings import embeddings_payload, parse_embeddings
from hfgate.upstream.wire.sparse import parse_sparse, sparse_payload


class TeiEmbed(EmbedProtocol):
    def url(self, at: Address) -> str:
        return at.at("/embed")

    def payload(self, at: Address, texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
        # TEI refuses an input past max_input_length (422) unless told to truncate or started with
        # --auto-truncate (router/src/http/types.rs ``EmbedRequest.truncate``; only documented, TEI does not
        # install here); a local model truncates, so a url must too.
        return embeddings_payload(texts, normalize=normalize) | {"truncate": True}

    def parse(self, body: Any, *, count: int) -> Vectors:
        return parse_embeddings(body, count=count)


class TeiSparse(SparseProtocol):
    def url(self, at: Address) -> str:
        return at.at("/embed_sparse")

    def payload(self, at: Address, texts: Sequence[str]) -> dict[str, Any]:
        return sparse_payload(texts)

    def parse(self, body: Any, *, count: int) -> SparseVectors:
        return parse_sparse(body, count=count)


NAME = "tei"
OWNED_BY: tuple[str, ...] = ()  # TEI has no /v1/models; its /info names a model_type
PROTOCOLS: dict[Kind, Protocol] = {"embed": TeiEmbed(), "sparse": TeiSparse(), "rerank": TeiRerank()}
