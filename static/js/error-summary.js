// Every error summary (booking, lead and new-link forms), as GOV.UK Frontend does it: focused
// when the page loads, so it is read first; its links move focus to the field and scroll the
// field's label (or its fieldset's legend) into view, not just the bare input.
(function () {
  const summary = document.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.focus();

  summary.addEventListener("click", function (event) {
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    const input = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!input) return;
    event.preventDefault();
    const fieldset = input.closest("fieldset");
    const label = document.querySelector("label[for='" + CSS.escape(input.id) + "']");
    const legend = fieldset && !label ? fieldset.querySelector("legend") : null;
    (legend || label || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
