"""What suggestions learn from the team's own decisions: the links people accept and the suggestions they
dismiss, each project from its own (a decision in one project changes no other's ranking).

- Word associations, as in word alignment: every accepted link counts each word of one claim that the other
  lacks against each word of the other that the first lacks ("achieved nothing" / "has not come to pass");
  a dismissed pair counts against the associations it shows. An association counts once its links outnumber
  its dismissals by MIN_LINKS (one pair is chance). It brings claims using the associated words in, after the
  hand-set suggestions, with a reason naming both words as the claims write them.
- Weights: every decision is recorded with the pair's signals as the ranker saw them, and a logistic
  regression (scikit-learn) of accepted against dismissed weighs the associations against the hand-set
  ranking key, from a prior that the decisions outweigh as they show each signal; refitted every REFIT_EVERY
  decisions (after the decision's commit) and by `manage.py refit_suggestions`. Until the first fit the ranker
  is exactly the hand-set one.
"""

import functools

from django.db import transaction
from django.db.models import Count, F, Max, Q, Subquery

from claims.models import Claim, RankerFit, SuggestionDecision, WordAssociation
from common.projects import project_of, project_or_sole

REFIT_EVERY = 25  # decisions before the first fit, and between refits
MIN_LINKS = 2  # links, less dismissals, before an association counts
FITTED = ("static", "association", "linked_partner")  # the hand-set ranking key, and what is learned
# What a learned signal weighs, as a share of the hand-set key's, before decisions show it; a fit moves its weight
# from there to what the decisions show, as if the prior were PRIOR_DECISIONS decisions showing the signal. Chosen on
# the tuning half (benchmarks/learning.py, SQLite / PostgreSQL recall@5: with no prior 0.486 / 0.417, association
# 1 0.500 / 0.457, 2 0.529 / 0.429, 3 0.514 / -; PRIOR_DECISIONS 5 0.500, 20 0.529).
PRIOR = {"association": 2.0, "linked_partner": 6.0}
PRIOR_DECISIONS = 20
# Tried on the tuning half and left out, none raising its learning recall@5 (0.529, 18/34; benchmarks/learning.py
# --try): how often a candidate was dismissed for other claims (0.26-0.50); the score, against this claim, of a claim
# linked to the candidate (0.43-0.49); the candidate's score against the claims already linked to this one, or its
# dismissal for them (0.529 at any weight: at a claim's turn its partners are seldom linked yet); shared words weighed
# by how often pairs sharing them were linked (0.44-0.50; only ever lowered, 0.43-0.44 against 0.545 once dates chose
# candidates); associations weighed by rarity (0.50-0.53); MIN_LINKS 1 (0.500) or 3 (0.457); the hand-set signals
# refitted one by one, from their weights as prior (0.44-0.53).


def project_id(project) -> int:
    """A project's id, from a Project, an id, or None for the server's only project."""
    project = project_or_sole(project)
    return project if isinstance(project, int) else project.pk


def fitted_weights(project=None) -> dict[str, float] | None:
    """The project's latest fitted weights, or None before its first fit or while nothing learned counts (one
    query). `project`: a Project or its id (the server's only one when None)."""
    fits = RankerFit.objects.in_project(project_id(project))
    weights = fits.order_by("-fitted_at", "-pk").values_list("weights", flat=True).first()
    return weights if weights and any(weights.get(name) for name in FITTED[1:]) else None


class Learned:
    """What the team's links in one project say about one claim's words: their associations (one query)."""

    def __init__(self, keys: set[str], project=None):
        counted = Q(links__gte=F("dismissals") + MIN_LINKS)
        associations = WordAssociation.objects.in_project(project_id(project))
        rows = associations.filter(Q(first__in=keys) | Q(second__in=keys), counted)
        self.counts = {(a, b): (n, d) for a, b, n, d in rows.values_list("first", "second", "links", "dismissals")}
        self.keys = keys
        # Each word's associated words and their links: a candidate looks up its own words, not every pair of words.
        self.associated: dict[str, dict[str, int]] = {}
        for (a, b), (links, _) in self.counts.items():
            self.associated.setdefault(a, {})[b] = links
            self.associated.setdefault(b, {})[a] = links

    def linked(self, a: str, b: str) -> int:
        """How many accepted links joined these two different words, when the association counts; else 0."""
        return self.associated.get(a, {}).get(b, 0)

    def links_to(self, word: str, others: set[str]) -> dict[str, int]:
        """The words among `others` that this word's association counts with, and their links."""
        return {other: links for other, links in self.associated.get(word, {}).items() if other in others}

    def partners(self) -> list[str]:
        """The words the claim's words have been linked to, most often first: what its paraphrases say instead."""
        ordered = sorted(self.counts, key=lambda pair: (-self.counts[pair][0], pair))
        return [word for word in dict.fromkeys(w for pair in ordered for w in pair) if word not in self.keys]


