"""``hfgate keys create|list|revoke`` and ``hfgate usage``: gateway keys and their usage, over the HTTP API.

Example:
    $ hfgate keys create search-app --role infer --endpoint 'search-*' --rpm 600 --expiration 90d
    $ hfgate usage --key <id> --from 2026-11-01
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hfgate.commands.common import DEFAULT_URL, JsonOpt, KeyOpt, UrlOpt, call_api, console, errors, print_json

USAGE_COLUMNS = (
    "key", "endpoint", "requests", "errors", "input tokens", "output tokens", "cached texts", "avg ms", "cost USD",
)  # fmt: skip

keys_app = typer.Typer(help="Manage gateway API keys (needs an admin key).", no_args_is_help=True)


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for the key (the application using it).")],
    role: Annotated[list[str], typer.Option("--role", help="admin, manage, monitor or infer; repeat for several.")],
    endpoint: Annotated[list[str] | None, typer.Option("--endpoint", help="An endpoint id or pattern.")] = None,
    expiration: Annotated[str | None, typer.Option(help="Lifetime such as 30d or 12h; default: never expires.")] = None,
    rpm: Annotated[int | None, typer.Option("--rpm", min=1, help="Requests per minute.")] = None,
    tpm: Annotated[int | None, typer.Option("--tpm", min=1, help="Tokens per minute (input + output).")] = None,
    per_day: Annotated[str | None, typer.Option("--usd-per-day", help="USD the key may spend per UTC day.")] = None,
    per_month: Annotated[str | None, typer.Option("--usd-per-month", help="USD per UTC month.")] = None,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a key; its secret is printed once and cannot be shown again."""
    body: dict[str, Any] = {"name": name, "roles": role, "endpoints": endpoint or []}
    if expiration:
        body["expiration"] = expiration
    body["limits"] = {"requests_per_minute": rpm, "tokens_per_minute": tpm, "usd_per_day": per_day,
                      "usd_per_month": per_month}  # fmt: skip
    created = call_api(lambda client: client.create_key(body), url=url, api_key=api_key)
    if as_json:
        print_json(created)
        return
    console.print(f"id: {created['id']}")
    console.print(f"key: {created['encoded']}", soft_wrap=True)
    errors.print("Store the key now: it is shown only once. Send it as 'Authorization: ApiKey <key>' (or Bearer).")


@keys_app.command("list")
def list_keys(
    name: Annotated[str | None, typer.Option(help="Only keys with this name.")] = None,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List keys: roles, endpoints, limits and state (never a secret)."""
    found = call_api(lambda client: client.list_keys(name=name), url=url, api_key=api_key)
    if as_json:
        print_json(found)
        return
    table = Table()
    for column in ("id", "name", "roles", "endpoints", "limits", "state"):
        table.add_column(column, no_wrap=column in ("id", "name"))
    for key in found:
        limits = key["limits"]
        state = "revoked" if key["invalidated"] else "active"
        rates = f"{limits['requests_per_minute'] or '-'} rpm, {limits['tokens_per_minute'] or '-'} tpm"
        spend = [
            f"${limits[f'usd_per_{period}']}/{period}" for period in ("day", "month") if limits.get(f"usd_per_{period}")
        ]
        rates = ", ".join([rates, *spend])
        table.add_row(key["id"], key["name"], ",".join(key["roles"]), ",".join(key["endpoints"]) or "all", rates, state)
    console.print(table)


@keys_app.command("revoke")
def revoke(
    ids: Annotated[list[str] | None, typer.Argument(help="Key ids.")] = None,
    name: Annotated[str | None, typer.Option(help="Revoke every key with this name instead.")] = None,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
) -> None:
    """Revoke keys on every replica (by id, or by name)."""
    if not ids and not name:
        errors.print("[red]give key ids, or --name[/red]")
        raise typer.Exit(2)
    answer = call_api(lambda client: client.revoke_keys(ids=ids, name=name), url=url, api_key=api_key)
    console.print(f"revoked: {', '.join(answer['invalidated_api_keys']) or 'none'}")
    if answer["previously_invalidated_api_keys"]:
        console.print(f"already revoked: {', '.join(answer['previously_invalidated_api_keys'])}")
    for detail in answer.get("error_details", []):  # absent when error_count is 0, as in Elasticsearch
        errors.print(f"[red]{escape(detail['reason'])}[/red]")
    if answer["error_count"]:
        raise typer.Exit(1)


def usage_command(
    key: Annotated[str | None, typer.Option(help="Only this key id.")] = None,
    endpoint: Annotated[str | None, typer.Option(help="Only this endpoint id.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this hour (ISO 8601, UTC).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Before this hour (ISO 8601, UTC).")] = None,
    by: Annotated[str, typer.Option("--by", help="One line per [hour] or per UTC [day].")] = "hour",
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Usage per hour (or day), key and endpoint: requests, errors, tokens, texts served from the embedding
    cache (which cost no tokens), latency, and spend at the endpoints' prices."""
    query = {"key": key, "endpoint": endpoint, "start": start, "end": end, "by": by}
    found = call_api(lambda c: c.usage(**query), url=url, api_key=api_key)
    if as_json:
        print_json(found)
        return
    table = Table()
    for column in (by, *USAGE_COLUMNS):
        table.add_column(column, no_wrap=True)
    for line in found["usage"]:
        table.add_row(line[by], line["key_name"], line["inference_id"], str(line["requests"]), str(line["errors"]),
                      str(line["input_tokens"]), str(line["output_tokens"]), str(line.get("cached_texts", 0)),
                      str(line["latency_ms_avg"]), line.get("cost_usd", "-"))  # fmt: skip
    console.print(table)
    totals = found["totals"]
    console.print(f"total: {totals['requests']} requests, {totals['errors']} errors, "
                  f"{totals['input_tokens']} input and {totals['output_tokens']} output tokens, "
                  f"{totals.get('cached_texts', 0)} texts from the embedding cache, "
                  f"{totals.get('cost_usd', '0')} USD")  # fmt: skip
