// "Copy" buttons for private links (the in-house register on booking/manage.html, the trainer's
// attendance link in the admin): shown only when the browser can copy; the link stays a
// read-only field anyone can select and copy by hand. The button's data-copied says what next.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.querySelector("[data-copy-status]");
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () {
          if (status) status.textContent = button.dataset.copied || "Link copied.";
        },
        function () {
          field.select();
          if (status) status.textContent = "Select the link and copy it.";
        }
      );
    });
  });
  // Clicking into the field selects the whole link, ready to copy.
  document.querySelectorAll("[data-copy-source]").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });
})();
