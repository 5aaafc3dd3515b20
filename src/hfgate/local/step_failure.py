"""What a local model's failed batch step answers each request that was in it.

Every request admitted to a local engine gets exactly one answer. When a step raises (a generation's
prefill or decode step, an embedding pass), the scheduler runs the step's requests again one at a time:
a request that still fails while another succeeded, or while a probe of the engine succeeds, caused the
failure with its own input and is answered :class:`ModelInputError` (400); when nothing succeeds, the
engine is at fault and each is answered :class:`LocalEngineError` (500, naming the engine). Errors hfgate
raised on purpose (already typed) pass through as they are. Each answer is counted in
``hfgate_local_step_failures`` and logged.
"""

from __future__ import annotations

import logging
from typing import Literal

from hfgate.errors import HfGateError, LocalEngineError, ModelInputError
from hfgate.telemetry.metrics import LOCAL_STEP_FAILURES

log = logging.getLogger("hfgate.local")

Blame = Literal["input", "engine"]
_DETAIL_CHARS = 300


def step_error(exc: BaseException, *, blame: Blame, model: str, engine: str) -> HfGateError:
    """The typed error a request of a failed step is answered with; counted and logged.

    Example:
        >>> step_error(ValueError("no tokens"), blame="input", model="m", engine="onnx").status
        400
    """
    LOCAL_STEP_FAILURES(model, blame).inc()
    log.warning(
        "local step failed",
        extra={"event": "local.step_failed", "model": model, "engine": engine, "blame": blame, "error": repr(exc)},
    )
    if isinstance(exc, HfGateError):
        return exc
    detail = _detail(exc)
    if blame == "input":
        return ModelInputError(f"The local model [{model}] ([{engine}] engine) could not run this input: {detail}")
    return LocalEngineError(
        f"The local model [{model}]'s [{engine}] engine failed: {detail}; retry, and if it persists "
        "choose another [service_settings.engine]"
    )


def _detail(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"
