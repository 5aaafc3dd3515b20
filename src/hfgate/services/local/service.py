"""The ``local`` service: models that run in this process, from a directory or a model package."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from hfgate.local.cache import ModelCache
from hfgate.local.catalog import KNOWN_MODELS, ModelLocation
from hfgate.local.generation.architecture import GENERATION_TASKS, detect_task
from hfgate.local.hub.reference import HubModel
from hfgate.local.presets import PRESETS
from hfgate.local.tokenizer import ModelTokenizer
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import EndpointDescription, ServiceContext
from hfgate.services.cache_setting import CACHE_SETTING
from hfgate.services.embedding_shape import EMBEDDING_SHAPE_SETTINGS, record_embedding_shape
from hfgate.services.generation_settings import GENERATION_TASK_SETTINGS
from hfgate.services.local.embedding import EMBEDDING, EmbeddingModels
from hfgate.services.local.embedding_settings import LOCAL_EMBEDDING_SETTINGS, check_min_cosine
from hfgate.services.local.generation import GENERATING, GeneratingModels
from hfgate.services.local.generation_settings import LOCAL_GENERATION_SETTINGS
from hfgate.services.local.hub import hub_model_of, hub_source, planned
from hfgate.services.local.identity import ModelIdentities
from hfgate.services.local.keys import embedding_key, generation_key, rerank_key, sparse_key, tokenizer_key
from hfgate.services.local.managed_generation import ManagedVllmModels
from hfgate.services.local.managed_vllm import ManagedVllm
from hfgate.services.local.model_check import refuse_other_kind
from hfgate.services.local.placements import Placements
from hfgate.services.local.rerank import RERANKING, RerankModels
from hfgate.services.local.sparse import SPARSE, SparseModels
from hfgate.services.price_setting import SPEND_SETTINGS
from hfgate.services.rerank_settings import RERANK_TASK_SETTINGS
from hfgate.services.spec import SettingSpec
from hfgate.tasks import TaskType, TokenSpan


class LocalService(ManagedVllmModels, EmbeddingModels, GeneratingModels, RerankModels, SparseModels):
    """Runs models in-process: works offline, with no account. Sentence embedders, cross-encoders
    (rerank), SPLADE models (sparse_embedding) and text generators (or a vLLM server it runs for them:
    ``managed_vllm.py``); each endpoint's task type is checked against what its model is at create
    (``model_check.py``)."""

    name = "local"
    label = "Local (in-process)"
    task_types: ClassVar[frozenset[TaskType]] = EMBEDDING | GENERATING | RERANKING | SPARSE
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
        self._identities = ModelIdentities()
        self._loading: set[str] = set()
        self._device: str | None = None
        self._placements = Placements()
        self._managed = ManagedVllm(context)

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

    async def check(self, endpoint: Endpoint, *, timeout: float) -> Endpoint:
        if self._managed.applies(endpoint):
            self._managed.check()  # vLLM can be started: said before a Hub model's download
        endpoint = await self._pin_hub_model(endpoint)
        if (model := hub_model_of(endpoint)) is not None and self._found(endpoint) is None:
            return self._with_task(endpoint, model)  # downloading: what a load records is shown once loaded
        refuse_other_kind(endpoint, self._location(endpoint))
        if self._managed.applies(endpoint):
            return await self._check_managed(endpoint)
        if endpoint.task_type in RERANKING:
            return await self._checked_reranker(endpoint)
        if endpoint.task_type in SPARSE:
            return await self._checked_sparse(endpoint)
        if endpoint.task_type in GENERATING:
            checked = await self._record_task(endpoint)
            choice = (await self._generation_choice(checked)).summary()
            return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})
        checked = await record_embedding_shape(self, endpoint, timeout=timeout)
        choice = (await self._embedder(endpoint)).engine_choice.summary()
        return checked.evolve(service_settings={**checked.service_settings, "engine_choice": choice})

    def _with_task(self, endpoint: Endpoint, model: HubModel) -> Endpoint:
        """A downloading generation model's task, recorded from the config file already fetched (a GGUF's
        is read from its weights, once loaded)."""
        location = planned(hub_source(self.context, endpoint), model, endpoint.service_settings)
        settings = endpoint.service_settings
        if endpoint.task_type not in GENERATING or location.gguf_file is not None or "task" in settings:
            return endpoint
        return endpoint.evolve(service_settings={**endpoint.service_settings, "task": detect_task(location)})

    async def tokenize(
        self, endpoint: Endpoint, texts: Sequence[str], *, add_special_tokens: bool = True
    ) -> list[list[TokenSpan]]:
        location = self._location(endpoint)
        tokenizer = await self._cached(
            endpoint, tokenizer_key(location), lambda: ModelTokenizer(self._tokenizer_location(location))
        )
        return [tokenizer.spans(text, add_special_tokens=add_special_tokens) for text in texts]

    async def warm(self, endpoint: Endpoint) -> None:
        if self._managed.applies(endpoint):
            await self._managed_server(endpoint)  # started, not waited for: requests answer 503 meanwhile
        elif endpoint.task_type in GENERATING:
            await self._generator(endpoint)
        elif endpoint.task_type in RERANKING:
            await self._scorer(endpoint)
        elif endpoint.task_type in SPARSE:
            await self._sparse_encoder(endpoint)
        else:
            await self._embedder(endpoint)

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
            return self._observed_managed(endpoint)
        loaded = self._loaded_model(endpoint)
        if loaded is None:
            state = self._hub_state(endpoint)
            return {"model_state": state} if state else {}
        choice = getattr(loaded, "engine_choice", None)
        ready = {"model_state": {"state": "ready"}} if hub_model_of(endpoint) is not None else {}
        shown = ready | {"device": getattr(loaded, "device", "cpu")}  # every in-process model says where it computes
        return shown | ({} if choice is None else {"engine_choice": choice.summary()})

    async def release(self, endpoint: Endpoint, *, still_used: Sequence[Endpoint]) -> None:
        await self._release_managed(endpoint, still_used=still_used)
        needed = set().union(*(self._model_keys(other) for other in still_used))
        for key in self._model_keys(endpoint) - needed:
            self.context.shared(ModelCache).release(key)
        self._placements.forget(endpoint)

    async def aclose(self) -> None:
        await self._managed.aclose()

    def _loaded_model(self, endpoint: Endpoint) -> Any | None:
        location = self._found(endpoint)
        if location is None:  # its model is gone from disk, or not downloaded yet
            return None
        return self.context.shared(ModelCache).peek(_model_key(endpoint, location))

    def _model_keys(self, endpoint: Endpoint) -> set[str]:
        if endpoint.service != self.name:
            return set()
        location = self._found(endpoint)
        if location is None:  # its model is gone from disk: nothing of it can be loaded
            return set()
        return {_model_key(endpoint, location), tokenizer_key(location)}


def _model_key(endpoint: Endpoint, location: ModelLocation) -> str:
    """What the model cache holds ``endpoint``'s model under."""
    if endpoint.task_type in RERANKING:
        return rerank_key(location)
    if endpoint.task_type in SPARSE:
        return sparse_key(location)
    return (generation_key if endpoint.task_type in GENERATING else embedding_key)(endpoint, location)
