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

from fastapi import Request, Response

from hfgate.access.roles import Role
from hfgate.api.body import json_response, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers, schema
from hfgate.api.openai.errors import FACE as OPENAI
from hfgate.api.openai.shapes import new_id
from hfgate.errors import BadRequestError, EmptyInputError
from hfgate.tasks import RerankRequest, RerankResult, TaskType

ROUTES = FaceRoutes(OPENAI, tag="OpenAI-compatible", error=answers.OpenAIError)


@ROUTES.post(
    "/v1/rerank", "/rerank", "/v2/rerank", role=Role.INFER, body=schema.RerankRequest, answer=answers.RerankResponse
)
async def rerank(request: Request, orch: OrchestratorDep) -> Response:
    """Rank ``documents`` by relevance to ``query``, best first (``top_n`` of them when given)."""
    body = await read_body(request, schema.RerankRequest)
    asked = rerank_request(body)
    endpoint = await orch.endpoint_for(body.model, None)
    if endpoint.task_type is not TaskType.RERANK:
        raise BadRequestError(
            f"[model] [{body.model}] is a [{endpoint.task_type.value}] endpoint; reranking takes a [rerank] endpoint "
            "(GET /v1/models gives each model's task_type)",
            param="model",
        )
    return json_response(answer(await orch.rerank(endpoint, asked), model=body.model))


def rerank_request(body: schema.RerankRequest) -> RerankRequest:
    """The decoded request as a task request.

    Raises:
        EmptyInputError: ``documents`` is empty.
    """
    if not body.documents:
        raise EmptyInputError(["Field [documents] cannot be an empty array; give at least one"], param="documents")
    return RerankRequest(
        query=body.query,
        documents=tuple(body.documents),
        top_n=body.top_n,
        return_documents=body.return_documents is not False,
    )


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
