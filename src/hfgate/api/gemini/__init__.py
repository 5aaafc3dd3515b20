"""Gemini's API (``/v1beta/models/{model}:generateContent`` and its siblings) over any chat or embedding
endpoint: what Gemini CLI, ``google-genai`` and ``@google/genai`` call."""
