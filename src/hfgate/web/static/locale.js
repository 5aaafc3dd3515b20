// The language switcher: choosing a language applies it at once (the button is there without scripts).
const form = document.getElementById("locale-switch");
if (form) {
  form.querySelector("button").hidden = true;
  form.querySelector("select").addEventListener("change", () => form.submit());
}
