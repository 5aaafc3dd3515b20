"""Every route of every face, called with a key of each role: 2xx when the role allows it, else 403
naming the missing role in that face's error shape. The routes come from the app itself, so a new
route without a sample here (or without a rule in ``RULES``) fails the test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfgate.access.principal import ANY_KEY, OPEN
from hfgate.access.roles import Role, granted
from hfgate.api.route_roles import RULES, all_routes, need_of, rule_names
from hfgate.config import Settings
from hfgate.services import ServiceContext
from tests.conftest import app_client

EMB = ".all-minilm-l6-v2"
GEN = ".smollm2-135m-instruct"
BOOT = {"Authorization": "Bearer boot"}
LOCAL = {"service": "local", "service_settings": {"model": "all-MiniLM-L6-v2"}}
Call = tuple[str, str, dict[str, Any]]


def _gemini() -> dict[str, Call]:
    """Gemini's routes, under both versions."""
    ask = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": {"maxOutputTokens": 1}}
    embed = {"content": {"parts": [{"text": "hi"}]}}
    calls: dict[str, Call] = {
        "GET /v1beta/models": ("GET", "/v1beta/models", {}),
        "GET /v1beta/models/{model:path}": ("GET", f"/v1beta/models/{GEN}", {}),
    }
    for version in ("v1beta", "v1"):
        for action, model, body in (("generateContent", GEN, ask), ("streamGenerateContent", GEN, ask),
                                    ("countTokens", GEN, {"contents": ask["contents"]}), ("embedContent", EMB, embed),
                                    ("batchEmbedContents", EMB, {"requests": [embed]})):  # fmt: skip
            rule = f"POST /{version}/models/{{model:path}}:{action}"
            calls[rule] = ("POST", f"/{version}/models/{model}:{action}", {"json": body})
    for action, model, body in (("batchGenerateContent", GEN, ask), ("asyncBatchEmbedContent", EMB, embed)):
        batch = {"batch": {"inputConfig": {"requests": {"requests": [{"request": body}]}}}}
        calls[f"POST /v1beta/models/{{model:path}}:{action}"] = ("POST", f"/v1beta/models/{model}:{action}",
                                                                 {"json": batch})  # fmt: skip
    calls["GET /v1beta/batches"] = ("GET", "/v1beta/batches", {})
    for method, path in GEMINI_BATCH:
        calls[f"{method} {path}"] = (method, path.replace("{name}", "gembatch_none"), {})
    for method, path in GEMINI_FILE:
        calls[f"{method} {path}"] = (method, path.replace("{name}", "file-none"), {})
    calls["POST /upload/v1beta/files"] = ("POST", "/upload/v1beta/files", {"json": {"file": {}}})
    return calls


GEMINI_BATCH = (("GET", "/v1beta/batches/{name}"), ("POST", "/v1beta/batches/{name}:cancel"),
                ("DELETE", "/v1beta/batches/{name}"))  # fmt: skip
"""The Gemini face's routes of one batch."""

GEMINI_FILE = (("GET", "/v1beta/files/{name}"), ("GET", "/v1beta/files/{name}:download"),
               ("DELETE", "/v1beta/files/{name}"))  # fmt: skip
"""The Gemini face's routes of one file."""


