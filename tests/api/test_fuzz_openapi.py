"""Schemathesis over the whole OpenAPI document, against a real hfgate on 127.0.0.1.

Every operation of every face, then stateful sequences along the document's links (create → infer →
read → update → delete), then generation bodies that reach the local engine (``fuzz_generation.py``:
empty and special-token prompts, lone surrogates, extreme ``max_tokens``, stops that match at once,
``logit_bias``, guided decoding that allows nothing), and requests of every Hub task that reach its runner
(``fuzz_tasks.py``: one endpoint per task on tiny models; JSON of any shape, raw bytes of any type, OpenAI's
audio form, TEI's and vLLM's task routes). Checks: every request answered within its
timeout, no 5xx, every status documented, every body matching its schema. A fixed seed
(``derandomize``) and a few examples per operation keep it short; bench/fuzz.py runs the same with
random seeds for as long as asked. Bounded and loopback only: endpoint urls may only name 127.0.0.1
(``HFGATE_ALLOWED_URL_HOSTS``), the Hugging Face URLs point at the fake, and the schema fuzzer's token
counts are clamped (the generation bodies are not).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from hfgate.api.app import create_app
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.api.fuzz_generation import ANSWER_SECONDS, generation_call, send
from tests.api.fuzz_tasks import create_task_endpoints, send_task, task_call
from tests.fakes.hf_fixtures import fake_hf_server
from tests.fakes.hf_server import FakeHF
from tests.support.live_server import serve_app

__all__ = ["fake_hf_server"]

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# The fuzzer works as a bootstrap admin: a key it creates through /_security/api_key must not lock it out.
ADMIN_KEY = "fuzz-admin-key"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
_TOKEN_FIELDS = ("max_tokens", "max_completion_tokens", "max_new_tokens")
TALLY: Counter[str] = Counter()
"""Requests sent, and those answered 5xx or not within their timeout (bench/fuzz.py reports them)."""


def fuzz_settings(data_dir: Any, fake: FakeHF) -> Settings:
    return Settings(
        data_dir=data_dir, api_keys=[ADMIN_KEY], allowed_url_hosts=["127.0.0.1"], hf_router_url=f"{fake.base}/router",
        hf_inference_url=f"{fake.base}/hf-inference", hf_hub_url=f"{fake.base}/hub",
        hf_endpoints_url=f"{fake.base}/endpoints/v2", log_format="text", log_level="error", registry_cache_seconds=0,
    )  # fmt: skip


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, fake_hf_server: FakeHF, shared_context: ServiceContext
) -> Iterator[str]:
    app = create_app(fuzz_settings(tmp_path_factory.mktemp("fuzz"), fake_hf_server), context=shared_context)
    with serve_app(app) as url:
        _warm(url)
        yield url


def _warm(url: str) -> None:
    """Load both default models first: a first call's model load is not what the fuzzer measures."""
    chat = {"model": ".smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    assert httpx.post(f"{url}/v1/chat/completions", json=chat, headers=ADMIN, timeout=600).status_code == 200
    embed = {"model": ".all-minilm-l6-v2", "input": "hi"}
    assert httpx.post(f"{url}/v1/embeddings", json=embed, headers=ADMIN, timeout=600).is_success


@pytest.fixture(scope="module")
def api_schema(served: str) -> Any:
    return schemathesis.openapi.from_url(f"{served}/openapi.json", headers=ADMIN)


def bound(case: Any) -> None:
    """Short generations only (a fuzzer asking for a million tokens would only measure the CPU); sent as admin."""
    case.headers = {**(case.headers or {}), **ADMIN}
    if isinstance(case.body, dict):
        for name in _TOKEN_FIELDS:
            if isinstance(case.body.get(name), int):
                case.body[name] = max(1, min(case.body[name], 4))
        parameters = case.body.get("parameters")
        if isinstance(parameters, dict) and isinstance(parameters.get("max_new_tokens"), int):
            parameters["max_new_tokens"] = max(1, min(parameters["max_new_tokens"], 4))


def answered(case: Any) -> None:
    """Send ``case`` and check its answer: within its timeout, then :data:`CHECKS`."""
    TALLY["requests"] += 1
    try:
        response = case.call(timeout=ANSWER_SECONDS)
    except requests.Timeout as exc:
        TALLY["unanswered"] += 1
        raise AssertionError(f"{case.method} {case.formatted_path} not answered within {ANSWER_SECONDS:g}s") from exc
    TALLY["5xx"] += response.status_code >= 500
    case.validate_response(response, checks=CHECKS)


def _seeded(test: Callable[..., None], *, examples: int, seed: int | None) -> Callable[..., None]:
    """``test`` with hypothesis settings: a fixed seed (``derandomize``) when ``seed`` is None."""
    chosen = settings(
        max_examples=examples, derandomize=seed is None, deadline=None, suppress_health_check=list(HealthCheck)
    )(test)
    return chosen if seed is None else hypothesis_seed(seed)(chosen)


def fuzz_operations(api_schema: Any, *, examples: int, seed: int | None = None) -> list[str]:
    """Run every operation ``examples`` times; the failures, one line each."""
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            bound(case)
            answered(case)

        try:
            _seeded(run, examples=examples, seed=seed)()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup is a BaseExceptionGroup only
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures


def fuzz_generation(url: str, *, examples: int, seed: int | None = None) -> list[str]:
    """Send ``examples`` hostile generation bodies (every face that generates); every problem, one line each."""
    failures: list[str] = []
    with httpx.Client(base_url=url, headers=ADMIN) as client:

        @given(call=generation_call())
        def run(call: tuple[str, dict[str, Any]]) -> None:
            TALLY["requests"] += 1
            problem = send(client, *call)
            if problem is not None:
                TALLY["unanswered" if "not answered" in problem else "5xx"] += 1
                failures.append(problem)

        _seeded(run, examples=examples, seed=seed)()
    return failures


def fuzz_tasks(url: str, *, examples: int, seed: int | None = None) -> list[str]:
    """Send ``examples`` hostile requests to the Hub tasks' routes (``fuzz_tasks.py``; the endpoints made
    by :func:`create_task_endpoints` first); every problem, one line each."""
    failures: list[str] = []
    with httpx.Client(base_url=url, headers=ADMIN) as client:

        @given(call=task_call())
        def run(call: Any) -> None:
            TALLY["requests"] += 1
            problem = send_task(client, call)
            if problem is not None:
                TALLY["unanswered" if "not answered" in problem else "5xx"] += 1
                failures.append(problem)

        _seeded(run, examples=examples, seed=seed)()
    return failures


def test_every_operation_answers_as_documented(api_schema: Any) -> None:
    failures = fuzz_operations(api_schema, examples=8)
    assert not failures, "\n\n".join(failures)


def test_generation_fields_that_reach_the_engine_are_answered_below_500_in_time(served: str) -> None:
    failures = fuzz_generation(served, examples=40)
    assert not failures, "\n".join(failures)


def test_hub_task_requests_are_answered_below_500_in_time(
    served: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    create_task_endpoints(served, tmp_path_factory.mktemp("tiny-models"), ADMIN)
    failures = fuzz_tasks(served, examples=200)
    assert not failures, "\n".join(failures)


def test_stateful_create_infer_update_delete(api_schema: Any) -> None:
    class Machine(api_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            bound(case)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
