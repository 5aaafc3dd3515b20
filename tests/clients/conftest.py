"""A live hfgate for the client tests: the real local models, and a ``hugging_face`` service whose
Hugging Face URLs point at the fake server (for the tasks no local model serves, such as rerank)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from hfgate.services import ServiceContext
from tests.fakes.hf_fixtures import hf_settings
from tests.fakes.hf_server import FakeHF
from tests.support.live_server import live_server

# Haystack's TEI ranker joins "/rerank" onto its URL's host: the gateway gives the rerank endpoint a
# host of its own. "localhost" resolves everywhere, and the other tests use 127.0.0.1.
RANKER_HOST, RANKER_ID = "localhost", "hs-rerank"


@pytest.fixture(scope="session")
def fake_for_clients() -> Iterator[FakeHF]:
    server = FakeHF()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gate(
    tmp_path_factory: pytest.TempPathFactory, shared_context: ServiceContext, fake_for_clients: FakeHF
) -> Iterator[str]:
    """The base URL of a live hfgate on 127.0.0.1 (default endpoints provisioned)."""
    settings = hf_settings(fake_for_clients.base, tmp_path_factory.mktemp("clients")).model_copy(
        update={"log_format": "text", "log_level": "warning", "host_endpoints": {RANKER_HOST: RANKER_ID}}
    )
    context = replace(shared_context, settings=settings)
    with live_server(settings, context=context) as url:
        yield url
