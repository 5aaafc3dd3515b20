"""How long an Elasticsearch-face inference waits: ``?timeout``, else Elasticsearch 9.5's default for the
task type (120 s for completion and chat_completion, 30 s for the others)."""

from __future__ import annotations

import pytest

from hfgate.api.es.run import inference_timeout
from hfgate.errors import BadRequestError
from hfgate.tasks import TaskType


@pytest.mark.parametrize(
    ("kind", "seconds"),
    [(TaskType.COMPLETION, 120.0), (TaskType.CHAT_COMPLETION, 120.0)]
    + [(kind, 30.0) for kind in TaskType if kind not in (TaskType.COMPLETION, TaskType.CHAT_COMPLETION)],
)
def test_the_default_follows_the_task_type(kind: TaskType, seconds: float) -> None:
    assert inference_timeout(kind, None) == seconds


def test_the_query_parameter_wins_in_both_directions() -> None:
    assert inference_timeout(TaskType.COMPLETION, "5s") == 5.0
    assert inference_timeout(TaskType.TEXT_EMBEDDING, "3m") == 180.0


def test_a_bad_timeout_is_a_400_naming_it() -> None:
    with pytest.raises(BadRequestError, match=r"setting \[timeout\] with value \[soon\]") as caught:
        inference_timeout(TaskType.RERANK, "soon")
    assert caught.value.status == 400
