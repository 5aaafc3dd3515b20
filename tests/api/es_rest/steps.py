"""The steps of Elasticsearch's YAML REST test language that the pinned files use, run against an app.

A test is a list of steps, each a one-key mapping: ``do`` (call an API, optionally expecting an error
with ``catch``), then assertions on the last response (``match``, ``length``, ``is_true``, ``is_false``,
``gt``/``gte``/``lt``/``lte``), ``set`` (keep a value as ``$name``), and ``skip``/``requires`` (features
this runner has or lacks). A step this runner does not know fails the test, naming it, rather than being
passed over. The semantics follow Elasticsearch's ``ESClientYamlSuiteTestCase`` and its sections.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.api.es_rest.api_spec import build
from tests.api.es_rest.left_out import NOOPS

# Features a test may ask the runner for (``skip: features``); tests needing others are skipped.
FEATURES = frozenset({"headers", "warnings", "allowed_warnings"})
CATCHES = {"bad_request": 400, "unauthorized": 401, "forbidden": 403, "missing": 404, "request_timeout": 408,
           "conflict": 409, "unavailable": 503}  # fmt: skip
_WHOLE = re.compile(r"^\$\{?([A-Za-z_][\w.]*)\}?$")
_EMBEDDED = re.compile(r"\$\{([^}]+)\}")
_DO_OPTIONS = frozenset({"catch", "headers", "warnings", "allowed_warnings", "warnings_regex", "node_selector"})


@dataclass
class Runner:
    """Runs steps over ``http``, each request authorised with ``auth`` unless a step sends its own."""

    http: httpx.AsyncClient
    auth: str
    stash: dict[str, Any] = field(default_factory=dict)
    body: Any = None

    async def run(self, steps: Sequence[Mapping[str, Any]]) -> None:
        for step in steps:
            ((kind, argument),) = step.items()
            await self.step(kind, argument)

    async def step(self, kind: str, argument: Any) -> None:
        if kind == "do":
            await self.do(argument)
        elif kind in ("skip", "requires"):
            check_features(argument)
        elif kind == "set":
            for path, name in argument.items():
                self.stash[name] = self.lookup(path)
        elif kind in ASSERTIONS:
            for path, expected in _pairs(argument):
                ASSERTIONS[kind](self.lookup(path), self.resolve(expected), path)
        else:
            raise NotImplementedError(f"the runner has no step [{kind}]")

    async def do(self, argument: Mapping[str, Any]) -> None:
        ((api, raw),) = ((k, v) for k, v in argument.items() if k not in _DO_OPTIONS)
        if api in NOOPS:
            return
        arguments = dict(self.resolve(raw or {}))
        ignore = {int(code) for code in _as_list(arguments.pop("ignore", []))}
        if isinstance(arguments.get("body"), str):
            arguments["body"] = self.resolve(json.loads(arguments["body"]))
        call = build(api, arguments)
        headers = {"Authorization": self.auth, **self.resolve(argument.get("headers", {}))}
        answer = await self.http.request(
            call.method, call.path, params=call.params, headers=headers,
            json=call.body if call.body is not None else None,
        )  # fmt: skip
        self.body = answer.json() if answer.content else None
        _check_status(answer, catch=argument.get("catch"), ignore=ignore, api=api)

    def lookup(self, path: str) -> Any:
        """The value at ``path`` (``a.0.b``; ``\\.`` escapes a dot) in the last response body."""
        value: Any = self.body
        if path in ("$body", ""):
            return value
        for segment in re.split(r"(?<!\\)\.", path):
            key = self.resolve(segment.replace("\\.", "."))
            if isinstance(value, list) and str(key).isdigit():
                value = value[int(key)] if int(key) < len(value) else None
            elif isinstance(value, dict):
                value = value.get(str(key))
            else:
                return None
        return value

    def resolve(self, value: Any) -> Any:
        """``value`` with stashed values put in: ``$name`` (the whole string) or ``${name}`` (within one)."""
        if isinstance(value, dict):
            return {self.resolve(k): self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, str):
            return value
        whole = _WHOLE.match(value)
        if whole and whole.group(1) in self.stash:
            return self.stash[whole.group(1)]
        return _EMBEDDED.sub(lambda m: str(self.stash[m.group(1)]), value)


def check_features(section: Mapping[str, Any]) -> None:
    """Skip the test when it needs a runner feature this runner lacks."""
    wanted = _as_list(section.get("features", [])) + _as_list(section.get("test_runner_features", []))
    lacking = sorted(set(wanted) - FEATURES)
    if lacking:
        pytest.skip(f"needs runner features {lacking}")


def _check_status(answer: httpx.Response, *, catch: str | None, ignore: set[int], api: str) -> None:
    status = answer.status_code
    if catch is None:
        assert status < 400 or status in ignore, f"{api} answered {status}: {answer.text}"
    elif catch.startswith("/"):
        assert status >= 400, f"{api} answered {status}, expected an error"
        assert re.search(catch.strip("/"), answer.text, re.VERBOSE), f"{catch} not in {answer.text}"
    elif catch == "request":
        assert 400 <= status < 600, f"{api} answered {status}, expected an error"
    else:
        assert status == CATCHES[catch], f"{api} answered {status}, expected {catch}: {answer.text}"


def _match(actual: Any, expected: Any, path: str) -> None:
    """Equality, or, for ``/…/``, a regular expression found in the value (whitespace in it ignored)."""
    regex = expected.strip() if isinstance(expected, str) else ""
    if len(regex) > 1 and regex.startswith("/") and regex.endswith("/"):
        assert re.search(regex[1:-1], str(actual), re.VERBOSE), f"[{path}] is {actual!r}, not matching {expected}"
        return
    assert actual == expected, f"[{path}] is {actual!r}, expected {expected!r}"


def _length(actual: Any, expected: Any, path: str) -> None:
    assert actual is not None, f"[{path}] is missing"
    assert len(actual) == int(expected), f"[{path}] has {len(actual)} entries, expected {expected}"


def _truthy(actual: Any) -> bool:
    return actual not in (None, False, "") and str(actual).lower() != "false"


def _is_true(actual: Any, _: Any, path: str) -> None:
    assert _truthy(actual), f"[{path}] is {actual!r}, expected a true value"


def _is_false(actual: Any, _: Any, path: str) -> None:
    assert not _truthy(actual), f"[{path}] is {actual!r}, expected a false or missing value"


def _compare(name: str, holds: Any) -> Any:
    def check(actual: Any, expected: Any, path: str) -> None:
        assert actual is not None, f"[{path}] is missing"
        assert holds(actual, expected), f"[{path}] is {actual!r}, not {name} {expected!r}"

    return check


ASSERTIONS = {
    "match": _match,
    "length": _length,
    "is_true": _is_true,
    "is_false": _is_false,
    "gt": _compare("gt", lambda a, e: a > e),
    "gte": _compare("gte", lambda a, e: a >= e),
    "lt": _compare("lt", lambda a, e: a < e),
    "lte": _compare("lte", lambda a, e: a <= e),
}


def _pairs(argument: Any) -> list[tuple[str, Any]]:
    """``is_true: path`` names one path; the other assertions map paths to expected values."""
    if isinstance(argument, str):
        return [(argument, None)]
    return list(argument.items())


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
