// The playground of the Hub's text tasks, each through the Inference API's POST /hf/{id} as a client
// calls it ({"inputs", "parameters"}): labels as score bars, named entities marked in the text with a
// legend, the answer marked in its context or its table, the mask filled, a text summarized or translated, and the
// similarity of sentences. Speech and audio classification are speech.js.
import { api, enc, errorLines, formatNumber, show, t } from "./api.js";
import { element, markedText, scoreBars } from "./dom.js";

const root = document.getElementById("playground");
const id = root.dataset.id;
const errorBox = document.getElementById("error");
const value = (elementId) => document.getElementById(elementId).value;
const lines = (text) => text.split("\n").map((line) => line.trim()).filter(Boolean);
const score = (number) => formatNumber(number, 3);

/** The task's answer, or null when the server refused (its reason shown). */
async function ask(inputs, parameters) {
  show(errorBox, "");
  const { ok, data } = await api("POST", `/hf/${enc(id)}`, parameters ? { inputs, parameters } : { inputs });
  if (ok) return data;
  show(errorBox, errorLines(data).join(" "));
  return null;
}

/** One text's list out of an answer that may hold one list per text. */
const firstList = (data) => (Array.isArray(data[0]) ? data[0] : data);

function showScores(items) {
  scoreBars(document.getElementById("scores"), items, score);
  document.getElementById("scores-result").hidden = false;
}

/** Run `handler` on the form's submit, its button disabled meanwhile. */
function onSubmit(formId, handler) {
  const form = document.getElementById(formId);
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await handler();
    } finally {
      button.disabled = false;
    }
  });
}

// -- text and zero-shot classification --------------------------------------------------------------

onSubmit("classify-form", async () => {
  const labels = document.getElementById("candidate-labels");
  const parameters = labels ? { candidate_labels: labels.value.split(/[,،、，]/).map((l) => l.trim()).filter(Boolean) } : null;
  const data = await ask(value("classify-text"), parameters);
  if (data) showScores(firstList(data));
});

// -- named entities ---------------------------------------------------------------------------------

function renderEntities(text, entities) {
  const groups = [...new Set(entities.map((e) => e.entity_group ?? e.entity))];
  const colour = (group) => `entity e${groups.indexOf(group) % 6}`;
  const spans = entities.map((e) => {
    const group = e.entity_group ?? e.entity;
    return { start: e.start, end: e.end, className: colour(group), title: `${group} ${score(e.score)}` };
  });
  document.getElementById("entities").replaceChildren(...markedText(text, spans));
  document.getElementById("legend").replaceChildren(...groups.map((group) =>
    element("li", {}, element("span", { className: `swatch ${colour(group)}` }),
      element("span", { textContent: group, translate: false }))));
  document.getElementById("entities-summary").textContent = t("entities_summary", { count: formatNumber(spans.length) });
  document.getElementById("entities-result").hidden = false;
}

onSubmit("entities-form", async () => {
  const text = value("entities-text");
  const data = await ask(text, null);
  if (data) renderEntities(text, firstList(data));
});

// -- question answering -----------------------------------------------------------------------------

onSubmit("qa-form", async () => {
  const context = value("qa-context");
  const data = await ask({ question: value("question"), context }, null);
  if (!data) return;
  const best = Array.isArray(data) ? data[0] : data;
  const summary = t("answer_score", { answer: best.answer, score: score(best.score) });
  document.getElementById("qa-summary").textContent = summary;
  const spans = [{ start: best.start, end: best.end, className: "answer", title: summary }];
  document.getElementById("qa-highlighted").replaceChildren(...markedText(context, spans));
  document.getElementById("qa-result").hidden = false;
});

// -- table question answering ---------------------------------------------------------------------

/** The table typed in (one row a line, cells separated by commas, the first line the columns) as the
 * Inference API takes it: {column: [cell, …]}; null when a row's cells do not match the columns. */
function readTable(text) {
  const rows = lines(text).map((line) => line.split(/[,،、，]/).map((cell) => cell.trim()));
  const [columns, ...cells] = rows;
  if (!columns || cells.some((row) => row.length !== columns.length)) {
    show(errorBox, t("table_columns", { count: formatNumber(columns?.length ?? 0) }));
    return null;
  }
  return { columns, cells, table: Object.fromEntries(columns.map((name, i) => [name, cells.map((row) => row[i])])) };
}

function renderTable(read, coordinates) {
  const chosen = new Set(coordinates.map(([row, column]) => `${row},${column}`));
  const cell = (text, marked) => (marked
    ? element("td", {}, element("mark", { className: "answer", textContent: text }))
    : element("td", { textContent: text }));
  const head = element("tr", {}, ...read.columns.map((name) => element("th", { scope: "col", textContent: name })));
  const body = read.cells.map((row, r) => element("tr", {}, ...row.map((text, c) => cell(text, chosen.has(`${r},${c}`)))));
  document.getElementById("answer-table").replaceChildren(element("thead", {}, head), element("tbody", {}, ...body));
}

onSubmit("table-form", async () => {
  show(errorBox, "");
  const read = readTable(value("table-text"));
  if (!read) return;
  const data = await ask({ query: value("table-query"), table: read.table }, null);
  if (!data) return;
  const aggregated = data.aggregator && data.aggregator !== "NONE";
  const cells = data.cells.join(", ");
  document.getElementById("table-summary").textContent = aggregated
    ? t("table_aggregated", { answer: cells, aggregator: data.aggregator })
    : t("table_answer", { answer: cells });
  renderTable(read, data.coordinates);
  document.getElementById("table-result").hidden = false;
});

// -- fill-mask --------------------------------------------------------------------------------------

onSubmit("fill-form", async () => {
  const data = await ask(value("masked"), null);
  if (data) showScores(firstList(data).map((f) => ({ label: f.sequence, score: f.score, title: f.token_str })));
});

// -- summarization and translation ------------------------------------------------------------------

onSubmit("rewrite-form", async () => {
  const src = document.getElementById("src-lang")?.value.trim();
  const tgt = document.getElementById("tgt-lang")?.value.trim();
  const parameters = src || tgt ? { src_lang: src, tgt_lang: tgt } : null;
  const data = await ask(value("rewrite-text"), parameters);
  if (!data) return;
  const key = document.getElementById("rewrite-form").dataset.key;
  document.getElementById("rewritten").textContent = data[0][key];
  document.getElementById("rewrite-result").hidden = false;
});

// -- sentence similarity ----------------------------------------------------------------------------

onSubmit("similarity-form", async () => {
  const sentences = lines(value("sentences"));
  const data = await ask({ source_sentence: value("source-sentence"), sentences }, null);
  if (data) showScores(sentences.map((sentence, i) => ({ label: sentence, score: data[i] })));
});
