"""What suggestions learn from the team's own decisions: the links people accept and the suggestions they
dismiss (per database, until there are projects).

- Word associations, as in word alignment: every accepted link counts each word of one claim that the other
  lacks against each word of the other that the first lacks ("achieved nothing" / "has not come to pass"),
  and each word they share; a dismissed pair counts against the associations it shows and the words it
  shared. An association counts for ranking once its links outnumber its dismissals by MIN_LINKS: one pair
  is chance, two is a pattern.
- Weights: each signal of a suggestion (names, dates, rarity-weighted shared words, speaker, learned
  associations, ...) is recorded with every decision, and a logistic regression (scikit-learn) fitted to the
  accepted against the dismissed gives the signals' weights; refitted REFIT_EVERY decisions and by
  `manage.py refit_suggestions`. Until the first fit the ranker is the hand-set one (suggestions.WEIGHTS).
"""

import numpy as np
from django.db import transaction
from django.db.models import F, Q
from sklearn.linear_model import LogisticRegression

from claims.models import Claim, DismissedSuggestion, RankerFit, SuggestionDecision, WordAssociation

REFIT_EVERY = 25  # decisions before the first fit, and between refits
MIN_LINKS = 2  # links, less dismissals, before an association counts
FITTED = ("static", "association", "dismissed")  # the hand-set ranking key, and what is learned


def fitted_weights() -> dict[str, float] | None:
    """The latest fitted weights, or None before the first fit or while nothing learned counts (one query)."""
    weights = RankerFit.objects.order_by("-fitted_at", "-pk").values_list("weights", flat=True).first()
    return weights if weights and any(weights[name] for name in FITTED[1:]) else None


class Learned:
    """What the team's decisions say about one claim's words: their associations (one query); and, once
    read_dismissals() is called, how often each candidate was dismissed for other claims."""

    def __init__(self, claim_id: int, keys: set[str]):
        counted = Q(links__gte=F("dismissals") + MIN_LINKS) & ~Q(first=F("second"))
        rows = WordAssociation.objects.filter(Q(first__in=keys) | Q(second__in=keys), counted)
        self.counts = {(r.first, r.second): (r.links, r.dismissals) for r in rows.only(*COUNT_FIELDS)}
        self.keys = keys
        self.claim_id = claim_id
        self.dismissed: dict[int, int] = {}

    def read_dismissals(self, ids: list[int]) -> None:
        """How many times each of these claims was dismissed as a suggestion for a claim other than this one
        (one query): a claim suggested for everything and always dismissed is probably not about this one."""
        pairs = DismissedSuggestion.objects.filter(Q(claim__in=ids) | Q(suggested__in=ids))
        pairs = pairs.exclude(Q(claim=self.claim_id) | Q(suggested=self.claim_id)).values_list("claim", "suggested")
        wanted = set(ids)
        for pk in (pk for pair in pairs for pk in pair if pk in wanted):
            self.dismissed[pk] = self.dismissed.get(pk, 0) + 1

    def linked(self, a: str, b: str) -> int:
        """How many accepted links joined these two different words, when the association counts; else 0."""
        links, dismissals = self.counts.get((min(a, b), max(a, b)), (0, 0))
        return links if a != b and links >= dismissals + MIN_LINKS else 0

    def partners(self) -> set[str]:
        """The words the claim's words have been linked to: what its paraphrases say instead."""
        return {w for pair in self.counts for w in pair if pair[0] != pair[1] and self.linked(*pair)} - self.keys


COUNT_FIELDS = ("first", "second", "links", "dismissals")


@transaction.atomic
def record_decision(
    *, claim: Claim, suggested: Claim, accepted: bool, signals: dict[str, float], words: set[str], other_words: set[str]
) -> SuggestionDecision:
    """Record a decision on a pair, with its signals and the two claims' words (as stems); count its
    associations; and refit once REFIT_EVERY decisions have come since the last fit (after the commit)."""
    decision = SuggestionDecision.objects.create(claim=claim, suggested=suggested, accepted=accepted, signals=signals)
    pairs = {(min(a, b), max(a, b)) for a in words - other_words for b in other_words - words}
    shared = {(w, w) for w in words & other_words}
    firsts, seconds = {p[0] for p in pairs | shared}, {p[1] for p in pairs | shared}
    rows = WordAssociation.objects.select_for_update().filter(first__in=firsts, second__in=seconds)
    known = {(r.first, r.second): r for r in rows if (r.first, r.second) in pairs | shared}
    for row in known.values():
        setattr(row, "links" if accepted else "dismissals", getattr(row, "links" if accepted else "dismissals") + 1)
    WordAssociation.objects.bulk_update(known.values(), ["links", "dismissals"])
    # A dismissal only counts against associations that exist; a shared word it counts whatever.
    new = (pairs | shared if accepted else shared) - known.keys()
    count = {"links": 1} if accepted else {"dismissals": 1}
    WordAssociation.objects.bulk_create(
        [WordAssociation(first=a, second=b, **count) for a, b in sorted(new)], ignore_conflicts=True
    )
    decided = SuggestionDecision.objects.count()
    last = RankerFit.objects.order_by("-fitted_at", "-pk").values_list("decisions", flat=True).first() or 0
    if decided - last >= REFIT_EVERY:
        transaction.on_commit(refit)
    return decision


def refit() -> RankerFit | None:
    """Fit how much the learned signals count against the hand-set score (a logistic regression of accepted
    against dismissed, on standardised signals); None while there are no decisions of both kinds.

    The weights are read as a share of the hand-set score's: an association that accepted pairs show more
    than dismissed ones adds to it, a misleading shared word takes from it. The hand-set signals are not
    weighed one by one: fitted to the suggestions shown (all of them alike on names and dates), that put
    the partners a suggestion was not shown for further down (benchmarks/learning.py, tuning half).
    """
    rows = list(SuggestionDecision.objects.values_list("accepted", "signals"))
    accepted = [a for a, _ in rows]
    if len(set(accepted)) < 2:
        return None
    x = np.array([[signals.get(name, 0.0) for name in FITTED] for _, signals in rows])
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(x / scale, accepted)
    static, association, dismissed = (model.coef_[0] / scale).tolist()
    weights = {"static": 1.0, "association": 0.0, "dismissed": 0.0}
    if static > 0:
        weights.update(association=max(0.0, association / static), dismissed=min(0.0, dismissed / static))
    return RankerFit.objects.create(decisions=len(rows), weights=weights)
