// Searchable pickers (pmo_saas/ui/pickers.py): the search box hides the options whose label
// does not contain what is typed; Enter in it does not submit the form around it.
(function () {
  document.addEventListener("input", function (event) {
    var search = event.target;
    if (!search.matches || !search.matches(".pmo-picker-search")) return;
    var picker = search.closest("[data-picker]");
    if (!picker) return;
    var query = search.value.trim().toLowerCase();
    picker.querySelectorAll(".pmo-picker-option").forEach(function (option) {
      option.hidden = query !== "" && (option.dataset.label || "").indexOf(query) === -1;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.matches && event.target.matches(".pmo-picker-search")) {
      event.preventDefault();
    }
  });
})();
