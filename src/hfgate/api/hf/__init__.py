"""The Hugging Face-compatible face under ``/hf/{inference_id}``: hosted-model, TEI and TGI routes."""
