"""Wire formats: how each Hugging Face protocol is spoken (bodies, answers, stream events)."""
