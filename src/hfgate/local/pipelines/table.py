"""``table-question-answering`` on transformers' pipeline (TAPAS: cells selected, then aggregated where the
model has an aggregation head), one request a pass: each table is its own sequence of rows and columns.

A table too long for the model's window loses the rows past it (the pipeline's ``drop_rows_to_fit``, its
default) unless ``truncation`` is false, in which case it is refused, naming the table's tokens and the
window.
"""

from __future__ import annotations

from typing import Any

from hfgate.local.pipelines.base import TransformersRunner, plain, refuse
from hfgate.pipelines import PipelineAnswer
from hfgate.pipelines.table_question_answering import TableQuestionAnswering
from hfgate.tasks import Usage


class TableQuestionAnswerer(TransformersRunner[TableQuestionAnswering]):
    task = "table-question-answering"

    async def run(self, request: TableQuestionAnswering) -> PipelineAnswer:
        return await self._compute.run(self._answer, request)

    def _answer(self, request: TableQuestionAnswering) -> PipelineAnswer:
        tokens = self._tokens(request)
        parameters: dict[str, Any] = {}
        if request.sequential is not None:
            parameters["sequential"] = request.sequential
        if request.padding is not None:
            parameters["padding"] = request.padding
        if request.truncation is not None:
            parameters["truncation"] = "drop_rows_to_fit" if request.truncation else "do_not_truncate"
        answer = plain(self.pipe({"table": request.table, "query": request.query}, **parameters))
        return PipelineAnswer(body=answer, usage=Usage(prompt_tokens=tokens))

    def _tokens(self, request: TableQuestionAnswering) -> int:
        """The tokens the table and query take as the model reads them, once checked against what the model
        can number: its window, its rows and columns, and the ranks of a column's values (TAPAS's token types).

        Raises:
            BadRequestError: the table does not fit; the message names the field and the limit.
        """
        import pandas as pd

        tokenizer = self.pipe.tokenizer
        truncation = "do_not_truncate" if request.truncation is False else "drop_rows_to_fit"
        try:
            encoded = tokenizer(pd.DataFrame.from_dict(request.table), request.query, truncation=truncation)
        except ValueError as exc:  # "Too many rows" / "Too many columns": past TAPAS's row and column ids
            raise refuse(
                "inputs.table",
                f"`inputs.table` has {request.rows} row(s) and {len(request.table)} column(s); the model numbers "
                f"fewer than {tokenizer.max_row_id} rows and {tokenizer.max_column_id} columns ({exc}); send a "
                "smaller table",
            ) from exc
        ids = encoded["input_ids"]
        if len(ids) > self.window:
            raise refuse(
                "parameters.truncation",
                f"the table and query take {len(ids)} tokens, more than the model's window of {self.window}; "
                "send fewer rows, or leave `parameters.truncation` out to drop the rows past the window",
            )
        limits = getattr(self.pipe.model.config, "type_vocab_sizes", None) or []
        for feature, limit in enumerate(limits):
            highest = max((types[feature] for types in encoded["token_type_ids"]), default=0)
            if highest >= limit:
                raise refuse(
                    "inputs.table",
                    f"`inputs.table` numbers its rows, or ranks a column's values, up to {highest}, past the {limit} "
                    "the model tells apart; send fewer rows",
                )
        return len(ids)
