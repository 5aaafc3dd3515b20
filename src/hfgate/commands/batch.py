"""``hfgate batch run|wait|list|show|cancel``: batches of requests (OpenAI's Batch API) from the command line,
over the HTTP API, with a progress bar (or JSON lines for scripts).

The batch runs inside hfgate, not in this command: interrupt the command and the batch goes on; ``hfgate batch
wait`` follows it again and downloads its results.

Example:
    $ hfgate batch run requests.jsonl --endpoint /v1/embeddings        # requests.output.jsonl, .errors.jsonl
    $ hfgate batch wait batch_0a1b… --output results.jsonl
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from hfgate.client import Client
from hfgate.commands.common import DEFAULT_URL, JsonOpt, KeyOpt, UrlOpt, call_api, console, errors, print_json

OVER = ("completed", "failed", "cancelled", "expired")

batch_app = typer.Typer(help="Run batches of requests (OpenAI's Batch API) and follow them.", no_args_is_help=True)

OutputOpt = Annotated[
    Path | None, typer.Option("--output", help="Where the answered lines go; default: <input>.output.jsonl.")
]
ErrorsOpt = Annotated[
    Path | None, typer.Option("--errors", help="Where the failed lines go; default: <input>.errors.jsonl.")
]
PollOpt = Annotated[float, typer.Option("--poll", min=0.05, help="Seconds between progress checks.")]


@batch_app.command("run")
def run(
    source: Annotated[Path, typer.Argument(help="JSON lines of {custom_id, method, url, body}.", exists=True)],
    endpoint: Annotated[str, typer.Option("--endpoint", help="The route of every line, e.g. /v1/embeddings.")],
    output: OutputOpt = None,
    errors_to: ErrorsOpt = None,
    *,
    metadata: Annotated[list[str] | None, typer.Option("--metadata", help="key=value; repeat for several.")] = None,
    detach: Annotated[bool, typer.Option("--detach", help="Print the batch id and leave it running.")] = False,
    poll: PollOpt = 1.0,
    url: UrlOpt = DEFAULT_URL,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Upload a file of requests, run it as a batch and download its results."""
    labels = dict(_pair(item) for item in metadata or [])

    def start(client: Client) -> dict[str, Any]:
        uploaded = client.upload_file(source)
        return client.create_batch(uploaded["id"], endpoint=endpoint, metadata=labels or None)

    batch = call_api(start, url=url, api_key=api_key)
    if batch["status"] == "failed":
        _say_refused(batch, as_json=as_json)
        raise typer.Exit(1)
    if detach:
        _say(batch, as_json=as_json, line=batch["id"])
        return
    base = source.with_suffix("")
    _follow(batch, output or base.with_suffix(".output.jsonl"), errors_to or base.with_suffix(".errors.jsonl"),
            poll=poll, url=url, api_key=api_key, as_json=as_json)  # fmt: skip


@batch_app.command("wait")
def wait(
    batch_id: Annotated[str, typer.Argument(help="The batch's id.")],
    output: OutputOpt = None,
    errors_to: ErrorsOpt = None,
    *,
    poll: PollOpt = 1.0,
    url: UrlOpt = DEFAULT_URL,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Follow a batch until it ends, then download its results (default: <batch id>.output.jsonl)."""
    batch = call_api(lambda client: client.get_batch(batch_id), url=url, api_key=api_key)
    _follow(batch, output or Path(f"{batch_id}.output.jsonl"), errors_to or Path(f"{batch_id}.errors.jsonl"),
            poll=poll, url=url, api_key=api_key, as_json=as_json)  # fmt: skip


@batch_app.command("list")
def list_batches(
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="How many, newest first.")] = 20,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The key's batches, newest first."""
    batches = call_api(lambda client: client.list_batches(limit=limit), url=url, api_key=api_key)
    if as_json:
        print_json(batches)
        return
    table = Table("id", "endpoint", "status", "done", "failed", "total", "created")
    for batch in batches:
        counts = batch["request_counts"]
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(batch["created_at"]))
        table.add_row(batch["id"], batch["endpoint"], batch["status"], str(counts["completed"]),
                      str(counts["failed"]), str(counts["total"]), created)  # fmt: skip
    console.print(table)


