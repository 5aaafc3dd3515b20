"""Every architecture the local service runs, by Hub id through the test Hub: a decoder LM and an
encoder-decoder (answers equal to the same files served from a directory), a decoder LM whose repository
holds only GGUF files (one picked by its quantization tag, answering as the packaged copy of the same file),
a cross-encoder and a SPLADE model (equal to sentence-transformers on the same files)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.config import Settings
from hfgate.local.catalog import KNOWN_MODELS, resolve_model
from tests.conftest import app_client
from tests.local.generation.tiny_models import save_tiny_llama, save_tiny_t5
from tests.local.tiny_encoders import DOCUMENTS, QUERY, TEXTS, TinyEncoders, tiny_encoders
from tests.support.hub_server import TestHub, serve_hub

__all__ = ["tiny_encoders"]

LLAMA, T5 = "test-org/tiny-llama", "test-org/tiny-t5"
CROSS_ENCODER, SPLADE = "test-org/tiny-cross-encoder", "test-org/tiny-splade"


@pytest.fixture(scope="module")
def generators(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hub-generators")
    return {LLAMA: save_tiny_llama(root / "llama"), T5: save_tiny_t5(root / "t5")}


@pytest.fixture
def architectures_hub(generators: dict[str, Path], tiny_encoders: TinyEncoders) -> Iterator[TestHub]:
    hub = TestHub()
    for repo, directory in generators.items():
        hub.add(repo, directory)
    hub.add(CROSS_ENCODER, tiny_encoders.cross_encoder)
    hub.add(SPLADE, tiny_encoders.splade)
    with serve_hub(hub):
        yield hub


@pytest.fixture
def settings(tmp_path: Path, architectures_hub: TestHub) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        log_format="text",
        registry_cache_seconds=0,
        provision_defaults=False,
        hf_hub_url=architectures_hub.url,
        hf_hub_cache=tmp_path / "hf-cache",
        hf_hub_offline=False,
        hf_token=None,
    )


async def _create(client: httpx.AsyncClient, task: str, name: str, settings: dict[str, Any]) -> None:
    made = await client.put(f"/_inference/{task}/{name}", json={"service": "local", "service_settings": settings})
    assert made.status_code == 200, made.text


async def _served(client: httpx.AsyncClient, task: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` posted to ``name`` until its model has downloaded (503 meanwhile) and loaded (the request
    waits for the load: up to 300 s rather than the face's 30, for a GGUF converted on a busy machine)."""
    deadline = time.monotonic() + 120
    while True:
        answer = await client.post(f"/_inference/{task}/{name}?timeout=300s", json=body)
        if answer.status_code != 503 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.text
            found: dict[str, Any] = answer.json()
            return found


@pytest.mark.parametrize("repo", [LLAMA, T5])
async def test_a_generation_model_by_hub_id_answers_as_the_same_files_from_a_directory(
    repo: str, settings: Settings, generators: dict[str, Path]
) -> None:
    body = {"input": "the quick brown fox", "task_settings": {"max_new_tokens": 6, "temperature": 0}}
    async with app_client(settings) as client:
        await _create(client, "completion", "by-id", {"model": repo, "engine": "transformers"})
        await _create(client, "completion", "by-dir", {"model": str(generators[repo]), "engine": "transformers"})
        by_id = await _served(client, "completion", "by-id", body)
        by_dir = await _served(client, "completion", "by-dir", body)
        listed = (await client.get("/_inference/by-id")).json()["endpoints"][0]["service_settings"]
    assert by_id == by_dir
    assert listed["commit"]
    assert listed["task"] == ("text2text-generation" if repo == T5 else "text-generation"), "recorded at create"


@pytest.mark.parametrize(("task", "repo", "kind"), [("text_embedding", CROSS_ENCODER, "a cross-encoder (reranker)"),
                                                    ("rerank", SPLADE, "a sparse (SPLADE) encoder"),
                                                    ("completion", SPLADE, "a sparse (SPLADE) encoder")])  # fmt: skip
