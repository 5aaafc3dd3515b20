"""The rerank controls every reranking service accepts as ``task_settings`` (Elasticsearch's own):
the endpoint's defaults, which a request's ``top_n`` and ``return_documents`` override."""

from __future__ import annotations

from hfgate.services.spec import SettingSpec
from hfgate.tasks import TaskType

_RERANK = frozenset({TaskType.RERANK})

RERANK_TASK_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name="return_documents",
        kind="bool",
        task_types=_RERANK,
        updatable=True,
        description="Return each document's text with its score.",
    ),
    SettingSpec(
        name="top_n",
        kind="int",
        minimum=1,
        task_types=_RERANK,
        updatable=True,
        description="Most hits returned.",
    ),
)
