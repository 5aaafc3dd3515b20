// Calls to hfgate's own API from the page: the session cookie authenticates, and the CSRF token
// from the page's <meta> proves the call comes from this page (another site cannot set the header).

const csrf = document.querySelector('meta[name="hfgate-csrf"]')?.content ?? "";
// The page's words, translated by the server (script_messages.py); the scripts hold none of their own.
const messages = JSON.parse(document.getElementById("messages")?.textContent ?? "{}");
const lang = document.documentElement.lang || "en";

/** The message `key` in the page's language, with `{name}` placeholders filled from `values`. */
export function t(key, values = {}) {
  const message = messages[key];
  if (message === undefined) throw new Error(`No message "${key}" in the page's catalog`);
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** An id, a model name or a value kept as it is: left to right and untranslated inside any text. */
export function isolated(value) {
  return Object.assign(document.createElement("bdi"), { textContent: String(value), translate: false, dir: "ltr" });
}

/** Like t(), as nodes: each `{name}` value isolated, so an id stays left to right inside Persian text. */
export function tNodes(key, values = {}) {
  const nodes = [];
  let rest = t(key);
  for (const match of [...rest.matchAll(/\{(\w+)\}/g)].reverse()) {
    if (!(match[1] in values)) continue;
    nodes.unshift(isolated(values[match[1]]), rest.slice(match.index + match[0].length));
    rest = rest.slice(0, match.index);
  }
  return [rest, ...nodes].filter((node) => node !== "");
}

/** A number as the page's language writes it (digits stay Latin, as the server's Babel writes them). */
export function formatNumber(value, fractionDigits = 0) {
  const options = { numberingSystem: "latn", minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits };
  return new Intl.NumberFormat(lang, options).format(value);
}

export function headers(extra = {}) {
  const all = { "Content-Type": "application/json", ...extra };
  if (csrf) all["X-Hfgate-Csrf"] = csrf;
  return all;
}

/** Send a JSON request; resolves to {ok, status, data} whatever the status. */
export async function api(method, path, body, { signal } = {}) {
  const response = await fetch(path, {
    method,
    headers: headers(),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { error: { reason: text } };
  }
  return { ok: response.ok, status: response.status, data };
}

/** The reason an error body gives (Elasticsearch's or OpenAI's shape), split into its listed problems. */
export function errorLines(data) {
  const error = data?.error;
  if (!error) return [t("no_reason")];
  const reason = error.caused_by?.reason ?? error.reason ?? error.message ?? String(error);
  const listed = /^Validation Failed: (.*)$/s.exec(reason);
  if (!listed) return [reason];
  return listed[1].split(/;\s*(?=\d+: |$)/).map((p) => p.replace(/^\d+: /, "").trim()).filter(Boolean);
}

/** Server-sent events of a fetch response, as {event, data} objects, as they arrive. */
export async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: "message", data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event.event = line.slice(6).trim();
        else if (line.startsWith("data:")) event.data += line.slice(5).replace(/^ /, "");
      }
      yield event;
    }
  }
}

/** Open a streaming POST; resolves to the response, or throws an Error carrying the reasons. */
export async function openStream(path, body, signal) {
  const response = await fetch(path, {
    method: "POST",
    headers: headers({ Accept: "text/event-stream" }),
    body: JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    throw new Error(errorLines(data).join(" "));
  }
  return response;
}

export function show(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

export function enc(id) {
  return encodeURIComponent(id);
}
