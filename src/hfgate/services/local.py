"""The ``local`` service: models that run in this process, from a directory or a model package."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from hfgate.errors import RequestTimeoutError
from hfgate.local.catalog import resolve_model
from hfgate.local.embedding import SentenceEmbedder
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import Service
from hfgate.services.embedding_shape import SIMILARITIES, record_embedding_shape
from hfgate.services.spec import SettingSpec
from hfgate.tasks import EmbeddingResult, EmbedRequest, TaskType, Usage

_EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING})


class LocalService(Service):
    """Runs models in-process: works offline, with no account."""

    name = "local"
    label = "Local (in-process)"
    task_types: ClassVar[frozenset[TaskType]] = _EMBEDDING
    service_settings = (
        SettingSpec(
            name="model",
            label="Model",
            required=True,
            description="A model directory on this machine, or a known model id an installed package carries.",
        ),
        SettingSpec(
            name="dimensions",
            kind="int",
            minimum=1,
            recorded=True,
            task_types=_EMBEDDING,
            label="Dimensions",
            description="Size of the vectors; recorded at create, checked when given.",
        ),
        SettingSpec(
            name="similarity",
            choices=SIMILARITIES,
            recorded=True,
            task_types=_EMBEDDING,
            label="Similarity",
            description="Similarity measure for the vectors; default cosine.",
        ),
    )

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        return await record_embedding_shape(self, endpoint, timeout=timeout)

    async def embed(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        embedder = await self._embedder(endpoint)
        try:
            async with asyncio.timeout(request.timeout):
                vectors = await embedder.embed(request.texts)
        except TimeoutError as exc:
            raise RequestTimeoutError(f"Request timed out after [{request.timeout:g}s]") from exc
        usage = Usage(prompt_tokens=embedder.count_tokens(request.texts))
        return EmbeddingResult(embeddings=vectors, usage=usage)

    async def _embedder(self, endpoint: Endpoint) -> SentenceEmbedder:
        location = resolve_model(endpoint.service_settings["model"])
        threads, compute = self.context.settings.local_threads, self.context.compute
        return await self.context.models.get(
            f"embedding:{location.path}",
            lambda: SentenceEmbedder(location.path, compute=compute, threads=threads),
        )
