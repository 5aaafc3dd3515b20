"""In-process models: where their files are, loading and caching, embedding and generation engines."""
