"""hfgate: Hugging Face models behind one dependable API."""

__version__ = "0.1.0"
