"""Drives Elasticsearch's 9.x Python client against a live hfgate: puts an ``embedding`` endpoint on an
image-and-text model and embeds a text and an image with ``inference.embedding``; prints the answers as
JSON for tests/clients/test_elasticsearch_images.py.

Usage: python es_images.py HFGATE_URL MODEL_DIR IMAGE_DATA_URI
"""

from __future__ import annotations

import json
import sys
from typing import Any

import elasticsearch
from elasticsearch import Elasticsearch


def main(url: str, model_dir: str, image: str) -> dict[str, Any]:
    es = Elasticsearch(url, request_timeout=180)
    inference = es.inference
    config = {"service": "local", "service_settings": {"model": model_dir}}
    out: dict[str, Any] = {"client": elasticsearch.__versionstr__}
    out["put"] = inference.put(task_type="embedding", inference_id="es-clip", inference_config=config).body
    body = {"input": ["a cat", {"content": {"type": "image", "format": "base64", "value": image}}]}
    out["embedding"] = inference.embedding(inference_id="es-clip", embedding=body).body
    out["inference"] = inference.inference(task_type="embedding", inference_id="es-clip", input=["a cat"]).body
    out["delete"] = inference.delete(inference_id="es-clip").body
    es.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
