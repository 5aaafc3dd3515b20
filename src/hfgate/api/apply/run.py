"""``apply``: check the whole file, then make the registry match it through the same calls as the API."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from hfgate.access.control import AccessControl
from hfgate.api.apply.desired import read_desired
from hfgate.api.apply.plan import Change, Plan, plan_endpoints, plan_keys, secret_names
from hfgate.api.apply.source import read_document
from hfgate.errors import RequestValidationError
from hfgate.orchestrator import Orchestrator


async def apply_document(
    text: str, *, file: str, env: Mapping[str, str], orchestrator: Orchestrator, access: AccessControl,
    dry_run: bool = False, prune: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Make the registry match ``text``; what changed (or would, with ``dry_run``) and the new keys' secrets.

    Raises:
        RequestValidationError: every problem of the file, each naming file, line and field; nothing changed.
    """
    plan = await make_plan(text, file=file, env=env, orchestrator=orchestrator, access=access, prune=prune)
    created: list[dict[str, str]] = []
    if not dry_run:
        for change in plan.changes:
            created.extend(await _carry_out(change, orchestrator=orchestrator, access=access))
    lines = [change.line() for change in plan.changes]
    summary = "no changes: the registry matches the file" if not lines else f"{len(lines)} change(s)"
    return {
        "dry_run": dry_run,
        "summary": summary + ("" if dry_run or not lines else " applied"),
        "changes": [
            {"action": c.action, "kind": c.kind, "name": c.name, "details": list(c.details)} for c in plan.changes
        ],
        "diff": "\n".join(lines),
        "unchanged": plan.unchanged,
        "created_keys": created,
    }


async def make_plan(
    text: str, *, file: str, env: Mapping[str, str], orchestrator: Orchestrator, access: AccessControl, prune: bool
) -> Plan:
    document = read_document(text, file=file)
    desired = read_desired(document, env=env, secret_names=secret_names(orchestrator))
    plan = Plan(problems=list(desired.problems))
    stored = await asyncio.to_thread(orchestrator.store.list)
    plan_endpoints(desired, document, orchestrator=orchestrator, stored=stored, prune=prune, plan=plan)
    keys = await asyncio.to_thread(access.keys.list)
    plan_keys(desired, document, stored=keys, prune=prune, plan=plan)
    if plan.problems:
        raise RequestValidationError(plan.problems)
    return plan


async def _carry_out(change: Change, *, orchestrator: Orchestrator, access: AccessControl) -> list[dict[str, str]]:
    if change.kind == "endpoint":
        if change.action == "create":
            await orchestrator.create(inference_id=change.name, task_type=None, body=change.body)
        elif change.action == "update":
            await orchestrator.update(change.name, None, body=change.body)
        else:
            await orchestrator.delete(change.name)
        return []
    if change.action == "delete":
        await access.revoke(list(change.key_ids))
        return []
    assert change.key is not None
    if change.action == "update":
        await access.amend_keys(list(change.key_ids), change.key)
        return []
    issued, _ = await access.create_key(change.key)
    return [{"name": change.name, "id": issued.key_id, "encoded": issued.encoded}]
