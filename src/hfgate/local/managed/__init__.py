"""Model servers hfgate starts and supervises as child processes (a managed vLLM per model).

``command`` says how one is started, ``memory`` sizes a CPU server's KV cache from the memory free at each
start, ``server`` keeps one running (readiness, its logs in ours, restarts with back-off, a start that
failed for memory held until memory is free), ``failure`` reads why it stopped from its output, ``servers``
holds them by model. What is sent to them is the ``hugging_face`` service's business: a managed server is
reached by url like any other.
"""
