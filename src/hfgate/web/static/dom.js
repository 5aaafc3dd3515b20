// Small helpers the playground's scripts share: building elements, and reading the generation controls.

/** A new `tag` element with `props` set on it and `children` appended. */
export function element(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

/** The generation parameters the form's number inputs and stop strings hold (empty ones left out). */
export function generationParams(form) {
  const params = {};
  form.querySelectorAll("input[data-kind]").forEach((input) => {
    if (input.value === "") return;
    params[input.name] = input.dataset.kind === "int" ? Number.parseInt(input.value, 10) : Number(input.value);
  });
  const stop = form.querySelector("#param-stop").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (stop.length) params.stop = stop;
  return params;
}

/** A list of `{label, score}` as bars (scores in 0..1; `title` each item's hover text, if given). */
export function scoreBars(list, items, formatScore) {
  list.replaceChildren(...items.map(({ label, score, title }) => {
    const bar = element("span", { className: "bar" });
    bar.style.width = `${Math.max(1, Math.min(100, 100 * score))}%`;
    const text = element("span", { className: "text", textContent: label, dir: "auto" });
    if (title) text.title = title;
    return element("li", {}, element("span", { className: "score", textContent: formatScore(score) }), text, bar);
  }));
}

/** `text` as nodes, the `spans` ({start, end, className, title}) marked; spans do not overlap. */
export function markedText(text, spans) {
  const nodes = [];
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at || span.end <= span.start) continue;
    if (span.start > at) nodes.push(document.createTextNode(text.slice(at, span.start)));
    nodes.push(element("mark", { className: span.className, title: span.title, textContent: text.slice(span.start, span.end) }));
    at = span.end;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}
