// The playground: streamed generation, embeddings with a similarity heat map, chunks highlighted in a
// document, and reranking, each through the _inference API. The chat playground is chat.js; the Hub's tasks
// (POST /hf/{id}) are tasks.js and speech.js.
import { api, enc, errorLines, events, formatNumber, openStream, show, t } from "./api.js";
import { element, generationParams } from "./dom.js";

const root = document.getElementById("playground");
const id = root.dataset.id;
const kind = root.dataset.task;
const errorBox = document.getElementById("error");

function fail(lines) {
  show(errorBox, Array.isArray(lines) ? lines.join(" ") : String(lines));
}

// -- generation (chat: chat.js) ---------------------------------------------------------------------

async function generate(form, controller) {
  const prompt = form.querySelector("#prompt").value;
  const status = document.getElementById("gen-status");
  const body = { input: prompt, task_settings: generationParams(form) };
  const output = document.getElementById("output");
  output.replaceChildren();
  output.setAttribute("aria-busy", "true");
  status.textContent = t("waiting_first_token");
  const started = performance.now();
  let firstAt = null;
  let count = 0;
  try {
    const response = await openStream(`/_inference/${enc(kind)}/${enc(id)}/_stream`, body, controller.signal);
    for await (const event of events(response)) {
      if (event.data === "[DONE]") break;
      const data = JSON.parse(event.data);
      if (event.event === "error") throw new Error(errorLines(data).join(" "));
      const piece = data.completion?.[0]?.delta ?? "";
      if (!piece) continue;
      firstAt ??= performance.now();
      count += 1;
      output.append(element("span", { className: "token", textContent: piece }));
      status.textContent = t("streaming", { count: formatNumber(count) });
    }
    const seconds = formatNumber((performance.now() - started) / 1000, 2);
    status.textContent = firstAt === null
      ? t("done_empty", { seconds })
      : t("done", { count: formatNumber(count), seconds, first: formatNumber(firstAt - started) });
  } catch (error) {
    if (error.name === "AbortError") status.textContent = t("stopped", { count: formatNumber(count) });
    else {
      status.textContent = "";
      fail(error.message);
    }
  } finally {
    output.setAttribute("aria-busy", "false");
  }
}

const generateForm = document.getElementById("generate-form");
if (generateForm) {
  const stopButton = document.getElementById("stop");
  const goButton = document.getElementById("generate");
  let controller = null;
  stopButton.addEventListener("click", () => controller?.abort());
  generateForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    show(errorBox, "");
    controller = new AbortController();
    goButton.disabled = true;
    stopButton.disabled = false;
    try {
      await generate(generateForm, controller);
    } finally {
      goButton.disabled = false;
      stopButton.disabled = true;
    }
  });
}

// -- embeddings -----------------------------------------------------------------------------------

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

function sparseCosine(a, b) {
  const keys = Object.keys(a);
  const dense = (m) => [...keys, ...Object.keys(b)].map((k) => m[k] ?? 0);
  return cosine(dense(a), dense(b));
}

function heatColour(value) {
  // From pale (dissimilar) to deep blue (similar); the number is always printed in the cell too.
  const t = Math.max(0, Math.min(1, (value + 1) / 2));
  return `hsl(215 80% ${Math.round(97 - t * 55)}%)`;
}

function renderHeatmap(texts, similarity) {
  const table = document.getElementById("heatmap");
  const head = element("tr", {}, element("td"));
  texts.forEach((text, i) => head.append(element("th", { scope: "col", title: text, textContent: formatNumber(i + 1) })));
  const rows = texts.map((text, i) => {
    const row = element("tr", {}, element("th", { scope: "row", title: text, textContent: formatNumber(i + 1) }));
    texts.forEach((_, j) => {
      const value = similarity(i, j);
      const title = t("text_vs_text", { a: formatNumber(i + 1), b: formatNumber(j + 1) });
      const cell = element("td", { textContent: formatNumber(value, 2), title });
      cell.style.backgroundColor = heatColour(value);
      if (value > 0.55) cell.classList.add("dark");
      row.append(cell);
    });
    return row;
  });
  table.replaceChildren(element("thead", {}, head), element("tbody", {}, ...rows));
}

