// The chunking controls shared by the add form and the settings form.

export function setupChunking(root) {
  const strategy = root.querySelector("#chunk-strategy");
  if (!strategy) return;
  const sync = () => {
    root.querySelectorAll("[data-strategy]").forEach((el) => {
      el.hidden = !el.dataset.strategy.split(" ").includes(strategy.value);
    });
  };
  strategy.addEventListener("change", sync);
  sync();
}

/** The chunking_settings the controls describe, in the API's shape. */
export function chunkingSettings(root) {
  const value = (id) => root.querySelector(id).value;
  const strategy = value("#chunk-strategy");
  const size = Number.parseInt(value("#chunk-size"), 10);
  if (strategy === "none") return { strategy };
  if (strategy === "word") {
    return { strategy, max_chunk_size: size, overlap: Number.parseInt(value("#chunk-overlap"), 10) };
  }
  if (strategy === "sentence") {
    return { strategy, max_chunk_size: size, sentence_overlap: Number.parseInt(value("#chunk-sentence-overlap"), 10) };
  }
  return { strategy, max_chunk_size: size, separator_group: value("#chunk-separators") };
}
