"""``/hf/{inference_id}/v1``: the OpenAI routes TEI and TGI serve beside their own, for one endpoint.

They live with the OpenAI face (same parsing, same shapes) and are mounted under the Hugging Face
face's prefix, so ``/hf/{id}`` answers every route a TEI or TGI server answers. Errors on these paths
keep the Hugging Face face's shape, as the error renderers pick it by path.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hfgate.api.body import json_object
from hfgate.api.deps import OrchestratorDep
from hfgate.api.openai.routes import run_chat, run_completion, run_embeddings

router = APIRouter(prefix="/hf/{inference_id}/v1", tags=["Hugging Face-compatible (TEI/TGI)"])


@router.post("/embeddings")
async def openai_embeddings(inference_id: str, request: Request, *, orch: OrchestratorDep) -> Response:
    return await run_embeddings(orch, await json_object(request), name=inference_id)


@router.post("/chat/completions")
async def chat_completions(inference_id: str, request: Request, *, orch: OrchestratorDep) -> Response:
    return await run_chat(orch, await json_object(request), name=inference_id)


@router.post("/completions")
async def completions(inference_id: str, request: Request, *, orch: OrchestratorDep) -> Response:
    return await run_completion(orch, await json_object(request), name=inference_id)