const embedForm = document.getElementById("embed-form");
embedForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  show(errorBox, "");
  const texts = document.getElementById("texts").value.split("\n").map((t) => t.trim()).filter(Boolean);
  const { ok, data } = await api("POST", `/_inference/${enc(kind)}/${enc(id)}`, { input: texts });
  if (!ok) return fail(errorLines(data));
  const result = document.getElementById("embed-result");
  const list = document.getElementById("vectors");
  if (kind === "text_embedding") {
    const vectors = data.text_embedding.map((item) => item.embedding);
    document.getElementById("embed-summary").textContent =
      t("vectors_summary", { count: formatNumber(vectors.length), dimensions: formatNumber(vectors[0].length) });
    list.replaceChildren(...texts.map((text, i) => element("li", {},
      element("span", { className: "text", textContent: text }),
      element("code", { className: "preview", translate: false, textContent: `[${vectors[i].slice(0, 4).map((x) => x.toFixed(3)).join(", ")}, …]` }))));
    renderHeatmap(texts, (i, j) => cosine(vectors[i], vectors[j]));
  } else {
    const weights = data.sparse_embedding.map((item) => item.embedding);
    document.getElementById("embed-summary").textContent = t("sparse_summary", { count: formatNumber(weights.length) });
    list.replaceChildren(...texts.map((text, i) => {
      const top = Object.entries(weights[i]).sort((a, b) => b[1] - a[1]).slice(0, 6);
      return element("li", {}, element("span", { className: "text", textContent: text }),
        element("code", { className: "preview", translate: false, textContent: top.map(([k, v]) => `${k}:${v.toFixed(2)}`).join(" ") }));
    }));
    renderHeatmap(texts, (i, j) => sparseCosine(weights[i], weights[j]));
  }
  result.hidden = false;
});

// -- chunks ---------------------------------------------------------------------------------------

function highlight(text, chunks) {
  const cuts = new Set([0, text.length]);
  chunks.forEach((c) => {
    cuts.add(c.start_offset);
    cuts.add(c.end_offset);
  });
  const points = [...cuts].sort((a, b) => a - b);
  const parts = [];
  for (let p = 0; p < points.length - 1; p += 1) {
    const [start, end] = [points[p], points[p + 1]];
    const covering = chunks.flatMap((c, i) => (c.start_offset <= start && end <= c.end_offset ? [i] : []));
    chunks.forEach((c, i) => {
      if (c.start_offset === start) parts.push(element("span", { className: "chunk-no", textContent: formatNumber(i + 1) }));
    });
    const piece = text.slice(start, end);
    if (!covering.length) {
      parts.push(document.createTextNode(piece));
      continue;
    }
    const mark = element("mark", { className: `chunk c${covering[0] % 4}${covering.length > 1 ? " overlap" : ""}`, textContent: piece });
    const [n, m] = covering.map((i) => formatNumber(i + 1));
    mark.title = covering.length > 1 ? t("chunks_n_and_m", { n, m }) : t("chunk_n", { n });
    parts.push(mark);
  }
  return parts;
}

const chunkForm = document.getElementById("chunk-form");
chunkForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  show(errorBox, "");
  const text = document.getElementById("document").value;
  const settings = JSON.parse(document.getElementById("chunking-settings").textContent);
  const { ok, data } = await api("POST", "/_inference/_chunk", { input: [text], chunking_settings: settings });
  if (!ok) return fail(errorLines(data));
  const chunks = data.chunks[0];
  const overlaps = chunks.some((c, i) => i > 0 && c.start_offset < chunks[i - 1].end_offset);
  const summary = t("chunks_summary", { count: formatNumber(chunks.length), strategy: settings.strategy });
  document.getElementById("chunk-summary").textContent = overlaps ? `${summary} ${t("chunks_overlap")}` : summary;
  document.getElementById("chunked-text").replaceChildren(...highlight(text, chunks));
  document.getElementById("chunk-result").hidden = false;
});

// -- rerank ---------------------------------------------------------------------------------------

const rerankForm = document.getElementById("rerank-form");
rerankForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  show(errorBox, "");
  const documents = document.getElementById("documents").value.split("\n").map((t) => t.trim()).filter(Boolean);
  const query = document.getElementById("query").value;
  const { ok, data } = await api("POST", `/_inference/rerank/${enc(id)}`, { query, input: documents });
  if (!ok) return fail(errorLines(data));
  const top = Math.max(...data.rerank.map((h) => h.relevance_score), 1e-9);
  document.getElementById("ranking").replaceChildren(...data.rerank.map((hit) => {
    const bar = element("span", { className: "bar" });
    bar.style.width = `${Math.max(2, (100 * hit.relevance_score) / top)}%`;
    return element("li", {}, element("span", { className: "score", textContent: formatNumber(hit.relevance_score, 3) }),
      element("span", { className: "text", textContent: documents[hit.index] }), bar);
  }));
  document.getElementById("rerank-result").hidden = false;
});
