"""Drives Elasticsearch's official Python client (8.x or 9.x, whichever is first on the path) against
a live hfgate; prints what each call answered, as JSON, for tests/clients/test_elasticsearch.py.

Usage: python es_calls.py HFGATE_URL RERANK_URL TOKEN
"""

from __future__ import annotations

import json
import sys
from typing import Any

import elasticsearch
from elasticsearch import Elasticsearch

MINILM = {"service": "local", "service_settings": {"model": "sentence-transformers/all-MiniLM-L6-v2"}}
SMOLLM = {"service": "local", "service_settings": {"model": "HuggingFaceTB/SmolLM2-135M-Instruct"}}


def main(url: str, rerank_url: str, token: str) -> dict[str, Any]:
    es = Elasticsearch(url, request_timeout=180)  # the first put loads the model
    inference = es.inference
    out: dict[str, Any] = {"client": elasticsearch.__versionstr__, "ping": es.ping(), "info": es.info().body}
    out["put"] = inference.put(task_type="text_embedding", inference_id="es-minilm", inference_config=MINILM).body
    out["get"] = inference.get(inference_id="es-minilm").body
    out["get_filtered"] = inference.get(filter_path="endpoints.inference_id").body
    out["inference"] = inference.inference(inference_id="es-minilm", input=["a cat", "a dog"]).body
    out["text_embedding"] = inference.text_embedding(inference_id="es-minilm", input="a cat").body
    if hasattr(inference, "embedding"):  # 9.4 and later
        body = {"input": [{"content": {"type": "text", "value": "a cat"}}, "a dog"]}
        out["embedding"] = inference.embedding(inference_id="es-minilm", embedding=body).body
        out["put_embedding"] = inference.put(task_type="embedding", inference_id="es-emb", inference_config=MINILM).body
        grouped = {"input": [{"content": [{"type": "text", "value": "a cat"}]}, "a dog"], "input_type": "search"}
        out["embedding_task"] = inference.embedding(inference_id="es-emb", embedding=grouped).body
        inference.delete(inference_id="es-emb")
    inference.put(task_type="completion", inference_id="es-smollm", inference_config=SMOLLM)
    out["update"] = inference.update(
        inference_id="es-smollm", inference_config={"task_settings": {"max_new_tokens": 4}}
    ).body
    out["completion"] = inference.completion(
        inference_id="es-smollm", input="The capital of France is", timeout="150s"
    ).body
    ranker = {"service": "hugging_face", "service_settings": {"url": rerank_url, "api_key": token}}
    inference.put(task_type="rerank", inference_id="es-rerank", inference_config=ranker)
    out["rerank"] = inference.rerank(inference_id="es-rerank", query="big cat", input=["dog", "big cat"]).body
    out["delete"] = [inference.delete(inference_id=i).body for i in ("es-minilm", "es-smollm", "es-rerank")]
    out["after_delete"] = inference.get(filter_path="endpoints.inference_id").body
    es.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
