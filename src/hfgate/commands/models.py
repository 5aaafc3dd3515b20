"""``hfgate pull`` fetches a Hub model into the Hugging Face cache ahead of time, with a progress bar;
``hfgate models`` lists what the cache holds, its size and the endpoints using each model;
``hfgate models rm MODEL`` removes one no endpoint uses.

They work on this machine's cache and registry (HFGATE_* settings, HF_HUB_CACHE, HF_ENDPOINT), with
no server running.

Example:
    $ hfgate pull intfloat/e5-small-v2
    $ hfgate models
    $ hfgate models rm intfloat/e5-small-v2
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from hfgate.commands.common import JsonOpt, console, errors

models_app = typer.Typer(help="The Hub models in the Hugging Face cache.", invoke_without_command=True)


def pull_command(
    model: Annotated[str, typer.Argument(help="A Hub model id (org/name, hf.co/org/name:Q4_K_M) or a preset name.")],
    revision: Annotated[str | None, typer.Option(help="A branch, tag or commit; default main.")] = None,
    gguf_file: Annotated[str | None, typer.Option(help="The GGUF file to fetch from a GGUF repository.")] = None,
) -> None:
    """Fetch a Hub model into the Hugging Face cache, so that endpoints on it start at once."""
    from hfgate.config import Settings
    from hfgate.errors import HfGateError
    from hfgate.local.hub.fetch import fetch, resolve
    from hfgate.local.hub.progress import Progress as Bytes
    from hfgate.local.hub.source import HubSource

    source = HubSource.from_settings(Settings())
    try:
        resolved = resolve(source, _hub_model(model), revision=revision, gguf=gguf_file)
        counted = Bytes(resolved.sizes)
        path = _with_bar(lambda: fetch(source, resolved, progress=counted), counted, label=resolved.repo_id)
    except HfGateError as exc:
        errors.print(f"[red]{escape(model)}: not fetched:[/red] {escape(exc.reason)}")
        raise typer.Exit(1) from exc
    size = sum(resolved.sizes.values())
    console.print(f"{resolved.repo_id}@{resolved.commit}: {len(resolved.files)} files, {size / 1e6:.1f} MB in {path}")


@models_app.callback()
def models_command(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the Hub models in the Hugging Face cache, their size and the endpoints using them."""
    if ctx.invoked_subcommand is not None:
        return
    from hfgate.local.hub.cached import cached_models

    source, users = _source_and_users()
    models = cached_models(source, users)
    if as_json:
        rows = [
            {"model": m.repo_id, "size_bytes": m.size_bytes, "commits": m.commits, "used_by": m.used_by} for m in models
        ]
        console.print_json(json.dumps(rows))
        return
    table = Table("model", "size", "commits", "used by")
    for m in models:
        table.add_row(
            m.repo_id, f"{m.size_bytes / 1e6:.1f} MB", " ".join(c[:10] for c in m.commits), ", ".join(m.used_by)
        )
    console.print(table)
    console.print(f"{len(models)} model(s), {sum(m.size_bytes for m in models) / 1e6:.1f} MB in {source.cache_dir}")


@models_app.command("rm")
def remove_command(model: Annotated[str, typer.Argument(help="The Hub model id to remove from the cache.")]) -> None:
    """Remove a model no endpoint uses from the Hugging Face cache."""
    from hfgate.errors import HfGateError
    from hfgate.local.hub.cached import remove_model

    source, users = _source_and_users()
    try:
        freed = remove_model(source, _hub_model(model).repo_id, users)
    except HfGateError as exc:
        errors.print(f"[red]Not removed:[/red] {escape(exc.reason)}")
        raise typer.Exit(1) from exc
    console.print(f"{model}: removed, {freed / 1e6:.1f} MB freed")


def _hub_model(name: str) -> Any:
    from hfgate.local.hub.reference import hub_model
    from hfgate.local.presets import preset

    known = preset(name)
    found = hub_model(known.repo_id if known is not None else name)
    if found is None:
        errors.print(f"[red]{escape(name)} is not a Hub model id[/red] (org/name, or a preset such as e5-small-v2)")
        raise typer.Exit(2)
    return found


def _source_and_users() -> tuple[Any, dict[str, list[str]]]:
    """The cache, and the local endpoints of this machine's registry by the Hub model they use."""
    from hfgate.config import Settings
    from hfgate.local.hub.cached import users_by_repo
    from hfgate.local.hub.source import HubSource

    settings = Settings()
    return HubSource.from_settings(settings), users_by_repo(_local_models(settings))


def _local_models(settings: Any) -> list[tuple[str, str]]:
    from hfgate.errors import HfGateError
    from hfgate.local.catalog import is_local
    from hfgate.local.hub.reference import hub_model
    from hfgate.local.presets import preset
    from hfgate.registry.database import make_engine
    from hfgate.registry.migrations import migrate
    from hfgate.registry.secrets import SecretBox
    from hfgate.registry.store import EndpointStore

    engine = make_engine(settings)
    try:
        migrate(engine)  # as hfgate serve does: a new data directory gets its (empty) registry
        endpoints = EndpointStore(engine, SecretBox.from_settings(settings)).list()
    except HfGateError as exc:  # a registry too new for this version, or unreachable
        errors.print(f"[red]Cannot read the endpoints' registry:[/red] {escape(exc.reason)}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    pairs: list[tuple[str, str]] = []
    for endpoint in endpoints:
        name = str(endpoint.service_settings.get("model", ""))
        if endpoint.service != "local" or not name or is_local(name):
            continue
        known = preset(name)
        model = hub_model(known.repo_id if known is not None else name)
        if model is not None:
            pairs.append((endpoint.inference_id, model.repo_id))
    return pairs


def _with_bar(work: Any, counted: Any, *, label: str) -> Any:
    """Run ``work`` in a thread while a bar shows ``counted``'s bytes (on stderr: stdout stays for the result)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # re-raised below, in the command's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress("{task.description}", *columns, console=errors) as bar:
        task = bar.add_task(label, total=counted.now().total)
        thread.start()
        while thread.is_alive():
            thread.join(timeout=0.1)
            bar.update(task, completed=counted.now().done)
        bar.update(task, completed=counted.now().done)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
