"""Redis unreachable, through the API: ``fail_closed`` answers 503 with the reason, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.live_server import free_port

__all__ = ["fake_hf", "fake_hf_server"]


@pytest.mark.slow  # seconds of real waiting: in `make test`, not `make check`
async def test_fail_closed_answers_503_naming_the_policy(fake_hf: FakeHF, tmp_path: Path) -> None:
    settings = hf_settings(fake_hf.base, tmp_path).model_copy(
        update={
            "provision_defaults": False,
            "redis_url": f"redis://127.0.0.1:{free_port()}/0",
            "redis_failure_policy": "fail_closed",
        }
    )
    body = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}}
    async with app_client(settings) as api:
        created = await api.put("/_inference/text_embedding/tei?skip_validation=true", json=body)
        assert created.status_code == 200, created.text
        answer = await api.post("/_inference/text_embedding/tei", json={"input": ["x"]})
    assert answer.status_code == 503
    assert "HFGATE_REDIS_FAILURE_POLICY is [fail_closed]" in answer.json()["error"]["reason"]
    assert [hit.path for hit in fake_hf.hits("/tei")] == ["/tei/info"]  # the look-up only, not inference
