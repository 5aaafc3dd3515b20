"""A stream whose endpoint cannot be reached runs on the fallback from its first piece."""

from __future__ import annotations

import httpx

from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_api
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.support.live_server import free_port
from tests.support.metrics import sample

__all__ = ["fake_hf", "fake_hf_server", "hf_api"]


async def test_an_unreachable_completion_endpoint_streams_from_its_fallback(
    api: httpx.AsyncClient, fake_hf: FakeHF
) -> None:
    spare = {"service": "hugging_face", "service_settings": {"api_key": TOKEN, "url": f"{fake_hf.base}/tgi"}}
    assert (await api.put("/_inference/completion/spare-gen", json=spare)).status_code == 200
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    down = {"api_key": TOKEN, "urls": [nobody], "fallback": "spare-gen"}
    created = await api.put(
        "/_inference/completion/down-gen?skip_validation=true",
        json={"service": "hugging_face", "service_settings": down},
    )
    assert created.status_code == 200, created.text

    streamed = await api.post("/_inference/completion/down-gen/_stream", json={"input": "one two"})
    assert streamed.status_code == 200
    assert 'data: {"completion":[{"delta":" w0"}]}' in streamed.text
    answered = await api.post("/_inference/completion/down-gen", json={"input": "one two"})
    assert answered.json() == {"completion": [{"result": " w0 w1 w2 w3 w4"}]}

    text = (await api.get("/metrics")).text
    assert sample(text, "hfgate_fallbacks_total", endpoint="down-gen", fallback="spare-gen") == 2
    assert sample(text, "hfgate_time_to_first_token_seconds_count", endpoint="spare-gen") == 1
    assert sample(text, "hfgate_upstream_ejections_total", endpoint="down-gen", reason="connection") in (1, 2)
