"""``hfgate``: serve the API, and manage endpoints and run inference over it."""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hfgate.client import Client, ClientError
from hfgate.commands.keys import keys_app, usage_command
from hfgate.corpus.command import embed_corpus_command

app = typer.Typer(help="hfgate: Hugging Face models behind one dependable API.", no_args_is_help=True)
endpoints_app = typer.Typer(help="Manage inference endpoints.", no_args_is_help=True)
app.add_typer(endpoints_app, name="endpoints")
app.command("embed-corpus")(embed_corpus_command)
app.add_typer(keys_app, name="keys")
app.command("usage")(usage_command)

console = Console()
errors = Console(stderr=True)

UrlOpt = Annotated[str, typer.Option("--url", envvar="HFGATE_URL", help="hfgate's address.")]
KeyOpt = Annotated[str | None, typer.Option("--api-key", envvar="HFGATE_API_KEY", help="A gateway API key.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
DEFAULT_URL = "http://127.0.0.1:8080"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    *,
    insecure: Annotated[bool, typer.Option(help="Allow a non-loopback address without API keys.")] = False,
    preload: Annotated[
        bool, typer.Option(help="Load the default endpoints' models in the background at start-up.")
    ] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes, each a full replica (own models, own compute thread).")
    ] = 1,
) -> None:
    """Run the HTTP API (configured by HFGATE_* environment variables)."""
    import uvicorn

    from hfgate.api.app import create_app
    from hfgate.config import Settings
    from hfgate.serving import uvicorn_options
    from hfgate.telemetry.exposition import prepare_multiprocess_dir

    settings = Settings().model_copy(update={"preload_models": preload})
    has_keys = _prepare_database(settings)  # an API key in the registry closes the gateway too
    if not _is_loopback(host) and not settings.api_keys and not has_keys and not insecure:
        errors.print(
            f"[red]Refusing to listen on {host} without gateway API keys:[/red] anyone who can reach this "
            "machine could run your models and read or change your endpoints.\n"
            "Set HFGATE_API_KEYS=key1,key2 (clients then send 'Authorization: Bearer key1'), or create an API key "
            "first (hfgate keys create, on 127.0.0.1), or pass "
            "--insecure if the network is trusted."
        )
        raise typer.Exit(2)
    replicas = settings.replicas * workers
    if replicas > 1:
        _say_limits(replicas, redis=settings.redis_url is not None)
    if workers == 1:
        options = uvicorn_options(settings)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False, **options)
        return
    # Workers are spawned processes: they read their settings from the environment, like this one.
    os.environ.update({"HFGATE_PRELOAD_MODELS": str(preload).lower(), "HFGATE_REPLICAS": str(replicas)})
    prepare_multiprocess_dir(workers)  # /metrics on any worker then sums them all
    uvicorn.run(
        "hfgate.api.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        **uvicorn_options(settings),
    )


def _prepare_database(settings: Any) -> bool:
    """Migrate, make the key file and check the fleet's secret key once, before any worker starts;
    whether the registry holds an active API key."""
    from hfgate.errors import SecretKeyMismatchError
    from hfgate.registry.api_keys import KeyStore
    from hfgate.registry.database import make_engine
    from hfgate.registry.key_check import check_secret_key
    from hfgate.registry.migrations import migrate
    from hfgate.registry.secrets import SecretBox

    engine = make_engine(settings)
    try:
        migrate(engine)
        check_secret_key(engine, SecretBox.from_settings(settings))
        return KeyStore(engine).any_active()
    except SecretKeyMismatchError as exc:
        errors.print(f"[red]Refusing to start:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()


def _say_limits(replicas: int, *, redis: bool) -> None:
    if redis:
        errors.print(f"{replicas} replicas share every rate limit through Redis (HFGATE_REDIS_URL).")
    else:
        errors.print(
            f"{replicas} replicas (HFGATE_REPLICAS × --workers) without Redis: each keeps 1/{replicas} of every "
            "rate limit, so that together they keep it. Set HFGATE_REDIS_URL to share the limits exactly."
        )


@endpoints_app.command("list")
def list_endpoints(
    task_type: Annotated[str | None, typer.Option(help="Only this task type.")] = None,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List endpoints."""
    with _client(url, api_key) as client:
        found = _call(client.list_endpoints, task_type)
    if as_json:
        _print_json(found)
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
    with _client(url, api_key) as client:
        endpoint = _call(client.get_endpoint, inference_id)
    if as_json:
        _print_json(endpoint)
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
    with (
        _client(url, api_key) as client,
        errors.status(f"Creating {inference_id} (the check may load the model)…"),
    ):
        created = _call(
            client.create_endpoint,
            inference_id,
            task_type=task_type,
            config=config,
            skip_validation=skip_validation,
        )
    _print_json(created) if as_json else console.print(f"[green]created[/green] {inference_id}")


@endpoints_app.command("delete")
def delete_endpoint(inference_id: str, url: UrlOpt = DEFAULT_URL, *, api_key: KeyOpt = None) -> None:
    """Delete an endpoint."""
    with _client(url, api_key) as client:
        _call(client.delete_endpoint, inference_id)
    console.print(f"[green]deleted[/green] {inference_id}")


@app.command()
def infer(
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
    with (
        _client(url, api_key) as client,
        errors.status(f"Running {inference_id} (the first call loads the model)…"),
    ):
        result = _call(client.infer, inference_id, inputs, query=query)
    if as_json:
        _print_json(result)
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


def _client(url: str, api_key: str | None) -> Client:
    return Client(url, api_key=api_key)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ClientError as exc:
        errors.print(f"[red]error {exc.status}[/red] {escape(exc.reason)}")
        raise typer.Exit(1) from exc
    except httpx.TransportError as exc:
        errors.print(f"[red]cannot reach hfgate[/red]: {escape(str(exc))}. Start it with `hfgate serve` or `make run`.")
        raise typer.Exit(1) from exc


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


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main() -> None:
    app()


if __name__ == "__main__":
    main()
