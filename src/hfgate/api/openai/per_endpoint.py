"""``/hf/{inference_id}/v1``: the OpenAI routes TEI and TGI serve beside their own, for one endpoint.

They live with the OpenAI face (same request types, same shapes) and are declared on the Hugging Face
face, so ``/hf/{id}`` answers every route a TEI or TGI server answers, and errors on these paths take
TEI's and TGI's shape, like the servers these routes imitate. A face imports no other face, so the app
hands the Hugging Face face's :class:`FaceRoutes` to :func:`declare` (:mod:`hfgate.api.declared`). The
body names no ``model``: the endpoint is in the path.
"""

from __future__ import annotations

from fastapi import Request, Response

from hfgate.access.roles import Role
from hfgate.api.body import decode, json_object, read_body
from hfgate.api.declare import FaceRoutes
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai import answers, schema
from hfgate.api.openai.routes import run_chat, run_completion, run_embeddings

_V1 = "/hf/{inference_id}/v1"


async def openai_embeddings(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    return await run_embeddings(orch, await read_body(request, schema.EmbeddingsBody), name=inference_id)


async def chat_completions(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    body = await json_object(request)
    return await run_chat(orch, decode(body, schema.ChatBody), body, name=inference_id)


async def completions(inference_id: str, request: Request, orch: OrchestratorDep) -> Response:
    body = await json_object(request)
    return await run_completion(orch, decode(body, schema.CompletionBody), body, name=inference_id)


def declare(routes: FaceRoutes) -> FaceRoutes:
    """The three routes declared on ``routes`` (the Hugging Face face's), which is returned."""
    answer = answers.CompletionResponse
    routes.post(f"{_V1}/embeddings", role=Role.INFER, body=schema.EmbeddingsBody, answer=answers.EmbeddingsResponse)(
        openai_embeddings
    )
    routes.post(f"{_V1}/chat/completions", role=Role.INFER, body=schema.ChatBody, answer=answer, or_stream=True)(
        chat_completions
    )
    routes.post(f"{_V1}/completions", role=Role.INFER, body=schema.CompletionBody, answer=answer, or_stream=True)(
        completions
    )
    return routes
