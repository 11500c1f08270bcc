// Wide tables scroll inside Radix scroll areas; a keyboard user scrolls one by focusing it, so
// every scroll area's viewport takes focus (axe: scrollable-region-focusable).
(function () {
  function focusable() {
    document
      .querySelectorAll(".rt-ScrollAreaViewport:not([tabindex])")
      .forEach(function (el) { el.setAttribute("tabindex", "0"); });
  }
  new MutationObserver(focusable).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  focusable();
})();
