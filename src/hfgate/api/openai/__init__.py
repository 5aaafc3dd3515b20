"""The OpenAI-compatible face under ``/v1``: models, embeddings, completions, chat completions."""