def _samples(role: str, spare_key: str) -> dict[str, Call]:
    """One request per rule that succeeds when the key may make it (``role`` keeps ids apart)."""
    chat = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
    made = f"made-{role}"
    return {
        "GET /health": ("GET", "/health", {}),
        "GET /ready": ("GET", "/ready", {}),
        "GET /metrics": ("GET", "/metrics", {}),
        "GET /": ("GET", "/", {}),
        "HEAD /": ("HEAD", "/", {}),
        "GET /openapi.json": ("GET", "/openapi.json", {}),
        "GET /docs": ("GET", "/docs", {}),
        "GET /docs/oauth2-redirect": ("GET", "/docs/oauth2-redirect", {}),
        "GET /redoc": ("GET", "/redoc", {}),
        "GET /_inference/_services": ("GET", "/_inference/_services", {}),
        "GET /_inference/_services/{task_type}": ("GET", "/_inference/_services/text_embedding", {}),
        "GET /_inference": ("GET", "/_inference", {}),
        "GET /_inference/{inference_id}": ("GET", f"/_inference/{EMB}", {}),
        "GET /_inference/{task_type}/{inference_id}": ("GET", f"/_inference/text_embedding/{EMB}", {}),
        "PUT /_inference/{inference_id}": (
            "PUT", f"/_inference/{made}-a?skip_validation=true", {"json": {**LOCAL, "task_type": "text_embedding"}}
        ),
        "PUT /_inference/{task_type}/{inference_id}": (
            "PUT", f"/_inference/text_embedding/{made}-b?skip_validation=true", {"json": LOCAL}
        ),
        "PUT /_inference/{inference_id}/_update": ("PUT", f"/_inference/{made}-a/_update", {"json": {}}),
        "PUT /_inference/{task_type}/{inference_id}/_update": (
            "PUT", f"/_inference/text_embedding/{made}-b/_update", {"json": {}}
        ),
        "DELETE /_inference/{inference_id}": ("DELETE", f"/_inference/{made}-a", {}),
        "DELETE /_inference/{task_type}/{inference_id}": ("DELETE", f"/_inference/text_embedding/{made}-b", {}),
        "POST /_inference/{task_type}/{inference_id:endpoint_id}": (
            "POST", f"/_inference/text_embedding/{EMB}", {"json": {"input": "hi"}}
        ),
        "POST /_inference/{inference_id:endpoint_id}": ("POST", f"/_inference/{EMB}", {"json": {"input": "hi"}}),
        "POST /_inference/{inference_id}/_stream": ("POST", f"/_inference/{GEN}/_stream", {"json": {"input": "hi"}}),
        "POST /_inference/{task_type}/{inference_id}/_stream": (
            "POST", f"/_inference/completion/{GEN}/_stream", {"json": {"input": "hi"}}
        ),
        "POST /_inference/_chunk": ("POST", "/_inference/_chunk", {"json": {"input": "one. two."}}),
        "POST /_security/api_key": ("POST", "/_security/api_key", {"json": {"name": made, "roles": ["infer"]}}),
        "PUT /_security/api_key": ("PUT", "/_security/api_key", {"json": {"name": made, "roles": ["infer"]}}),
        "GET /_security/api_key": ("GET", "/_security/api_key", {}),
        # updated before the next sample revokes it
        "PUT /_security/api_key/{key_id}": ("PUT", f"/_security/api_key/{spare_key}", {"json": {"metadata": {}}}),
        "DELETE /_security/api_key": ("DELETE", "/_security/api_key", {"json": {"ids": [spare_key]}}),
        "POST /_security/_query/api_key": ("POST", "/_security/_query/api_key", {"json": {"query": {"match_all": {}}}}),
        "GET /_security/_query/api_key": ("GET", "/_security/_query/api_key", {}),
        "GET /_security/_authenticate": ("GET", "/_security/_authenticate", {}),
        "GET /_security/user/_has_privileges": (
            "GET", "/_security/user/_has_privileges", {"json": {"cluster": ["monitor"]}}
        ),
        "POST /_security/user/_has_privileges": (
            "POST", "/_security/user/_has_privileges", {"json": {"cluster": ["monitor"]}}
        ),
        "GET /_usage": ("GET", "/_usage", {}),
        "POST /_hfgate/apply": ("POST", "/_hfgate/apply", {"json": {"document": "{}", "dry_run": True}}),
        "GET /_hfgate/export": ("GET", "/_hfgate/export", {}),
        "GET /v1/models": ("GET", "/v1/models", {}),
        "GET /v1/models/{model:path}": ("GET", f"/v1/models/{EMB}", {}),
        "POST /v1/embeddings": ("POST", "/v1/embeddings", {"json": {"model": EMB, "input": "hi"}}),
        "POST /v1/completions": ("POST", "/v1/completions", {"json": {"model": GEN, "prompt": "hi", "max_tokens": 1}}),
        "POST /v1/chat/completions": ("POST", "/v1/chat/completions", {"json": {"model": GEN, **chat}}),
        "POST /v1/responses": (
            "POST", "/v1/responses", {"json": {"model": GEN, "input": "hi", "max_output_tokens": 1, "store": False}}
        ),
        "POST /v1/messages": (
            "POST", "/v1/messages", {"json": {"model": GEN, "max_tokens": 1, "messages": chat["messages"]}}
        ),
        "POST /v1/messages/count_tokens": (
            "POST", "/v1/messages/count_tokens", {"json": {"model": GEN, "messages": chat["messages"]}}
        ),
        "GET /v1/responses": ("GET", "/v1/responses", {}),
        **_gemini(),
        "POST /v1/responses/compact": ("POST", "/v1/responses/compact", {"json": {"model": GEN}}),
        **{f"POST {path}": ("POST", path, {"json": {"model": EMB, "query": "q", "documents": ["a"]}})
           for path in ("/v1/rerank", "/rerank", "/v2/rerank")},
        **{f"POST {path}": ("POST", path, {"data": {"model": EMB}, "files": {"file": ("a.wav", b"RIFF")}})
           for path in ("/v1/audio/transcriptions", "/v1/audio/translations")},
        "GET /v1/responses/{response_id}": ("GET", "/v1/responses/resp_none", {}),
        "POST /v1/files": (
            "POST", "/v1/files", {"data": {"purpose": "batch"}, "files": {"file": ("in.jsonl", b"{}\n")}}
        ),
        "GET /v1/files": ("GET", "/v1/files", {}),
        "GET /v1/batches": ("GET", "/v1/batches", {}),
        **{f"{method} {path}": (method, path.replace("{file_id}", "file-none"), {}) for method, path in (
            ("GET", "/v1/files/{file_id}"), ("GET", "/v1/files/{file_id}/content"), ("DELETE", "/v1/files/{file_id}"))},
        "POST /v1/batches": (
            "POST", "/v1/batches", {"json": {"input_file_id": "file-none", "endpoint": "/v1/embeddings",
                                             "completion_window": "24h"}}
        ),
        "GET /v1/batches/{batch_id}": ("GET", "/v1/batches/batch_none", {}),
        "POST /v1/messages/batches": ("POST", "/v1/messages/batches", {"json": {"requests": [
            {"custom_id": "a", "params": {"model": GEN, "max_tokens": 1, "messages": chat["messages"]}}]}}),
        "GET /v1/messages/batches": ("GET", "/v1/messages/batches", {}),
        **{f"{method} {path}": (method, path.replace("{message_batch_id}", "msgbatch_none"), {})
           for method, path in (("GET", "/v1/messages/batches/{message_batch_id}"),
                                ("POST", "/v1/messages/batches/{message_batch_id}/cancel"),
                                ("DELETE", "/v1/messages/batches/{message_batch_id}"),
                                ("GET", "/v1/messages/batches/{message_batch_id}/results"))},
        "POST /v1/batches/{batch_id}/cancel": ("POST", "/v1/batches/batch_none/cancel", {}),
        "GET /v1/responses/{response_id}/input_items": ("GET", "/v1/responses/resp_none/input_items", {}),
        "DELETE /v1/responses/{response_id}": ("DELETE", "/v1/responses/resp_none", {}),
        "GET /hf/{inference_id}/health": ("GET", f"/hf/{EMB}/health", {}),
        "GET /hf/{inference_id}/info": ("GET", f"/hf/{EMB}/info", {}),
        "POST /hf/{inference_id}": ("POST", f"/hf/{EMB}", {"json": {"inputs": "hi"}}),
        "POST /hf/{inference_id}/embed": ("POST", f"/hf/{EMB}/embed", {"json": {"inputs": "hi"}}),
        "POST /hf/{inference_id}/embed_sparse": (
            "POST", f"/hf/{EMB}/embed_sparse", {"json": {"inputs": ["a"]}}
        ),
        "POST /hf/{inference_id}/rerank": (
            "POST", f"/hf/{EMB}/rerank", {"json": {"query": "q", "texts": ["a"]}}
        ),
        "POST /hf/{inference_id}/tokenize": ("POST", f"/hf/{EMB}/tokenize", {"json": {"inputs": "hi"}}),
        "POST /hf/{inference_id}/decode": ("POST", f"/hf/{EMB}/decode", {"json": {"ids": [101, 102]}}),
        "POST /hf/{inference_id}/predict": ("POST", f"/hf/{EMB}/predict", {"json": {"inputs": "hi"}}),
        "POST /hf/{inference_id}/embed_all": ("POST", f"/hf/{EMB}/embed_all", {"json": {"inputs": "hi"}}),
        "POST /hf/{inference_id}/similarity": (
            "POST", f"/hf/{EMB}/similarity", {"json": {"inputs": {"source_sentence": "a", "sentences": ["b"]}}}
        ),
        **{f"POST {path}": ("POST", path, {"json": {"model": EMB, "input": "hi"}})
           for path in ("/classify", "/v1/classify", "/v1/moderations")},
        **{f"POST {path}": ("POST", path, {"json": {"model": EMB, "text_1": "a", "text_2": "b"}})
           for path in ("/score", "/v1/score")},
        "POST /hf/{inference_id}/generate": (
            "POST", f"/hf/{GEN}/generate", {"json": {"inputs": "hi", "parameters": {"max_new_tokens": 1}}}
        ),
        "POST /hf/{inference_id}/generate_stream": (
            "POST", f"/hf/{GEN}/generate_stream", {"json": {"inputs": "hi", "parameters": {"max_new_tokens": 1}}}
        ),
        "POST /hf/{inference_id}/v1/embeddings": (
            "POST", f"/hf/{EMB}/v1/embeddings", {"json": {"model": "x", "input": "hi"}}
        ),
        "POST /hf/{inference_id}/v1/chat/completions": ("POST", f"/hf/{GEN}/v1/chat/completions", {"json": chat}),
        "POST /hf/{inference_id}/v1/completions": (
            "POST", f"/hf/{GEN}/v1/completions", {"json": {"prompt": "hi", "max_tokens": 1}}
        ),
        "GET /ui": ("GET", "/ui", {}),
        "GET /ui/": ("GET", "/ui/", {}),
        "GET /ui/new": ("GET", "/ui/new", {}),
        "GET /ui/endpoints/{inference_id}": ("GET", f"/ui/endpoints/{EMB}", {}),
        "GET /ui/endpoints/{inference_id}/playground": ("GET", f"/ui/endpoints/{EMB}/playground", {}),
        "GET /ui/usage": ("GET", "/ui/usage", {}),
        "GET /ui/keys": ("GET", "/ui/keys", {}),
        "GET /ui/batches": ("GET", "/ui/batches", {}),
        "GET /ui/files/{file_id}/content": ("GET", "/ui/files/file-none/content", {}),
        "GET /ui/login": ("GET", "/ui/login", {}),
        "POST /ui/login": ("POST", "/ui/login", {"data": {"api_key": "wrong", "next": "/ui/"}}),
        "POST /ui/locale": ("POST", "/ui/locale", {"data": {"locale": "en", "next": "/ui/"}}),
        "POST /ui/logout": ("POST", "/ui/logout", {}),
        "GET /ui/static/{name}": ("GET", "/ui/static/style.css", {}),
        "PUT /ui/api/endpoints/{task_type}/{inference_id}": (
            "PUT", f"/ui/api/endpoints/text_embedding/{made}-ui", {"json": LOCAL}
        ),
    }  # fmt: skip


