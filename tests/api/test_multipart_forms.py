"""A multipart body the form parser cannot read is the client's error (400, OpenAI's shape), on every route
that takes a form, not a 500: Starlette refuses it with an HTTPException of its own, which a plain route would
otherwise let through to the gateway's last resort."""

from __future__ import annotations

import httpx
import pytest

GARBAGE = {"content": b"garbage", "headers": {"content-type": "multipart/form-data; boundary=xyz"}}


@pytest.mark.parametrize("path", ["/v1/files", "/v1/audio/transcriptions", "/v1/audio/translations"])
async def test_a_body_that_is_no_multipart_form_is_a_parse_error(fake_api: httpx.AsyncClient, path: str) -> None:
    answer = await fake_api.post(path, **GARBAGE)  # type: ignore[arg-type]
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "parse_exception"
    assert "multipart form" in answer.json()["error"]["message"]


async def test_a_file_upload_takes_one_file(fake_api: httpx.AsyncClient) -> None:
    two = [("file", ("a.jsonl", b"{}\n")), ("file", ("b.jsonl", b"{}\n"))]
    answer = await fake_api.post("/v1/files", files=two, data={"purpose": "batch"})
    assert answer.status_code == 400, answer.text
    assert "Too many files" in answer.json()["error"]["message"]
