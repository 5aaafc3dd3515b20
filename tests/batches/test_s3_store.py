"""File bytes in an S3 bucket (``HFGATE_BATCH_FILES_URL``), over HTTP against moto's standalone S3 server.

A whole OpenAI batch runs through the ``openai`` SDK on a keyed in-process hfgate whose file store is a bucket
of a moto server on a free port of 127.0.0.1 (real S3 HTTP, boto3's own signing): its input, output and a
large upload land as objects, are read back as streams, and deletion and the expiry sweep remove them. A
missing bucket or refused credentials are a 503 naming the setting. No real object store installs from the
registries this project reaches (docs/batches.md), so moto's server stands in for one.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from hfgate.batches.files import FileStore
from hfgate.batches.s3 import S3Store
from hfgate.errors import FileStoreUnavailableError
from hfgate.registry.database import make_engine
from hfgate.registry.migrations import migrate
from hfgate.services import SERVICES
from tests.batches.gateway import URL, CountingService, Gateway, embedding_lines, finished, gateway, keyed_settings

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

BUCKET = "hfgate-files"
MIB = 1024 * 1024
TEXTS = ["the quick brown fox", "a lazy dog", "hello world"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _moto_server(**env: str) -> Iterator[str]:
    """moto's standalone S3 server in a process of its own on a free port; its URL once it answers."""
    port = _free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "moto's server exited"
                assert time.monotonic() < deadline, "moto's server did not answer in 60 s"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    yield from _moto_server()


