"""Likely duplicate organisations, proposed for a Reviewer to merge (sources.services.merge_agents) or mark
distinct: names sharing their distinctive word, or sources sharing a registered domain. Only two organisations of
one project are ever proposed, and what is counted (how many hold a word or a domain) is counted in that project:
another project's organisations neither appear nor change which pairs are proposed."""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sources.domains import registered_domain
from sources.models import Agent, DistinctPublishers, Source

# Words that say what kind of organisation it is, not which one.
GENERIC = set(
    "the of and for a an in on at news times daily weekly post press review journal herald tribune gazette"
    " asia asian world international global group media magazine online agency service network institute"
    " center centre club council foundation university ministry office national new today report"
    # Marks that say a record is made up, not which organisation it is: "Harbour Times (demo)".
    " demo example sample test".split()
)
# A word held by more organisations than this says little about any one of them.
MAX_HOLDERS = 5


@dataclass
class Proposal:
    first: Agent
    second: Agent
    reasons: list[str] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[Agent, Agent]]:
        """(the one to keep, the one merged into it), both ways."""
        return [(self.first, self.second), (self.second, self.first)]


def distinctive_words(name: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]{3,}", name.casefold()) if w not in GENERIC}


def likely_duplicates(among: Iterable[int] | None = None, *, user=None) -> list[Proposal]:
    """Pairs of organisations of one project that are probably one, with the reasons, not yet marked distinct.

    `among` (organisation ids) keeps the pairs of those organisations only and reads only their sources (a recount
    asks about the publishers of the claims it counts); how many organisations hold a name's word is still counted
    over all of their project's, how many hold a domain over theirs. `user`: only the organisations of that
    person's projects (common.projects.visible_to); None (the system, a recount) for every project."""
    rows = Agent.objects.visible_to(user).filter(kind=Agent.Kind.ORGANISATION)
    if among is None:
        organisations, project_of = _organisations(rows)
        wanted = organisations.keys()
    else:
        organisations, project_of = _organisations(rows.filter(pk__in=set(among)))
        wanted = set(organisations)
        # Every organisation is read only when two of these share a word: how many hold it decides whether it says
        # anything (MAX_HOLDERS). A recount asks on every link, and most links' publishers share no word: reading
        # them all made adding a link cost more the more organisations there were.
        if any(len(agents) > 1 for agents in _word_holders(organisations, project_of).values()):
            organisations, project_of = _organisations(rows)
    proposals: dict[frozenset, list[str]] = {}  # pair → reasons

    def propose(a: int, b: int, reason: str) -> None:
        if a == b or a not in wanted or b not in wanted or project_of[a] != project_of[b]:
            return
        reasons = proposals.setdefault(frozenset((a, b)), [])
        if reason not in reasons:
            reasons.append(reason)

    for (_, word), agents in sorted(_word_holders(organisations, project_of).items()):
        if 2 <= len(agents) <= MAX_HOLDERS:
            ordered = sorted(agents)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    propose(a, b, f"both names have the word “{word.capitalize()}”")
    by_domain = defaultdict(set)
    for url, publisher in (
        Source.objects.filter(publisher__in=list(wanted)).exclude(url="").values_list("url", "publisher").order_by()
    ):
        domain = registered_domain(url)
        if domain:
            by_domain[project_of[publisher], domain].add(publisher)
    for (_, domain), publishers in sorted(by_domain.items()):
        if 2 <= len(publishers) <= MAX_HOLDERS:
            ordered = sorted(publishers)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    propose(a, b, f"their sources share the domain {domain}")
    pairs = DistinctPublishers.objects.all() if among is None else DistinctPublishers.objects.filter(first__in=wanted)
    marked = {frozenset(p) for p in pairs.values_list("first_id", "second_id")}
    related = {frozenset((pk, parent)) for pk, (_, _, parent) in organisations.items() if parent}
    kept = [(sorted(key), reasons) for key, reasons in proposals.items() if key not in marked | related]
    agents = Agent.objects.in_bulk({pk for pair, _ in kept for pk in pair}) if kept else {}
    return [Proposal(agents[first], agents[second], reasons) for (first, second), reasons in sorted(kept)]


def _organisations(rows) -> tuple[dict[int, tuple[str, str, int | None]], dict[int, int]]:
    """Organisation id → (name, aliases, parent), and → project: plain values, objects only for the pairs."""
    organisations, project_of = {}, {}
    for pk, name, aliases, parent, project in rows.values_list("pk", "name", "aliases", "parent", "project").order_by():
        organisations[pk], project_of[pk] = (name, aliases, parent), project
    return organisations, project_of


def _word_holders(organisations: dict, project_of: dict[int, int]) -> dict[tuple[int, str], set[int]]:
    """(project, distinctive word) → the organisations whose name or an alias holds it."""
    holders = defaultdict(set)
    for pk, (name, aliases, _) in organisations.items():
        for each in [name, *aliases.splitlines()]:
            for word in distinctive_words(each):
                holders[project_of[pk], word].add(pk)
    return holders
