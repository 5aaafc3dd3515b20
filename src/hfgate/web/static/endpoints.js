// The endpoints table: delete after confirmation in a dialog.
import { followDownloads } from "./model_state.js";
import { api, enc, errorLines, t, tNodes } from "./api.js";

const dialog = document.getElementById("confirm-delete");
const status = document.getElementById("status");
let pending = null;

document.querySelectorAll("[data-delete]").forEach((button) => {
  button.addEventListener("click", () => {
    pending = button;
    document.getElementById("confirm-id").textContent = button.dataset.delete;
    dialog.returnValue = "";
    dialog.showModal();
  });
});

dialog?.addEventListener("close", async () => {
  const button = pending;
  pending = null;
  if (!button) return;
  if (dialog.returnValue !== "delete") {
    button.focus();
    return;
  }
  const id = button.dataset.delete;
  const { ok, data } = await api("DELETE", `/_inference/${enc(id)}`);
  if (!ok) {
    status.replaceChildren(...tNodes("not_deleted", { id }), " ", errorLines(data).join(" "));
    status.className = "status error";
    button.focus();
    return;
  }
  const row = button.closest("tr");
  row.remove();
  status.replaceChildren(...tNodes("deleted", { id }));
  status.className = "status ok";
  document.querySelector("h1").focus?.();
});

followDownloads();
