"""The ONNX engine's derived files: the fused graph (exact) and selective int8 (measured fidelity)."""

from __future__ import annotations

import pytest

from hfgate.local.catalog import resolve_model
from hfgate.local.cpu import read_cpu
from hfgate.local.embedding.engine import EngineOptions
from hfgate.local.embedding.engine_choice import load_engine
from hfgate.local.embedding.engine_measure_worker import measure, run_all
from hfgate.local.embedding.onnx_export import exported_model
from hfgate.local.embedding.onnx_quantization import SELECTIVE_MIN_COSINE, weight_matmuls, within_budget
from hfgate.local.embedding.pipeline import read_pipeline
from hfgate.local.embedding.tokens import TextTokenizer, TokenBatch
from hfgate.local.measuring.fidelity import worst_cosine
from hfgate.local.measuring.record import MeasuredChoice

pytestmark = pytest.mark.slow  # loads a real model or starts hfgate processes: not in `make check`

MODEL = resolve_model("all-MiniLM-L6-v2").path
PIPELINE = read_pipeline(MODEL, fallback_max_length=512)
# Not the calibration texts the variants are checked on while being built.
TEXTS = [
    "hello",
    "Which flights leave Oslo for Reykjavik on Sunday morning?",
    'int main(void) { return printf("%d\\n", 42) < 0; }',
    " ".join(f"Sentence number {i} of a long passage about rivers, bridges and tides." for i in range(40)),
]


@pytest.fixture(scope="module")
def options(tmp_path_factory: pytest.TempPathFactory) -> EngineOptions:
    """One cache dir for the module: each variant is derived once."""
    return EngineOptions(pipeline=PIPELINE, cache_dir=tmp_path_factory.mktemp("models"))


def batches(texts: list[str]) -> list[TokenBatch]:
    tokenizer = TextTokenizer(MODEL, max_length=PIPELINE.max_seq_length, lowercase=PIPELINE.lowercase)
    return [TokenBatch.pad(tokenizer.encode(texts[:3])), TokenBatch.pad(tokenizer.encode(texts))]


def test_the_fused_graph_matches_torch_float32(options: EngineOptions) -> None:
    import onnx

    fused = load_engine("onnx-fused", MODEL, options=options)
    torch = load_engine("torch", MODEL, options=options)
    try:
        cosine = worst_cosine(run_all(fused, batches(TEXTS)), run_all(torch, batches(TEXTS)))
    finally:
        fused.close()
        torch.close()
    assert cosine >= 0.99999
    path = exported_model(MODEL, options.cache_dir).with_name("model-fused.onnx")
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert {"Attention", "SkipLayerNormalization"} <= ops, "the transformer optimizer's fusions are in the file"


@pytest.fixture(scope="module")
def selective_choice(options: EngineOptions) -> MeasuredChoice:
    """A real measurement of the selective int8 engine against float32 (one round: fidelity, not speed)."""
    names = ["onnx", "onnx-int8-selective"]
    return measure(MODEL, options=options, names=names, min_cosine=SELECTIVE_MIN_COSINE, cpu=read_cpu(), rounds=1)


def test_selective_int8_keeps_its_cosine_on_the_calibration_texts(selective_choice: MeasuredChoice) -> None:
    figures = {f.engine: f for f in selective_choice.figures}
    selective = figures["onnx-int8-selective"]
    assert selective.worst_cosine is not None
    assert selective.worst_cosine >= SELECTIVE_MIN_COSINE
    assert selective.meets(SELECTIVE_MIN_COSINE), "auto may pick it where min_cosine allows 0.999"
    assert not selective.meets(0.9999), "the default min_cosine keeps auto from it"


def test_selective_int8_quantizes_some_matmuls_only(selective_choice: MeasuredChoice, options: EngineOptions) -> None:
    import onnx

    exported = exported_model(MODEL, options.cache_dir)
    path = exported.with_name(f"model-int8-selective-{SELECTIVE_MIN_COSINE:g}.onnx")
    ops = [node.op_type for node in onnx.load(str(path)).graph.node]
    quantized = ops.count("MatMulInteger")
    assert 0 < quantized < len(weight_matmuls(exported))


def test_selective_int8_stays_close_on_texts_it_was_not_built_on(
    selective_choice: MeasuredChoice, options: EngineOptions
) -> None:
    selective = load_engine("onnx-int8-selective", MODEL, options=options)
    exact = load_engine("onnx", MODEL, options=options)
    try:
        cosine = worst_cosine(run_all(selective, batches(TEXTS)), run_all(exact, batches(TEXTS)))
    finally:
        selective.close()
        exact.close()
    assert cosine >= 0.998


def test_the_budget_takes_the_cheapest_matmuls_first() -> None:
    loss = {"ff": 3e-3, "q": 2e-5, "k": 1e-5, "v": 4e-4, "o": -1e-7}
    assert within_budget(loss, budget=1e-3) == ["o", "k", "q", "v"]
    assert within_budget(loss, budget=1e-6) == ["o"]
    assert within_budget({"ff": 3e-3}, budget=1e-3) == []
