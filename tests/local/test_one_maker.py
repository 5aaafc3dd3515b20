"""Several processes (the workers of ``hfgate serve --workers N``) loading one model at once: its engines are
measured once and its ONNX variants made once, the others waiting for them (``hfgate.local.one_maker``)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from hfgate.local.measuring.choice import Measurement, measure_choice, recorded_choice
from hfgate.local.one_maker import one_maker

# A measurement worker that counts its runs and records the engine "fast" (run as `python -m` by the parent),
# measured while other processes kept the machine busy when its third argument says "busy".
COUNTING_WORKER = """
import sys
from pathlib import Path

from hfgate.local.measuring.load import MeasureLoad
from hfgate.local.measuring.record import MeasuredChoice, write_choice

record = Path(sys.argv[2])
with record.with_name("runs").open("a") as runs:
    runs.write("run\\n")
busy = MeasureLoad(wall_seconds=10, cpu_seconds=10, others_cpu_seconds=20, cpus=2) if sys.argv[3:] == ["busy"] else None
write_choice(record, MeasuredChoice(engine="fast", reason="measured", cpu="a CPU", min_cosine=0.9, unit="u", load=busy))
"""


@pytest.fixture
def measurement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Measurement:
    """A measurement whose worker is :data:`COUNTING_WORKER`."""
    (tmp_path / "counting_worker.py").write_text(COUNTING_WORKER)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    record = tmp_path / "choices" / "model.json"
    return Measurement(
        what="test", model=tmp_path, record=record, worker="counting_worker", args=(), engines={"fast"},
        cpu="cpu-key", timeout=60,
    )  # fmt: skip


def runs(measurement: Measurement) -> int:
    return (measurement.record.parent / "runs").read_text().count("run")


def test_callers_measuring_one_model_at_once_run_one_measurement(measurement: Measurement) -> None:
    with ThreadPoolExecutor(3) as pool:
        choices = list(pool.map(lambda _: measure_choice(measurement), range(3)))
    assert runs(measurement) == 1, "the others waited and read its record"
    assert sorted(choice.reason for choice in choices) == ["cached", "cached", "measured"]
    assert {choice.engine for choice in choices} == {"fast"}
    assert sorted(path.name for path in measurement.record.parent.iterdir()) == ["model.json", "runs"], "no lock left"


@pytest.mark.parametrize("load", ["quiet", "busy"])
def test_a_caller_waits_while_another_process_measures_and_serves_its_record(
    measurement: Measurement, load: str
) -> None:
    """Even one measured while busy: that was this load's measurement (the next load measures it again)."""
    record = measurement.record
    with ThreadPoolExecutor(1) as pool:
        with one_maker(record):  # another process measuring the model
            waiting = pool.submit(measure_choice, measurement)  # it looks at the record at once, then waits
            worker = [sys.executable, "-m", "counting_worker", str(record.parent), str(record), load]
            subprocess.run(worker, check=True)
        served = waiting.result(timeout=60)
    assert (served.reason, served.engine) == ("cached", "fast")
    assert runs(measurement) == 1, "the waiting caller did not measure again"
    kept = recorded_choice(measurement)
    assert (kept is None) == (load == "busy"), "one measured while busy is measured again at the next load"


def test_the_lock_keeps_out_every_other_holder_although_each_removes_its_file(tmp_path: Path) -> None:
    """Each holder unlinks the lock file before letting go; a waiter that had opened it must lock a new one."""
    target, inside, overlaps = tmp_path / "made", [0], []

    def hold(_: int) -> None:
        for _ in range(25):
            with one_maker(target):
                inside[0] += 1
                overlaps.append(inside[0])
                (tmp_path / "work").write_text("x")  # a system call while holding: a chance to switch threads
                inside[0] -= 1

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(hold, range(6)))
    assert len(overlaps) == 150
    assert set(overlaps) == {1}, "two holders at once"
    assert not (tmp_path / "made.lock").exists()


def _matmul_chain(path: Path, *, layers: int, width: int) -> None:
    """An ONNX file of ``layers`` MatMuls by ``width`` x ``width`` weights: what the quantizer works on."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = [
        numpy_helper.from_array(rng.standard_normal((width, width)).astype(np.float32), f"w{i}") for i in range(layers)
    ]
    nodes = [helper.make_node("MatMul", [f"h{i}", f"w{i}"], [f"h{i + 1}"], name=f"matmul{i}") for i in range(layers)]
    graph = helper.make_graph(
        nodes,
        "chain",
        [helper.make_tensor_value_info("h0", TensorProto.FLOAT, ["rows", width])],
        [helper.make_tensor_value_info(f"h{layers}", TensorProto.FLOAT, ["rows", width])],
        initializer=weights,
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


QUANTIZER = """
import sys
from pathlib import Path

from hfgate.local.embedding.onnx_quantization import quantized_model

print("ready", flush=True)
sys.stdin.readline()  # go
print(quantized_model(Path(sys.argv[1])).name)
"""


def test_processes_quantizing_one_export_at_once_each_get_the_whole_file(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime.quantization")
    import onnxruntime

    export = tmp_path / "onnx" / "model-abc"
    export.mkdir(parents=True)
    path = export / "model.onnx"
    _matmul_chain(path, layers=12, width=384)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", QUANTIZER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for child in children:  # each has imported what it needs...
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for child in children:  # ...and they start quantizing together
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = [child.communicate(timeout=300) for child in children]
    finally:
        for child in children:
            child.kill()
    assert [(child.returncode, out.strip()) for child, (out, _) in zip(children, results, strict=True)] == [
        (0, "model-int8.onnx")
    ] * 4, [err.strip().splitlines()[-1:] for _, err in results]
    session = onnxruntime.InferenceSession(str(export / "model-int8.onnx"), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"h0": np.ones((2, 384), dtype=np.float32)})
    assert out.shape == (2, 384)
    assert sorted(p.name for p in export.iterdir()) == ["model-int8.onnx", "model.onnx"], (
        "no scratch file of the quantizer left, nor the lock file"
    )
