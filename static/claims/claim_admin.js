/*
 * The claim's admin page (templates/claims/admin_claim_change_form.html). The suggestion buttons (link, dismiss,
 * undo a dismissal) submit the page's form to their own URL, which acts and comes back: edits made in the form
 * and not saved would be lost, so ask first.
 */
"use strict";

(function () {
  const form = document.getElementById("claim_form");
  if (!form) {
    return;
  }
  const ACTIONS = "#suggested-links button[formaction], #dismissed-suggestions button[formaction]";

  function state() {
    const values = new URLSearchParams(new FormData(form));
    values.delete("csrfmiddlewaretoken");
    return values.toString();
  }

  // Taken once the page (and the admin's own widgets) have set their initial values.
  let saved = null;
  window.addEventListener("load", () => {
    saved = state();
  });

  form.addEventListener("click", (event) => {
    const button = event.target.closest(ACTIONS);
    if (!button || saved === null || state() === saved) {
      return;
    }
    const action = button.textContent.trim();
    if (!window.confirm(`You have unsaved changes to this claim. “${action}” leaves this page and loses them.\n\nContinue without saving? (Cancel, then “Save and continue editing”, keeps them.)`)) {
      event.preventDefault();
    }
  });
})();
