"""Command groups of the ``hfgate`` CLI that live outside ``cli.py`` (the entry layer, over the client)."""
