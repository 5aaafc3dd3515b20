"""The ``local`` service's embedding model object: sentence-embedding models, their engine measured on this CPU;
image-and-text models (CLIP, SigLIP) on sentence-transformers' own ``encode`` (``image_text``)."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from hfgate.errors import BadRequestError
from hfgate.local.batching import BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.embedding.embedder import SentenceEmbedder
from hfgate.local.embedding.encoding import tokenizer_processes
from hfgate.local.embedding.engine_choice import AUTO_ENGINE, DEFAULT_MIN_COSINE
from hfgate.local.embedding.image_text import ENGINE as IMAGE_TEXT_ENGINE
from hfgate.local.embedding.image_text import ImageTextEmbedder
from hfgate.local.embedding.prompts import model_prompts
from hfgate.local.gpu_memory import GpuClaim
from hfgate.local.model_kind import takes_images
from hfgate.services.local.base import Loader, LocalModel
from hfgate.services.local.keys import embedding_key
from hfgate.tasks import EmbeddingResult, EmbedRequest, TaskType, Usage

EMBEDDING = frozenset({TaskType.TEXT_EMBEDDING})
Embedder = SentenceEmbedder | ImageTextEmbedder


class LocalEmbedder(LocalModel[Embedder]):
    """Embeds with the endpoint's model, loaded once per process into the shared model cache."""

    async def load(self) -> None:
        await self.embedder()

    async def embed(self, request: EmbedRequest) -> EmbeddingResult:
        embedder, location = await self.loaded(self._loader_of)
        prefix = model_prompts(location.path, self.name).prefix(request.input_type)
        texts = _prefixed(request, prefix) if prefix else request.texts
        work: Awaitable[tuple[Sequence[list[float]], int]]
        if isinstance(embedder, ImageTextEmbedder):
            work = embedder.embed_counted(texts, images=request.images, normalize=request.normalize)
        else:
            work = embedder.embed_counted(texts, normalize=request.normalize)
        vectors, tokens = await work
        return EmbeddingResult(embeddings=vectors, usage=Usage(prompt_tokens=tokens))

    async def takes_images(self) -> bool:
        """Whether the endpoint's model is an image-and-text model (read from its files, not loaded)."""
        return takes_images(self.location().path)

    async def vector_engine(self) -> str:
        """The class of the engine computing the loaded model's vectors (the embedder keeps it)."""
        return (await self.embedder()).vector_engine

    async def embedder(self) -> Embedder:
        """The endpoint's loaded model."""
        return (await self.loaded(self._loader_of))[0]

    async def _loader_of(self) -> Loader[Embedder]:
        """How the model loads: on the engine set (or the one measured best), on the in-process device."""
        endpoint, models, model = self.endpoint, self.models, self.name
        engine = endpoint.service_settings.get("engine") or AUTO_ENGINE
        min_cosine = float(endpoint.service_settings.get("min_cosine", DEFAULT_MIN_COSINE))
        location = self.location()
        settings, compute, device = (
            models.context.settings,
            models.context.shared(Compute),
            await models.in_process_device(),
        )
        if engine != AUTO_ENGINE and not engine.startswith("cuda"):
            device = "cpu"  # a CPU engine set by name: nothing of it goes to the GPU
        key = embedding_key(endpoint, location)

        def gpu() -> GpuClaim | None:
            return models.gpu_claim(location, name=model, device=device)

        if takes_images(location.path):
            if engine not in (AUTO_ENGINE, IMAGE_TEXT_ENGINE):
                raise BadRequestError(
                    f"[service_settings.engine] [{engine}] cannot run the image-and-text model [{model}]: it runs "
                    f"on [{IMAGE_TEXT_ENGINE}] (sentence-transformers' own encode); leave the engine out or set "
                    "[torch]",
                    param="service_settings.engine",
                )
            threads = settings.local_threads
            return Loader(
                location,
                key,
                lambda: ImageTextEmbedder(location.path, compute=compute, threads=threads, name=model, device=device),
                gpu=gpu,
            )
        processes = tokenizer_processes(settings.local_tokenizer_processes, device=device, workers=settings.workers)
        return Loader(
            location,
            key,
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
            gpu=gpu,
        )


def _prefixed(request: EmbedRequest, prefix: str) -> list[str]:
    """The request's texts after ``prefix``; an image's place (``""``) stays empty."""
    images = request.images or (None,) * len(request.texts)
    return [prefix + text if image is None else text for text, image in zip(request.texts, images, strict=True)]
