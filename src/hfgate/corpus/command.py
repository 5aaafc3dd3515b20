"""``hfgate embed-corpus``: the corpus job from the command line."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from hfgate.corpus.job import JobReport

errors = Console(stderr=True)
SHOWN_REJECTS = 20


def embed_corpus_command(
    inputs: Annotated[Path, typer.Argument(help="A JSONL, CSV or Parquet file, or a folder of them.")],
    endpoint: Annotated[str, typer.Option("--endpoint", help="A text_embedding endpoint's inference id.")],
    output: Annotated[Path, typer.Option("--output", help="Folder for the Parquet parts, rejects and manifest.")],
    *,
    id_column: Annotated[str, typer.Option("--id-column", help="The id field.")] = "id",
    text_column: Annotated[str, typer.Option("--text-column", help="The text field.")] = "text",
    part_rows: Annotated[int, typer.Option("--part-rows", min=1, help="Rows per part (the unit of resume).")] = 5_000,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Texts per embedding call.")] = 64,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Embedding calls in flight.")] = 4,
    json_lines: Annotated[bool, typer.Option("--json", help="Progress as JSON lines, for scripts.")] = False,
    ray: Annotated[
        str | None, typer.Option("--ray", help="Run on Ray: a cluster address, `auto`, or `local` (a new instance).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Ray actors (each loads the model once).")] = 2,
) -> None:
    """Chunk and embed a whole corpus through an endpoint into Parquet; run it again to resume."""
    # Imported here, so that `hfgate --help` does not load the registry, the services and pyarrow.
    from hfgate.config import Settings
    from hfgate.corpus.job import embed_corpus
    from hfgate.corpus.progress import BarReporter, JsonReporter, Reporter
    from hfgate.corpus.spec import JobSpec
    from hfgate.errors import HfGateError

    spec = JobSpec(
        inputs=inputs,
        endpoint=endpoint,
        output=output,
        id_column=id_column,
        text_column=text_column,
        part_rows=part_rows,
        batch_texts=batch,
        concurrency=concurrency,
    )
    reporter: Reporter = JsonReporter() if json_lines else BarReporter()
    try:
        if ray is None:
            report = asyncio.run(embed_corpus(spec, settings=Settings(), reporter=reporter))
        else:
            from hfgate.corpus.ray_job import run_on_ray

            report = run_on_ray(spec, settings=Settings(), address=ray, workers=workers, reporter=reporter)
    except HfGateError as exc:
        errors.print(f"[red]error[/red] {escape(exc.reason)}")
        raise typer.Exit(2) from exc
    _summarize(report)


def _summarize(report: JobReport) -> None:
    totals = report.totals
    errors.print(
        f"parts written {report.parts_written}, already done {report.parts_skipped}; "
        f"texts {totals.texts}, chunks {totals.chunks}, tokens {totals.tokens} → {report.output}"
    )
    if report.rejects:
        errors.print(
            f"[yellow]{len(report.rejects)} rows rejected[/yellow] (all in {report.output / 'rejects.jsonl'}):"
        )
        for reject in report.rejects[:SHOWN_REJECTS]:
            errors.print(f"  {reject.source} {reject.id}: {reject.reason}", markup=False)
