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
