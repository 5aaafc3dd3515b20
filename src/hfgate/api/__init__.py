"""The HTTP API: an app factory and one router per face (Elasticsearch-shaped, OpenAI, Hugging Face, UI)."""
