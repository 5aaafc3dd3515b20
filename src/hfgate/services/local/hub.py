"""The ``local`` service's models from the Hub: pinned to a commit at create, fetched in the
background, found in the Hugging Face cache afterwards (by every replica, after every restart)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from hfgate.errors import BadRequestError, HfGateError, ModelNotReadyError
from hfgate.local.catalog import ModelLocation, is_local, resolve_model
from hfgate.local.hub.card import card_tag, model_pipeline_tag
from hfgate.local.hub.downloads import DownloadState, HubDownloads
from hfgate.local.hub.fetch import Resolved, resolve
from hfgate.local.hub.reference import HubModel, hub_model
from hfgate.local.hub.snapshots import cached_commit, complete
from hfgate.local.hub.source import HubSource
from hfgate.local.presets import preset
from hfgate.registry.endpoint import Endpoint
from hfgate.services.base import ServiceContext

RETRY_AFTER_SECONDS = 5


def hub_model_of(endpoint: Endpoint) -> HubModel | None:
    """The Hub model ``endpoint`` runs, or ``None`` for a directory or a model a package carries."""
    name = str(endpoint.service_settings["model"])
    if is_local(name):
        return None
    known = preset(name)
    return hub_model(known.repo_id if known is not None else name)


def hub_source(context: ServiceContext, endpoint: Endpoint) -> HubSource:
    return HubSource.from_settings(context.settings, token=endpoint.secrets.get("api_key"))


def find(source: HubSource, model: HubModel, settings: dict[str, Any]) -> ModelLocation | None:
    """The model's complete snapshot in the cache (at the recorded commit, else where the revision
    pointed when last fetched), or ``None``; asks no one."""
    commit = settings.get("commit") or _cached(source, model, settings.get("revision"))
    if commit is None or not complete(path := source.snapshot(model.repo_id, commit)):
        return None
    gguf = settings.get("gguf_file") or next((p.name for p in path.glob("*.gguf")), None)
    return ModelLocation(model_id=model.repo_id, path=path, gguf_file=None if (path / "config.json").exists() else gguf)


def planned(source: HubSource, model: HubModel, settings: dict[str, Any]) -> ModelLocation:
    """The pinned snapshot before its weights arrive: the config files read when planning (``config.json``
    and sentence-transformers' own), enough to tell what kind of model it is (``local/model_kind.py``)."""
    path = source.snapshot(model.repo_id, str(settings["commit"]))
    gguf = None if (path / "config.json").exists() else settings.get("gguf_file")
    return ModelLocation(model_id=model.repo_id, path=path, gguf_file=gguf)


def revision_of(settings: dict[str, Any]) -> str | None:
    """What a download of the endpoint's model fetches: the recorded commit, else the revision asked."""
    return settings.get("commit") or settings.get("revision")


def not_ready(endpoint: Endpoint, model: HubModel, state: DownloadState | None) -> HfGateError:
    """What a request gets while the model is not in the cache: the download's failure, else a 503."""
    if state is not None and state.error is not None:
        return state.error
    done = f": {state.bytes.done} of {state.bytes.total} bytes" if state is not None else ""
    return ModelNotReadyError(
        f"The model [{model.repo_id}] of inference endpoint [{endpoint.inference_id}] is downloading{done}; "
        f"retry in {RETRY_AFTER_SECONDS}s (GET _inference/{endpoint.inference_id} shows its progress)",
        retry_after=RETRY_AFTER_SECONDS,
    )


async def pin(source: HubSource, model: HubModel, endpoint: Endpoint) -> tuple[Endpoint, Resolved]:
    """``endpoint`` with the commit its revision is now recorded (and the GGUF file picked), its files
    planned and its architecture checked before any weights are fetched.

    Raises:
        HfGateError: gated, missing, unsupported (see ``local.hub.failures``).
    """
    settings = endpoint.service_settings
    resolved = await asyncio.to_thread(
        resolve, source, model, revision=settings.get("revision"), gguf=settings.get("gguf_file")
    )
    recorded = {"commit": resolved.commit} | ({"gguf_file": resolved.gguf_file} if resolved.gguf_file else {})
    return endpoint.evolve(service_settings={**settings, **recorded}), resolved


def download_state(
    downloads: HubDownloads, source: HubSource, model: HubModel, settings: dict[str, Any]
) -> dict[str, Any]:
    """``model_state`` as ``GET _inference`` shows it before the model is loaded."""
    if find(source, model, settings) is not None:
        return {"state": "downloaded"}
    state = downloads.state(model.repo_id, revision_of(settings))
    return {"state": "not_downloaded"} if state is None else state.public()


def _cached(source: HubSource, model: HubModel, revision: str | None) -> str | None:
    try:
        return cached_commit(source, model.repo_id, revision)
    except BadRequestError:
        return None


def pipeline_tag(context: ServiceContext, name: str, settings: Mapping[str, Any]) -> str | None:
    """The ``pipeline_tag`` of model ``name`` (a directory, a packaged model or a Hub id): its model card's
    front matter, read from the directory or asked of the Hub (``HfApi.model_info``; offline, the card in
    the cache). ``None`` when it has none.

    Raises:
        HfGateError: the Hub refused or could not be reached (``local.hub.failures``).
    """
    if is_local(name):
        try:
            return card_tag(resolve_model(name).path)
        except HfGateError:  # not a directory or package hfgate knows: the create says why
            return None
    known = preset(name)
    model = hub_model(known.repo_id if known is not None else name)
    if model is None:  # not a Hub id: the create says why
        return None
    source = HubSource.from_settings(context.settings, token=settings.get("api_key"))
    return model_pipeline_tag(source, model, revision=settings.get("revision"))
