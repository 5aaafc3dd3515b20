"""Embedding a whole corpus: read, chunk, embed through an endpoint, write Parquet parts, resume.

``hfgate.corpus.job.embed_corpus`` (and ``hfgate embed-corpus``) runs in one process;
``hfgate.corpus.ray_job`` runs the same job on Ray Data. Both chunk exactly as ``"chunked": true``
does and embed through the endpoint's own service, so the vectors are the API's.
"""
