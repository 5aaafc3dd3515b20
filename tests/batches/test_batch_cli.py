"""``hfgate batch`` against a live hfgate (real HTTP, the fast counting service): run follows the batch to its
end and downloads its output and errors; --detach, wait, list, show and cancel; a refused file names its lines;
errors exit 1 with the server's message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from hfgate.cli import app
from hfgate.services import SERVICES
from tests.batches.gateway import BOOT, CountingService, embedding_lines, keyed_settings
from tests.support.live_server import live_server

runner = CliRunner()
TEXTS = ["the quick brown fox", "a lazy dog", "hello world"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(SERVICES, CountingService.name, CountingService)
        settings = keyed_settings(tmp_path_factory.mktemp("batch-cli"))
        with live_server(settings) as url:
            made = httpx.put(f"{url}/_inference/text_embedding/words", headers=BOOT,
                             json={"service": "counting", "service_settings": {"model": "words"}})  # fmt: skip
            assert made.status_code == 200, made.text
            yield url


def invoke(server: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["batch", *args, "--url", server], env={"HFGATE_API_KEY": "boot"})
    return result.exit_code, result.stdout if "--json" in args else result.output


def _requests(tmp_path: Path, texts: list[str], *, model: str = "words") -> Path:
    path = tmp_path / "requests.jsonl"
    path.write_bytes(embedding_lines(texts, model=model))
    return path


def test_run_follows_the_batch_and_downloads_its_output_and_errors(server: str, tmp_path: Path) -> None:
    source = _requests(tmp_path, TEXTS)
    with source.open("ab") as more:
        more.write(embedding_lines(["no model"], model="missing").replace(b'"c0"', b'"m"'))
    code, out = invoke(server, "run", str(source), "--endpoint", "/v1/embeddings", "--poll", "0.05")
    assert code == 0, out
    assert "completed, 3 answered, 1 failed of 4" in out
    answered = [orjson.loads(line) for line in (tmp_path / "requests.output.jsonl").read_bytes().splitlines()]
    assert [line["custom_id"] for line in answered] == ["c0", "c1", "c2"]
    (failed,) = [orjson.loads(line) for line in (tmp_path / "requests.errors.jsonl").read_bytes().splitlines()]
    assert (failed["custom_id"], failed["response"]["status_code"]) == ("m", 404)


def test_detach_then_wait_list_show_and_cancel(server: str, tmp_path: Path) -> None:
    code, out = invoke(server, "run", str(_requests(tmp_path, TEXTS)), "--endpoint", "/v1/embeddings", "--detach",
                       "--metadata", "job=nightly")  # fmt: skip
    assert code == 0, out
    batch_id = out.strip()
    target = tmp_path / "got.jsonl"
    code, out = invoke(server, "wait", batch_id, "--output", str(target), "--poll", "0.05", "--json")
    assert code == 0, out
    *progress, done = [json.loads(line) for line in _objects(out)]
    assert done["event"] == "done"
    assert (done["batch"]["status"], done["batch"]["metadata"]) == ("completed", {"job": "nightly"})
    assert {p["event"] for p in progress} == {"progress"}
    assert len(target.read_bytes().splitlines()) == len(TEXTS)
    code, out = invoke(server, "list", "--json")
    assert batch_id in [batch["id"] for batch in json.loads(out)]
    code, out = invoke(server, "show", batch_id)
    assert json.loads(out)["request_counts"] == {"total": 3, "completed": 3, "failed": 0}
    code, out = invoke(server, "cancel", batch_id)  # over already: nothing to cancel, the batch as it is
    assert (code, out.strip()) == (0, f"{batch_id}: completed")


def test_a_refused_file_names_its_lines_and_exits_1(server: str, tmp_path: Path) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_bytes(b'{"custom_id": "a", "method": "POST", "url": "/v1/embeddings", "body": {}}\nnot json\n')
    code, out = invoke(server, "run", str(source), "--endpoint", "/v1/embeddings")
    assert code == 1
    assert "line 2" in out


def test_an_unknown_batch_exits_1_with_the_servers_message(server: str) -> None:
    code, out = invoke(server, "wait", "batch_nope")
    assert code == 1
    assert "error 404" in out
    assert "batch_nope" in out


def _objects(out: str) -> list[str]:
    """The JSON objects of ``out`` (each printed indented over several lines), one string each."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := out.find("{", at)) != -1:
        value, end = decoder.raw_decode(out, at)
        found.append(json.dumps(value))
        at = end
    return found
