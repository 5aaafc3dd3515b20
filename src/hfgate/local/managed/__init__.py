"""Model servers hfgate starts and supervises as child processes (a managed vLLM per model).

``command`` says how one is started, ``server`` keeps one running (readiness, its logs in ours,
restarts with back-off), ``servers`` holds them by model. What is sent to them is the ``hugging_face``
service's business: a managed server is reached by url like any other.
"""
