"""The CLI over a live server: tables, --json, stdin input, errors, and the serve guard."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.client import Client, ClientError
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.support.live_server import live_server

runner = CliRunner()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("cli"), log_format="text", log_level="warning")
    with live_server(settings, context=shared_context) as url:
        yield url


def invoke(server: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    """Exit code and standard output (JSON must be alone there: spinners and errors go to stderr)."""
    result = runner.invoke(app, [*args, "--url", server], input=stdin)
    return result.exit_code, result.stdout if "--json" in args else result.output


def test_list_shows_the_default_endpoint_as_a_table_and_as_json(server: str) -> None:
    code, out = invoke(server, "endpoints", "list")
    assert code == 0
    assert ".all-minilm-l6-v2" in out
    assert "text_embedding" in out
    code, out = invoke(server, "endpoints", "list", "--json")
    assert json.loads(out)[0]["service_settings"]["dimensions"] == 384


def test_create_get_infer_and_delete_round_trip(server: str) -> None:
    code, out = invoke(
        server, "endpoints", "create", "cli-emb", "-t", "text_embedding", "-s", "local",
        "--setting", "model=all-MiniLM-L6-v2", "--skip-validation",
    )  # fmt: skip
    assert code == 0, out
    code, out = invoke(server, "endpoints", "get", "cli-emb", "--json")
    assert json.loads(out)["service"] == "local"
    code, out = invoke(server, "infer", "cli-emb", "hello", "world", "--json")
    assert code == 0, out
    assert len(json.loads(out)["text_embedding"]) == 2
    code, out = invoke(server, "infer", "cli-emb", stdin="one line\nanother line\n")
    assert code == 0
    assert "384 dimensions" in out
    code, out = invoke(server, "endpoints", "delete", "cli-emb")
    assert code == 0


def test_errors_print_the_reason_and_exit_1(server: str) -> None:
    code, out = invoke(server, "endpoints", "get", "missing")
    assert code == 1
    assert "Inference endpoint not found [missing]" in out
    unreachable = runner.invoke(app, ["endpoints", "list", "--url", "http://127.0.0.1:9"])
    assert unreachable.exit_code == 1
    assert "cannot reach hfgate" in unreachable.output


def test_bad_setting_syntax_exits_2(server: str) -> None:
    code, out = invoke(
        server, "endpoints", "create", "x", "-t", "text_embedding", "-s", "local", "--setting", "noequals"
    )
    assert code == 2
    assert "KEY=VALUE" in out


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hfgate.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, timeout=60,
        env={"HFGATE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0 without gateway API keys" in result.stderr
    assert "HFGATE_API_KEYS" in result.stderr
    assert "--insecure" in result.stderr


def test_the_python_client_updates_an_endpoints_chunking_and_reads_it_back(server: str) -> None:
    config = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
    chunking = {"strategy": "sentence", "max_chunk_size": 60, "sentence_overlap": 0}
    with Client(server) as client:
        client.create_endpoint("client-upd", task_type="text_embedding", config=config, skip_validation=True)
        try:
            updated = client.update_endpoint("client-upd", {"chunking_settings": chunking})
            assert updated["chunking_settings"] == chunking
            assert client.get_endpoint("client-upd")["chunking_settings"] == chunking
            with pytest.raises(ClientError) as refused:
                client.update_endpoint("client-upd", {"chunking_settings": {"strategy": "paragraph"}})
            assert refused.value.status == 400
        finally:
            client.delete_endpoint("client-upd")
