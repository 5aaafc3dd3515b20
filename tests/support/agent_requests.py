"""Agents' first requests, recorded from the real CLIs and replayed without npm.

``tests/clients/test_agent_tool_turns.py`` runs each pinned agent through a recording proxy; with
``HFGATE_RECORD_AGENTS=1`` it writes the agent's first request to ``tests/clients/agent_requests/
<agent>.json`` (the credentials left out). ``tests/api/test_agent_first_requests.py`` sends each file to
hfgate in ``make check``, so a change of shape in hfgate is caught without installing an agent, and
``make agents-latest`` compares the newest releases' first requests with these files (:func:`shape`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fakes.coding_model import MODEL
from tests.fakes.hf_server import Recorded

FOLDER = Path(__file__).resolve().parents[1] / "clients" / "agent_requests"
_SECRET = frozenset({"authorization", "x-api-key", "x-goog-api-key", "cookie"})
ENDPOINT = "coder"
"""The endpoint id the agents are told to use: a ``hugging_face`` endpoint by url on the stand-in model."""


def save(agent: str, version: str, seen: Recorded) -> Path:
    path = FOLDER / f"{agent}.json"
    headers = {k: v for k, v in sorted(seen.headers.items()) if k not in _SECRET}
    record = {"agent": agent, "version": version, "method": seen.method, "path": seen.path,
              "headers": headers, "body": seen.body}  # fmt: skip
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return path


def load(agent: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((FOLDER / f"{agent}.json").read_text())
    return record


def recorded() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.json"))


def shape(body: Any, headers: dict[str, str]) -> dict[str, Any]:
    """What a change of agent release may change and hfgate must follow: the body's fields, the
    conversation's roles and content types, the tools' names and types, the headers' names."""
    body = body if isinstance(body, dict) else {}
    items = body.get("messages") or body.get("input") or body.get("contents") or []
    items = items if isinstance(items, list) else []
    return {
        "fields": sorted(body),
        "roles": [i.get("role") or i.get("type") for i in items if isinstance(i, dict)],
        "content types": sorted({_kind(p) for i in items if isinstance(i, dict) for p in _parts(i)}),
        "tools": sorted(_tool(t) for t in body.get("tools") or [] if isinstance(t, dict)),
        "headers": sorted(h for h in headers if h not in _SECRET),
    }


def _parts(item: dict[str, Any]) -> list[Any]:
    content = item.get("content", item.get("parts"))
    return content if isinstance(content, list) else []


def _kind(part: Any) -> str:
    if not isinstance(part, dict):
        return type(part).__name__
    return str(part.get("type") or ",".join(sorted(part)))


def _tool(tool: dict[str, Any]) -> str:
    name = tool.get("name") or (tool.get("function") or {}).get("name") or ",".join(sorted(tool))
    return f"{tool.get('type', '')}:{name}"


def retarget(body: Any) -> Any:
    """The recorded body, asking for the replay's endpoint (the recording named the same one)."""
    if isinstance(body, dict) and "model" in body:
        return {**body, "model": ENDPOINT}
    return body


__all__ = ["ENDPOINT", "FOLDER", "MODEL", "load", "recorded", "retarget", "save", "shape"]
