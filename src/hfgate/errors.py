"""Every error hfgate raises, with the HTTP status and the reason a user sees.

The hierarchy::

    HfGateError                      500  status_exception
    ├── BadRequestError              400  status_exception
    │   ├── RequestValidationError   400  validation_exception ("Validation Failed: 1: …;")
    │   ├── ChunkingSettingsError    400  validation_exception (Elasticsearch's chunking messages)
    │   ├── EmptyInputError          400  validation_exception (no input, or an empty one)
    │   ├── ParseError               400  parse_exception (malformed JSON, wrong types)
    │   ├── AlreadyExistsError       400  status_exception
    │   ├── ModelInputError          400  status_exception (a local model's step failed on this request's own input)
    │   └── ValidationCallError      400  status_exception (the check at create failed)
    ├── AuthenticationError          401  security_exception (gateway API keys)
    ├── ForbiddenError               403  security_exception (the key's role or endpoints do not allow it)
    ├── NotFoundError                404  resource_not_found_exception
    │   └── EndpointNotFoundError    404  (no inference endpoint with that id)
    ├── RequestTimeoutError          408  status_exception
    ├── PayloadTooLargeError         413  status_exception
    ├── OverloadedError              429  status_exception (a local queue is full)
    ├── KeyLimitError                429  status_exception (a key's requests or tokens per minute; Retry-After)
    │   └── BudgetExceededError      429  (a key's or endpoint's USD per day or month; Retry-After: its reset)
    ├── CoordinationUnavailableError 503  status_exception (Redis down under fail_closed)
    ├── RegistryUnavailableError     503  status_exception (the endpoint database is unreachable)
    ├── ShuttingDownError            503  status_exception (a stream open at the drain deadline)
    ├── ModelNotReadyError           503  status_exception (a local model still downloading or loading; Retry-After)
    ├── FileStoreUnavailableError    503  status_exception (the files' S3 bucket missing, refused or out of reach)
    ├── StorageFullError             507  status_exception (no space left for the registry or a model cache)
    ├── GpuMemoryFullError           507  status_exception (a local model does not fit in the GPU's free memory)
    ├── HostMemoryFullError          507  status_exception (a managed vLLM cannot start in the memory free)
    ├── LocalEngineError             500  status_exception (a local model's step failed, not on one request's input)
    ├── FileBytesMissingError        500  status_exception (a listed file's bytes are not in this replica's directory)
    ├── DeviceUnavailableError       500  at start-up only: HFGATE_LOCAL_DEVICE names a GPU this machine lacks
    ├── SecretKeyMismatchError       500  at start-up only: the fleet's key differs from this replica's
    │   └── SecretKeyRotationError   500  hfgate secret-key rotate only: the keys or a stored secret forbid it
    ├── SchemaTooNewError            500  at start-up only: the database records a migration this code lacks
    └── UpstreamError                4xx/5xx  status_exception (a remote model server failed)
        ├── UpstreamAuthError        401
        ├── UpstreamRateLimitError   429
        ├── UpstreamBadRequestError  the upstream's 4xx
        ├── UpstreamServerError      502
        ├── UpstreamUnreachableError 502
        └── UpstreamTimeoutError     504

    RateLimitRefusedError            no status: a rate limiter's refusal inside hfgate, which
                                     ``upstream/http/failures.py`` turns into UpstreamRateLimitError

Each face (Elasticsearch, OpenAI, Hugging Face) renders these in its own error shape; the status and
the reason are the same everywhere.
"""

from __future__ import annotations


