// The playground of the image tasks (image classification, zero-shot image classification, object
// detection), through the Inference API's POST /hf/{id}, as huggingface_hub's InferenceClient sends them: the
// image alone as the raw request body with its Content-Type; with parameters (the labels, a threshold), as
// base64 in JSON. Labels come back as score bars; objects as boxes drawn over the image, and listed.
import { enc, errorLines, formatNumber, headers, show, t } from "./api.js";
import { element, scoreBars } from "./dom.js";

const root = document.getElementById("playground");
const errorBox = document.getElementById("error");
const preview = document.getElementById("image-preview");
const labelsInput = document.getElementById("image-labels");
const thresholdInput = document.getElementById("threshold");
let image = null; // the File to send
let dataUrl = ""; // the same, as a data: URL

// shown from a data: URL (the page's Content-Security-Policy allows images from itself and data: only)
document.getElementById("image-file").addEventListener("change", (event) => {
  image = event.target.files[0] ?? null;
  preview.hidden = !image;
  if (!image) return;
  const reader = new FileReader();
  reader.addEventListener("load", () => { dataUrl = reader.result; preview.src = dataUrl; });
  reader.readAsDataURL(image);
});

/** The request's parameters (none for image classification), or null when they are not usable. */
function parameters() {
  if (labelsInput) {
    const labels = labelsInput.value.split(/[,،、，]/).map((label) => label.trim()).filter(Boolean);
    if (labels.length >= 2) return { candidate_labels: labels };
    show(errorBox, t("labels_missing"));
    return null;
  }
  if (thresholdInput && thresholdInput.value !== "") return { threshold: Number(thresholdInput.value) };
  return {};
}

function body(params) {
  if (Object.keys(params).length === 0) {
    return { headers: headers({ "Content-Type": image.type || "application/octet-stream" }), body: image };
  }
  const inputs = dataUrl.slice(dataUrl.indexOf(",") + 1);
  return { headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify({ inputs, parameters: params }) };
}

/** Each object's box over the image (placed in percent of its pixels, so it scales with it), and listed. */
function drawDetections(objects) {
  const picture = document.getElementById("detections-image");
  const view = document.getElementById("detections-view");
  const place = () => {
    const width = picture.naturalWidth || 1;
    const height = picture.naturalHeight || 1;
    view.querySelectorAll(".box").forEach((box) => box.remove());
    for (const { label, score, box } of objects) {
      const frame = element("div", { className: "box", title: `${label} ${formatNumber(score, 3)}` },
        element("span", { textContent: `${label} ${formatNumber(score, 2)}`, dir: "auto" }));
      frame.style.left = `${(100 * box.xmin) / width}%`;
      frame.style.top = `${(100 * box.ymin) / height}%`;
      frame.style.width = `${(100 * (box.xmax - box.xmin)) / width}%`;
      frame.style.height = `${(100 * (box.ymax - box.ymin)) / height}%`;
      view.append(frame);
    }
  };
  picture.addEventListener("load", place, { once: true });
  picture.src = dataUrl;
  if (picture.complete && picture.naturalWidth) place();
  document.getElementById("detections").replaceChildren(...objects.map(({ label, score, box }) =>
    element("li", { textContent: t("object_box", { label, score: formatNumber(score, 3), ...box }), dir: "auto" })));
  document.getElementById("detections-summary").textContent = t("objects_found", { count: formatNumber(objects.length) });
  document.getElementById("detections-result").hidden = false;
}

document.getElementById("image-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  show(errorBox, "");
  if (!image || !dataUrl) return show(errorBox, t("image_missing"));
  const params = parameters();
  if (params === null) return;
  const button = document.getElementById("send-image");
  button.disabled = true;
  try {
    const response = await fetch(`/hf/${enc(root.dataset.id)}`, { method: "POST", ...body(params), credentials: "same-origin" });
    const data = await response.json().catch(() => null);
    if (!response.ok) return show(errorBox, errorLines(data).join(" "));
    if (thresholdInput) return drawDetections(data);
    scoreBars(document.getElementById("scores"), data, (score) => formatNumber(score, 3));
    document.getElementById("scores-result").hidden = false;
  } finally {
    button.disabled = false;
  }
});
