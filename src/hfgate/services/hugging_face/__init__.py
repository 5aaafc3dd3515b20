"""The ``hugging_face`` service: hosted models by id, Inference Endpoints and TEI / TGI servers by url."""
