"""A live hfgate (the module's own, no default endpoints) with a ``local`` endpoint on each tiny vision model,
and ``InferenceClient`` pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hfgate.config import Settings
from tests.pipelines.conftest import _online_client, client
from tests.vision.tiny_vision import clip_model, vit_classifier, yolos_detector

__all__ = ["_online_client", "client"]  # the Hub tasks' live-client set-up, shared


@pytest.fixture(scope="session")
def vit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return vit_classifier(tmp_path_factory.mktemp("tiny-vit"))


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clip_model(tmp_path_factory.mktemp("tiny-clip"))


@pytest.fixture(scope="session")
def yolos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return yolos_detector(tmp_path_factory.mktemp("tiny-yolos"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, vit: Path, clip: Path, yolos: Path) -> Iterator[str]:
    """The server's url with ``img`` (image-classification on the tiny ViT), ``clip`` (zero-shot image
    classification on the tiny CLIP) and ``det`` (object detection on the tiny YOLOS)."""
    from tests.support.live_server import live_server

    settings = Settings(data_dir=tmp_path_factory.mktemp("vision"), log_format="text", log_level="warning",
                        provision_defaults=False, preload_models=False)  # fmt: skip
    with live_server(settings) as url:
        for task, name, model in (
            ("image-classification", "img", vit),
            ("zero-shot-image-classification", "clip", clip),
            ("object-detection", "det", yolos),
        ):
            body = {"service": "local", "service_settings": {"model": str(model)}}
            created = httpx.put(f"{url}/_inference/{task}/{name}?timeout=240s", json=body, timeout=300)
            assert created.status_code == 200, created.text
        yield url
