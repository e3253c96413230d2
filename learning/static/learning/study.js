// Keyboard study: number keys choose options (and a letter key the option of that
// letter, on a figure's lettered regions), Enter checks; after feedback,
// 1-4 rate (2 Hard, 3 Good, 4 Easy) and Space or Enter takes Good or Next;
// u or Ctrl+Z undoes the latest answer, - buries and @ suspends the question.
// Everything works without this file too: it only adds keys.
(function () {
  "use strict";
  function typing(target) {
    return target.matches("input[type=text], input[type=search], textarea, select, [contenteditable]");
  }
  function submit(form, name, value) {
    var button = value ? form.querySelector('[name="' + name + '"][value="' + value + '"]') : form.querySelector("button[type=submit]");
    // A key pressed the instant a form was swapped in must still go through htmx.
    if (window.htmx) window.htmx.process(form);
    if (button) button.click();
  }
  document.addEventListener("keydown", function (event) {
    var study = document.getElementById("study");
    if (!study) return;
    var inForm = event.target.closest && event.target.closest("[data-report], [data-note]");
    // Undo the latest answer: u, or Ctrl+Z / Cmd+Z outside a text field.
    var undo = study.querySelector("form[data-undo]");
    if (undo && !inForm && !typing(event.target) && !event.altKey &&
        ((event.key === "z" && (event.ctrlKey || event.metaKey)) || (event.key === "u" && !event.ctrlKey && !event.metaKey))) {
      event.preventDefault();
      submit(undo);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Keys inside the "Report a problem" and note forms belong to the forms.
    if (inForm) return;
    // Bury (-) or suspend (@) the question on screen, as in Anki.
    var hold = study.querySelector("form[data-hold]");
    if (hold && !typing(event.target) && (event.key === "-" || event.key === "@")) {
      event.preventDefault();
      submit(hold, "action", event.key === "-" ? "bury" : "suspend");
      return;
    }
    var rating = study.querySelector("form[data-rating]");
    var next = study.querySelector("[data-next]");
    var answer = study.querySelector("form[data-answer]");
    var key = event.key;
    if (rating && !typing(event.target)) {
      var button = null;
      if (key >= "1" && key <= "4") button = rating.querySelector('[data-rate="' + key + '"]');
      else if ((key === " " || key === "Enter") && !event.target.matches("button")) button = rating.querySelector('[data-rate="3"]');
      if (button) { event.preventDefault(); button.click(); }
      return;
    }
    if (next && (key === " " || key === "Enter" || key === "1") && event.target !== next) {
      event.preventDefault();
      next.click();
      return;
    }
    if (!answer || typing(event.target)) return;
    var option = null;
    if (key >= "1" && key <= "9") {
      option = answer.querySelectorAll("input[type=radio], input[type=checkbox]")[Number(key) - 1];
    } else if (key.length === 1 && /[a-z]/i.test(key)) {
      option = answer.querySelector('label[data-key="' + key.toLowerCase() + '"] input');
    }
    if (option) {
      event.preventDefault();
      if (option.type === "radio") option.checked = true; else option.checked = !option.checked;
      option.focus();
    } else if (key === "Enter" && event.target.matches("input[type=radio], input[type=checkbox], body")) {
      event.preventDefault();
      if (window.htmx) window.htmx.process(answer);  // as in submit(): a form just swapped in
      answer.requestSubmit();
    }
  });
  // Put the keyboard where it is needed: on the first answer field, or on Good / Next.
  function focusStudy() {
    var study = document.getElementById("study");
    if (!study) return;
    var target = study.querySelector("[autofocus]") ||
      study.querySelector("form[data-answer] select, form[data-answer] input[type=text]");
    if (target && document.activeElement !== target) target.focus();
  }
  document.addEventListener("htmx:afterSettle", focusStudy);
  document.addEventListener("DOMContentLoaded", focusStudy);
})();
