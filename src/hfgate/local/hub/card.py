"""A model's ``pipeline_tag``: the task the Hub files it under, which a create without a task type takes.

Read from the Hub's model info (``HfApi.model_info``, the field the Hub derives from the model card and
config), or, for a directory or offline, from its model card's front matter (``README.md``, read by
huggingface_hub's ``metadata_load``)."""

from __future__ import annotations

from pathlib import Path

from hfgate.local.hub.failures import hub_failures
from hfgate.local.hub.reference import HubModel
from hfgate.local.hub.snapshots import cached_commit
from hfgate.local.hub.source import HubSource

CARD = "README.md"


def card_tag(directory: Path) -> str | None:
    """The ``pipeline_tag`` of the model card in ``directory``; ``None`` without a card or a tag."""
    from huggingface_hub.repocard import metadata_load

    try:
        metadata = metadata_load(directory / CARD)
    except (OSError, ValueError):
        return None
    tag = (metadata or {}).get("pipeline_tag")
    return tag if isinstance(tag, str) else None


def model_pipeline_tag(source: HubSource, model: HubModel, *, revision: str | None = None) -> str | None:
    """The Hub's ``pipeline_tag`` for ``model``; offline, its cached card's.

    Raises:
        HfGateError: the Hub refused or could not be reached (``hub_failures``); offline, the model is not
            in the cache.
    """
    with hub_failures(model.repo_id, revision):
        if source.offline:
            return card_tag(source.snapshot(model.repo_id, cached_commit(source, model.repo_id, revision)))
        from huggingface_hub import HfApi

        api = HfApi(endpoint=source.endpoint, token=source.token, library_name="hfgate")
        tag = api.model_info(model.repo_id, revision=revision).pipeline_tag
        return tag if isinstance(tag, str) else None
