"""Chunking throughput: each hfgate strategy, and langchain's RecursiveCharacterTextSplitter, in MB/s.

Text: the English Debian package descriptions from apt's Translation-en lists (real text nobody here
wrote; about 34 MB), repeated until ``--mb`` is reached. Get the lists first, as root:
``apt-get update -o Acquire::Languages=en``. Without them the script falls back to repeating
corpus_long.json of the shared corpora (tests/support/corpora.py).

Descriptions are joined with blank lines into documents of about ``--doc-kb`` KB, the kind of input
a chunker is for; a last row shows the sentence strategy called once per description instead.

Runs on one core (the process is pinned to CPU 0) and one thread. Strategies are interleaved within
each repeat; the table gives medians over repeats of wall-clock and CPU-time throughput (CPU time is
the steadier figure when other jobs share the machine). MB = 10^6 bytes of UTF-8.

Usage::

    .venv/bin/python bench/chunking_bench.py            # 50 MB, 3 repeats
    .venv/bin/python bench/chunking_bench.py --mb 2 --repeats 1   # smoke run
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hfgate.chunking import chunk
from support import corpora_dir

APT_LISTS = "/var/lib/apt/lists/*_i18n_Translation-en*"
FALLBACK = corpora_dir() / "corpus_long.json"
LANGCHAIN_CHUNK_CHARS, LANGCHAIN_OVERLAP_CHARS = 1500, 300  # ≈ 250 words / 50 words of English


def _stanza_text(stanza: str) -> str | None:
    """One package's description: synopsis, then the body with Debian's `` .`` lines as blank lines."""
    lines = stanza.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Description-en:"):
            body = []
            for raw in lines[i + 1 :]:
                if not raw.startswith(" "):
                    break
                body.append("" if raw.strip() == "." else raw[1:])
            return "\n".join([line.split(":", 1)[1].strip(), *body])
    return None


def load_descriptions() -> tuple[list[str], str]:
    """Every description in the apt lists, or the shared corpus when the lists are missing."""
    lists = sorted(glob.glob(APT_LISTS))
    texts: list[str] = []
    for path in lists:
        raw = subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", path], check=True, capture_output=True, text=True
        ).stdout
        texts.extend(t for t in map(_stanza_text, raw.split("\n\n")) if t)
    if texts:
        return texts, f"apt Translation-en lists ({len(lists)} files)"
    return json.loads(FALLBACK.read_text()), f"{FALLBACK} (apt lists missing)"


def _repeat_to(texts: list[str], target_bytes: int) -> Iterator[str]:
    total = 0
    while True:
        for text in texts:
            yield text
            total += len(text.encode()) + 2
            if total >= target_bytes:
                return


def build_documents(texts: list[str], target_mb: float, doc_kb: int) -> tuple[list[str], list[str]]:
    """(documents of about ``doc_kb`` KB, the descriptions they are made of), ``target_mb`` in all."""
    parts = list(_repeat_to(texts, int(target_mb * 1e6)))
    documents, current, size = [], [], 0
    for part in parts:
        current.append(part)
        size += len(part) + 2
        if size >= doc_kb * 1000:
            documents.append("\n\n".join(current))
            current, size = [], 0
    if current:
        documents.append("\n\n".join(current))
    return documents, parts


@dataclass
class Case:
    name: str
    settings: str
    run: Callable[[list[str]], int]
    inputs: str = "documents"


def _hfgate(settings: dict[str, object]) -> Callable[[list[str]], int]:
    return lambda docs: sum(len(chunk(doc, settings)) for doc in docs)


def _langchain() -> Callable[[list[str]], int]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=LANGCHAIN_CHUNK_CHARS, chunk_overlap=LANGCHAIN_OVERLAP_CHARS)
    return lambda docs: sum(len(splitter.split_text(doc)) for doc in docs)


def cases() -> list[Case]:
    word = {"strategy": "word", "max_chunk_size": 250, "overlap": 100}
    sentence = {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1}
    recursive = {"strategy": "recursive", "max_chunk_size": 250, "separator_group": "plaintext"}
    return [
        Case("hfgate word", "250 words, overlap 100", _hfgate(word)),
        Case("hfgate sentence", "250 words, sentence_overlap 1", _hfgate(sentence)),
        Case("hfgate recursive", "250 words, plaintext separators", _hfgate(recursive)),
        Case("hfgate none", "-", _hfgate({"strategy": "none"})),
        Case(
            "langchain RecursiveCharacterTextSplitter",
            f"{LANGCHAIN_CHUNK_CHARS} chars, overlap {LANGCHAIN_OVERLAP_CHARS}",
            _langchain(),
        ),
        Case("hfgate sentence", "250 words, sentence_overlap 1", _hfgate(sentence), "descriptions"),
    ]


def _timed(run: Callable[[list[str]], int], inputs: list[str]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    chunks = run(inputs)
    return time.perf_counter() - wall, time.process_time() - cpu, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="MB of text per strategy (default 50)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument("--doc-kb", type=int, default=64, help="document size in KB (default 64)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    texts, source = load_descriptions()
    documents, descriptions = build_documents(texts, args.mb, args.doc_kb)
    inputs = {"documents": documents, "descriptions": descriptions}
    megabytes = {kind: sum(len(t.encode()) for t in texts) / 1e6 for kind, texts in inputs.items()}
    print(
        f"text: {source}; {megabytes['documents']:.1f} MB as {len(documents):,} documents "
        f"of ~{args.doc_kb} KB ({len(descriptions):,} descriptions)"
    )
    all_cases = cases()
    results: dict[int, list[tuple[float, float, int]]] = {i: [] for i in range(len(all_cases))}
    for _ in range(args.repeats):
        for i, case in enumerate(all_cases):
            results[i].append(_timed(case.run, inputs[case.inputs]))
    print("\n| chunker | settings | inputs | chunks | MB/s (wall) | MB/s (CPU) |")
    print("|---|---|---|---:|---:|---:|")
    for i, case in enumerate(all_cases):
        wall = statistics.median(r[0] for r in results[i])
        cpu = statistics.median(r[1] for r in results[i])
        print(
            f"| {case.name} | {case.settings} | {case.inputs} | {results[i][0][2]:,} "
            f"| {megabytes[case.inputs] / wall:.1f} | {megabytes[case.inputs] / cpu:.1f} |"
        )


if __name__ == "__main__":
    main()
