"""The web page: endpoints table, settings, add-a-model form, playground and login (``/ui``)."""
