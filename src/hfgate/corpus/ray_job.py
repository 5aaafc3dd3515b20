"""The same corpus job on Ray Data: one dataset per input file, embedded by a pool of actors.

``ray.data.read_text`` / ``read_csv`` / ``read_parquet`` read a file; ``map_batches`` hands its rows
to ``workers`` actors, each of which starts hfgate's runtime once (a local model loads once per actor)
and embeds through the endpoint's service, chunking exactly as the single-process job does;
``write_parquet`` writes the vectors. A file is the unit of resume here: it is written to a staging
folder, renamed into ``parts/`` when complete, then recorded in the manifest. As with
``write_parquet`` itself, the output folder must be storage every worker reaches.

A remote endpoint keeps its rate limit: each actor takes ``1/workers`` of ``requests_per_minute``.
Ray is the optional extra ``hfgate[ray]``.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from csv import reader as csv_reader
from dataclasses import replace
from pathlib import Path
from typing import Any

from hfgate.config import Settings
from hfgate.corpus.embedding import PartEmbedder
from hfgate.corpus.inputs import SUFFIXES, input_files, parse_json_line
from hfgate.corpus.job import REJECTS, JobReport, dimensions_of
from hfgate.corpus.manifest import Manifest
from hfgate.corpus.progress import Reporter
from hfgate.corpus.rows import Reject, Row, check_row
from hfgate.corpus.spec import JobSpec, fingerprint
from hfgate.corpus.writer import chunk_table, read_rejects, rejects_file, safe_name, write_rejects
from hfgate.errors import BadRequestError
from hfgate.process.runtime import Runtime
from hfgate.registry.endpoint import Endpoint

INSTALL = "pip install 'hfgate[ray]'"


def import_ray() -> Any:
    """Ray, or a message naming the pip command that installs it."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise BadRequestError(f"[--ray] needs Ray, which is not installed: run `{INSTALL}`") from exc
    return ray