NOT_YOURS = (
    "GET /v1/files/{file_id}",
    "GET /v1/files/{file_id}/content",
    "GET /ui/files/{file_id}/content",
    "DELETE /v1/files/{file_id}",
    "POST /v1/batches",
    "GET /v1/batches/{batch_id}",
    "POST /v1/batches/{batch_id}/cancel",
    "GET /v1/messages/batches/{message_batch_id}",
    "POST /v1/messages/batches/{message_batch_id}/cancel",
    "DELETE /v1/messages/batches/{message_batch_id}",
    "GET /v1/messages/batches/{message_batch_id}/results",
    *(f"{method} {path}" for method, path in (*GEMINI_BATCH, *GEMINI_FILE)),
)

# The answer when the role allows the call: its own status, not access's. A wrong login is the login
# page again (401, by design); the embedding endpoint cannot rerank or embed sparse (TEI's 422).
ALLOWED_STATUS: dict[str, set[int]] = {
    "POST /ui/login": {401},
    "POST /ui/locale": {303},
    "POST /ui/logout": {303},
    "POST /hf/{inference_id}/rerank": {422},
    "POST /hf/{inference_id}/embed_sparse": {422},
    **{f"POST {path}": {400} for path in ("/v1/rerank", "/rerank", "/v2/rerank")},  # not a rerank endpoint
    # not a text-classification, sentence-similarity or rerank endpoint; every token's vector is not served
    **{f"POST {path}": {400} for path in ("/classify", "/v1/classify", "/v1/moderations", "/score", "/v1/score")},
    **{f"POST /hf/{{inference_id}}/{route}": {422} for route in ("predict", "similarity", "embed_all")},  # TEI's
    # not a speech recognition endpoint
    **{f"POST {path}": {400} for path in ("/v1/audio/transcriptions", "/v1/audio/translations")},
    # no such stored response: the key may ask, and is told it does not exist
    "GET /v1/responses/{response_id}": {404},
    "GET /v1/responses/{response_id}/input_items": {404},
    "DELETE /v1/responses/{response_id}": {404},
    "POST /v1/responses/compact": {400},  # nothing to compact: refused before any generation
    "POST /upload/v1beta/files": {400},  # no X-Goog-Upload-Command: neither a start nor a chunk
    # no such file or batch (of this key's): the key may ask, and is told it does not exist
    **{rule: {404} for rule in NOT_YOURS},
}

