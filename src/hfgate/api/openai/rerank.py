"""``/v1/rerank`` (also ``/rerank`` and ``/v2/rerank``): reranking in Cohere's and Jina's shape, what Dify's
OpenAI-compatible provider, LangChain's and LlamaIndex's Cohere/Jina rerankers and most RAG frameworks post.

Request ``{model, query, documents: [str | {"text"}], top_n, return_documents}``; answer ``{"id", "model",
"results": [{"index", "relevance_score", "document": {"text"}}], "meta", "usage"}``, best first. Sources:
Cohere's ``V2RerankResponse`` (cohere-python ``src/cohere/v2/types/v2rerank_response.py``: ``id``,
``results``, ``meta``), Jina's rerank API (``usage.total_tokens``, ``document.text``), and vLLM's rerank route
which answers both (tests/fakes/engines.py). ``model`` is an hfgate rerank endpoint's id; the call goes
through the orchestrator as the Elasticsearch and Hugging Face faces' rerank does (keys, limits, usage,
metrics and the cache apply). Errors come in OpenAI's shape, as on every ``/v1`` route.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from hfgate.api.body import json_object, json_type, typed
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai.requests import model_of
from hfgate.api.openai.shapes import new_id
from hfgate.api.responses import json_response
from hfgate.errors import BadRequestError, EmptyInputError, RequestValidationError
from hfgate.tasks import RerankRequest, RerankResult, TaskType

router = APIRouter(tags=["OpenAI-compatible"])

PATHS = ("/v1/rerank", "/rerank", "/v2/rerank")
TIMEOUT = 30.0


async def rerank(request: Request, orch: OrchestratorDep) -> Response:
    """Rank ``documents`` by relevance to ``query``, best first (``top_n`` of them when given)."""
    body = await json_object(request)
    name = model_of(body)
    asked = rerank_request(body)
    endpoint = await orch.endpoint_for(name, None)
    if endpoint.task_type is not TaskType.RERANK:
        raise BadRequestError(
            f"[model] [{name}] is a [{endpoint.task_type.value}] endpoint; reranking takes a [rerank] endpoint "
            "(GET /v1/models gives each model's task_type)",
            param="model",
        )
    return json_response(answer(await orch.rerank(endpoint, asked), model=name))


for _path in PATHS:
    router.add_api_route(_path, rerank, methods=["POST"], summary="Rerank (Cohere / Jina shape)")


def rerank_request(body: dict[str, Any]) -> RerankRequest:
    """The request, checked; fields other than these (``rank_fields``, ``max_tokens_per_doc``…) are not used.

    Raises:
        RequestValidationError, EmptyInputError: ``query`` or ``documents`` missing, empty or malformed,
            ``top_n`` not a positive integer; the message names the field.
    """
    query = typed(body, "query", kind=str)
    if not query:
        raise RequestValidationError(["Field [query] is required: a non-empty string"], param="query")
    top_n = typed(body, "top_n", kind=int)
    if top_n is not None and top_n < 1:
        raise RequestValidationError([f"Field [top_n] must be a positive integer, got [{top_n}]"], param="top_n")
    return RerankRequest(
        query=query,
        documents=_documents(body.get("documents")),
        top_n=top_n,
        return_documents=bool(typed(body, "return_documents", kind=bool, default=True)),
        timeout=TIMEOUT,
    )


def _documents(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise RequestValidationError(
            [f'Field [documents] must be an array of strings or {{"text": …}} objects, got [{json_type(raw)}]'],
            param="documents",
        )
    if not raw:
        raise EmptyInputError(["Field [documents] cannot be an empty array; give at least one"], param="documents")
    return tuple(_text(f"documents[{i}]", item) for i, item in enumerate(raw))


def _text(where: str, item: Any) -> str:
    text = item.get("text") if isinstance(item, dict) else item
    if not isinstance(text, str):
        raise RequestValidationError(
            [f"Field [{where}] must be a string or an object with a [text] string, got [{json_type(item)}]"],
            param=where,
        )
    return text


def answer(result: RerankResult, *, model: str) -> dict[str, Any]:
    """Cohere's and Jina's answer: each hit's ``index`` and ``relevance_score``, its ``document`` when asked."""
    results = []
    for hit in result.hits:
        item: dict[str, Any] = {"index": hit.index, "relevance_score": hit.score}
        if hit.text is not None:
            item["document"] = {"text": hit.text}
        results.append(item)
    tokens = result.usage.prompt_tokens
    return {
        "id": new_id("rerank"),
        "model": model,
        "results": results,
        "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
