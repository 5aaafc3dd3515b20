// The endpoint settings form: sends only what changed to PUT _inference/{id}/_update.
import { followDownloads } from "./model_state.js";
import { api, enc, errorLines, t } from "./api.js";
import { chunkingSettings, setupChunking } from "./chunking.js";

const form = document.getElementById("update-form");

function changes() {
  const serviceSettings = {};
  form.querySelectorAll('input[name="secret"]').forEach((input) => {
    if (input.value.trim()) serviceSettings[input.dataset.setting] = input.value.trim();
  });
  const rate = form.querySelector("#rate_limit");
  if (rate && rate.value !== rate.defaultValue) {
    serviceSettings.rate_limit = { requests_per_minute: Number(rate.value) };
  }
  const body = {};
  if (Object.keys(serviceSettings).length) body.service_settings = serviceSettings;
  if (form.querySelector("#chunk-strategy")) body.chunking_settings = chunkingSettings(form);
  return body;
}

if (form) {
  setupChunking(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = document.getElementById("update-status");
    const body = changes();
    if (!Object.keys(body).length) {
      status.textContent = t("nothing_to_change");
      return;
    }
    status.textContent = t("saving");
    status.className = "status";
    const { ok, data } = await api("PUT", `/_inference/${enc(form.dataset.id)}/_update`, body);
    if (!ok) {
      status.textContent = `${t("not_saved")} ${errorLines(data).join(" ")}`;
      status.className = "status error";
      return;
    }
    form.querySelectorAll('input[name="secret"]').forEach((input) => {
      input.value = "";
    });
    const rate = form.querySelector("#rate_limit");
    if (rate) rate.defaultValue = rate.value;
    document.getElementById("stored-settings").textContent = JSON.stringify(data, null, 2);
    status.textContent = t("saved");
    status.className = "status ok";
  });
}

followDownloads();
