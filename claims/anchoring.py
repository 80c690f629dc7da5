"""Finding a claim's quote again when its source's text changes.

A claim's anchor *holds* when the quote still stands at its offsets, *moves* when the quote is
found elsewhere and its surrounding context says which occurrence it is, and *breaks* otherwise:
a broken claim keeps its old offsets and is flagged for review, never moved by guesswork.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from claims.rules import StaleVersion, take_next_versions
from common.history import bulk_history
from sources.models import Capture, occurrences, stands_at

CONTEXT = 80  # characters of context compared on each side of the quote
MIN_CONTEXT = 12  # context characters that must agree before a short quote is moved
LONG_QUOTE = 40  # a quote this long that occurs once is itself context enough


@dataclass(frozen=True)
class Relocation:
    state: str  # "held", "moved" or "broken"
    start: int
    reason: str = ""


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _context_score(old_text: str, old_start: int, quote: str, new_text: str, new_start: int) -> int:
    """How many characters of context around the quote agree between the old and the new text."""
    old_end, new_end = old_start + len(quote), new_start + len(quote)
    before = _common_prefix(
        old_text[max(0, old_start - CONTEXT) : old_start][::-1], new_text[max(0, new_start - CONTEXT) : new_start][::-1]
    )
    after = _common_prefix(old_text[old_end : old_end + CONTEXT], new_text[new_end : new_end + CONTEXT])
    return before + after


def relocate(*, quote: str, start: int, old_text: str, new_text: str) -> Relocation:
    """Where the quote that stood at `start` in `old_text` stands in `new_text`, if anywhere."""
    if stands_at(quote, new_text, start):
        return Relocation("held", start)
    found = occurrences(quote, new_text)
    if not found:
        return Relocation("broken", start, "the quote no longer occurs in the text")
    scored = sorted(((_context_score(old_text, start, quote, new_text, at), at) for at in found), reverse=True)
    best_score, best_at = scored[0]
    if len(scored) > 1 and scored[1][0] == best_score:
        return Relocation("broken", start, f"the quote occurs {len(found)} times and its context fits none best")
    if best_score < MIN_CONTEXT and not (len(found) == 1 and len(quote) >= LONG_QUOTE):
        return Relocation("broken", start, "the quote occurs, but not in its old context")
    return Relocation("moved", best_at)


@transaction.atomic
def reanchor_claims(*, source, old_text: str) -> list[dict]:
    """Follow every claim of the source from its old text to its new one; one report row per claim."""
    # Locked, so that no edit lands between reading a claim's offsets and moving them.
    claims = list(source.claims.order_by("pk").select_for_update())
    report, changed = [], []
    for claim in claims:
        before = [claim.start, claim.end]
        found = claim.reanchor(old_text=old_text, new_text=source.text)
        report.append(
            {
                "claim": claim.pk,
                "quote": claim.excerpt,
                "state": found.state,
                "from": before,
                "to": [claim.start, claim.end],
                "reason": found.reason,
            }
        )
        claim.updated_at = timezone.now()
        changed.append(claim)
    # Every claim re-anchored takes a new version: an edit form opened before must not save its old offsets.
    if take_next_versions(changed):
        raise StaleVersion
    if changed:
        model = source.claims.model
        model.objects.bulk_update(changed, ["start", "end", "anchor_state", "version", "updated_at"])
        bulk_history(model, changed, reason=reanchored_reason(source))
    return report


def reanchored_reason(source) -> str:
    """The history's reason for a claim followed to its source's new text."""
    return f"Re-anchored after a new capture of “{source.title}” (source #{source.pk})"


def reanchor_on_new_text(sender, *, source, old_text: str, **kwargs) -> list[dict]:
    """Receiver of sources.signals.text_replaced: the claims follow their source to its new text."""
    return reanchor_claims(source=source, old_text=old_text)


def anchoring_capture(claim, captures: list[Capture]) -> Capture | None:
    """The capture whose clean text holds the claim's quote at its offsets: the newest such (`captures` newest
    first, with their clean text). Whatever last changed the anchor (a new capture, the re-anchor button, a new
    quote), this is the capture the words are in; a broken claim's is the last capture where it held."""
    for capture in captures:
        if capture.clean_text[claim.start : claim.end] == claim.quote:
            return capture
    return None