class EmbedActor:
    """One Ray actor: hfgate's runtime, started once, embedding batches of rows (JSON text each)."""

    def __init__(self, settings: dict[str, Any], spec: JobSpec, *, workers: int, rejects_dir: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._spec = spec
        self._runtime = self._loop.run_until_complete(Runtime.start(Settings(**settings)))
        endpoint = self._loop.run_until_complete(self._runtime.orchestrator.get(spec.endpoint))
        self._embedder = PartEmbedder(
            self._runtime.orchestrator,
            share_of_limit(endpoint, workers),
            batch_texts=spec.batch_texts,
            concurrency=spec.concurrency,
        )
        self._rejects = Path(rejects_dir) / f"{uuid.uuid4().hex}.jsonl"

    def __call__(self, batch: dict[str, Any]) -> Any:
        rows: list[Row] = []
        rejects: list[Reject] = []
        columns = (self._spec.id_column, self._spec.text_column)
        for source, line in zip(batch["source"], batch["record"], strict=True):
            checked = check_row(parse_json_line(str(line)), source=str(source), position=None, columns=columns)
            (rows if isinstance(checked, Row) else rejects).append(checked)  # type: ignore[arg-type]
        source = str(batch["source"][0]) if len(batch["source"]) else ""
        embedded = self._loop.run_until_complete(self._embedder.embed(rows, source=source))
        rejects += embedded.rejects
        if rejects:
            with self._rejects.open("a") as sink:
                sink.writelines(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in rejects)
        return chunk_table(embedded.chunks, dimensions=dimensions_of(self._embedder.endpoint, embedded.chunks))


def share_of_limit(endpoint: Endpoint, workers: int) -> Endpoint:
    """``endpoint`` with ``1/workers`` of its requests per minute, so the workers together keep it."""
    limit = (endpoint.service_settings.get("rate_limit") or {}).get("requests_per_minute")
    if not limit or workers <= 1:
        return endpoint
    shared = {**endpoint.service_settings, "rate_limit": {"requests_per_minute": max(1, limit // workers)}}
    return replace(endpoint, service_settings=shared)


def cpus_per_worker(ray: Any, workers: int) -> float:
    """One CPU per actor, unless the actors would take every CPU: then they share all but one.

    Ray Data reads the file with tasks that need a CPU of their own; actors holding every CPU would
    leave them none, and the job would wait forever.
    """
    available = float(ray.cluster_resources().get("CPU", 1))
    return 1.0 if workers + 1 <= available else max(available - 1, 0.5) / workers


def run_on_ray(spec: JobSpec, *, settings: Settings, address: str, workers: int, reporter: Reporter) -> JobReport:
    """Run ``spec`` on the Ray cluster at ``address`` (``auto``: the one this machine belongs to;
    ``local``: a new single-machine instance)."""
    ray = import_ray()
    endpoint = asyncio.run(_endpoint(settings, spec.endpoint))
    manifest = Manifest.open(spec.output, {**fingerprint(spec, endpoint), "runner": "ray"})
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False)
    report = JobReport(output=spec.output)
    files = input_files(spec.inputs)
    pending = [f for f in files if not manifest.done(_key(spec, f))]
    report.parts_skipped = len(files) - len(pending)
    reporter.start(total_rows=len(files), done_rows=report.parts_skipped)
    for path in pending:
        _one_file(ray, path, spec=spec, settings=settings, workers=workers, manifest=manifest, report=report)
        reporter.advance(1, report.totals)
    report.rejects = read_rejects(spec.output)
    write_rejects(spec.output / REJECTS, report.rejects)
    reporter.finish(report.totals)
    return report


async def _endpoint(settings: Settings, inference_id: str) -> Endpoint:
    runtime = await Runtime.start(settings.model_copy(update={"preload_models": False}))
    try:
        return await runtime.orchestrator.get(inference_id)
    finally:
        await runtime.aclose()


def _key(spec: JobSpec, path: Path) -> str:
    return str(path.relative_to(spec.inputs)) if spec.inputs.is_dir() else path.name


def _one_file(
    ray: Any, path: Path, *, spec: JobSpec, settings: Settings, workers: int, manifest: Manifest, report: JobReport
) -> None:
    key = _key(spec, path)
    staging = spec.output / ".staging" / safe_name(key)
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "rejects").mkdir(parents=True)
    actor_args = {"workers": workers, "rejects_dir": str(staging / "rejects")}
    embedded = _read(ray, path, source=key).map_batches(
        EmbedActor,
        fn_constructor_args=(settings.model_dump(mode="json", exclude_none=True), spec),
        fn_constructor_kwargs=actor_args,
        batch_size=max(spec.batch_texts * spec.concurrency, 1),
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=cpus_per_worker(ray, workers),
    )
    embedded.write_parquet(str(staging / "vectors"))
    rejects = [
        Reject(**json.loads(line))
        for f in sorted((staging / "rejects").glob("*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    final = spec.output / "parts" / safe_name(key)
    shutil.rmtree(final, ignore_errors=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    (staging / "vectors").rename(final)
    write_rejects(rejects_file(spec.output, key), rejects)
    shutil.rmtree(staging, ignore_errors=True)
    chunks = int(ray.data.read_parquet(str(final)).count())
    manifest.record(key, {"chunks": chunks, "rejects": len(rejects)})
    report.parts_written += 1
    report.totals.add(texts=0, chunks=chunks, tokens=0, rejects=len(rejects))


def _read(ray: Any, path: Path, *, source: str) -> Any:
    """The file's rows as ``{"source", "record"}``, ``record`` a row's JSON text (parsed by the actor)."""
    kind = SUFFIXES[path.suffix.lower()]
    if kind == "jsonl":
        lines = ray.data.read_text(str(path))
        return lines.flat_map(lambda row: [{"source": source, "record": row["text"]}] if row["text"].strip() else [])
    if kind == "csv":
        import pyarrow as pa
        from pyarrow import csv

        with path.open(encoding="utf-8") as header:
            names = next(csv_reader([header.readline()]))
        options = csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
        rows = ray.data.read_csv(str(path), convert_options=options)
    else:
        rows = ray.data.read_parquet(str(path))
    return rows.map(lambda row: {"source": source, "record": json.dumps(dict(row), default=str)})
