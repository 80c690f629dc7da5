"""Split a text into runs so that overlapping and nested claims can all be highlighted.

A run is a stretch of text covered by the same set of claims; HTML cannot nest overlapping
<mark> elements, but it can mark each run with every claim that covers it. A PDF's text is also cut
where each page starts, so that the run there can show the page break.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Run:
    start: int
    end: int
    text: str
    claims: tuple[Any, ...]
    page: int | None = None  # the number of the page that starts here

    @property
    def claim_ids(self) -> str:
        return " ".join(str(c.pk) for c in self.claims)

    @property
    def top(self) -> Any:
        """The claim drawn on top: the one that starts last (the innermost when nested)."""
        return self.claims[-1] if self.claims else None

    @property
    def depth(self) -> int:
        return len(self.claims)


def runs(text: str, claims: Iterable[Any], page_starts: Sequence[int] = ()) -> list[Run]:
    """Cut `text` at every claim boundary and page start; each claim needs `start` and `end` (code points)."""
    ordered: Sequence[Any] = sorted(claims, key=lambda c: (c.start, -c.end, c.pk or 0))
    pages = {start: number for number, start in enumerate(page_starts, start=1) if start < len(text)}
    cuts = sorted({0, len(text), *(c.start for c in ordered), *(c.end for c in ordered), *pages})
    result, active, next_claim = [], [], 0
    for left, right in zip(cuts, cuts[1:], strict=False):
        active = [c for c in active if c.end > left]
        while next_claim < len(ordered) and ordered[next_claim].start <= left:
            if ordered[next_claim].end > left:
                active.append(ordered[next_claim])
            next_claim += 1
        result.append(Run(left, right, text[left:right], tuple(active), pages.get(left)))
    return result
