"""OpenTelemetry traces reach a real OTLP/HTTP receiver when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.conftest import app_client
from tests.fakes.hf_fixtures import fake_hf, fake_hf_server, hf_settings
from tests.fakes.hf_server import TOKEN, FakeHF
from tests.fakes.otlp_receiver import OtlpReceiver

__all__ = ["fake_hf", "fake_hf_server"]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", server.start())
    monkeypatch.setenv("OTEL_SERVICE_NAME", "hfgate-test")
    try:
        yield server
    finally:
        server.stop()


def attributes(span: Span) -> dict[str, object]:
    return {a.key: a.value.string_value or a.value.int_value for a in span.attributes}


async def test_a_request_and_its_upstream_call_are_one_trace(
    receiver: OtlpReceiver, fake_hf: FakeHF, tmp_path: Path
) -> None:
    settings = hf_settings(fake_hf.base, tmp_path).model_copy(update={"provision_defaults": False})
    service_settings = {"api_key": TOKEN, "url": f"{fake_hf.base}/tei"}
    async with app_client(settings) as api:
        created = await api.put(
            "/_inference/text_embedding/traced", json={"service": "hugging_face", "service_settings": service_settings}
        )
        assert created.status_code == 200
        assert (await api.post("/_inference/text_embedding/traced", json={"input": ["a"]})).status_code == 200
    # The app's shutdown flushed the batched spans to the receiver.
    assert set(receiver.service_names) == {"hfgate-test"}
    servers = [s for s in receiver.spans if s.kind == Span.SPAN_KIND_SERVER and s.name == "POST elasticsearch"]
    inference = next(s for s in servers if attributes(s).get("hfgate.endpoint") == "traced")
    assert attributes(inference)["http.response.status_code"] == 200
    children = [s for s in receiver.spans if s.parent_span_id == inference.span_id]
    assert [(c.name, c.kind, c.trace_id) for c in children] == [("upstream", Span.SPAN_KIND_CLIENT, inference.trace_id)]
    assert attributes(children[0]) == {
        "hfgate.endpoint": "traced",
        "server.address": f"{fake_hf.base}/tei",
        "hfgate.outcome": "200",
    }
