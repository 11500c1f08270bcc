// A survey's unsent answers, kept in this tab only (sessionStorage: never sent to the server,
// dropped when the tab closes), so a reload or a phone discarding the tab does not lose them.
// Anonymity: the server sees answers once, on "Send my answers"; nothing partial is stored
// there, because a partial answer held server-side would sit beside the link it came by.
(function () {
  var PREFIX = "pmo_survey_draft:";
  function keyOf(form) { return PREFIX + (form.getAttribute("data-draft") || ""); }
  function save(form) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "radio") { if (el.checked) data[el.name] = el.value; }
      else if (el.type === "checkbox") { data[el.name] = el.checked ? "on" : ""; }
      else if (el.tagName === "TEXTAREA" || el.type === "number") { data[el.name] = el.value; }
    });
    try { sessionStorage.setItem(keyOf(form), JSON.stringify(data)); } catch (e) { /* full */ }
  }
  function restore(form) {
    if (form.getAttribute("data-draft-restored") === keyOf(form)) return;
    form.setAttribute("data-draft-restored", keyOf(form));
    var raw = null;
    try { raw = sessionStorage.getItem(keyOf(form)); } catch (e) { return; }
    if (!raw) return;
    var data = JSON.parse(raw);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in data)) return;
      if (el.type === "radio") el.checked = data[el.name] === el.value;
      else if (el.type === "checkbox") el.checked = data[el.name] === "on";
      else el.value = data[el.name];
    });
  }
  // "4 of 7 questions answered": counted here, in the page, from the fields themselves.
  function count(form) {
    var answered = 0;
    form.querySelectorAll("fieldset").forEach(function (set) {
      if (set.querySelector("input:checked") ||
          Array.prototype.some.call(set.querySelectorAll("textarea"), function (t) {
            return t.value.trim() !== "";
          })) answered += 1;
    });
    form.querySelectorAll(".pmo-answered").forEach(function (el) {
      if (el.textContent !== String(answered)) el.textContent = String(answered);
    });
  }
  function watch() {
    document.querySelectorAll("form.pmo-survey-form").forEach(function (form) {
      if (!form.elements.length) return;
      restore(form);
      count(form);
      if (form.getAttribute("data-draft-watched")) return;
      form.setAttribute("data-draft-watched", "1");
      form.addEventListener("input", function () { save(form); count(form); });
      form.addEventListener("change", function () { save(form); count(form); });
      form.addEventListener("submit", function () {
        try { sessionStorage.removeItem(keyOf(form)); } catch (e) { /* ignore */ }
      });
    });
  }
  new MutationObserver(watch).observe(document.documentElement, { childList: true, subtree: true });
  watch();
})();
