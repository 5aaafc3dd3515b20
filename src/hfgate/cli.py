"""``hfgate``: serve the API, and manage endpoints and run inference over it."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Any

import typer
from rich.markup import escape

from hfgate.commands.apply import apply_command, export_command
from hfgate.commands.backup import backup_command
from hfgate.commands.batch import batch_app
from hfgate.commands.common import errors
from hfgate.commands.endpoints import endpoints_app, infer_command
from hfgate.commands.keys import keys_app, usage_command
from hfgate.commands.models import models_app, pull_command
from hfgate.commands.prepare import prepare_command
from hfgate.commands.secret_key import secret_key_app
from hfgate.corpus.command import embed_corpus_command

app = typer.Typer(help="hfgate: Hugging Face models behind one dependable API.", no_args_is_help=True)
app.add_typer(endpoints_app, name="endpoints")
app.command("infer")(infer_command)
app.command("embed-corpus")(embed_corpus_command)
app.add_typer(batch_app, name="batch")
app.add_typer(keys_app, name="keys")
app.command("usage")(usage_command)
app.command("backup")(backup_command)
app.command("apply")(apply_command)
app.command("export")(export_command)
app.command("prepare")(prepare_command)
app.add_typer(secret_key_app, name="secret-key")
app.command("pull")(pull_command)
app.add_typer(models_app, name="models")


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
    from hfgate.process.serve import run_workers, uvicorn_options
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
    os.environ.update(
        {
            "HFGATE_PRELOAD_MODELS": str(preload).lower(),
            "HFGATE_REPLICAS": str(replicas),
            "HFGATE_WORKERS": str(workers),
        }
    )
    prepare_multiprocess_dir(workers)  # /metrics on any worker then sums them all
    run_workers("hfgate.api.app:create_app", workers=workers, host=host, port=port, settings=settings)


def _prepare_database(settings: Any) -> bool:
    """Migrate, make the key file and check the fleet's secret key once, before any worker starts;
    whether the registry holds an active API key."""
    from hfgate.errors import SchemaTooNewError, SecretKeyMismatchError
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
    except (SchemaTooNewError, SecretKeyMismatchError) as exc:
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
