"""A live hfgate whose ``coder`` endpoint is a ``hugging_face`` endpoint by url on the stand-in coding
model (``tests/fakes/coding_model.py``): where the agent CLIs' tool turns run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from hfgate.config import Settings
from tests.fakes.coding_model import CodingModel
from tests.support.agent_requests import ENDPOINT
from tests.support.live_server import live_server


@contextmanager
def coding_gateway(data_dir: Path) -> Iterator[tuple[str, CodingModel]]:
    """hfgate's base url and the model behind its ``coder`` endpoint."""
    model = CodingModel()
    model.start()
    settings = Settings(data_dir=data_dir, provision_defaults=False, log_format="text", log_level="warning")
    try:
        with live_server(settings) as url:
            body = {
                "service": "hugging_face",
                "service_settings": {"url": model.base, "api_key": "unused-by-the-stand-in"},
            }
            created = httpx.put(f"{url}/_inference/chat_completion/{ENDPOINT}", json=body, timeout=30)
            assert created.status_code == 200, created.text
            yield url, model
    finally:
        model.stop()
