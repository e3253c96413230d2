// The admin's autocomplete (Select2) announces a choice through jQuery alone; the
// fact preview (htmx) listens for native events, so pass the change on.
window.addEventListener("load", () => {
  const jQuery = window.django && window.django.jQuery;
  if (!jQuery) return;
  jQuery(document).on("select2:select select2:clear", (event) => {
    event.target.dispatchEvent(new Event("change", { bubbles: true }));
  });
});