# Each face's 403 body: where the reason is.
REASONS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("/v1/", lambda body: str(body["error"]["message"])),
    ("/rerank", lambda body: str(body["error"]["message"])),
    ("/v2/rerank", lambda body: str(body["error"]["message"])),
    ("/classify", lambda body: str(body["error"]["message"])),
    ("/score", lambda body: str(body["error"]["message"])),
    ("/hf/", lambda body: str(body["error"])),
    ("/v1beta/", lambda body: str(body["error"]["message"])),
    ("/upload/v1beta/", lambda body: str(body["error"]["message"])),
    ("/", lambda body: str(body["error"]["reason"])),
]


def reason_of(path: str, body: dict[str, Any]) -> str:
    return next(read(body) for prefix, read in REASONS if path.startswith(prefix))


@pytest.fixture
def keyed(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, api_keys=["boot"], log_format="text", log_level="warning")  # type: ignore[arg-type]


def test_every_route_has_one_rule_and_one_sample(keyed: Settings) -> None:
    from hfgate.api.app import create_app

    names = {name for route in all_routes(create_app(keyed).routes) for name in rule_names(route)}
    assert names == set(RULES), "RULES and the app's routes differ"
    assert names == set(_samples("x", "k")), "a route has no sample call in this test"


async def _make_key(http: httpx.AsyncClient, role: str) -> str:
    made = await http.post("/_security/api_key", json={"name": f"key-{role}", "roles": [role]}, headers=BOOT)
    assert made.status_code == 200, made.text
    return str(made.json()["encoded"])


