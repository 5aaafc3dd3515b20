// The chat playground: a system prompt and a multi-turn conversation streamed from the OpenAI face's
// POST /v1/chat/completions, function tools the model may call (each call shown as it streams, its
// result typed in and sent back as a `tool` message), tool_choice, and an image part.
import { errorLines, events, formatNumber, isolated, openStream, show, t, tNodes } from "./api.js";
import { element, generationParams } from "./dom.js";

const form = document.getElementById("chat-form");
const model = form.dataset.model;
const log = document.getElementById("conversation");
const status = document.getElementById("gen-status");
const errorBox = document.getElementById("error");
const promptBox = document.getElementById("prompt");
const sendButton = document.getElementById("generate");
const stopButton = document.getElementById("stop");
const toolList = document.getElementById("tool-list");
const toolChoice = document.getElementById("tool-choice");
const imageFile = document.getElementById("image-file");
const imageUrl = document.getElementById("image-url");
const imagePreview = document.getElementById("image-preview");

// The conversation in OpenAI's shape, without the system prompt (read afresh for every request).
const history = [];
let pending = null; // the calls of the model's last answer, until their results are sent
let controller = null;
let toolCount = 0;
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

// -- tools ----------------------------------------------------------------------------------------

function field(box, name) {
  return box.querySelector(`[data-field="${name}"]`);
}

function addTool() {
  const box = document.getElementById("tool-template").content.firstElementChild.cloneNode(true);
  toolCount += 1;
  box.querySelectorAll("[data-for]").forEach((label) => { label.htmlFor = `tool-${toolCount}-${label.dataset.for}`; });
  box.querySelectorAll("[data-field]").forEach((input) => { input.id = `tool-${toolCount}-${input.dataset.field}`; });
  field(box, "parameters").setAttribute("aria-describedby", field(box, "error").id);
  field(box, "name").addEventListener("input", refreshChoices);
  // Checked when sent (checking on blur would move the Send button away from a click under way).
  box.addEventListener("input", () => clearMarks(box));
  box.querySelector('[data-action="remove"]').addEventListener("click", () => {
    box.remove();
    refreshChoices();
    document.getElementById("add-tool").focus();
  });
  toolList.append(box);
  refreshChoices();
  field(box, "name").focus();
}

function markInvalid(input, box, nodes) {
  input.setAttribute("aria-invalid", "true");
  field(box, "error").replaceChildren(...nodes);
  field(box, "error").hidden = false;
}

function clearMarks(box) {
  box.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  field(box, "error").hidden = true;
}

function parseParameters(box) {
  const input = field(box, "parameters");
  let schema;
  try {
    schema = JSON.parse(input.value);
  } catch (error) {
    markInvalid(input, box, tNodes("tool_parameters_not_json", { reason: error.message }));
    return null;
  }
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    markInvalid(input, box, tNodes("tool_parameters_not_object", { example: '{"type": "object", "properties": {}}' }));
    return null;
  }
  return schema;
}

/** One tool's definition in OpenAI's shape, or null (its problem shown beside the field). */
function checkTool(box, namesSoFar) {
  clearMarks(box);
  const name = field(box, "name").value.trim();
  if (!TOOL_NAME.test(name)) {
    markInvalid(field(box, "name"), box, [t("tool_name_invalid")]);
    return null;
  }
  if (namesSoFar.includes(name)) {
    markInvalid(field(box, "name"), box, tNodes("tool_name_repeated", { name }));
    return null;
  }
  const parameters = parseParameters(box);
  if (parameters === null) return null;
  const description = field(box, "description").value.trim();
  return { type: "function", function: { name, ...(description ? { description } : {}), parameters } };
}

/** Every declared tool, or null when one is invalid (the first invalid field gets the focus). */
function readTools() {
  const tools = [];
  let firstBad = null;
  for (const box of toolList.querySelectorAll("fieldset.tool")) {
    const tool = checkTool(box, tools.map((one) => one.function.name));
    if (tool) tools.push(tool);
    else firstBad ??= box.querySelector('[aria-invalid="true"]');
  }
  if (firstBad === null) return tools;
  document.getElementById("tools-panel").open = true;
  firstBad.focus();
  return null;
}

function refreshChoices() {
  const chosen = toolChoice.value;
  toolChoice.querySelectorAll("option[data-named]").forEach((option) => option.remove());
  const boxes = [...toolList.querySelectorAll("fieldset.tool")];
  const names = [...new Set(boxes.map((box) => field(box, "name").value.trim()).filter((n) => TOOL_NAME.test(n)))];
  names.forEach((name) => {
    const option = element("option", { value: `function:${name}`, textContent: t("call_tool_named", { name }) });
    option.dataset.named = "";
    toolChoice.append(option);
  });
  toolChoice.value = [...toolChoice.options].some((o) => o.value === chosen) ? chosen : "auto";
  toolChoice.disabled = boxes.length === 0;
  document.getElementById("tools-count").textContent = boxes.length ? formatNumber(boxes.length) : "";
}

