"""Configuration as code: ``POST /_hfgate/apply`` makes the registry match a YAML/JSON file, ``GET
/_hfgate/export`` writes it (``hfgate apply -f FILE`` and ``hfgate export`` call them)."""
