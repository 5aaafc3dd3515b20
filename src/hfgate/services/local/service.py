"""The ``local`` service: models that run in this process, from a directory or a model package."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from hfgate.local.cache import ModelCache
from hfgate.local.catalog import KNOWN_MODELS, ModelLocation
from hfgate.local.generation.architecture import GENERATION_TASKS, detect_task
from hfgate.local.hub.reference import HubModel
from hfgate.local.presets import PRESETS
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import EndpointDescription, Service, ServiceContext
from hfgate.services.embedding_shape import EMBEDDING_SHAPE_SETTINGS, record_embedding_shape
from hfgate.services.local.base import LocalModel, LocalModels
from hfgate.services.local.embedding import EMBEDDING, LocalEmbedder
from hfgate.services.local.embedding_settings import LOCAL_EMBEDDING_SETTINGS, check_min_cosine
from hfgate.services.local.generation import GENERATING, LocalGenerator
from hfgate.services.local.generation_settings import LOCAL_GENERATION_SETTINGS
from hfgate.services.local.hub import hub_model_of, hub_source, pipeline_tag, planned
from hfgate.services.local.keys import embedding_key, generation_key, rerank_key, sparse_key, tokenizer_key
from hfgate.services.local.managed_generation import ManagedVllmModel, observed_managed, release_managed
from hfgate.services.local.managed_vllm import ManagedVllm
from hfgate.services.local.model_check import refuse_other_kind
from hfgate.services.local.pipeline import PIPELINES, SIMILARITY, LocalPipeline, LocalSimilarity, pipeline_key
from hfgate.services.local.rerank import RERANKING, LocalReranker
from hfgate.services.local.sparse import SPARSE, LocalSparseEncoder
from hfgate.services.price_setting import SPEND_SETTINGS
from hfgate.services.spec import CACHE_SETTING, GENERATION_TASK_SETTINGS, RERANK_TASK_SETTINGS, SettingSpec
from hfgate.tasks import TaskType, task_of_pipeline_tag


class LocalService(Service):
    """Runs models in-process: works offline, with no account. Sentence embedders, cross-encoders
    (rerank), SPLADE models (sparse_embedding) and text generators (or a vLLM server it runs for them:
    ``managed_vllm.py``), each endpoint opened as the model object of its kind; each endpoint's task type
    is checked against what its model is at create (``model_check.py``)."""

    name = "local"
    label = "Local (in-process)"
    task_types: ClassVar[frozenset[TaskType]] = EMBEDDING | GENERATING | RERANKING | SPARSE | PIPELINES | SIMILARITY
    reads_images = False  # refuse_images: the local models read text only
    service_settings = (
        SettingSpec(
            name="model",
            label="Model",
            required=True,
            description="A model directory on this machine, a known model id an installed package carries, or "
            "any Hub model id (org/name; hf.co/org/name:Q4_K_M for one GGUF file), fetched into the "
            "Hugging Face cache.",
        ),
        SettingSpec(
            name="revision",
            label="Revision",
            description="The Hub model's branch, tag or commit (default main); its commit is recorded at create.",
        ),
        SettingSpec(
            name="commit",
            recorded=True,
            label="Commit",
            description="The Hub commit the endpoint serves, recorded at create: every replica and restart loads it.",
        ),
        SettingSpec(
            name="api_key",
            secret=True,
            label="Hub token",
            description="A Hugging Face token for a gated or private Hub model (default HF_TOKEN where hfgate runs).",
        ),
        *EMBEDDING_SHAPE_SETTINGS,
        SettingSpec(
            name="gguf_file",
            task_types=GENERATING,
            label="GGUF file",
            description="The GGUF file to load when the model directory holds several.",
        ),
        SettingSpec(
            name="task",
            choices=GENERATION_TASKS,
            recorded=True,
            task_types=GENERATING,
            label="Generation task",
            description="text-generation (decoder-only) or text2text-generation (encoder-decoder); "
            "detected from the model's config at create.",
        ),
        *LOCAL_EMBEDDING_SETTINGS,
        *LOCAL_GENERATION_SETTINGS,
        SettingSpec(
            name="score_activation",
            recorded=True,
            task_types=RERANKING,
            label="Score activation",
            description="What a rerank score is, read from the model's config at create: sigmoid (0..1, "
            "most rerankers) or identity (raw logits, the MS MARCO cross-encoders), as "
            "sentence-transformers' CrossEncoder.predict gives them.",
        ),
        CACHE_SETTING,
        *SPEND_SETTINGS,
    )
    task_settings = GENERATION_TASK_SETTINGS + RERANK_TASK_SETTINGS

    def __init__(self, context: ServiceContext) -> None:
        super().__init__(context)
        self.models = LocalModels(context, warm=self.warm)
        self._managed = ManagedVllm(context)

    def open(self, endpoint: Endpoint) -> LocalModel[Any]:
        """The model object of ``endpoint``'s kind: a managed vLLM's, a generator, a reranker, a sparse
        encoder or an embedder."""
        if self._managed.applies(endpoint):
            return ManagedVllmModel(self, endpoint, models=self.models, managed=self._managed)
        kind = OPENERS.get(endpoint.task_type, LocalEmbedder)
        return kind(self, endpoint, models=self.models)

    @classmethod
    def describe(cls, endpoint: Endpoint) -> EndpointDescription:
        """Its model, and the device it runs on once the service has said it (``observed``'s ``device``)."""
        device = endpoint.service_settings.get("device")
        return EndpointDescription(model=str(endpoint.service_settings["model"]), device=device and str(device))

    @classmethod
    def suggested_models(cls) -> tuple[str, ...]:
        return tuple(sorted(set(KNOWN_MODELS) | set(PRESETS)))

    @classmethod
    def cross_check(cls, task_type: TaskType, settings: dict[str, Any]) -> list[str]:
        return check_min_cosine(settings)

    async def task_for(self, settings: Mapping[str, Any]) -> TaskType | None:
        """The Hub's ``pipeline_tag`` of a Hub model (asked of the Hub, or the cached model card's when
        offline), or of a directory's model card (``README.md``'s front matter)."""
        name = settings.get("model")
        if not isinstance(name, str) or not name:
            return None
        return task_of_pipeline_tag(await asyncio.to_thread(pipeline_tag, self.context, name, settings))

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        models = self.models
        if self._managed.applies(endpoint):
            self._managed.check()  # vLLM can be started: said before a Hub model's download
        endpoint = await models.pin_hub_model(endpoint)
        if (model := hub_model_of(endpoint)) is not None and models.found(endpoint) is None:
            return self._with_task(endpoint, model)  # downloading: what a load records is shown once loaded
        refuse_other_kind(endpoint, models.location(endpoint))
        opened = self.open(endpoint)
        if isinstance(opened, LocalEmbedder):
            checked = await record_embedding_shape(opened, timeout=timeout)
            choice = (await opened.embedder()).engine_choice.summary()
            return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})
        assert isinstance(
            opened, ManagedVllmModel | LocalGenerator | LocalReranker | LocalSparseEncoder | LocalPipeline
        )
        return await opened.checked()

    def _with_task(self, endpoint: Endpoint, model: HubModel) -> Endpoint:
        """A downloading generation model's task, recorded from the config file already fetched (a GGUF's
        is read from its weights, once loaded)."""
        location = planned(hub_source(self.context, endpoint), model, endpoint.service_settings)
        settings = endpoint.service_settings
        if endpoint.task_type not in GENERATING or location.gguf_file is not None or "task" in settings:
            return endpoint
        return endpoint.evolve(service_settings={**endpoint.service_settings, "task": detect_task(location)})

    async def warm(self, endpoint: Endpoint) -> None:
        await self.open(endpoint).load()

    def loaded(self, endpoint: Endpoint) -> bool:
        if self._managed.applies(endpoint):
            return (server := self._managed.server_of(endpoint)) is not None and server.state == "ready"
        return self._loaded_model(endpoint) is not None

    def observed(self, endpoint: Endpoint) -> dict[str, Any]:
        """The loaded model's ``engine_choice`` (``measuring; serving on torch`` until its engines are
        measured) and ``device``; a Hub model's ``model_state`` (downloading with bytes done and total,
        failed with the reason, loading, downloaded, ready); for a managed vLLM, its server's state and
        device."""
        if self._managed.applies(endpoint):
            return observed_managed(self._managed, self.models, endpoint)
        loaded = self._loaded_model(endpoint)
        if loaded is None:
            state = self.models.hub_state(endpoint)
            return {"model_state": state} if state else {}
        choice = getattr(loaded, "engine_choice", None)
        ready = {"model_state": {"state": "ready"}} if hub_model_of(endpoint) is not None else {}
        shown = ready | {"device": getattr(loaded, "device", "cpu")}  # every in-process model says where it computes
        return shown | ({} if choice is None else {"engine_choice": choice.summary()})

    async def release(self, endpoint: Endpoint, *, still_used: Sequence[Endpoint]) -> None:
        await release_managed(self._managed, endpoint, still_used=still_used)
        needed = set().union(*(self._model_keys(other) for other in still_used))
        for key in self._model_keys(endpoint) - needed:
            self.context.shared(ModelCache).release(key)
        self.models.forget(endpoint)

    async def aclose(self) -> None:
        await self._managed.aclose()

    def _loaded_model(self, endpoint: Endpoint) -> Any | None:
        location = self.models.found(endpoint)
        if location is None:  # its model is gone from disk, or not downloaded yet
            return None
        return self.context.shared(ModelCache).peek(_model_key(endpoint, location))

    def _model_keys(self, endpoint: Endpoint) -> set[str]:
        if endpoint.service != self.name:
            return set()
        location = self.models.found(endpoint)
        if location is None:  # its model is gone from disk: nothing of it can be loaded
            return set()
        return {_model_key(endpoint, location), tokenizer_key(location)}


OPENERS: dict[TaskType, type[LocalModel[Any]]] = {
    **dict.fromkeys(GENERATING, LocalGenerator),
    **dict.fromkeys(RERANKING, LocalReranker),
    **dict.fromkeys(SPARSE, LocalSparseEncoder),
    **dict.fromkeys(PIPELINES, LocalPipeline),
    **dict.fromkeys(SIMILARITY, LocalSimilarity),
}
"""The model object of each task type but ``text_embedding`` (:class:`LocalEmbedder`)."""


def _model_key(endpoint: Endpoint, location: ModelLocation) -> str:
    """What the model cache holds ``endpoint``'s model under."""
    if endpoint.task_type in RERANKING:
        return rerank_key(location)
    if endpoint.task_type in SPARSE:
        return sparse_key(location)
    if endpoint.task_type in PIPELINES:
        return pipeline_key(endpoint.task_type, location)
    return (generation_key if endpoint.task_type in GENERATING else embedding_key)(endpoint, location)
