// The export page's "Select all" box: django-import-export's own handler (export_selectable_fields.js), bound
// here instead of in an inline onchange attribute, which the Content-Security-Policy refuses.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input.select-toggle").forEach((toggle) => {
    toggle.addEventListener("change", onSelectToggleChange);
  });
});
