// Provenance page: hovering or focusing a highlighted claim shows its card
// (speaker, date, corroboration count). Nested and overlapping runs list every claim
// that covers them in data-claims, so a run shows one card per claim.
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

  document.addEventListener("DOMContentLoaded", function () {
    var text = document.querySelector("#text .highlighted-text");
    if (!text) return;
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
