// The batches page: Cancel asks hfgate to cancel the batch (POST /v1/batches/{id}/cancel), then shows the page
// again with the batch's new state. The page refreshes itself while a batch runs (a <meta> the server sets).
import { api, errorLines } from "/ui/static/api.js";

for (const button of document.querySelectorAll("button[data-cancel]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    const answer = await api("POST", `/v1/batches/${encodeURIComponent(button.dataset.cancel)}/cancel`);
    if (answer.ok) {
      window.location.reload();
      return;
    }
    button.disabled = false;
    const status = button.closest("tr")?.querySelector(".batch-status");
    if (status) status.textContent = errorLines(answer.data).join(" ");
  });
}
