"""The request's one deadline (``orchestrator/running.py``) as the runner applies it: the defaults per task
type, one deadline over a call and its fallback, a client's ask, calls that join an open deadline, and a
stream bounded piece by piece."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from hfgate.config import Settings
from hfgate.errors import RequestTimeoutError, UpstreamUnreachableError
from hfgate.orchestrator.running import Deadlines, LastCalls, Runner
from hfgate.registry.endpoint import Endpoint
from hfgate.tasks import EmbeddingResult, GenerationDelta, TaskType

SHORT = 0.3
"""The injected default deadline, in seconds."""
MARGIN = 0.5
"""How late past its deadline a call may end on a loaded machine."""

PRIMARY = Endpoint(
    inference_id="primary", task_type=TaskType.TEXT_EMBEDDING, service="local", service_settings={"fallback": "spare"}
)
SPARE = Endpoint(inference_id="spare", task_type=TaskType.TEXT_EMBEDDING, service="local")
CHAT = Endpoint(inference_id="chat", task_type=TaskType.CHAT_COMPLETION, service="local")


async def _find(inference_id: str) -> Endpoint:
    return {"primary": PRIMARY, "spare": SPARE}[inference_id]


def _runner() -> Runner:
    return Runner(last_calls=LastCalls(), find=_find, deadlines=Deadlines(embedding=SHORT, generation=SHORT))


async def _vectors_after(seconds: float) -> EmbeddingResult:
    await asyncio.sleep(seconds)
    return EmbeddingResult(embeddings=[[1.0]])


@pytest.mark.parametrize("kind", list(TaskType))
def test_the_defaults_are_elasticsearchs_per_task_type_unless_the_settings_say(kind: TaskType) -> None:
    writing = (TaskType.COMPLETION, TaskType.CHAT_COMPLETION, TaskType.SUMMARIZATION, TaskType.TRANSLATION,
               TaskType.AUTOMATIC_SPEECH_RECOGNITION)  # fmt: skip
    expected = 120.0 if kind in writing else 30.0
    assert Deadlines().default(kind) == expected
    settings = Settings(inference_timeout_seconds=5, generation_timeout_seconds=50)
    assert Deadlines.from_settings(settings).default(kind) == (50.0 if kind in writing else 5.0)


async def test_a_slow_call_ends_at_the_default_deadline_with_the_one_error() -> None:
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as raised:
        await _runner().run(SPARE, lambda _: _vectors_after(5))
    assert SHORT <= time.monotonic() - started < SHORT + MARGIN
    assert raised.value.status == 408
    assert raised.value.reason == (
        f"Request timed out after [{SHORT:g}s]; to wait longer, raise HFGATE_INFERENCE_TIMEOUT_SECONDS (or send "
        "?timeout= to the Elasticsearch API)"
    )


async def test_the_fallback_runs_within_the_same_deadline_not_a_new_one() -> None:
    async def work(endpoint: Endpoint) -> EmbeddingResult:
        if endpoint is PRIMARY:
            await asyncio.sleep(SHORT * 0.6)
            raise UpstreamUnreachableError("primary is down")
        return await _vectors_after(5)

    started = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        await _runner().run(PRIMARY, work)
    assert SHORT <= time.monotonic() - started < SHORT + MARGIN  # not 0.6 × SHORT + SHORT


async def test_calls_in_an_open_deadline_join_it_and_an_ask_is_named_in_the_error() -> None:
    runner, asked = _runner(), SHORT * 1.5
    given: list[float] = []

    async def two_calls() -> None:
        async with runner.deadlines.bound(TaskType.TEXT_EMBEDDING, asked=asked):
            given.append(runner.deadlines.seconds(TaskType.TEXT_EMBEDDING))  # what a service is given
            await runner.run(SPARE, lambda _: _vectors_after(SHORT * 0.9))  # within its own default…
            await runner.run(SPARE, lambda _: _vectors_after(SHORT * 0.9))  # …but not within the request's

    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as raised:
        await two_calls()
    assert given == [asked]
    assert asked <= time.monotonic() - started < asked + MARGIN
    assert raised.value.reason == f"Request timed out after [{asked:g}s]; raise the request's ?timeout= to wait longer"


async def _pieces(gaps: list[float]) -> AsyncIterator[GenerationDelta]:
    for gap in gaps:
        await asyncio.sleep(gap)
        yield GenerationDelta(text="x")


async def test_a_stream_longer_than_the_deadline_goes_on_while_its_pieces_keep_coming() -> None:
    gaps = [SHORT / 3] * 6  # twice the deadline in all
    pieces = [d async for d in _runner().stream(CHAT, lambda _: _pieces(gaps), writes=8)]
    assert len(pieces) == len(gaps)


@pytest.mark.parametrize("gaps", [[SHORT * 3], [0.0, 0.0, SHORT * 3]], ids=["first piece", "a later piece"])
async def test_a_stream_whose_next_piece_does_not_come_within_the_deadline_ends_with_the_error(
    gaps: list[float],
) -> None:
    got: list[GenerationDelta] = []
    started = time.monotonic()

    async def read() -> None:
        async for delta in _runner().stream(CHAT, lambda _: _pieces(gaps), writes=8):
            got.append(delta)

    with pytest.raises(RequestTimeoutError, match=r"^Request timed out after \[0\.3s\]"):
        await read()
    assert len(got) == len(gaps) - 1
    assert SHORT <= time.monotonic() - started < SHORT + MARGIN
