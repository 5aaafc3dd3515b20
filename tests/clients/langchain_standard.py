"""LangChain's own standard tests (``langchain-tests``, installed apart) on ``ChatOpenAI`` and
``OpenAIEmbeddings`` pointed at a live hfgate: chat completions, the Responses API, embeddings.

Not collected by hfgate's suite (the name has no ``test_`` prefix): tests/clients/test_langchain_standard.py
runs pytest over this module in a subprocess, with the ``langchain`` set first on the path, the URL in
``HFGATE_URL`` and the endpoint ids in ``HFGATE_CHAT_MODEL`` and ``HFGATE_EMBEDDING_MODEL``.
"""

from __future__ import annotations

import os
from typing import Any

from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

BASE = f"{os.environ.get('HFGATE_URL', 'http://127.0.0.1:8080')}/v1"
CHAT = os.environ.get("HFGATE_CHAT_MODEL", ".smollm2-135m-instruct")
EMBEDDING = os.environ.get("HFGATE_EMBEDDING_MODEL", ".all-minilm-l6-v2")

# temperature 0: the same answer each run; max_tokens bounds each call's time on a small CPU; stream_usage:
# ChatOpenAI asks a server other than OpenAI's for usage in a stream only when told
CHAT_PARAMS: dict[str, Any] = {
    "model": CHAT, "base_url": BASE, "api_key": "unused", "temperature": 0, "max_tokens": 96,
    "max_retries": 0, "timeout": 300, "stream_usage": True,
}  # fmt: skip


class TestChatCompletions(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatOpenAI]:
        return ChatOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return dict(CHAT_PARAMS)

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True


class TestResponses(TestChatCompletions):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**CHAT_PARAMS, "use_responses_api": True}


class TestEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[OpenAIEmbeddings]:
        return OpenAIEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        # the token-length check would fetch tiktoken's tables from the internet
        return {"model": EMBEDDING, "base_url": BASE, "api_key": "unused", "check_embedding_ctx_length": False}
