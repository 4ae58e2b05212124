// The admin's "Copy link" button for the trainer's attendance link: shown only when the browser
// can copy; the link stays a read-only field anyone can select and copy by hand.
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
          if (status) status.textContent = "Link copied. Paste it into an email or message to the trainer.";
        },
        function () {
          field.select();
          if (status) status.textContent = "Select the link and copy it.";
        }
      );
    });
  });
  document.querySelectorAll("[data-copy-source]").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });
})();
