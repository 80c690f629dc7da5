// Provenance page: hovering or focusing a highlighted claim shows its card
// (speaker, date, corroboration count). Nested and overlapping runs list every claim
// that covers them in data-claims, so a run shows one card per claim. The cards are
// built from the claims table, which already holds what they show, so the server
// sends each fact once.
(function () {
  "use strict";
  var shown = [];

  function cardsFor(mark) {
    return (mark.dataset.claims || "")
      .split(" ")
      .map(function (id) { return document.getElementById("claim-card-" + id); })
      .filter(Boolean);
  }

  function hide() {
    shown.forEach(function (card) { card.hidden = true; });
    shown = [];
  }

  function show(mark) {
    hide();
    var rect = mark.getBoundingClientRect();
    var top = rect.bottom + window.scrollY + 4;
    cardsFor(mark).forEach(function (card) {
      card.hidden = false;
      card.style.left = rect.left + window.scrollX + "px";
      card.style.top = top + "px";
      top += card.offsetHeight + 4;
      shown.push(card);
    });
  }

  function markOf(event) {
    return event.target.closest ? event.target.closest("mark.claim") : null;
  }

  function line(className, text) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  function buildCards() {
    var holder = document.getElementById("claim-cards");
    document.querySelectorAll("#claims tr[id^='claim-']").forEach(function (row) {
      var cell = function (name) { return row.querySelector("td." + name).textContent.trim(); };
      var count = Number(cell("corroborations"));
      var card = document.createElement("div");
      card.className = "claim-card";
      card.id = "claim-card-" + row.id.slice("claim-".length);
      card.setAttribute("role", "tooltip");
      card.hidden = true;
      var quote = document.createElement("strong");
      quote.textContent = cell("quote");
      card.append(
        quote,
        line("card-speaker", "Speaker: " + cell("speaker")),
        line("card-date", "Date: " + cell("date")),
        line(
          "card-corroborations",
          "Corroborated by " + count + (count === 1 ? " source" : " sources") +
            ", " + cell("independent-voices") + " independent"
        )
      );
      holder.append(card);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var text = document.querySelector("#text .highlighted-text");
    if (!text) return;
    buildCards();
    text.querySelectorAll("mark.claim").forEach(function (mark) {
      var ids = (mark.dataset.claims || "").split(" ").map(function (id) { return "claim-card-" + id; });
      mark.setAttribute("aria-describedby", ids.join(" "));
    });
    text.addEventListener("mouseover", function (event) { var m = markOf(event); if (m) show(m); });
    text.addEventListener("mouseout", function (event) { if (markOf(event)) hide(); });
    text.addEventListener("focusin", function (event) { var m = markOf(event); if (m) show(m); });
    text.addEventListener("focusout", hide);
    document.addEventListener("keydown", function (event) { if (event.key === "Escape") hide(); });
  });
})();
