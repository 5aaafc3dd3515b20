"""Every message the page's scripts show, by key, translated on the server for each page.

The scripts hold no words of their own: they call ``t("key", {name: value})`` (``static/api.js``) and
read the translated text from the page. ``{name}`` placeholders are filled in by the script. A test
checks that every key a script uses is here and that every key here is used.
"""

from __future__ import annotations

import json
from functools import cache

from hfgate.api.ui.i18n import N_, PageLocale, PageText

SCRIPT_MESSAGES: dict[str, str] = {
    "no_reason": N_("The server answered without saying why."),
    "id_given": N_("An endpoint id is given"),
    "id_missing": N_("Type an id for the endpoint, such as my-embeddings."),
    "not_added": N_("The endpoint was not added"),
    "checking": N_("Checking…"),
    "request_accepted": N_("The request was accepted"),
    "added": N_("Endpoint {id} added"),
    "try_in_playground": N_("Try {id} in the playground"),
    "see_all": N_("See all endpoints"),
    "unreachable": N_("The server could not be reached"),
    "check_and_add": N_("Check and add"),
    "failed": N_("failed"),
    "colon": N_(": "),
    "not_deleted": N_("Could not delete {id}:"),
    "deleted": N_("Deleted endpoint {id}."),
    "nothing_to_change": N_("Nothing to change."),
    "saving": N_("Saving…"),
    "not_saved": N_("Not saved:"),
    "saved": N_("Saved. New calls use these settings."),
    "you": N_("You"),
    "model": N_("Model"),
    "waiting_first_token": N_("Waiting for the first token…"),
    "streaming": N_("Streaming… tokens so far: {count}"),
    "done": N_("Done: {count} tokens in {seconds} s (first token after {first} ms)."),
    "done_empty": N_("Done: no tokens in {seconds} s."),
    "stopped": N_("Stopped. Tokens received: {count}."),
    "vectors_summary": N_("Vectors: {count}. Dimensions: {dimensions}."),
    "sparse_summary": N_("Sparse vectors: {count}."),
    "text_vs_text": N_("text {a} vs text {b}"),
    "chunks_summary": N_("Chunks: {count} (strategy: {strategy})."),
    "chunks_overlap": N_("Striped text belongs to two chunks."),
    "chunk_n": N_("chunk {n}"),
    "chunks_n_and_m": N_("chunks {n} and {m}"),
    "tool_name_invalid": N_("A tool's name is 1 to 64 letters, digits, _ or -."),
    "tool_name_repeated": N_("Another tool is named {name}; each tool needs a name of its own."),
    "tool_parameters_not_json": N_("The parameters are not valid JSON: {reason}"),
    "tool_parameters_not_object": N_("The parameters must be a JSON Schema object, such as {example}"),
    "tools_invalid": N_("A tool is not valid (marked in the tools); nothing was sent."),
    "call_tool_named": N_("call {name}"),
    "tool_call": N_("Tool call"),
    "tool_results": N_("Results of the tool calls"),
    "result_of": N_("Result of {name}"),
    "tool_result": N_("Result of {name}:"),
    "image_url_https": N_("An image URL must start with https://; nothing was sent."),
    "attached_image": N_("Attached image"),
    "remove_image": N_("Remove the image"),
    "entities_summary": N_("Entities found: {count}."),
    "answer_score": N_("Answer: {answer} (score {score})"),
    "table_answer": N_("Answer: {answer}"),
    "table_aggregated": N_("Answer: {answer} (the cells' {aggregator})"),
    "table_columns": N_("Every row needs {count} cells, as the first line names columns."),
    "audio_chosen": N_("Chosen: {name} ({size} KiB)."),
    "audio_recorded": N_("Recorded: {seconds} s."),
    "recording": N_("Recording… press Stop recording when done."),
    "microphone_refused": N_("The microphone could not be used: {reason}"),
    "microphone_unavailable": N_(
        "This browser offers no microphone here: recording needs an https page (or localhost)."
    ),
    "from_to": N_("{start}–{end} s"),
    "audio_missing": N_("Choose an audio file or record one first."),
    "image_missing": N_("Choose an image file first."),
    "labels_missing": N_("Type at least two labels, separated by commas."),
    "objects_found": N_("Objects found: {count}."),
    "object_box": N_("{label} ({score}): from ({xmin}, {ymin}) to ({xmax}, {ymax})"),
}


def script_messages_json(text: PageText) -> str:
    """The catalog for one page, as JSON safe inside ``<script type="application/json">``."""
    return _catalog_json(text.locale)


@cache
def _catalog_json(locale: PageLocale) -> str:
    text = PageText(locale)
    translated = {key: text.gettext(message) for key, message in SCRIPT_MESSAGES.items()}
    encoded = json.dumps(translated, ensure_ascii=False)
    return encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
