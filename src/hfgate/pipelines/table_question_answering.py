"""``table-question-answering``: a question answered from a table's cells, by a TAPAS model (its cell
selection head, and its aggregation head where it has one: SUM, AVERAGE, COUNT).

Request: ``{"inputs": {"query": "…", "table": {"Column": ["cell", …], …}}, "parameters": {"padding",
"sequential", "truncation"}}``, as ``InferenceClient.table_question_answering`` sends it (it also sends the
method's ``model`` argument among the parameters, which names the model already chosen by the url and is
ignored). Every column holds as many cells as the others; a cell is a string, and a number is read as its
decimal text (TAPAS reads numbers from the cells' text).

Answer: ``{"answer", "coordinates": [[row, column], …], "cells": [...], "aggregator"}``; ``answer`` is the
selected cells joined by ", ", after ``"AGGREGATOR > "`` when the model aggregates (transformers'
pipeline's shape, which the client parses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hfgate.errors import EmptyInputError, RequestValidationError
from hfgate.pipelines.base import Pipeline, PipelineRequest
from hfgate.pipelines.fields import Parameters, filtered, json_kind, obj, text
from hfgate.tasks import TaskType

PADDINGS = ("do_not_pad", "longest", "max_length")


@dataclass(frozen=True, slots=True, kw_only=True)
class TableQuestionAnswering(PipelineRequest):
    query: str
    table: dict[str, list[str]]
    padding: str | None = None
    sequential: bool | None = None
    truncation: bool | None = None

    @property
    def rows(self) -> int:
        return len(next(iter(self.table.values())))


def read_table(value: Any, *, name: str = "inputs.table") -> dict[str, list[str]]:
    """A table of columns of equal length, its cells as text.

    Raises:
        EmptyInputError: no column, or no row.
        RequestValidationError: not an object of arrays, columns of different lengths, or a cell that is not
            a string or a number; the message names the column and the row.
    """
    if not isinstance(value, dict):
        raise RequestValidationError(
            [f'`{name}` must be an object of columns, {{"Column": ["cell", …], …}}, got [{json_kind(value)}]'],
            param=name,
        )
    if not value:
        raise EmptyInputError([f"`{name}` must hold at least one column"], param=name)
    table: dict[str, list[str]] = {}
    for column, cells in value.items():
        where = f"{name}.{column}"
        if not column.strip():
            raise RequestValidationError([f"`{name}` has a column with an empty name; name every column"], param=name)
        if not isinstance(cells, list):
            raise RequestValidationError(
                [f"`{where}` must be an array of cells, got [{json_kind(cells)}]"], param=where
            )
        table[column] = [_cell(cell, f"{where}[{row}]") for row, cell in enumerate(cells)]
    lengths = {column: len(cells) for column, cells in table.items()}
    first, rows = next(iter(lengths.items()))
    for column, length in lengths.items():
        if length != rows:
            raise RequestValidationError(
                [f"`{name}.{column}` has {length} cells and `{name}.{first}` {rows}: give every column one per row"],
                param=f"{name}.{column}",
            )
    if rows == 0:
        raise EmptyInputError([f"`{name}` must hold at least one row"], param=name)
    return table


def _cell(cell: Any, where: str) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return str(cell)
    raise RequestValidationError([f"`{where}` must be a string or a number, got [{json_kind(cell)}]"], param=where)


class TableQuestionAnsweringPipeline(Pipeline[TableQuestionAnswering]):
    task = TaskType.TABLE_QUESTION_ANSWERING
    label = "Table question answering"
    batches = False

    def request(self, inputs: Any, parameters: Mapping[str, Any]) -> TableQuestionAnswering:
        p = Parameters(parameters, accepted=("padding", "sequential", "truncation", "model"))
        given = obj(inputs, keys=("query", "table"))
        return TableQuestionAnswering(
            query=text(given["query"], name="inputs.query"),
            table=read_table(given["table"]),
            padding=p.choice("padding", PADDINGS),
            sequential=p.flag("sequential"),
            truncation=p.flag("truncation"),
        )

    def payload(self, request: TableQuestionAnswering) -> dict[str, Any]:
        parameters = filtered(
            {"padding": request.padding, "sequential": request.sequential, "truncation": request.truncation}
        )
        inputs = {"query": request.query, "table": request.table}
        return {"inputs": inputs, "parameters": parameters} if parameters else {"inputs": inputs}

    def probe(self) -> tuple[Any, dict[str, Any]]:
        table = {"City": ["Paris", "Lyon"], "Inhabitants": ["2100000", "520000"]}
        return ({"query": "Which city has the most inhabitants?", "table": table}, {})


PIPELINE = TableQuestionAnsweringPipeline()
