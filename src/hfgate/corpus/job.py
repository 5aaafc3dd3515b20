"""A corpus job in one process: plan the parts, skip the finished ones, embed and write the rest."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from hfgate.config import Settings
from hfgate.corpus.embedding import Embedded, PartEmbedder
from hfgate.corpus.inputs import Part, plan_parts, read_part
from hfgate.corpus.manifest import Manifest
from hfgate.corpus.progress import JsonReporter, Reporter, Totals
from hfgate.corpus.rows import Reject, Row, check_row
from hfgate.corpus.spec import JobSpec, fingerprint
from hfgate.corpus.writer import ChunkRow, part_file, read_rejects, rejects_file, write_part, write_rejects
from hfgate.errors import BadRequestError
from hfgate.process.collector import few_collections
from hfgate.process.runtime import Runtime
from hfgate.registry.endpoint import Endpoint
from hfgate.services import ServiceContext
from hfgate.tasks import TaskType

REJECTS = "rejects.jsonl"
# Parts in flight: one's vectors are written while the next is read, looked up and sent.
PIPELINE = 2


@dataclass(slots=True, kw_only=True)
class JobReport:
    """What a run did: parts written now and before, rows, chunks, tokens, and every rejected row."""

    output: Path
    parts_written: int = 0
    parts_skipped: int = 0
    totals: Totals = field(default_factory=Totals)
    rejects: list[Reject] = field(default_factory=list)


async def embed_corpus(
    spec: JobSpec, *, settings: Settings, reporter: Reporter | None = None, context: ServiceContext | None = None
) -> JobReport:
    """Embed every row of ``spec.inputs`` through endpoint ``spec.endpoint`` into ``spec.output``.

    Example:
        >>> # await embed_corpus(JobSpec(inputs=Path("docs.jsonl"), endpoint="my-minilm", output=Path("out")),
        >>> #                    settings=Settings())

    ``context`` shares already loaded models (tests, or a caller that serves too); by default the job
    loads its own.

    Raises:
        BadRequestError: a missing input, an endpoint that does not embed text, or an output folder
            that holds another job's results.
    """
    runtime = await Runtime.start(settings.model_copy(update={"preload_models": False}), context=context)
    try:
        endpoint = await runtime.orchestrator.get(spec.endpoint)
        _check_endpoint(endpoint)
        embedder = PartEmbedder(
            runtime.orchestrator, endpoint, batch_texts=spec.batch_texts, concurrency=spec.concurrency
        )
        return await _run(spec, endpoint=endpoint, embedder=embedder, reporter=reporter or JsonReporter())
    finally:
        await runtime.aclose()


def _check_endpoint(endpoint: Endpoint) -> None:
    if endpoint.task_type is not TaskType.TEXT_EMBEDDING:
        raise BadRequestError(
            f"[--endpoint] [{endpoint.inference_id}] is a {endpoint.task_type.value} endpoint; "
            "embed-corpus needs a text_embedding endpoint"
        )


async def _run(spec: JobSpec, *, endpoint: Endpoint, embedder: PartEmbedder, reporter: Reporter) -> JobReport:
    manifest = Manifest.open(spec.output, fingerprint(spec, endpoint))
    parts, file_rejects = plan_parts(spec.inputs, part_rows=spec.part_rows)
    report = JobReport(output=spec.output, rejects=list(file_rejects))
    pending = [p for p in parts if not manifest.done(p.key)]
    report.parts_skipped = len(parts) - len(pending)
    total_rows = sum(p.stop - p.start for p in parts)
    reporter.start(total_rows=total_rows, done_rows=total_rows - sum(p.stop - p.start for p in pending))
    with few_collections():
        await _pipeline(pending, spec=spec, embedder=embedder, manifest=manifest, report=report, reporter=reporter)
    report.rejects = file_rejects + read_rejects(spec.output)
    write_rejects(spec.output / REJECTS, report.rejects)
    reporter.finish(report.totals)
    return report


async def _pipeline(
    parts: list[Part],
    *,
    spec: JobSpec,
    embedder: PartEmbedder,
    manifest: Manifest,
    report: JobReport,
    reporter: Reporter,
) -> None:
    """Embed the parts ``PIPELINE`` at a time, finishing (writing, recording) them in order: while one
    part waits on its calls or its file is written, the next one is read and looked up in the cache."""
    in_flight: deque[tuple[Part, asyncio.Task[_PartResult]]] = deque()

    async def finish_first() -> None:
        part, work = in_flight.popleft()
        await _finish_part(part, await work, spec=spec, embedder=embedder, manifest=manifest, report=report)
        reporter.advance(part.stop - part.start, report.totals)

    try:
        for part in parts:
            in_flight.append((part, asyncio.create_task(_embed_part(part, spec=spec, embedder=embedder))))
            if len(in_flight) >= PIPELINE:
                await finish_first()
        while in_flight:
            await finish_first()
    finally:
        for _, task in in_flight:
            task.cancel()
        await asyncio.gather(*(task for _, task in in_flight), return_exceptions=True)


async def _embed_part(part: Part, *, spec: JobSpec, embedder: PartEmbedder) -> _PartResult:
    rows: list[Row] = []
    rejects: list[Reject] = []
    for position, record in read_part(part):
        checked = check_row(record, source=part.name, position=position, columns=(spec.id_column, spec.text_column))
        (rows if isinstance(checked, Row) else rejects).append(checked)  # type: ignore[arg-type]
    return _PartResult(rows=len(rows), rejects=rejects, embedded=await embedder.embed(rows, source=part.name))


async def _finish_part(
    part: Part, done: _PartResult, *, spec: JobSpec, embedder: PartEmbedder, manifest: Manifest, report: JobReport
) -> None:
    embedded, rejects = done.embedded, done.rejects + done.embedded.rejects
    dimensions = dimensions_of(embedder.endpoint, embedded.chunks)
    # pyarrow lets go of the GIL while it writes: the next part is looked up meanwhile
    await asyncio.to_thread(write_part, part_file(spec.output, part.key), embedded.chunks, dimensions=dimensions)
    write_rejects(rejects_file(spec.output, part.key), rejects)
    counts = {"rows": part.stop - part.start, "chunks": len(embedded.chunks), "rejects": len(rejects)}
    manifest.record(part.key, counts)
    report.parts_written += 1
    texts = done.rows - len(embedded.rejects)
    report.totals.add(texts=texts, chunks=len(embedded.chunks), tokens=embedded.tokens, rejects=len(rejects))


@dataclass(slots=True, kw_only=True)
class _PartResult:
    rows: int
    rejects: list[Reject]
    embedded: Embedded


def dimensions_of(endpoint: Endpoint, chunks: list[ChunkRow]) -> int:
    """The vectors' size: recorded at create, else that of the vectors themselves."""
    recorded = endpoint.service_settings.get("dimensions")
    return int(recorded) if recorded else (len(chunks[0].embedding) if chunks else 0)
