"""The texts on which embedding engines are timed and their fidelity checked at a model's first load.

Varied on purpose: questions, code, numbers, names, several languages, one-word queries and passages
of 3 to 24 sentences (≈ 40 tokens to beyond MiniLM's 256-token limit), so an engine whose rounding
hurts some kind of input (int8 on rare tokens, bfloat16 on long sequences) shows it here rather than
in production, and of lengths like real traffic's, so the engine timed fastest here is the one that
serves fastest (texts all cut at 256 tokens once ranked the engines the other way round: see
``docs/benchmarks/embeddings.md``).
"""

from __future__ import annotations

_SENTENCES = (
    "How do I reset my password?",
    "elasticsearch",
    "The quick brown fox jumps over the lazy dog.",
    "Quarterly revenue rose 12.5% to $4.3 billion, beating analysts' estimates of $4.1 billion.",
    "def embed(texts: list[str]) -> list[list[float]]: return model.encode(texts)",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "Le chat dort sur le canapé depuis ce matin.",
    "Wie komme ich am schnellsten zum Hauptbahnhof?",
    "東京は日本の首都です。",
    "SELECT id, name FROM users WHERE created_at > NOW() - INTERVAL '7 days';",
    "Patient presented with acute dyspnea and bilateral crackles on auscultation.",
    "best running shoes for flat feet",
    "The court held that the contract was void for lack of consideration.",
    "In 1969, Apollo 11 landed the first humans on the Moon.",
    "Error: connection refused (ECONNREFUSED) at 127.0.0.1:9200",
    "Mix flour, sugar and butter, then bake at 180 °C for 25 minutes.",
    "What is the difference between a list and a tuple in Python?",
    "The mitochondria is the powerhouse of the cell.",
    "Shipping to Canada takes 5-7 business days; returns are free within 30 days.",
    "A transformer encoder maps token embeddings to contextual representations with self-attention.",
    "¿Dónde está la biblioteca?",
    "Interest rates were left unchanged at 4.25 percent.",
    "The striker scored twice in the second half to secure a 3-1 victory.",
    "GPU memory usage spikes during the backward pass of large batches.",
)


_PASSAGE_SENTENCES = (3, 5, 7, 9, 12, 15, 18, 24)


def calibration_texts() -> tuple[list[str], list[str]]:
    """Short texts (one sentence each) and passages (3 to 24 sentences, the longest beyond 256 tokens)."""
    short = list(_SENTENCES)
    count = len(_SENTENCES)
    long = [
        " ".join(_SENTENCES[(start + k) % count] for k in range(size))
        for start, size in zip(range(0, count, 3), _PASSAGE_SENTENCES, strict=True)
    ]
    return short, long