@pytest.fixture
def s3(s3_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A client of the server, with boto3's usual credential variables set, and an empty bucket."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=s3_url)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for listed in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=listed["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
async def gw(tmp_path: Path, s3_url: str, s3: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Gateway]:
    monkeypatch.setitem(SERVICES, CountingService.name, CountingService)
    monkeypatch.setattr(CountingService, "calls", CountingService.calls.copy())
    settings = keyed_settings(tmp_path / "data", batch_files_url=f"s3://{BUCKET}/fleet",
                              batch_files_endpoint_url=s3_url, batch_files_region="us-east-1")  # fmt: skip
    async with gateway(settings) as made:
        yield made


def _keys(s3: Any) -> set[str]:
    return {listed["Key"] for listed in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


async def test_a_whole_batch_runs_with_its_files_in_the_bucket(gw: Gateway, s3: Any, tmp_path: Path) -> None:
    content = embedding_lines(TEXTS)
    made = await gw.sdk.files.create(file=("in.jsonl", io.BytesIO(content)), purpose="batch")
    assert _keys(s3) == {f"fleet/{made.id}"}
    assert s3.get_object(Bucket=BUCKET, Key=f"fleet/{made.id}")["Body"].read() == content
    batch = await gw.sdk.batches.create(input_file_id=made.id, endpoint=URL, completion_window="24h")
    done = await finished(gw.sdk, batch.id)
    assert (done.status, done.request_counts.completed) == ("completed", len(TEXTS))  # type: ignore[union-attr]
    assert done.output_file_id is not None
    output = (await gw.sdk.files.content(done.output_file_id)).content
    assert sorted(line.count(b'"custom_id"') for line in output.splitlines()) == [1] * len(TEXTS)
    assert s3.get_object(Bucket=BUCKET, Key=f"fleet/{done.output_file_id}")["Body"].read() == output
    assert _keys(s3) == {f"fleet/{made.id}", f"fleet/{done.output_file_id}"}
    assert not (tmp_path / "data" / "files").exists()  # nothing went to the directory store
    for file_id in (made.id, done.output_file_id):
        assert (await gw.sdk.files.delete(file_id)).deleted
    assert _keys(s3) == set()
    with pytest.raises(openai.NotFoundError):
        await gw.sdk.files.content(made.id)


async def test_a_large_upload_goes_up_in_parts_and_comes_back_whole(gw: Gateway, s3: Any) -> None:
    content = b"".join(b"%08d" % n + b"x" * 55 + b"\n" for n in range(150_000))  # 9.2 MiB: two parts of 8 MiB
    made = await gw.sdk.files.create(file=("big.bin", io.BytesIO(content)), purpose="user_data")
    head = s3.head_object(Bucket=BUCKET, Key=f"fleet/{made.id}")
    assert (head["ContentLength"], head["ETag"].strip('"').endswith("-2")) == (len(content), True)  # multipart
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert (await gw.sdk.files.content(made.id)).content == content


def test_the_sweep_removes_expired_objects_and_keeps_the_rest(s3_url: str, s3: Any, tmp_path: Path) -> None:
    engine = make_engine(keyed_settings(tmp_path))
    try:
        migrate(engine)
        store = FileStore(engine, S3Store(f"s3://{BUCKET}", endpoint_url=s3_url))
        short = store.add(key_id="k", purpose="batch", filename="a", source=io.BytesIO(b"{}\n"), expires_after=3600)
        kept = store.add(key_id="k", purpose="batch", filename="b", source=io.BytesIO(b"{}\n"), expires_after=7200)
        assert _keys(s3) == {short.file_id, kept.file_id}
        assert store.sweep(now=time.time() + 3601) == (short.file_id,)
        assert _keys(s3) == {kept.file_id}
        assert [f.file_id for f in store.list(key_id="k")] == [kept.file_id]
    finally:
        engine.dispose()


async def test_a_missing_bucket_is_a_503_naming_the_setting(gw: Gateway, s3: Any) -> None:
    s3.delete_bucket(Bucket=BUCKET)
    try:
        with pytest.raises(openai.InternalServerError) as refused:
            await gw.sdk.files.create(file=("in.jsonl", io.BytesIO(b"{}\n")), purpose="batch")
    finally:
        s3.create_bucket(Bucket=BUCKET)
    assert refused.value.status_code == 503
    assert "HFGATE_BATCH_FILES_URL" in str(refused.value.body)
    assert [f async for f in gw.sdk.files.list()] == []


def test_refused_credentials_are_a_503_naming_the_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "nobody")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    for url in _moto_server(INITIAL_NO_AUTH_ACTION_COUNT="0"):  # this server checks every request's key
        store = S3Store(f"s3://{BUCKET}", endpoint_url=url, region="us-east-1")
        with pytest.raises(FileStoreUnavailableError, match="AWS_ACCESS_KEY_ID") as refused:
            store.put("file-x", [b"{}\n"])
        assert refused.value.status == 503


async def test_a_batchs_output_expires_as_asked_and_the_sweep_removes_its_object(gw: Gateway, s3: Any) -> None:
    made = await gw.sdk.files.create(file=("in.jsonl", io.BytesIO(embedding_lines(TEXTS))), purpose="batch",
                                     expires_after={"anchor": "created_at", "seconds": 7200})  # fmt: skip
    batch = await gw.sdk.batches.create(input_file_id=made.id, endpoint=URL, completion_window="24h",
                                        output_expires_after={"anchor": "created_at", "seconds": 3600})  # fmt: skip
    done = await finished(gw.sdk, batch.id)
    assert done.output_file_id is not None
    output = await gw.sdk.files.retrieve(done.output_file_id)
    assert output.expires_at == output.created_at + 3600
    assert (await gw.sdk.files.retrieve(made.id)).expires_at == made.created_at + 7200
    files: FileStore = gw.app.state.files
    assert files.sweep(now=time.time() + 3601) == (done.output_file_id,)
    assert _keys(s3) == {f"fleet/{made.id}"}  # the input, not yet expired, stays
    with pytest.raises(openai.NotFoundError):
        await gw.sdk.files.retrieve(done.output_file_id)
    assert files.sweep(now=time.time() + 7201) == (made.id,)
    assert _keys(s3) == set()