async def test_each_role_gets_2xx_where_allowed_and_403_naming_the_role_elsewhere(
    keyed: Settings, shared_context: ServiceContext
) -> None:
    async with app_client(keyed, shared_context) as http:
        short = {"task_settings": {"max_new_tokens": 1}}
        assert (await http.put(f"/_inference/{GEN}/_update", json=short, headers=BOOT)).status_code == 200
        app = http._transport.app  # type: ignore[attr-defined]
        needs = {name: need_of(route) for route in all_routes(app.routes) for name in rule_names(route)}
        failures: list[str] = []
        for role in Role:
            headers = {"Authorization": f"ApiKey {await _make_key(http, role.value)}"}
            spare = await http.post("/_security/api_key", json={"name": "spare", "roles": ["infer"]}, headers=BOOT)
            for name, (method, path, kwargs) in _samples(role.value, spare.json()["id"]).items():
                answer = await http.request(method, path, headers=headers, **kwargs)
                need = needs[name]
                allowed = need in (OPEN, ANY_KEY) or need in granted([role])
                failures += _judge(name, role=role, need=need, allowed=allowed, answer=answer)
        assert not failures, "\n".join(failures)


def _judge(name: str, *, role: Role, need: object, allowed: bool, answer: httpx.Response) -> list[str]:
    status = answer.status_code
    where = f"{name} with a [{role.value}] key: {status} {answer.text[:200]}"
    if allowed:
        ok = 200 <= status < 300 or status in ALLOWED_STATUS.get(name, set())
        return [] if ok else [f"allowed but {where}"]
    if status != 403:
        return [f"expected 403: {where}"]
    reason = reason_of(answer.request.url.path, answer.json())
    return [] if f"[{need}]" in reason else [f"403 without naming [{need}]: {where}"]
