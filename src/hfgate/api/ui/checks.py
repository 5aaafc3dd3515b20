"""Creating an endpoint from the web form, with the outcome of each check told in words.

It runs exactly what ``PUT _inference/{task_type}/{id}`` runs (:meth:`Orchestrator.create`); only the
report differs: the API answers with the first error, the page lists the checks in order — settings,
id, test call — with which passed, which failed and why, and which were not reached.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from hfgate.api.ui.i18n import N_, PageText
from hfgate.errors import AlreadyExistsError, HfGateError, RequestValidationError, ValidationCallError
from hfgate.orchestrator import Orchestrator
from hfgate.orchestrator.core import VALIDATION_FAILED
from hfgate.registry.endpoint import Endpoint

Outcome = Literal["passed", "failed", "not run"]
STEPS = (
    ("settings", N_("The settings are complete and valid")),
    ("id", N_("The endpoint id is free")),
    ("call", N_("The model answered a test call")),
)
OUTCOME_LABELS: dict[str, str] = {"passed": N_("passed"), "failed": N_("failed"), "not run": N_("not run")}


@dataclass(frozen=True, slots=True)
class Check:
    """One step of creating an endpoint, and what happened at it."""

    step: str
    title: str
    outcome: Outcome
    details: tuple[str, ...] = ()


async def create_with_checks(
    orch: Orchestrator, *, inference_id: str, task_type: str, body: dict[str, Any]
) -> tuple[Endpoint | None, list[Check], int]:
    """Create the endpoint; returns it (or ``None``), every check's outcome, and the HTTP status.

    Example:
        >>> # endpoint, checks, status = await create_with_checks(orch, inference_id="e", task_type=..., body=...)
    """
    try:
        endpoint = await orch.create(inference_id=inference_id, task_type=task_type, body=body)
    except HfGateError as exc:
        failed = _failed_step(exc)
        return None, _checks(failed, _details(exc)), exc.status
    return endpoint, _checks(None, _success_details(endpoint)), 200


def checks_json(checks: list[Check], text: PageText) -> list[dict[str, Any]]:
    """The checks for the page: title and outcome in its language; the API's own reasons stay as they are.

    A failed check's details are Elasticsearch's English reasons, which users search the web for, so
    they are not translated; a passed test call's findings are hfgate's own words, and are.
    """
    return [_check_json(check, text) for check in checks]


def _check_json(check: Check, text: PageText) -> dict[str, Any]:
    found = asdict(check)
    found["title"] = text.gettext(check.title)
    found["outcome_label"] = text.gettext(OUTCOME_LABELS[check.outcome])
    found["heading"] = found["title"] + text.gettext(": ") + found["outcome_label"]
    found["details_translated"] = check.outcome == "passed"
    if check.outcome == "passed":
        # What the test call found: a translated label, and a value (a number, a model name) kept as it is.
        found["findings"] = [_finding(detail, text) for detail in check.details]
        found["details"] = [f"{f['label']}{f['separator']}{f['value']}" for f in found["findings"]]
    return found


def _finding(detail: str, text: PageText) -> dict[str, str]:
    label, sep, value = detail.partition(": ")
    if not sep:
        return {"label": text.gettext(detail), "separator": "", "value": ""}
    return {"label": text.gettext(label), "separator": text.gettext(": "), "value": value}


def _failed_step(exc: HfGateError) -> str:
    # A failed test call keeps the status of what failed (401, 429, 502…), so it is recognised by
    # Elasticsearch's message rather than by its class alone.
    if isinstance(exc, ValidationCallError) or exc.reason.startswith(VALIDATION_FAILED):
        return "call"
    if isinstance(exc, AlreadyExistsError):
        return "id"
    return "settings"


def _checks(failed: str | None, details: tuple[str, ...]) -> list[Check]:
    checks: list[Check] = []
    reached_failure = False
    for step, title in STEPS:
        if reached_failure:
            checks.append(Check(step, title, "not run"))
        elif step == failed:
            checks.append(Check(step, title, "failed", details))
            reached_failure = True
        else:
            # On success, the details describe what the test call found.
            checks.append(Check(step, title, "passed", details if step == "call" else ()))
    return checks


def _details(exc: HfGateError) -> tuple[str, ...]:
    # The test call's own error says more than Elasticsearch's wrapper around it.
    cause = exc.__cause__ if isinstance(exc.__cause__, HfGateError) else exc
    if isinstance(cause, RequestValidationError):
        return tuple(cause.problems)
    return (cause.reason.removeprefix(VALIDATION_FAILED).strip(),)


def _success_details(endpoint: Endpoint) -> tuple[str, ...]:
    settings = endpoint.service_settings
    found = [f"{label}: {settings[key]}" for key, label in _RECORDED if key in settings]
    return tuple(found) or (N_("It answered."),)


_RECORDED = (
    ("dimensions", N_("Vector dimensions")),
    ("similarity", N_("Similarity")),
    ("task", N_("Generation task")),
    ("served_model", N_("Served model")),
)
