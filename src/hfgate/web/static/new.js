// The add-a-model form: shows only the fields the chosen model type and source need, then asks the
// server to create the endpoint and lists each check's outcome. What the user typed stays on failure.
import { api, enc, errorLines, isolated, t, tNodes } from "./api.js";
import { chunkingSettings, setupChunking } from "./chunking.js";

const form = document.getElementById("add-form");
const plan = JSON.parse(document.getElementById("form-plan").textContent);
const outcome = document.getElementById("outcome");
const checksList = document.getElementById("checks");
const locator = document.getElementById("locator");

const chosen = (name) => form.querySelector(`input[name="${name}"]:checked`);

function sync() {
  const kind = chosen("task_type").value;
  const options = plan[kind];
  form.querySelectorAll('input[name="source"]').forEach((radio) => {
    const option = options[radio.value];
    radio.disabled = !option.available;
    document.getElementById(`why-${radio.value}`).textContent = option.available ? "" : option.why;
  });
  let source = chosen("source");
  if (!source || source.disabled) {
    source = form.querySelector('input[name="source"]:not(:disabled)');
    if (source) source.checked = true;
  }
  const fields = source ? options[source.value].fields : [];
  form.querySelectorAll("[data-field]").forEach((el) => {
    el.hidden = !fields.includes(el.dataset.field);
  });
  if (source) {
    document.getElementById("locator-label").textContent = source.dataset.locatorLabel;
    locator.placeholder = source.dataset.placeholder;
    locator.type = source.dataset.locator === "url" ? "url" : "text";
    if (source.dataset.locator === "model") locator.setAttribute("list", "local-models");
    else locator.removeAttribute("list");
  }
}

function body() {
  // Empty fields are left out, so that a missing one gets the API's "required setting" message.
  const source = chosen("source");
  const fields = plan[chosen("task_type").value][source.value].fields;
  const value = (id) => document.getElementById(id).value.trim();
  const settings = {};
  const put = (name, text) => {
    if (text) settings[name] = text;
  };
  put(source.dataset.locator, value("locator"));
  if (fields.includes("api_key")) put("api_key", value("api_key"));
  if (fields.includes("task")) put("task", value("task"));
  if (fields.includes("namespace")) put("namespace", value("namespace"));
  if (fields.includes("rate_limit") && value("rate_limit")) {
    settings.rate_limit = { requests_per_minute: Number(value("rate_limit")) };
  }
  const request = { service: source.dataset.service, service_settings: settings };
  if (fields.includes("chunking")) request.chunking_settings = chunkingSettings(form);
  return request;
}

function renderChecks(checks) {
  checksList.replaceChildren(
    ...checks.map((check) => {
      const item = document.createElement("li");
      item.className = `check ${check.outcome.replace(" ", "-")}`;
      const head = document.createElement("strong");
      head.textContent = check.heading;
      item.append(head);
      if (check.details.length) {
        const list = document.createElement("ul");
        for (const [index, detail] of check.details.entries()) {
          const line = document.createElement("li");
          const finding = check.findings?.[index];
          if (finding) line.append(finding.label, finding.separator, isolated(finding.value));
          else if (check.details_translated) line.textContent = detail;
          // The API's own reasons stay in English, as users search the web for them.
          else line.append(Object.assign(document.createElement("bdi"), { lang: "en", dir: "ltr", className: "api-reason", textContent: detail }));
          list.append(line);
        }
        item.append(list);
      }
      return item;
    }),
  );
}

function failedCheck(title, details, translated) {
  const heading = `${title}${t("colon")}${t("failed")}`;
  return { title, heading, outcome: "failed", outcome_label: t("failed"), details, details_translated: translated };
}

form.addEventListener("change", (event) => {
  if (event.target.name === "task_type" || event.target.name === "source") sync();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = document.getElementById("inference_id").value.trim();
  const kind = chosen("task_type").value;
  const submit = document.getElementById("add-submit");
  if (!id) {
    outcome.hidden = false;
    document.getElementById("outcome-title").textContent = t("not_added");
    renderChecks([failedCheck(t("id_given"), [t("id_missing")], true)]);
    document.getElementById("inference_id").focus();
    return;
  }
  submit.disabled = true;
  submit.textContent = t("checking");
  outcome.hidden = false;
  document.getElementById("outcome-title").textContent = t("checking");
  checksList.replaceChildren();
  document.getElementById("outcome-next").textContent = "";
  try {
    const { ok, data } = await api("PUT", `/ui/api/endpoints/${enc(kind)}/${enc(id)}`, body());
    const checks = data?.checks ?? [failedCheck(t("request_accepted"), errorLines(data), false)];
    renderChecks(checks);
    document.getElementById("outcome-title").replaceChildren(...(ok ? tNodes("added", { id }) : [t("not_added")]));
    outcome.className = `outcome ${ok ? "ok" : "failed"}`;
    if (ok) {
      const next = document.getElementById("outcome-next");
      const tryIt = Object.assign(document.createElement("a"), {
        href: `/ui/endpoints/${enc(id)}/playground`,
        className: "button",
      });
      tryIt.append(...tNodes("try_in_playground", { id }));
      const list = Object.assign(document.createElement("a"), { href: "/ui/", textContent: t("see_all") });
      next.replaceChildren(tryIt, " ", list);
    }
  } catch (error) {
    renderChecks([failedCheck(t("unreachable"), [String(error)], false)]);
  } finally {
    submit.disabled = false;
    submit.textContent = t("check_and_add");
    document.getElementById("outcome-title").focus?.();
  }
});

setupChunking(form);
sync();
