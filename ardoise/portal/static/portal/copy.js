// « Copier le lien du portail »: copies the value of the field named by data-copy-from.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-from]");
  if (!button) {
    return;
  }
  const field = document.getElementById(button.dataset.copyFrom);
  if (!field) {
    return;
  }
  field.select();
  const done = () => {
    button.textContent = button.dataset.copiedLabel;
  };
  if (navigator.clipboard) {
    // Without clipboard permission the text stays selected, so that Ctrl+C copies it.
    navigator.clipboard.writeText(field.value).then(done, () => {});
  }
});