@transaction.atomic(savepoint=False)
def record_decision(
    *, claim: Claim, suggested: Claim, accepted: bool, signals: dict[str, float], words: set[str], other_words: set[str]
) -> SuggestionDecision:
    """Record a decision on a pair, with its signals; count the associations of the two claims' words (as
    stems) in the claims' project; and refit that project once REFIT_EVERY decisions have come since its last fit
    (after the commit). Four queries: the counts go up in the database (links + 1), so two decisions at once both
    count."""
    project = project_of(claim)
    decision = SuggestionDecision.objects.create(claim=claim, suggested=suggested, accepted=accepted, signals=signals)
    mine, theirs = words - other_words, other_words - words
    if accepted:  # a dismissal only counts against associations already made
        pairs = {(min(a, b), max(a, b)) for a in mine for b in theirs}
        WordAssociation.objects.bulk_create(
            [WordAssociation(project_id=project, first=a, second=b) for a, b in sorted(pairs)], ignore_conflicts=True
        )
    # The words only one claim has, against those only the other has: in either order, as first < second.
    shown = Q(first__in=mine, second__in=theirs) | Q(first__in=theirs, second__in=mine)
    counted = "links" if accepted else "dismissals"
    WordAssociation.objects.in_project(project).filter(shown).update(**{counted: F(counted) + 1})
    last_fit = RankerFit.objects.in_project(project).order_by("-fitted_at", "-pk").values("decisions")[:1]
    decisions = SuggestionDecision.objects.in_project(project)
    so_far = decisions.aggregate(decided=Count("pk"), last=Max(Subquery(last_fit)))
    if so_far["decided"] - (so_far["last"] or 0) >= REFIT_EVERY:
        transaction.on_commit(functools.partial(refit, project))
    return decision


def refit(project=None) -> RankerFit | None:
    """Fit how much the learned signals count against the hand-set ranking key in one project (a Project or its
    id; the server's only one when None), from its decisions: a logistic regression of accepted against
    dismissed, on standardised signals; None while there are no decisions of both kinds.

    The weight is read as a share of the hand-set key's, and an association can only add. A few decisions
    showing a learned signal say little (one dismissed look-alike linked to a partner would set its weight to 0):
    each weight starts at its PRIOR and moves to the fitted one as more decisions show the signal. The hand-set
    signals are not weighed one by one: fitted to the suggestions shown (all alike on names and dates), that ranked
    partners lower (benchmarks/learning.py, tuning half: recall 0.24-0.29 against 0.41).
    """
    project = project_id(project)
    rows = list(SuggestionDecision.objects.in_project(project).values_list("accepted", "signals"))
    accepted = [a for a, _ in rows]
    if len(set(accepted)) < 2:
        return None
    import numpy as np  # imported here, as scikit-learn below: only a refit pays for it

    x = np.array([[signals.get(name, 0.0) for name in FITTED] for _, signals in rows])
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    from sklearn.linear_model import LogisticRegression  # imported here: seconds that only a refit should pay

    model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(x / scale, accepted)
    static, *learned = (model.coef_[0] / scale).tolist()
    shown = np.count_nonzero(x, axis=0).tolist()[1:]  # the decisions that showed each learned signal
    weights = {"static": 1.0} | {
        name: from_prior(PRIOR[name], max(0.0, weight / static) if static > 0 else 0.0, n)
        for name, weight, n in zip(FITTED[1:], learned, shown, strict=True)
    }
    return RankerFit.objects.create(project_id=project, decisions=len(rows), weights=weights)


def from_prior(prior: float, fitted: float, shown: int) -> float:
    """A learned signal's weight: its prior, moved towards the fitted weight as `shown` decisions showed the signal
    (the prior counting as PRIOR_DECISIONS of them)."""
    return (PRIOR_DECISIONS * prior + shown * fitted) / (PRIOR_DECISIONS + shown) if shown else prior