@batch_app.command("show")
def show(batch_id: str, url: UrlOpt = DEFAULT_URL, *, api_key: KeyOpt = None) -> None:
    """A batch's whole object (JSON)."""
    print_json(call_api(lambda client: client.get_batch(batch_id), url=url, api_key=api_key))


@batch_app.command("cancel")
def cancel(batch_id: str, url: UrlOpt = DEFAULT_URL, *, api_key: KeyOpt = None, as_json: JsonOpt = False) -> None:
    """Cancel a batch: no line starts after this; the lines in flight finish and stay in its output."""
    batch = call_api(lambda client: client.cancel_batch(batch_id), url=url, api_key=api_key)
    _say(batch, as_json=as_json, line=f"{batch['id']}: {batch['status']}")


def _follow(
    batch: dict[str, Any], output: Path, errors_to: Path, *, poll: float, url: str, api_key: str | None, as_json: bool
) -> None:
    batch_id = batch["id"]
    try:
        batch = call_api(lambda client: _watched(client, batch, poll=poll, as_json=as_json), url=url, api_key=api_key)
    except KeyboardInterrupt:
        errors.print(f"Stopped following. The batch runs on in hfgate: `hfgate batch wait {batch_id}` follows it, "
                     f"`hfgate batch cancel {batch_id}` stops it.")  # fmt: skip
        raise typer.Exit(130) from None
    written = call_api(lambda client: _download(client, batch, output, errors_to), url=url, api_key=api_key)
    counts = batch["request_counts"]
    if as_json:
        print_json({"event": "done", "batch": batch, "files": {str(path): size for path, size in written}})
    else:
        console.print(f"{batch_id}: [bold]{batch['status']}[/bold], {counts['completed']} answered, "
                      f"{counts['failed']} failed of {counts['total']}")  # fmt: skip
        for path, size in written:
            console.print(f"  {escape(str(path))} ({size} bytes)")
        for error in (batch.get("errors") or {}).get("data") or []:
            errors.print(f"[red]{escape(str(error.get('code')))}[/red] {escape(str(error.get('message')))}")
    if batch["status"] != "completed":
        raise typer.Exit(1)


def _watched(client: Client, batch: dict[str, Any], *, poll: float, as_json: bool) -> dict[str, Any]:
    """``batch`` once it is over, its progress shown as it goes."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=errors, disable=as_json) as bar:
        task = bar.add_task(batch["id"], total=batch["request_counts"]["total"] or None, rate="")
        started, first = time.monotonic(), _done(batch)
        while True:
            done = _done(batch)
            rate = (done - first) / max(time.monotonic() - started, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:.1f}/s", description=f"{batch['id']} {batch['status']}")
            if as_json:
                print_json({"event": "progress", "status": batch["status"], **batch["request_counts"]})
            if batch["status"] in OVER:
                return batch
            time.sleep(poll)
            batch = client.get_batch(batch["id"])


def _download(client: Client, batch: dict[str, Any], output: Path, errors_to: Path) -> list[tuple[Path, int]]:
    files = ((batch.get("output_file_id"), output), (batch.get("error_file_id"), errors_to))
    return [(path, client.download_file(file_id, path)) for file_id, path in files if file_id]


def _done(batch: dict[str, Any]) -> int:
    counts = batch["request_counts"]
    return int(counts["completed"]) + int(counts["failed"])


def _say(batch: dict[str, Any], *, as_json: bool, line: str) -> None:
    if as_json:
        print_json(batch)
    else:
        console.print(line)


def _say_refused(batch: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print_json(batch)
        return
    errors.print(f"[red]The batch was refused[/red]: its input file has bad lines ({batch['id']}).")
    for error in (batch.get("errors") or {}).get("data") or []:
        errors.print(f"  line {error.get('line')}: {escape(str(error.get('message')))}")


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"[{item}] is not key=value", param_hint="--metadata")
    return key, value
