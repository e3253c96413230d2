// Names the admin's widgets leave out.
// - The autocomplete (Select2) names its box after the choice it shows, so an empty box has
//   no name at all and a full one is read without its field: name each box after its
//   field's label, as a plain select is. Rows added to an inline get theirs too.
// - The two-list chooser labels its filter boxes with an icon whose aria-label a plain
//   span may not carry: make the icon an image, which may.
// - Long filter lists are folded until opened (below).
(() => {
  "use strict";
  function nameWidgets(root) {
    root.querySelectorAll(".select2-selection[role=combobox]").forEach((box) => {
      const container = box.closest(".select2-container");
      const select = container && container.previousElementSibling;
      if (!select || !select.id) return;
      const label = document.querySelector(`label[for="${select.id}"]`);
      if (!label) return;
      if (!label.id) label.id = `${select.id}-label`;
      const shown = box.querySelector(".select2-selection__rendered");
      box.setAttribute("aria-labelledby", shown && shown.id ? `${label.id} ${shown.id}` : label.id);
      if (shown) {
        // Read as the combobox's value, not as a text box of its own.
        shown.removeAttribute("role");
        shown.removeAttribute("aria-readonly");
      }
    });
    root.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach((icon) => {
      icon.setAttribute("role", "img");
    });
  }
  // A list's filters come before its search box and results, in the order of the keys:
  // long filter lists (relations, sources, kinds ...) start folded, so the keyboard reaches
  // the search without passing a hundred links. A list with a choice made stays open, and
  // what the editor opens or folds is remembered (the admin's own filters.js keeps it).
  function foldLongFilters() {
    const saved = JSON.parse(sessionStorage.getItem("django.admin.filtersState") || "{}");
    document.querySelectorAll("#changelist-filter details[data-filter-title]").forEach((list) => {
      if (list.dataset.filterTitle in saved) return;
      const chosen = list.querySelector("li.selected:not(:first-child)"); // the first is "All"
      if (list.querySelectorAll("li").length > 8 && !chosen) list.removeAttribute("open");
    });
  }
  document.addEventListener("DOMContentLoaded", foldLongFilters);
  // After the admin's own load handlers have made their widgets.
  window.addEventListener("load", () => setTimeout(() => nameWidgets(document), 0));
  document.addEventListener("formset:added", (event) => {
    setTimeout(() => nameWidgets(event.target), 0);
  });
})();
