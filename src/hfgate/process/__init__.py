"""One running hfgate process: what it holds, how it serves HTTP and how it stops.

- :mod:`~hfgate.process.runtime` — the database, registry, services and orchestrator, built at start
  and closed at shutdown (``hfgate serve`` and ``hfgate embed-corpus`` each build one).
- :mod:`~hfgate.process.serve` — uvicorn's options and HTTP protocol (the header deadline), and the
  supervisor of ``--workers``.
- :mod:`~hfgate.process.one_write` — a whole response in one socket write.
- :mod:`~hfgate.process.drain` — what a replica does between SIGTERM and its exit.
- :mod:`~hfgate.process.collector` — the garbage collector tuned for long runs of small objects.
"""
