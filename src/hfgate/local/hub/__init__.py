"""Models fetched from the Hugging Face Hub into its standard cache, for the ``local`` service.

``reference.py`` reads a model id (``org/name``, ``hf.co/org/name:Q4_K_M``); ``source.py`` says where
the Hub and its cache are (from ``Settings``); ``plan.py`` picks the files a loader needs and refuses an
architecture before any weights come; ``fetch.py`` asks the Hub with ``huggingface_hub`` itself;
``progress.py`` counts bytes; ``downloads.py`` runs one download per model and revision and keeps its
state; ``snapshots.py`` reads the cache (what is there, whether a revision is complete).
"""