async def test_a_hub_model_of_another_kind_is_refused_before_its_weights_are_fetched(
    task: str, repo: str, kind: str, settings: Settings, architectures_hub: TestHub
) -> None:
    body = {"service": "local", "service_settings": {"model": repo}}
    async with app_client(settings) as client:
        made = await client.put(f"/_inference/{task}/wrong-kind", json=body)
        listed = await client.get("/_inference/wrong-kind")
    assert made.status_code == 400, made.text
    assert f"[service_settings.model] [{repo}] is {kind}" in made.json()["error"]["reason"]
    assert not architectures_hub.gets(".safetensors"), "refused from its config files alone"
    assert listed.status_code == 404


async def test_a_cross_encoder_by_hub_id_scores_as_sentence_transformers(
    settings: Settings, tiny_encoders: TinyEncoders
) -> None:
    from sentence_transformers import CrossEncoder

    want = CrossEncoder(str(tiny_encoders.cross_encoder), local_files_only=True).predict(
        [(QUERY, d) for d in DOCUMENTS]
    )
    async with app_client(settings) as client:
        await _create(client, "rerank", "ce", {"model": CROSS_ENCODER})
        ranked = await _served(client, "rerank", "ce", {"query": QUERY, "input": list(DOCUMENTS)})
    got = {row["index"]: row["relevance_score"] for row in ranked["rerank"]}
    assert max(abs(got[i] - float(score)) for i, score in enumerate(want)) <= 1e-4


async def test_a_splade_model_by_hub_id_gives_sentence_transformers_weights(
    settings: Settings, tiny_encoders: TinyEncoders
) -> None:
    from sentence_transformers import SparseEncoder

    encoder = SparseEncoder(str(tiny_encoders.splade), local_files_only=True)
    dense = encoder.encode(list(TEXTS), convert_to_tensor=True).to_dense()
    want = [{encoder.tokenizer.convert_ids_to_tokens(int(i)): float(row[i]) for i in row.nonzero()} for row in dense]
    async with app_client(settings) as client:
        await _create(client, "sparse_embedding", "splade", {"model": SPLADE})
        answer = await _served(client, "sparse_embedding", "splade", {"input": list(TEXTS)})
    got = [row["embedding"] for row in answer["sparse_embedding"]]
    assert [set(row) for row in got] == [set(row) for row in want]
    for got_row, want_row in zip(got, want, strict=True):
        assert all(abs(got_row[t] - w) <= 1e-4 * max(1.0, abs(w)) for t, w in want_row.items())


@pytest.mark.slow  # converts SmolLM2's GGUF and generates (24-30 s): in `make test`, not `make check`
async def test_a_gguf_repository_by_its_quantization_tag_answers_as_the_packaged_copy_of_its_file(
    tmp_path: Path, settings: Settings, architectures_hub: TestHub
) -> None:
    packaged = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert packaged.gguf_file is not None
    repo = tmp_path / "smollm2-gguf"  # a GGUF-only repository, as bartowski's and TheBloke's are
    repo.mkdir()
    (repo / packaged.gguf_file).symlink_to(packaged.path / packaged.gguf_file)
    (repo / "SmolLM2-135M-Instruct.Q8_0.gguf").write_bytes(b"not fetched: the tag picks the Q4_1 file")
    architectures_hub.add("test-org/smollm2-gguf", repo)
    engine = {"engine": "transformers", "dtype": "float32"}
    body = {"input": "The capital of France is", "task_settings": {"max_new_tokens": 6, "temperature": 0}}
    async with app_client(settings) as client:
        await _create(client, "completion", "gguf", {"model": "hf.co/test-org/smollm2-gguf:Q4_1", **engine})
        await _create(client, "completion", "packaged", {"model": KNOWN_MODELS[packaged.model_id].model_id, **engine})
        by_id = await _served(client, "completion", "gguf", body)
        by_package = await _served(client, "completion", "packaged", body)
        listed = (await client.get("/_inference/gguf")).json()["endpoints"][0]["service_settings"]
    assert by_id == by_package
    assert by_id["completion"][0]["result"].strip()
    assert listed["gguf_file"] == packaged.gguf_file
    assert not architectures_hub.gets("Q8_0.gguf"), "only the file the tag names is fetched"
    models = settings.data_dir / "models"
    (converted,) = [c.parent for c in models.rglob("config.json") if (c.parent / "model.safetensors").is_file()]
    architectures = json.loads((converted / "config.json").read_text())["architectures"]
    assert architectures == ["LlamaForCausalLM"], "the converted copy names it: ONNX's builder reads it"
