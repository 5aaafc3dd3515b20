"""``hfgate apply -f FILE`` and ``hfgate export``: the registry as a file kept in git, over the HTTP API.

Example:
    $ hfgate export > hfgate.yaml            # endpoints and keys, secrets as ${ENV_VAR} references
    $ HF_TOKEN=hf_… hfgate apply -f hfgate.yaml --dry-run
    $ HF_TOKEN=hf_… hfgate apply -f hfgate.yaml --prune
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from hfgate.commands.common import DEFAULT_URL, JsonOpt, KeyOpt, UrlOpt, call_api, console, errors, print_json

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def apply_command(
    file: Annotated[Path, typer.Option("-f", "--file", help="The YAML or JSON file.", exists=True, dir_okay=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would change; change nothing.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Delete endpoints and revoke keys the file lacks.")] = False,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make the registry match FILE: create, update (and with --prune delete) endpoints and keys (admin key)."""
    text = file.read_text(encoding="utf-8")
    env = {name: os.environ[name] for name in set(_REFERENCE.findall(text)) if name in os.environ}
    body = {"document": text, "file": str(file), "env": env, "dry_run": dry_run, "prune": prune}
    result = call_api(lambda client: client.apply(body), url=url, api_key=api_key)
    if as_json:
        print_json(result)
        return
    if result["diff"]:
        console.print(escape(result["diff"]), highlight=False)
    console.print(("dry run: " if dry_run else "") + result["summary"], highlight=False)
    for key in result["created_keys"]:
        console.print(f"new key [bold]{escape(key['name'])}[/bold] (id {key['id']}): {key['encoded']}", soft_wrap=True)
    if result["created_keys"]:
        errors.print("Store the new keys now: they are shown only once.")


def export_command(
    fmt: Annotated[str, typer.Option("--format", help="yaml or json.")] = "yaml",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")] = None,
    url: UrlOpt = DEFAULT_URL,
    *,
    api_key: KeyOpt = None,
) -> None:
    """Write the registry (endpoints and keys) as a file `hfgate apply` takes, secrets as ${ENV_VAR} references."""
    if fmt not in ("yaml", "json"):
        errors.print(f"[red]--format must be yaml or json[/red], got {escape(fmt)}")
        raise typer.Exit(2)
    text = call_api(lambda client: client.export(fmt), url=url, api_key=api_key)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
