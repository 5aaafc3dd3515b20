"""The ``local`` service's embedding half: sentence-embedding models, their engine measured on this CPU."""

from __future__ import annotations

from hfgate.local.batching import BatchLimits
from hfgate.local.cache import ModelCache
from hfgate.local.catalog import ModelLocation
from hfgate.local.compute import Compute
from hfgate.local.embedding.embedder import SentenceEmbedder
from hfgate.local.embedding.encoding import tokenizer_processes
from hfgate.local.embedding.engine_choice import AUTO_ENGINE, DEFAULT_MIN_COSINE, engine_class
from hfgate.local.embedding.prompts import model_prompts
from hfgate.registry.endpoint import Endpoint
from hfgate.services.local.base import LocalBase
from hfgate.services.local.identity import ModelIdentities
from hfgate.services.local.keys import embedding_key, within
from hfgate.tasks import EmbeddingResult, EmbedRequest, TaskType, Usage

EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING})


class EmbeddingModels(LocalBase):
    """Embeds with the endpoint's model, loaded once per process into the shared model cache."""

    _identities: ModelIdentities  # set by the service's constructor: one per service

    async def embed(self, endpoint: Endpoint, request: EmbedRequest) -> EmbeddingResult:
        embedder, location = await self._embedder_at(endpoint)
        prefix = model_prompts(location.path, endpoint.service_settings["model"]).prefix(request.input_type)
        texts = [prefix + text for text in request.texts] if prefix else request.texts
        vectors, tokens = await within(request.timeout, embedder.embed_counted(texts, normalize=request.normalize))
        return EmbeddingResult(embeddings=vectors, usage=Usage(prompt_tokens=tokens))

    def vector_model(self, endpoint: Endpoint) -> str | None:
        """The model's files for its dense vectors, sparse vectors or rerank scores (three key spaces); a
        Hub model's at its recorded commit."""
        settings = endpoint.service_settings
        name = f"{settings['model']}@{settings.get('commit') or settings.get('revision') or ''}"
        return self._identities.of(name, lambda: self._location(endpoint), task_type=endpoint.task_type)

    async def vector_engine(self, endpoint: Endpoint) -> str:
        """The embedding engine's class; ``""`` for the rerankers and sparse encoders (one exact engine)."""
        if endpoint.task_type not in EMBEDDING:
            return ""
        return engine_class((await self._embedder(endpoint)).engine_name)

    async def _embedder(self, endpoint: Endpoint) -> SentenceEmbedder:
        return (await self._embedder_at(endpoint))[0]

    async def _embedder_at(self, endpoint: Endpoint) -> tuple[SentenceEmbedder, ModelLocation]:
        """The loaded model and where its files are (a request looks the model up once)."""
        model = endpoint.service_settings["model"]
        engine = endpoint.service_settings.get("engine") or AUTO_ENGINE
        min_cosine = float(endpoint.service_settings.get("min_cosine", DEFAULT_MIN_COSINE))
        location = self._location(endpoint)
        settings, compute, device = self.context.settings, self.context.shared(Compute), await self._in_process_device()
        if engine != AUTO_ENGINE and not engine.startswith("cuda"):
            device = "cpu"  # a CPU engine set by name: nothing of it goes to the GPU
        processes = tokenizer_processes(settings.local_tokenizer_processes, device=device)
        embedder = await self.context.shared(ModelCache).get(
            embedding_key(endpoint, location),
            lambda: SentenceEmbedder(
                location.path,
                compute=compute,
                threads=settings.local_threads,
                engine=engine,
                cache_dir=settings.data_dir / "models",
                limits=BatchLimits.from_settings(settings, device=device),
                name=model,
                min_cosine=min_cosine,
                choices_dir=settings.local_engine_choices_dir,
                measure_attempts=settings.local_engine_measure_attempts,
                device=device,
                tokenizer_processes=processes,
            ),
            gpu=lambda: self._gpu_claim(location, name=model, device=device),
        )
        return embedder, location