function choiceValue() {
  const value = toolChoice.value;
  return value.startsWith("function:") ? { type: "function", function: { name: value.slice(9) } } : value;
}

// -- images ---------------------------------------------------------------------------------------

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** The image to send as a url (a file as a data: url), "" for none, or null when the url is refused. */
async function chosenImage() {
  imageUrl.removeAttribute("aria-invalid");
  if (imageFile.files?.length) return readFile(imageFile.files[0]);
  const url = imageUrl.value.trim();
  if (!url) return "";
  if (/^https:\/\/\S+$/i.test(url)) return url;
  imageUrl.setAttribute("aria-invalid", "true");
  imageUrl.focus();
  show(errorBox, t("image_url_https"));
  return null;
}

function clearImage() {
  imageFile.value = "";
  imageUrl.value = "";
  showPreview("");
}

function showPreview(url) {
  imagePreview.hidden = !url;
  if (!url) return imagePreview.replaceChildren();
  const remove = element("button", { type: "button", className: "secondary small", textContent: t("remove_image") });
  remove.addEventListener("click", () => {
    clearImage();
    imageFile.focus();
  });
  imagePreview.replaceChildren(imageView(url), remove);
}

/** A data: image as a thumbnail; an https url as its text (the page loads nothing from other sites). */
function imageView(url, className = "") {
  if (url.startsWith("data:")) return element("img", { src: url, alt: t("attached_image"), className });
  return element("span", { className }, `${t("attached_image")}${t("colon")}`, isolated(url));
}

// -- the conversation -----------------------------------------------------------------------------

function who(...nodes) {
  return element("span", { className: "who" }, ...nodes);
}

function showUser(text, image) {
  const bubble = element("div", { className: "message user" }, who(t("you")), element("span", { dir: "auto", textContent: text }));
  if (image) bubble.append(imageView(image, "attached"));
  log.append(bubble);
}

function userContent(text, image) {
  if (!image) return text;
  return [{ type: "text", text }, { type: "image_url", image_url: { url: image } }];
}

function requestBody(tools) {
  const { max_new_tokens: max, ...params } = generationParams(form);
  const system = document.getElementById("system-prompt").value;
  const messages = system.trim() ? [{ role: "system", content: system }, ...history] : [...history];
  const body = { model, stream: true, messages, ...params };
  if (max !== undefined) body.max_completion_tokens = max;
  if (tools.length) Object.assign(body, { tools, tool_choice: choiceValue() });
  return body;
}

function callView(reply, turn) {
  if (!turn.list) {
    turn.list = element("ol", { className: "call-list" });
    reply.append(turn.list);
  }
  const name = element("code", { className: "call-name", translate: false });
  const args = element("pre", { className: "call-args", translate: false, dir: "ltr" });
  const item = element("li", { className: "call" }, who(t("tool_call")), name, args);
  turn.list.append(item);
  return { item, name, args };
}

/** One streamed tool-call piece (OpenAI's index, id, name, argument fragment) added to its call. */
function takeCall(turn, piece, reply) {
  let call = turn.calls[piece.index ?? 0];
  if (!call) {
    call = { id: "", name: "", arguments: "", view: callView(reply, turn) };
    turn.calls[piece.index ?? 0] = call;
  }
  if (piece.id) call.id = piece.id;
  if (piece.function?.name) call.name += piece.function.name;
  call.arguments += piece.function?.arguments ?? "";
  call.view.name.textContent = call.name;
  call.view.args.textContent = call.arguments;
}

function takeDelta(turn, delta, reply) {
  if (delta.content) {
    turn.text += delta.content;
    turn.textBox.append(element("span", { className: "token", textContent: delta.content }));
  }
  (delta.tool_calls ?? []).forEach((piece) => takeCall(turn, piece, reply));
  return Boolean(delta.content || delta.tool_calls?.length);
}

