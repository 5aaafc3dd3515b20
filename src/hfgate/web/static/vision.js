// The playground of the image tasks (image classification), through the Inference API's POST /hf/{id}: the
// image chosen is shown, then sent as the raw request body with its Content-Type, as huggingface_hub's
// InferenceClient sends it; the labels come back as score bars.
import { enc, errorLines, formatNumber, headers, show, t } from "./api.js";
import { scoreBars } from "./dom.js";

const root = document.getElementById("playground");
const errorBox = document.getElementById("error");
const preview = document.getElementById("image-preview");
let image = null; // the File to send

// shown from a data: URL (the page's Content-Security-Policy allows images from itself and data: only)
document.getElementById("image-file").addEventListener("change", (event) => {
  image = event.target.files[0] ?? null;
  preview.hidden = !image;
  if (!image) return;
  const reader = new FileReader();
  reader.addEventListener("load", () => { preview.src = reader.result; });
  reader.readAsDataURL(image);
});

document.getElementById("image-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show(errorBox, "");
  if (!image) return show(errorBox, t("image_missing"));
  const button = document.getElementById("send-image");
  button.disabled = true;
  try {
    const response = await fetch(`/hf/${enc(root.dataset.id)}`, {
      method: "POST", headers: headers({ "Content-Type": image.type || "application/octet-stream" }), body: image,
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) return show(errorBox, errorLines(data).join(" "));
    scoreBars(document.getElementById("scores"), data, (score) => formatNumber(score, 3));
    document.getElementById("scores-result").hidden = false;
  } finally {
    button.disabled = false;
  }
});
