"""What every client-side command shares: the options naming hfgate and a key, the consoles, and one way
to call the API that turns its errors into a message and an exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from hfgate.client import Client, ClientError

T = TypeVar("T")

console = Console()
errors = Console(stderr=True)

UrlOpt = Annotated[str, typer.Option("--url", envvar="HFGATE_URL", help="hfgate's address.")]
KeyOpt = Annotated[str | None, typer.Option("--api-key", envvar="HFGATE_API_KEY", help="A gateway API key.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
DEFAULT_URL = "http://127.0.0.1:8080"


def call_api(work: Callable[[Client], T], *, url: str, api_key: str | None) -> T:
    """Run ``work`` with a client of hfgate at ``url``; an API error or an unreachable server exits 1 with
    the reason (and, for the latter, the command that starts hfgate)."""
    try:
        with Client(url, api_key=api_key) as client:
            return work(client)
    except ClientError as exc:
        errors.print(f"[red]error {exc.status}[/red] {escape(exc.reason)}")
        raise typer.Exit(1) from exc
    except httpx.TransportError as exc:
        errors.print(f"[red]cannot reach hfgate[/red]: {escape(str(exc))}. Start it with `hfgate serve` or `make run`.")
        raise typer.Exit(1) from exc


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")
