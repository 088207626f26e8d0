// DataSync mapping screen: picking another connection shows its mappings at once.
// Everything else is plain forms, so the page works without JavaScript too.
document.addEventListener("DOMContentLoaded", () => {
  const picker = document.getElementById("datasync-connection");
  if (picker) picker.addEventListener("change", () => picker.form.submit());
});
