/*
 * The annotate page (templates/claims/annotate.html): turn a selection of the source text into a
 * claim, open a claim from its highlight, link it to a claim in another source.
 *
 * Offsets are code points, as Python counts them. Each run of the highlighted text carries
 * data-start/data-end in code points; a JavaScript string counts UTF-16 units, in which an emoji
 * is two units, so lengths inside a run are counted with for...of, which walks code points.
 */
"use strict";

(function () {
  const page = document.getElementById("annotate");
  if (!page) {
    return;
  }
  const textBox = document.getElementById("source-text");
  const addButton = document.getElementById("add-claim");
  const addPanel = document.getElementById("add-claim-panel");
  const claimPanel = document.getElementById("claim-panel");
  const statusLine = document.getElementById("editor-status");
  const panelBox = page.querySelector(".annotate-panel");
  const brokenBox = document.getElementById("broken-claims");
  let runs = [];
  let runOf = new Map();

  function codePointLength(text) {
    let n = 0;
    for (const _ of text) {
      n += 1;
    }
    return n;
  }

  function codePointSlice(text, from, to) {
    return Array.from(text).slice(from, to).join("");
  }

  // The HTML parser turns "\r\n" into "\n"; when a run is short by exactly its line breaks, they were CRLF.
  function indexRuns() {
    runs = Array.from(textBox.querySelectorAll("[data-start]"), (element) => {
      const start = Number(element.dataset.start);
      const end = Number(element.dataset.end);
      const shown = element.textContent;
      const missing = end - start - codePointLength(shown);
      const crlf = missing > 0 && missing === shown.split("\n").length - 1;
      return { element, start, end, crlf };
    });
    runOf = new Map(runs.map((run) => [run.element, run]));
  }

  function sourceText(run, shown) {
    return run.crlf ? shown.replace(/\n/g, "\r\n") : shown;
  }

  // The code-point offset in the source text of a DOM position (node, offset) from a selection.
  function offsetAt(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      const run = runOf.get(node.parentElement.closest("[data-start]"));
      if (run) {
        return run.start + codePointLength(sourceText(run, node.data.slice(0, offset)));
      }
    }
    // A position between runs, or outside the text: the start of the first run at or after it.
    const probe = document.createRange();
    probe.setStart(node, offset);
    const next = runs.find((r) => probe.comparePoint(r.element, 0) >= 0);
    return next ? next.start : runs.length ? runs[runs.length - 1].end : 0;
  }

  function textBetween(start, end) {
    return runs
      .filter((r) => r.end > start && r.start < end)
      .map((r) => {
        const shown = sourceText(r, r.element.textContent);
        return codePointSlice(shown, Math.max(start, r.start) - r.start, Math.min(end, r.end) - r.start);
      })
      .join("");
  }

  // The selected span of the source text, without white space at its edges; null when nothing is selected.
  function selectedSpan() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return null;
    }
    const range = selection.getRangeAt(0);
    if (!range.intersectsNode(textBox)) {
      return null;
    }
    let start = offsetAt(range.startContainer, range.startOffset);
    let end = offsetAt(range.endContainer, range.endOffset);
    let quote = textBetween(start, end);
    const trimmedStart = quote.trimStart();
    start += quote.length - trimmedStart.length; // white space is one UTF-16 unit per code point
    quote = trimmedStart.trimEnd();
    end = start + codePointLength(quote);
    return quote ? { start, end, quote } : null;
  }

  function say(message) {
    statusLine.textContent = message;
  }

  // A message the user must notice (said again when repeated): flashed, and brought into view.
  function point(message) {
    statusLine.classList.remove("attention");
    void statusLine.offsetWidth; // restart the flash when the same message is said again
    say(message);
    statusLine.classList.add("attention");
    reveal(statusLine);
  }

  const NOTHING_SELECTED =
    "Nothing is selected: select the words of a claim in the text (with the mouse, or the keyboard after F7), then press a.";

  function show(panel) {
    for (const other of [addPanel, claimPanel]) {
      if (other) {
        other.hidden = other !== panel;
      }
    }
    panelBox.scrollTop = 0;
  }

  // Bring an element into view inside the panel's own scroll box; the page itself does not move.
  function reveal(element) {
    const box = element.getBoundingClientRect();
    const frame = panelBox.getBoundingClientRect();
    const top = Math.max(frame.top, 0);
    const bottom = Math.min(frame.bottom, window.innerHeight);
    if (box.top < top) {
      panelBox.scrollTop -= top - box.top;
    } else if (box.bottom > bottom) {
      panelBox.scrollTop += Math.min(box.bottom - bottom, box.top - top);
    }
  }

  // The first field to type in; a select2 widget is focused through the box it draws.
  function firstField(form) {
    const field = form.querySelector(
      "input:not([type=hidden]):not([readonly]):not([disabled]), select:not([disabled]), textarea:not([readonly]):not([disabled])",
    );
    const drawn = field && field.classList.contains("select2-hidden-accessible") && field.nextElementSibling;
    return (drawn && drawn.querySelector(".select2-selection")) || field;
  }

  function fillSpan(form, span) {
    form.elements.quote.value = span.quote;
    form.querySelector("[data-quote-display]").textContent = span.quote;
    form.elements.start.value = span.start;
    form.elements.end.value = span.end;
    const label = form.querySelector("[data-span-label]");
    if (label) {
      label.textContent = `Characters ${span.start}–${span.end} of the text.`;
    }
  }

  function openAddForm() {
    if (!addPanel) {
      return;
    }
    const span = selectedSpan();
    if (!span) {
      point(NOTHING_SELECTED);
      return;
    }
    const form = addPanel.querySelector("form");
    fillSpan(form, span);
    show(addPanel);
    say("");
    const field = firstField(form);
    if (field) {
      field.focus({ preventScroll: true });
      reveal(field);
    }
    page.dispatchEvent(new CustomEvent("claim-form-open", { detail: span }));
  }

  // The admin's select2 speaker autocomplete, for forms swapped in after the page loaded.
  function initWidgets(root) {
    const $ = window.django && window.django.jQuery;
    if ($ && $.fn.djangoAdminSelect2) {
      $(root).find(".admin-autocomplete").djangoAdminSelect2();
    }
  }

  function swapText(html, claimId) {
    const x = window.scrollX;
    const y = window.scrollY;
    textBox.innerHTML = html;
    indexRuns();
    window.scrollTo(x, y);
    if (claimId) {
      for (const mark of textBox.querySelectorAll("mark[data-claims]")) {
        if (mark.dataset.claims.split(" ").includes(String(claimId))) {
          mark.classList.add("just-saved");
        }
      }
    }
  }

  function swapPanel(panel, html) {
    panel.innerHTML = html;
    initWidgets(panel);
    loadSuggestions(panel);
  }

  // A claim's suggested links come after its panel (they take longest to find): fill the slot left for them.
  async function loadSuggestions(panel) {
    const slot = panel && panel.querySelector(".suggestions-slot");
    if (!slot || !slot.querySelector(".suggestions-loading")) {
      return;
    }
    const response = await fetchFragment(slot.dataset.suggestionsUrl);
    if (response && response.ok && slot.isConnected) {
      slot.innerHTML = await response.text();
    } else if (slot.isConnected) {
      slot.querySelector(".suggestions-loading").textContent = "Suggestions could not be loaded.";
    }
  }

  function showAlsoHere(ids) {
    if (ids.length < 2) {
      return;
    }
    const note = document.createElement("p");
    note.className = "also-here";
    note.append("This passage is in more than one claim: ");
    for (const id of ids) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button open-claim";
      button.dataset.claim = id;
      button.textContent = `#${id}`;
      note.append(button, " ");
    }
    claimPanel.prepend(note);
  }

  // GET an HTML fragment; null (and a message) when the server cannot be reached.
  async function fetchFragment(url) {
    try {
      return await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    } catch {
      say("The server could not be reached. Try again.");
      return null;
    }
  }

  async function openClaim(id, alsoHere = []) {
    const response = await fetchFragment(page.dataset.claimUrl.replace(/0\/$/, `${id}/`));
    if (!response) {
      return;
    }
    if (!response.ok) {
      say(`Could not open claim #${id} (${response.status}).`);
      return;
    }
    swapPanel(claimPanel, await response.text());
    showAlsoHere(alsoHere);
    show(claimPanel);
    claimPanel.querySelector("#claim-heading").focus({ preventScroll: true });
  }

  // A button with its own formaction (a suggestion's "corroborates", "contradicts", "dismiss") sends the form there.
  async function submitForm(form, submitter) {
    if (form.dataset.busy) {
      return; // a second click while the first save is on its way
    }
    form.dataset.busy = "yes";
    const action = submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
    let response;
    try {
      // Sent URL-encoded: a multipart body would turn the quote's line breaks into "\r\n".
      response = await fetch(action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      say("Not saved: the server could not be reached. Try again.");
      return;
    } finally {
      delete form.dataset.busy;
    }
    let data;
    try {
      data = await response.json();
    } catch {
      say(
        response.redirected
          ? "Not saved: you are logged out. Log in again in another tab, then save again."
          : `Not saved: the server answered ${response.status}.`,
      );
      return;
    }
    if (data.text) {
      swapText(data.text, data.claim);
    }
    if (data.add_form) {
      swapPanel(addPanel, data.add_form);
    }
    if (data.panel) {
      swapPanel(claimPanel, data.panel);
    }
    if (data.broken !== undefined && brokenBox) {
      brokenBox.innerHTML = data.broken;
    }
    if (!response.ok) {
      say("Not saved: see the errors in the form.");
      const shown = data.add_form ? addPanel : claimPanel;
      show(shown);
      const alert = shown.querySelector("[role=alert]");
      if (alert) {
        reveal(alert);
      }
      return;
    }
    show(claimPanel);
    say(data.message || (data.text ? `Claim #${data.claim} saved.` : "Link saved."));
    if (form.matches(".suggestion-form")) {
      // The pressed button is gone with its suggestion: keep the keyboard, and the panel's scroll, at the list.
      const heading = claimPanel.querySelector("#suggestions-heading");
      if (heading) {
        heading.focus({ preventScroll: true });
        const frameTop = Math.max(panelBox.getBoundingClientRect().top, 0);
        panelBox.scrollTop += heading.getBoundingClientRect().top - frameTop;
      }
    }
  }

  // One step for a claim whose anchor broke: open it, put the selected words in its form, save through that form.
  async function reanchor(id) {
    const span = selectedSpan();
    if (!span) {
      point("Nothing is selected: select the claim's words in the text, then choose “Re-anchor to the selected words”.");
      return;
    }
    await openClaim(id);
    const form = claimPanel.querySelector("#claim-form");
    const opened = claimPanel.querySelector(".claim-panel");
    if (!form || !opened || opened.dataset.claim !== String(id)) {
      return;
    }
    fillSpan(form, span);
    await submitForm(form, null);
  }

  async function searchLinks(form) {
    const params = new URLSearchParams();
    for (const name of ["words", "speaker", "date"]) {
      params.set(name, form.elements[name].value);
    }
    const response = await fetchFragment(`${form.dataset.searchUrl}?${params}`);
    if (response) {
      form.querySelector(".link-results").innerHTML = await response.text();
    }
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable], .select2-container");
  }

  textBox.addEventListener("click", (event) => {
    const mark = event.target.closest("mark[data-claims]");
    if (mark && window.getSelection().isCollapsed) {
      const ids = mark.dataset.claims.split(" ");
      openClaim(ids[ids.length - 1], ids);
    }
  });

  textBox.addEventListener("keydown", (event) => {
    const mark = event.target.closest("mark[data-claims]");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      const ids = mark.dataset.claims.split(" ");
      openClaim(ids[ids.length - 1], ids);
    }
  });

  document.addEventListener("keydown", (event) => {
    const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
    if (plain && (event.key === "a" || event.key === "A") && !typing(event.target)) {
      event.preventDefault();
      openAddForm();
    } else if (event.key === "Escape" && !document.querySelector(".select2-container--open")) {
      // Esc closes the open form (a speaker list that is open closes first, by select2's own Esc).
      const open = [addPanel, claimPanel].find((panel) => panel && !panel.hidden);
      if (open) {
        show(null);
        say(open === addPanel ? "New claim closed; nothing was saved." : "");
        (addButton || textBox).focus({ preventScroll: true });
      }
    }
  });

  if (addButton) {
    addButton.addEventListener("click", openAddForm);
  }

  // Keep the text selection: a mouse press on these buttons would otherwise clear it.
  page.addEventListener("mousedown", (event) => {
    if (event.target.closest("#add-claim, .editor-take-selection, .editor-reanchor")) {
      event.preventDefault();
    }
  });

  page.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("[data-editor-form]")) {
      event.preventDefault();
      submitForm(form, event.submitter);
    }
  });

  page.addEventListener("click", (event) => {
    const target = event.target;
    if (target.closest(".editor-cancel")) {
      show(null);
    } else if (target.closest(".editor-reanchor")) {
      reanchor(target.closest(".editor-reanchor").dataset.claim);
    } else if (target.closest(".open-claim")) {
      const opener = target.closest(".open-claim");
      event.preventDefault(); // a link (as in "already annotated as claim #18") opens the claim here
      // The "more than one claim here" buttons offer each other again; other openers open one claim.
      const ids = opener.closest(".also-here")
        ? Array.from(claimPanel.querySelectorAll(".also-here .open-claim"), (b) => b.dataset.claim)
        : [];
      openClaim(opener.dataset.claim, ids);
    } else if (target.closest(".link-search-button")) {
      searchLinks(target.closest("form"));
    } else if (target.closest(".editor-take-selection")) {
      const span = selectedSpan();
      if (span) {
        fillSpan(target.closest("form"), span);
        say(`Quote set to characters ${span.start}–${span.end}; save to keep it.`);
      } else {
        say("Select words in the text first.");
      }
    }
  });

  // Enter in a search box searches instead of saving the link.
  page.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.closest(".link-search input")) {
      event.preventDefault();
      searchLinks(event.target.closest("form"));
    }
  });

  // Opened at a claim (`?claim=ID`, the claim list's "annotate" link): bring its highlight into view.
  function showOpenedClaim() {
    const opened = claimPanel.querySelector(".claim-panel");
    if (!opened) {
      return;
    }
    const mark = Array.from(textBox.querySelectorAll("mark[data-claims]")).find((m) =>
      m.dataset.claims.split(" ").includes(opened.dataset.claim),
    );
    if (mark) {
      mark.scrollIntoView({ block: "center" });
    }
  }

  indexRuns();
  loadSuggestions(claimPanel);
  showOpenedClaim();
})();
