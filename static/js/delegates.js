// Add, remove and restore delegate rows in the page. Without JavaScript the same buttons submit
// the form and the server does it (booking/views.py, _forms_with_rows), so this is a convenience.
// Removing asks nothing: it says who was removed, in a polite live region, with an Undo button
// that puts the row back where it was, with what was typed in it.
(function () {
  const rows = document.querySelector("[data-delegate-rows]");
  const template = document.querySelector("[data-delegate-template]");
  const total = document.querySelector("input[name='form-TOTAL_FORMS']");
  const max = document.querySelector("input[name='form-MAX_NUM_FORMS']");
  const addButton = document.querySelector("[data-add-delegate]");
  const notice = document.querySelector("[data-delegate-notice]");
  if (!rows || !template || !total || !addButton || !notice) return;
  const removeButton = template.content.querySelector("[data-remove-delegate]");
  const limit = max ? parseInt(max.value, 10) : Infinity;
  let removed = null; // the last row removed: {row, index, label}

  function allRows() {
    return Array.from(rows.querySelectorAll("[data-delegate-row]"));
  }

  function describe(row, number) {
    const name = row.querySelector("input[name$='-name']").value.trim();
    return "delegate " + number + (name ? ", " + name : "");
  }

  function renumber() {
    const all = allRows();
    all.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/form-(\d+|__prefix__)-/g, "form-" + index + "-"));
        });
      });
      row.querySelector("[data-delegate-number]").textContent = index + 1;
      let remove = row.querySelector("[data-remove-delegate]");
      // A booking needs one delegate: the only row has no remove button at all.
      if (all.length === 1) {
        if (remove) remove.remove();
        return;
      }
      if (!remove) {
        remove = removeButton.cloneNode(true);
        row.appendChild(remove);
      }
      remove.value = "remove-" + index;
      remove.querySelector(".visually-hidden").textContent = " (delegate " + (index + 1) + ")";
    });
    total.value = all.length;
    addButton.hidden = all.length >= limit;
  }

  function say(text, undoLabel) {
    const box = document.createElement("div");
    box.className = "alert alert-info d-flex flex-wrap align-items-center gap-2 py-2";
    const message = document.createElement("span");
    message.textContent = text;
    box.appendChild(message);
    let undo = null;
    if (undoLabel) {
      undo = document.createElement("button");
      undo.type = "button";
      undo.className = "btn btn-sm btn-outline-primary";
      undo.textContent = "Undo";
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " removing " + undoLabel;
      undo.appendChild(hidden);
      undo.addEventListener("click", restore);
      box.appendChild(undo);
    }
    notice.replaceChildren(box);
    return undo;
  }

  function restore() {
    if (!removed) return;
    const all = allRows();
    if (all.length >= limit) {
      say("You can book up to " + limit + " delegates at once.");
      addButton.focus();
      return;
    }
    rows.insertBefore(removed.row, all[removed.index] || null);
    renumber();
    const row = removed.row;
    removed = null;
    say("Restored " + describe(row, allRows().indexOf(row) + 1) + ".");
    row.querySelector("input:not([type='hidden'])").focus();
  }

  addButton.addEventListener("click", function (event) {
    event.preventDefault();
    rows.appendChild(template.content.cloneNode(true));
    renumber();
    rows.lastElementChild.querySelector("input").focus();
  });

  rows.addEventListener("click", function (event) {
    const button = event.target.closest("[data-remove-delegate]");
    if (!button) return;
    event.preventDefault();
    const row = button.closest("[data-delegate-row]");
    const index = allRows().indexOf(row);
    if (allRows().length < 2 || index < 0) return;
    const label = describe(row, index + 1);
    row.remove();
    removed = { row: row, index: index, label: label };
    renumber();
    // Focus would be lost with the button: take it to Undo, the likeliest next step.
    say("Removed " + label + ".", label).focus();
  });

  renumber();
})();
