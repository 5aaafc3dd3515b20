// A Hub model's download: its bar follows GET _inference/{id} every 2 s; once the model is no longer
// downloading (or loading), the page is drawn again by the server, in the page's language.
import { api, enc } from "./api.js";

export function followDownloads() {
  document.querySelectorAll("[data-progress-for]").forEach((shown) => {
    const id = shown.dataset.progressFor;
    const timer = setInterval(async () => {
      const { ok, data } = await api("GET", `/_inference/${enc(id)}`);
      if (!ok) {
        clearInterval(timer);
        return;
      }
      const state = data.endpoints?.[0]?.service_settings?.model_state;
      const bar = shown instanceof HTMLProgressElement;
      if (bar && state?.state === "downloading") {
        shown.max = state.bytes_total || 1;
        shown.value = state.bytes_done;
        return;
      }
      if (!bar && state?.state === "loading") return;
      clearInterval(timer);
      location.reload();
    }, 2000);
  });
}