function pretty(json) {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

async function streamTurn(tools, reply) {
  const turn = { text: "", calls: [], list: null, textBox: element("span", { dir: "auto", className: "text" }) };
  reply.append(turn.textBox);
  const clock = { started: performance.now(), firstAt: null, count: 0 };
  status.textContent = t("waiting_first_token");
  turn.clock = clock;
  const response = await openStream("/v1/chat/completions", requestBody(tools), controller.signal);
  for await (const event of events(response)) {
    if (event.data === "[DONE]") break;
    const data = JSON.parse(event.data);
    if (data.error) throw new Error(errorLines(data).join(" "));
    if (!takeDelta(turn, data.choices?.[0]?.delta ?? {}, reply)) continue;
    clock.firstAt ??= performance.now();
    clock.count += 1;
    status.textContent = t("streaming", { count: formatNumber(clock.count) });
  }
  turn.calls.forEach((call) => { call.view.args.textContent = pretty(call.arguments); });
  return turn;
}

function doneText(clock) {
  const seconds = formatNumber((performance.now() - clock.started) / 1000, 2);
  return clock.firstAt === null
    ? t("done_empty", { seconds })
    : t("done", { count: formatNumber(clock.count), seconds, first: formatNumber(clock.firstAt - clock.started) });
}

function remember(turn) {
  if (!turn.calls.length) return history.push({ role: "assistant", content: turn.text });
  const calls = turn.calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
  history.push({ role: "assistant", content: turn.text || null, tool_calls: calls });
}

// -- tool results ---------------------------------------------------------------------------------

function askResults(calls, reply) {
  const block = document.getElementById("calls-template").content.firstElementChild.cloneNode(true);
  block.setAttribute("aria-label", t("tool_results"));
  calls.forEach((call, i) => {
    const input = element("textarea", { id: `result-${call.id || i}`, rows: 2, dir: "auto", className: "result" });
    const label = element("label", { htmlFor: input.id }, ...tNodes("result_of", { name: call.name }));
    call.view.item.append(label, input);
    call.input = input;
  });
  block.querySelector('[data-action="send-results"]').addEventListener("click", () => sendResults());
  reply.append(block);
  pending = { calls, block };
  sendButton.disabled = true;
  // A forced choice would make the model call again after the results, forever (the Agents SDK resets it too).
  if (toolChoice.value !== "none") toolChoice.value = "auto";
  calls[0].input.focus();
}

async function sendResults() {
  const tools = readTools();
  if (tools === null) return;
  const { calls, block } = pending;
  calls.forEach((call) => {
    history.push({ role: "tool", tool_call_id: call.id, content: call.input.value });
    const shown = element("span", { dir: "auto", className: "result-text", textContent: call.input.value });
    call.input.previousElementSibling.remove();
    call.input.replaceWith(who(...tNodes("tool_result", { name: call.name })), shown);
  });
  block.remove();
  pending = null;
  await runTurn(tools);
}

// -- sending --------------------------------------------------------------------------------------

async function runTurn(tools) {
  show(errorBox, "");
  controller = new AbortController();
  sendButton.disabled = true;
  stopButton.disabled = false;
  const reply = element("div", { className: "message assistant" }, who(t("model")));
  reply.setAttribute("aria-busy", "true");
  log.append(reply);
  let turn = null;
  try {
    turn = await streamTurn(tools, reply);
    remember(turn);
    status.textContent = doneText(turn.clock);
    if (turn.calls.length) askResults(turn.calls, reply);
  } catch (error) {
    failed(error, reply);
  } finally {
    reply.setAttribute("aria-busy", "false");
    stopButton.disabled = true;
    sendButton.disabled = pending !== null;
  }
}

function failed(error, reply) {
  const text = reply.querySelector(".text")?.textContent ?? "";
  if (text) history.push({ role: "assistant", content: text });
  else {
    reply.remove();
    takeBackMessage();
  }
  if (error.name === "AbortError") {
    status.textContent = t("stopped", { count: formatNumber(reply.querySelectorAll(".token").length) });
    return;
  }
  status.textContent = "";
  show(errorBox, error.message);
}

/** A user message the model never answered goes back to the message box, to be sent again. */
function takeBackMessage() {
  if (history.at(-1)?.role !== "user") return;
  const { content } = history.pop();
  log.lastElementChild?.remove();
  promptBox.value = typeof content === "string" ? content : content[0].text;
}

async function send(event) {
  event.preventDefault();
  if (sendButton.disabled) return; // a turn is streaming, or the model's calls await their results
  show(errorBox, "");
  const tools = readTools();
  if (tools === null) return show(errorBox, t("tools_invalid"));
  const image = await chosenImage();
  if (image === null) return;
  const text = promptBox.value;
  if (!text.trim() && !image) return promptBox.focus();
  history.push({ role: "user", content: userContent(text, image) });
  showUser(text, image);
  promptBox.value = "";
  clearImage();
  await runTurn(tools);
}

function newConversation() {
  controller?.abort();
  history.length = 0;
  pending = null;
  log.replaceChildren();
  status.textContent = "";
  show(errorBox, "");
  sendButton.disabled = false;
  promptBox.focus();
}

form.addEventListener("submit", send);
stopButton.addEventListener("click", () => controller?.abort());
document.getElementById("clear-chat").addEventListener("click", newConversation);
document.getElementById("add-tool").addEventListener("click", addTool);
promptBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});
imageFile.addEventListener("change", async () => {
  imageUrl.value = "";
  showPreview(imageFile.files?.length ? await readFile(imageFile.files[0]) : "");
});
// On input, not change: a change on blur would move the Send button away from a click under way.
imageUrl.addEventListener("input", () => {
  const url = imageUrl.value.trim();
  imageUrl.removeAttribute("aria-invalid");
  if (url) imageFile.value = "";
  showPreview(/^https:\/\/\S+$/i.test(url) ? url : "");
});
refreshChoices();
