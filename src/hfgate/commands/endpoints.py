"""``hfgate endpoints list|get|create|delete`` and ``hfgate infer``: endpoints and inference, over the HTTP API.

Example:
    $ hfgate endpoints create my-emb -t text_embedding -s local --setting model=all-MiniLM-L6-v2
    $ hfgate infer my-emb "hello world"
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from hfgate.commands.common import DEFAULT_URL, JsonOpt, KeyOpt, UrlOpt, call_api, console, errors, print_json

endpoints_app = typer.Typer(help="Manage inference endpoints.", no_args_is_help=True)


@endpoints_app.command("list")
def list_endpoints(
    task_type: Annotated[str | None, typer.Option(help="Only this task type.")] = None,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List endpoints."""
    found = call_api(lambda client: client.list_endpoints(task_type), url=url, api_key=api_key)
    if as_json:
        print_json(found)
        return
    table = Table()
    for column in ("inference_id", "task_type", "service"):
        table.add_column(column, no_wrap=True)  # ids and names are for copying: never cut or wrap them
    table.add_column("model / url", overflow="fold")
    table.add_column("dimensions", no_wrap=True)
    for endpoint in found:
        settings = endpoint["service_settings"]
        source = settings.get("model") or settings.get("model_id") or settings.get("url") or ""
        table.add_row(
            endpoint["inference_id"],
            endpoint["task_type"],
            endpoint["service"],
            str(source),
            str(settings.get("dimensions", "")),
        )
    console.print(table)


@endpoints_app.command("get")
def get_endpoint(
    inference_id: str, url: UrlOpt = DEFAULT_URL, *, api_key: KeyOpt = None, as_json: JsonOpt = False
) -> None:
    """Show one endpoint's settings (never its secrets)."""
    endpoint = call_api(lambda client: client.get_endpoint(inference_id), url=url, api_key=api_key)
    if as_json:
        print_json(endpoint)
        return
    table = Table("setting", "value", show_header=False)
    for key in ("inference_id", "task_type", "service"):
        table.add_row(key, str(endpoint[key]))
    for section in ("service_settings", "task_settings", "chunking_settings"):
        for key, value in (endpoint.get(section) or {}).items():
            table.add_row(f"{section}.{key}", json.dumps(value))
    console.print(table)


@endpoints_app.command("create")
def create_endpoint(
    inference_id: str,
    task_type: Annotated[str, typer.Option("--task-type", "-t", help="text_embedding, completion, …")],
    *,
    service: Annotated[str, typer.Option("--service", "-s", help="local or hugging_face.")],
    setting: Annotated[
        list[str] | None, typer.Option("--setting", help="service setting KEY=VALUE (JSON values allowed).")
    ] = None,
    task_setting: Annotated[list[str] | None, typer.Option("--task-setting", help="task setting KEY=VALUE.")] = None,
    skip_validation: Annotated[bool, typer.Option(help="Store without the validation call.")] = False,
    url: UrlOpt = DEFAULT_URL,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an endpoint.

    Example: hfgate endpoints create my-emb -t text_embedding -s local --setting model=all-MiniLM-L6-v2
    """
    config: dict[str, Any] = {"service": service, "service_settings": _pairs(setting)}
    if task_setting:
        config["task_settings"] = _pairs(task_setting)
    with errors.status(f"Creating {inference_id} (the check may load the model)…"):
        created = call_api(
            lambda client: client.create_endpoint(
                inference_id, task_type=task_type, config=config, skip_validation=skip_validation
            ),
            url=url,
            api_key=api_key,
        )
    print_json(created) if as_json else console.print(f"[green]created[/green] {inference_id}")


@endpoints_app.command("delete")
def delete_endpoint(inference_id: str, url: UrlOpt = DEFAULT_URL, *, api_key: KeyOpt = None) -> None:
    """Delete an endpoint."""
    call_api(lambda client: client.delete_endpoint(inference_id), url=url, api_key=api_key)
    console.print(f"[green]deleted[/green] {inference_id}")


def infer_command(
    inference_id: str,
    text: Annotated[list[str] | None, typer.Argument(help="Inputs; read from stdin, one per line, if none.")] = None,
    *,
    query: Annotated[str | None, typer.Option(help="The query, for rerank endpoints.")] = None,
    url: UrlOpt = DEFAULT_URL,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run inference on an endpoint."""
    inputs = text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    with errors.status(f"Running {inference_id} (the first call loads the model)…"):
        result = call_api(lambda client: client.infer(inference_id, inputs, query=query), url=url, api_key=api_key)
    if as_json:
        print_json(result)
        return
    _print_result(result)


def _print_result(result: dict[str, Any]) -> None:
    kind, items = next(iter(result.items()))
    table = Table("#", kind)
    for index, item in enumerate(items):
        table.add_row(str(index), escape(_summary(item)))
    console.print(table)


def _summary(item: dict[str, Any]) -> str:
    if "embedding" in item and isinstance(item["embedding"], list):
        vector = item["embedding"]
        head = ", ".join(f"{x:.4f}" for x in vector[:4])
        return f"[{head}, …] ({len(vector)} dimensions)"
    if "result" in item:
        return str(item["result"])
    return json.dumps(item)


def _pairs(items: list[str] | None) -> dict[str, Any]:
    pairs: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            errors.print(f"[red]--setting {item!r}[/red] must look like KEY=VALUE")
            raise typer.Exit(2)
        try:
            pairs[key] = json.loads(value)
        except json.JSONDecodeError:
            pairs[key] = value
    return pairs
