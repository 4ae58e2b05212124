// Add and remove delegate rows in the page. Without JavaScript the same buttons submit the form
// and the server adds or removes the row, so this is only a convenience.
(function () {
  const rows = document.querySelector("[data-delegate-rows]");
  const template = document.querySelector("[data-delegate-template]");
  const total = document.querySelector("input[name='form-TOTAL_FORMS']");
  const max = document.querySelector("input[name='form-MAX_NUM_FORMS']");
  const addButton = document.querySelector("[data-add-delegate]");
  if (!rows || !template || !total || !addButton) return;

  function renumber() {
    const all = rows.querySelectorAll("[data-delegate-row]");
    all.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/form-(\d+|__prefix__)-/g, "form-" + index + "-"));
        });
      });
      row.querySelector("[data-delegate-number]").textContent = index + 1;
      const remove = row.querySelector("[data-remove-delegate]");
      remove.value = "remove-" + index;
      remove.hidden = all.length === 1;
      remove.querySelector(".visually-hidden").textContent = " (delegate " + (index + 1) + ")";
    });
    total.value = all.length;
    addButton.hidden = max && all.length >= parseInt(max.value, 10);
  }

  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    const fragment = template.content.cloneNode(true);
    rows.appendChild(fragment);
    renumber();
    const added = rows.lastElementChild;
    added.querySelector("input").focus();
  });

  rows.addEventListener("click", function (event) {
    const button = event.target.closest("[data-remove-delegate]");
    if (!button) return;
    event.preventDefault();
    const row = button.closest("[data-delegate-row]");
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber();
    if (next) next.querySelector("input").focus();
  });

  renumber();
})();
