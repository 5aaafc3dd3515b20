"""After a round, only the candidates that can still win are timed again."""

from __future__ import annotations

from hfgate.local.measuring.rounds import contenders


def test_a_candidate_under_half_the_fastest_qualifying_speed_is_dropped() -> None:
    speeds = {"onnx": 15.5, "onnx-int8": 26.0, "transformers-fp32": 3.0, "transformers-bf16": 2.0}
    assert contenders(speeds, qualified={"onnx", "transformers-fp32"}) == {"onnx", "onnx-int8"}


def test_a_fast_candidate_below_the_fidelity_floor_does_not_set_the_bar() -> None:
    # onnx-int4 (cosine 0.1 on SmolLM2) is twice as fast as onnx: onnx must stay, the winner-to-be
    assert contenders({"onnx": 15.5, "onnx-int4": 32.3}, qualified={"onnx"}) == {"onnx", "onnx-int4"}


def test_with_nothing_qualified_yet_the_fastest_of_all_sets_the_bar() -> None:
    assert contenders({"a": 10.0, "b": 4.0, "c": 6.0}, qualified=()) == {"a", "c"}