class HfGateError(Exception):
    """Base of every error hfgate reports to a user.

    Args:
        reason: the user-facing message; it names the field and the fix.
        param: the request field at fault, when one is (the OpenAI face reports it).
    """

    status: int = 500
    error_type: str = "status_exception"

    def __init__(self, reason: str, *, param: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.param = param


class BadRequestError(HfGateError):
    """The request cannot be carried out as sent."""

    status = 400


class RequestValidationError(BadRequestError):
    """One or more fields are missing or invalid; rendered as Elasticsearch's ``Validation Failed``."""

    error_type = "validation_exception"

    def __init__(self, problems: list[str], *, param: str | None = None) -> None:
        self.problems = problems
        listed = "".join(f"{n}: {p};" for n, p in enumerate(problems, start=1))
        super().__init__(f"Validation Failed: {listed}", param=param)


class EmptyInputError(RequestValidationError):
    """The request has no input to run on."""


class ChunkingSettingsError(BadRequestError):
    """``chunking_settings`` are invalid; the reason is Elasticsearch's message."""

    error_type = "validation_exception"


class ParseError(BadRequestError):
    """The body is not valid JSON, or a field has the wrong type."""

    error_type = "parse_exception"


class AlreadyExistsError(BadRequestError):
    """An endpoint with that id exists already."""

    def __init__(self, inference_id: str) -> None:
        super().__init__(f"Inference endpoint [{inference_id}] already exists")


class ValidationCallError(BadRequestError):
    """The call made at create time to check the endpoint failed."""


class ModelInputError(BadRequestError):
    """A local model's batch step failed on this request's own input: the requests it shared the step
    with were run again without it and succeeded (or a probe of the engine did)."""


class LocalEngineError(HfGateError):
    """A local model's batch step failed and no request's input could be blamed: the engine is at
    fault; the message names it and the model."""


class AuthenticationError(HfGateError):
    """The gateway's API key is missing or wrong."""

    status = 401
    error_type = "security_exception"


class ForbiddenError(HfGateError):
    """The key is valid but its role, or its list of endpoints, does not allow this request."""

    status = 403
    error_type = "security_exception"


class NotFoundError(HfGateError):
    """No endpoint (or other resource) with that id."""

    status = 404
    error_type = "resource_not_found_exception"


class EndpointNotFoundError(NotFoundError):
    """No inference endpoint with that id."""

    def __init__(self, inference_id: str) -> None:
        super().__init__(f"Inference endpoint not found [{inference_id}]")


class RequestTimeoutError(HfGateError):
    """The request's ``timeout`` ran out before a result was ready."""

    status = 408


class PayloadTooLargeError(HfGateError):
    """The request body is larger than ``HFGATE_MAX_BODY_BYTES``, or an image in it than ``images.MAX_IMAGE_BYTES``."""

    status = 413


class OverloadedError(HfGateError):
    """A bounded local queue is full; the client should retry later."""

    status = 429


class KeyLimitError(HfGateError):
    """A gateway key used up its requests or tokens per minute; ``retry_after`` says when to come back.

    Args:
        reason: the message, naming the key and the limit.
        retry_after: whole seconds until the key may be admitted again (the ``Retry-After`` header).
    """

    status = 429

    def __init__(self, reason: str, *, retry_after: int, param: str | None = None) -> None:
        super().__init__(reason, param=param)
        self.retry_after = retry_after


class BudgetExceededError(KeyLimitError):
    """A key's or an endpoint's budget has no room for the request until it resets (``retry_after``)."""


class CoordinationUnavailableError(HfGateError):
    """The shared store of the fleet (Redis) is unreachable and the policy is to refuse."""

    status = 503


class RegistryUnavailableError(HfGateError):
    """The endpoint database cannot be reached; nothing was written, the client may retry."""

    status = 503


class ShuttingDownError(HfGateError):
    """This replica is shutting down and its drain deadline passed (``HFGATE_DRAIN_SECONDS``)."""

    status = 503


class ModelNotReadyError(HfGateError):
    """A local endpoint's model is still downloading (or its download failed and is retried); the
    client should come back after ``retry_after`` seconds (the ``Retry-After`` header).

    Args:
        reason: what the model is doing now (bytes done of total), naming the endpoint.
        retry_after: whole seconds to wait before asking again.
    """

    status = 503

    def __init__(self, reason: str, *, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class DeviceUnavailableError(HfGateError):
    """``HFGATE_LOCAL_DEVICE`` asks for a CUDA device torch does not see here (raised at start-up)."""


class StorageFullError(HfGateError):
    """The disk hfgate writes to (the SQLite registry, a converted model cache) is full; nothing written."""

    status = 507


class FileBytesMissingError(HfGateError):
    """A file the registry lists has no bytes in this replica's file directory (``HFGATE_BATCH_FILES_DIR``):
    replicas of a fleet that do not share one."""


class FileStoreUnavailableError(HfGateError):
    """The Files API's object store (``HFGATE_BATCH_FILES_URL``) cannot be used: its bucket is missing, its
    credentials are refused, its server is out of reach, or boto3 is not installed; the reason names the fix."""

    status = 503


class GpuMemoryFullError(HfGateError):
    """A model bound for a GPU does not fit even with idle models evicted; nothing loaded (local.gpu_memory)."""

    status = 507


class HostMemoryFullError(HfGateError):
    """A managed vLLM cannot start in the memory free: hfgate's sizing found too little, or the server
    itself exited saying so (local.managed.memory); it is started again once more memory is free."""

    status = 507


class SecretKeyMismatchError(HfGateError):
    """This replica's secret key is not the one the shared database was first started with."""


class SecretKeyRotationError(SecretKeyMismatchError):
    """``hfgate secret-key rotate`` cannot go on: a key missing or repeated, or a secret neither decrypts."""


class SchemaTooNewError(HfGateError):
    """The registry database records a migration this hfgate does not know: a newer release upgraded it.

    Raised by ``migrate`` before it writes anything; the message names the database's newest migration
    and this code's, and says to run the newer hfgate or restore a backup.
    """


class UpstreamError(HfGateError):
    """A remote model server answered with an error or could not be reached.

    Args:
        reason: the message, naming the endpoint and quoting the upstream's own error text.
        status: the HTTP status hfgate answers with.
    """

    def __init__(self, reason: str, *, status: int = 502) -> None:
        super().__init__(reason)
        self.status = status


class UpstreamAuthError(UpstreamError):
    """The upstream rejected the endpoint's ``api_key`` (401/403)."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason, status=status)


class UpstreamRateLimitError(UpstreamError):
    """The upstream, or hfgate's own limiter for that upstream, refused for rate (429)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=429)


class UpstreamBadRequestError(UpstreamError):
    """The upstream refused the request with a 4xx other than 401/403/429."""


class UpstreamServerError(UpstreamError):
    """The upstream failed with a 5xx."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=502)


class UpstreamUnreachableError(UpstreamError):
    """The upstream could not be connected to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=502)


class UpstreamTimeoutError(UpstreamError):
    """The upstream did not answer in time."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=504)


class RateLimitRefusedError(Exception):
    """A rate limiter could not give a request a slot (:mod:`hfgate.ratelimit`); no user sees it as such.

    Args:
        why: ``queue_full`` or ``deadline``.
        wait: for ``deadline``, how long the request would have had to wait.
    """

    def __init__(self, why: str, *, wait: float = 0.0) -> None:
        super().__init__(why)
        self.why = why
        self.wait = wait
