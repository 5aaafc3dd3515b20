// The playground of the audio tasks (speech recognition, audio classification), through the Inference
// API's POST /hf/{id}: an audio file chosen or recorded from the microphone (MediaRecorder's webm or ogg)
// is sent as the raw request body with its Content-Type; when the transcript's timestamps are asked for,
// as base64 in JSON with "return_timestamps": true instead (a raw body carries no parameters), as
// huggingface_hub's InferenceClient does.
import { api, enc, errorLines, formatNumber, headers, show, t } from "./api.js";
import { element, scoreBars } from "./dom.js";

const root = document.getElementById("playground");
const id = root.dataset.id;
const errorBox = document.getElementById("error");
const status = document.getElementById("audio-status");
const recordButton = document.getElementById("record");
const stopButton = document.getElementById("stop-recording");
const timestamps = document.getElementById("timestamps");
let audio = null; // the Blob (a File, or a recording) to send
let recorder = null;

// -- choosing or recording the audio ----------------------------------------------------------------

function chosen(blob, message) {
  audio = blob;
  status.textContent = message;
}

document.getElementById("audio-file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (file) chosen(file, t("audio_chosen", { name: file.name, size: formatNumber(file.size / 1024, 1) }));
});

async function record() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const pieces = [];
  const started = performance.now();
  recorder = new MediaRecorder(stream);
  recorder.addEventListener("dataavailable", (event) => pieces.push(event.data));
  recorder.addEventListener("stop", () => {
    stream.getTracks().forEach((track) => track.stop());
    const seconds = formatNumber((performance.now() - started) / 1000, 1);
    chosen(new Blob(pieces, { type: recorder.mimeType }), t("audio_recorded", { seconds }));
    recordButton.disabled = false;
    stopButton.disabled = true;
  });
  recorder.start();
  recordButton.disabled = true;
  stopButton.disabled = false;
  status.textContent = t("recording");
}

if (navigator.mediaDevices?.getUserMedia && window.MediaRecorder) {
  recordButton.addEventListener("click", () => record().catch((error) => show(errorBox, t("microphone_refused", { reason: error.message }))));
  stopButton.addEventListener("click", () => recorder?.stop());
} else {
  // Browsers offer the microphone to secure pages only (https, or localhost).
  recordButton.disabled = true;
  recordButton.title = t("microphone_unavailable");
}

// -- sending it -------------------------------------------------------------------------------------

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.addEventListener("load", () => resolve(reader.result));
    reader.addEventListener("error", () => reject(reader.error));
    reader.readAsDataURL(blob);
  });
}

function refused(data) {
  show(errorBox, errorLines(data).join(" "));
  return null;
}

/** The answer for `audio`, or null when the server refused (its reason shown). */
async function send(blob) {
  if (timestamps?.checked) {
    const { ok, data } = await api("POST", `/hf/${enc(id)}`, { inputs: await dataUrl(blob), parameters: { return_timestamps: true } });
    return ok ? data : refused(data);
  }
  const type = blob.type || "application/octet-stream";
  const response = await fetch(`/hf/${enc(id)}`, { method: "POST", headers: headers({ "Content-Type": type }), body: blob, credentials: "same-origin" });
  const data = await response.json().catch(() => null);
  return response.ok ? data : refused(data);
}

function seconds(value) {
  return value === null || value === undefined ? "…" : formatNumber(value, 2);
}

function showTranscript(data) {
  document.getElementById("transcript").textContent = data.text;
  const chunks = data.chunks ?? [];
  document.getElementById("speech-chunks").replaceChildren(...chunks.map((chunk) => element("li", {},
    element("span", { className: "score", textContent: t("from_to", { start: seconds(chunk.timestamp[0]), end: seconds(chunk.timestamp[1]) }) }),
    element("span", { className: "text", textContent: chunk.text, dir: "auto" }))));
  document.getElementById("chunks-title").hidden = !chunks.length;
  document.getElementById("transcript-result").hidden = false;
}

const form = document.getElementById("audio-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  show(errorBox, "");
  if (!audio) return show(errorBox, t("audio_missing"));
  const button = document.getElementById("send-audio");
  button.disabled = true;
  try {
    const data = await send(audio);
    if (!data) return;
    if (root.dataset.task === "audio-classification") {
      scoreBars(document.getElementById("scores"), data, (score) => formatNumber(score, 3));
      document.getElementById("scores-result").hidden = false;
    } else showTranscript(data);
  } finally {
    button.disabled = false;
  }
});
