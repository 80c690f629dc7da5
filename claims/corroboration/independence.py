"""Independence: which corroborating sources speak with one voice, and why.

Two sources speak with one voice when they share an author, share a publisher (a parent organisation is the same
publisher), one republishes the other (a copy also speaks with its original's authors, publisher and URL), or
their URLs have the same registered domain — unless a Reviewer marked their two publishers distinct.

For a claim, its corroborating sources are the other sources holding a claim linked to it as corroborating. Those
with no author, no publisher and no URL are unverified: counted apart, never independent. The others, with the
claim's own source, form groups (connected components of "one voice"); the independent voices are the groups
that do not hold the claim's own source.

`facts_for` loads what the rule compares for a set of sources in a fixed number of queries; `voices` groups
one claim's sources; claims.corroboration.counting stores the counts from those groups, and every page, the API
and the links CSV explain them from the same groups (`explain_voices`: the group decides, `reasons` only phrases
why a source is in its group). The groups are read again rather than stored per link: their words name sources and
people, which are renamed without a recount; their membership is what the stored counts count, and a test on
every write path (tests.base: no drift after each test) keeps those equal.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

from django.db import models

from sources.domains import registered_domain
from sources.models import MAX_PARENT_DEPTH, Agent, DistinctPublishers, Source


@dataclass
class SourceFacts:
    """What independence compares about one source."""

    pk: int
    title: str
    url: str
    publisher: int | None
    authors: frozenset[int]
    original: int | None = None  # the source this one republishes

    # Worked out once a source: a recount asks for every claim with a link.
    @cached_property
    def domain(self) -> str:
        return registered_domain(self.url)

    @cached_property
    def unverified(self) -> bool:
        return not self.authors and self.publisher is None and not self.url


@dataclass
class Facts:
    """Facts about a set of sources (and the originals they republish), the organisations above their publishers,
    the names to explain with, and (read when first needed) the publisher pairs marked distinct."""

    sources: dict[int, SourceFacts]
    parents: dict[int, int]
    names: dict[int, str]
    _distinct: set[frozenset[int]] | None = field(default=None, repr=False)
    _keys: dict = field(default_factory=dict, repr=False)
    _proposals: dict = field(default_factory=dict, repr=False)
    _ancestors: frozenset[int] | None = field(default=None, repr=False)

    def likely_duplicates(self, among: set[int]) -> list:
        """sources.duplicates' proposals among these organisations, read once for the same organisations (a full
        recount asks for every stretch of claims)."""
        from sources.duplicates import likely_duplicates

        key = frozenset(among)
        if key not in self._proposals:
            self._proposals = {key: likely_duplicates(among=among)}
        return self._proposals[key]

    def ancestors(self) -> frozenset[int]:
        """The sources' publishers and the organisations above them: a likely duplicate may name either. Worked out
        once until more sources are loaded (a full recount asks for every stretch of claims it decides)."""
        if self._ancestors is None:
            publishers = {s.publisher for s in self.sources.values() if s.publisher is not None}
            self._ancestors = frozenset(publishers | set(self.parents.values()))
        return self._ancestors

    def read_ahead(self) -> "Facts":
        """These facts with what they read when first asked read now (the pairs marked distinct, the likely
        duplicates among their publishers), for a recount that cannot query while it reads the claims."""
        self._distinct = self.distinct
        self.likely_duplicates(self.ancestors())
        return self

    def extend(self, source_ids: Iterable[int]) -> "Facts":
        """These facts with those of more sources loaded (the ones not held yet), for a recount that goes through
        every claim a stretch at a time: each source is read once, and what was worked out about it is kept."""
        missing = set(source_ids) - self.sources.keys()
        if missing:
            more = facts_for(missing)
            publishers = {s.publisher for s in self.sources.values()}
            self.sources.update(more.sources)
            self.parents.update(more.parents)
            self.names.update(more.names)
            self._ancestors = None
            if {s.publisher for s in more.sources.values()} - publishers:
                self._distinct = None  # read again, for the new publishers too
        return self

    def top(self, agent: int | None) -> int | None:
        seen = 0
        while agent in self.parents and seen <= MAX_PARENT_DEPTH:
            agent, seen = self.parents[agent], seen + 1
        return agent

    @property
    def distinct(self) -> set[frozenset[int]]:
        """The pairs of these sources' publishers (or organisations above them) that a Reviewer marked distinct.
        Only sources sharing a registered domain ask, so most recounts never read them."""
        if self._distinct is None:
            publishers = {s.publisher for s in self.sources.values() if s.publisher is not None}
            publishers |= {self.top(p) for p in publishers} | {self.parents[p] for p in publishers if p in self.parents}
            pairs = DistinctPublishers.objects.filter(first__in=publishers, second__in=publishers)
            self._distinct = {frozenset(pair) for pair in pairs.values_list("first_id", "second_id")}
        return self._distinct

    def keys(self, pk: int) -> tuple[frozenset, frozenset]:
        """What two sources speaking with one voice share: (article, author and publisher keys; domains)."""
        known = self._keys.get(pk)  # asked twice for every claim with a link: looked up once
        if known is None:
            keys, domains = set(), set()
            for s in self.circle(pk):
                keys.add(("source", s.original or s.pk))
                keys.update(("author", author) for author in s.authors)
                if s.publisher is not None:
                    keys.add(("publisher", self.top(s.publisher)))
                if s.domain:
                    domains.add(s.domain)
            known = self._keys[pk] = (frozenset(keys), frozenset(domains))
        return known

    def one_voice(self, pk: int, other: int) -> bool:
        """Whether two sources speak with one voice directly (not through a third)."""
        keys, domains = self.keys(pk)
        other_keys, other_domains = self.keys(other)
        if not keys.isdisjoint(other_keys):
            return True
        return not domains.isdisjoint(other_domains) and not distinct(self, self.circle(pk), self.circle(other))

    def circle(self, pk: int) -> list[SourceFacts]:
        """The source, and the original it republishes: a copy speaks with its original's voice."""
        source = self.sources[pk]
        return [source] if source.original is None else [source, self.sources[source.original]]


def facts_for(source_ids: Iterable[int]) -> Facts:
    """Load the facts for these sources and their originals: one query for the sources with their authors and
    originals (one more when a copy's original is not among them), one for their people and organisations with
    the organisations above, a level or two a query; the pairs marked distinct only when asked."""
    wanted, sources = set(source_ids), {}
    while missing := wanted - sources.keys():
        rows = Source.objects.filter(pk__in=missing).order_by()
        found, authors = {}, defaultdict(set)
        for pk, title, url, publisher, author, original in rows.values_list(
            "pk", "title", "url", "publisher_id", "authors", "republication__original_id"
        ):
            found[pk] = (title, url, publisher, original)
            if author is not None:
                authors[pk].add(author)
        for pk, (title, url, publisher, original) in found.items():
            sources[pk] = SourceFacts(pk, title, url, publisher, frozenset(authors[pk]), original)
        wanted = (wanted - (missing - found.keys())) | {original for *_, original in found.values() if original}
    agents = {s.publisher for s in sources.values()} | {a for s in sources.values() for a in s.authors}
    agents.discard(None)
    parents, names, level = {}, {}, set(agents)
    while level:
        rows = Agent.objects.filter(pk__in=level).order_by()
        above = set()
        for pk, name, parent, parent_name, grandparent in rows.values_list(
            "pk", "name", "parent_id", "parent__name", "parent__parent_id"
        ):
            names[pk] = name
            if parent is not None:
                parents[pk], names[parent] = parent, parent_name
                if grandparent is not None:
                    parents[parent] = grandparent
                    above.add(grandparent)
        level = above - names.keys()
    return Facts(sources, parents, names)


def reasons(facts: Facts, pk: int, other: int) -> list[str]:
    """Why two sources speak with one voice, in words; empty when they do not."""
    said, here, there = [], facts.circle(pk), facts.circle(other)
    title = facts.sources[other].title
    if pk == other:
        return ["the same source"]
    if facts.sources[pk].original == other or facts.sources[other].original == pk:
        said.append(f"republishes or is republished by “{title}”")
    elif facts.sources[pk].original is not None and facts.sources[pk].original == facts.sources[other].original:
        said.append(f"republishes the same article as “{title}”")
    shared_authors = {a for s in here for a in s.authors} & {a for t in there for a in t.authors}
    if shared_authors:
        shared = sorted(facts.names[a] for a in shared_authors)
        said.append(f"shares the author {', '.join(shared)} with “{title}”")
    tops = {facts.top(s.publisher) for s in here} & {facts.top(t.publisher) for t in there}
    tops.discard(None)
    domains = {s.domain for s in here} & {t.domain for t in there}
    domains.discard("")
    if domains and not distinct(facts, here, there):
        via = ", ".join(sorted(domains))
        if tops:
            said.append(f"same publisher as “{title}”: {facts.names[min(tops)]}, via {via}")
            tops = set()
        else:
            said.append(f"same registered domain as “{title}”: {via}")
    if tops:
        said.append(f"same publisher as “{title}”: {facts.names[min(tops)]}")
    return said


def distinct(facts: Facts, here: list[SourceFacts], there: list[SourceFacts]) -> bool:
    """Whether a Reviewer marked the two sources' publishers (or the organisations above them) distinct."""
    for s in here:
        for t in there:
            if s.publisher is None or t.publisher is None:
                continue
            pairs = [(s.publisher, t.publisher), (facts.top(s.publisher), facts.top(t.publisher))]
            if any(frozenset(pair) in facts.distinct for pair in pairs if pair[0] != pair[1]):
                return True
    return False


OWN_VOICE = "the claim's own source's voice"
UNVERIFIED = "unverified"
INDEPENDENT = "independent"


@dataclass
class Voices:
    """One claim's corroborating sources in groups: `own` speaks with the claim's source, `independent` each
    stand alone, `unverified` have no metadata to judge by."""

    own: set[int] = field(default_factory=set)
    independent: list[set[int]] = field(default_factory=list)
    unverified: set[int] = field(default_factory=set)


def voices(facts: Facts, own_source: int, corroborating: Iterable[int]) -> Voices:
    """Group a claim's corroborating sources by voice (connected components of "one voice")."""
    corroborating = set(corroborating)
    corroborating.discard(own_source)
    if len(corroborating) == 1:
        (pk,) = corroborating
        group = lone(facts, own_source, pk)
        if group is UNVERIFIED:
            return Voices(unverified={pk})
        return Voices(own={pk}) if group is OWN_VOICE else Voices(independent=[{pk}])
    result = Voices(unverified={pk for pk in corroborating if facts.sources[pk].unverified})
    nodes = [own_source, *sorted(corroborating - result.unverified)]
    # Connected components of `one_voice`, pair by pair (a claim has a few corroborating sources): a shared key joins
    # two sources, a shared domain too unless a Reviewer marked their publishers distinct.
    group = list(range(len(nodes)))

    def find(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, pk in enumerate(nodes):
        for j in range(i + 1, len(nodes)):
            if find(i) != find(j) and facts.one_voice(pk, nodes[j]):
                group[find(i)] = find(j)
    components = defaultdict(set)
    for i in range(1, len(nodes)):
        components[find(i)].add(nodes[i])
    result.own = components.pop(find(0), set())
    result.independent = sorted(components.values(), key=min)
    return result


def lone(facts: Facts, own_source: int, pk: int) -> str:
    """The group of a claim's one corroborating source (most claims have one): UNVERIFIED, OWN_VOICE or
    INDEPENDENT."""
    if facts.sources[pk].unverified:
        return UNVERIFIED
    return OWN_VOICE if facts.one_voice(own_source, pk) else INDEPENDENT


def voice_counts(facts: Facts, own_source: int, corroborating: set[int]) -> tuple[int, int]:
    """(independent voices, unverified sources) of `voices`, which a recount stores: for one corroborating source
    (not the claim's own) without grouping, for it runs once for every claim with a link."""
    if len(corroborating) == 1:
        (pk,) = corroborating
        if pk != own_source:
            group = lone(facts, own_source, pk)
            return int(group is INDEPENDENT), int(group is UNVERIFIED)
    grouped = voices(facts, own_source, corroborating)
    return len(grouped.independent), len(grouped.unverified)


# A source with metadata corroborating a claim whose own source has none: nothing ties them, and nothing could.
UNKNOWN_OWN_SOURCE = "the claim's own source states no author, publisher or URL, so nothing ties this one to it"


@dataclass
class Explained:
    """One corroborating source of one claim: its voice group and why it is there. Every page and export that
    explains a claim's counts reads this (`explanations`): the claim page, the provenance page, the annotate
    panel, the API's /corroboration/ and the links CSV."""

    source: SourceFacts
    group: str
    why: list[str]

    @property
    def unverified(self) -> bool:
        return self.group == UNVERIFIED

    @property
    def independent(self) -> bool:
        return self.group.startswith("independent voice")

    @property
    def reason(self) -> str:
        return "; ".join(self.why) or "no author, publisher, registered domain or article in common with the others"

    @property
    def summary(self) -> str:
        """The group and its reason in one line, the same wherever a link is shown."""
        return f"{self.group}: {self.reason}"


def corroborating_sources(claim) -> set[int]:
    """The other sources holding a claim linked to `claim` as corroborating."""
    from claims.models import Link

    pairs = Link.objects.filter(
        models.Q(claim_a=claim) | models.Q(claim_b=claim), relation=Link.Relation.CORROBORATES
    ).values_list("claim_a__source", "claim_b__source")
    return {s for pair in pairs for s in pair} - {claim.source_id}


def explain_voices(facts: Facts, own_source: int, corroborating: Iterable[int]) -> list[Explained]:
    """Each corroborating source with its group ("the claim's own source's voice", "independent voice 1", …,
    "unverified") and the reasons it shares a group, in words: the groups the stored counts count."""
    grouped = voices(facts, own_source, corroborating)
    rows = []
    for label, members in [(OWN_VOICE, grouped.own)] + [
        (f"independent voice {n}", group) for n, group in enumerate(grouped.independent, start=1)
    ]:
        fellows = sorted(members | ({own_source} if members is grouped.own else set()))
        for pk in sorted(members):
            why = [reason for other in fellows if other != pk for reason in reasons(facts, pk, other)]
            if not why and members is not grouped.own and facts.sources[own_source].unverified:
                why = [UNKNOWN_OWN_SOURCE]
            rows.append(Explained(facts.sources[pk], label, why))
    for pk in sorted(grouped.unverified):
        rows.append(
            Explained(facts.sources[pk], UNVERIFIED, ["no author, publisher or URL: never counted as independent"])
        )
    return rows


def explanations(own: dict[int, int], corroborating: dict[int, set[int]]) -> dict[int, dict[int, Explained]]:
    """For claims (claim id → its source id) and their corroborating sources: claim id → source id → its
    explanation, with one load of the facts for them all."""
    facts = facts_for({*own.values(), *(pk for sources in corroborating.values() for pk in sources)})
    return {
        claim: {row.source.pk: row for row in explain_voices(facts, source, corroborating.get(claim, set()))}
        for claim, source in own.items()
    }


def explanations_for_claims(claim_ids: Iterable[int]) -> dict[int, dict[int, Explained]]:
    """`explanations` for these claims, reading their corroborating links (two queries, then the facts)."""
    from claims.models import Claim, Link

    ids = set(claim_ids)
    own = dict(Claim.objects.filter(pk__in=ids).values_list("pk", "source_id"))
    corroborating = defaultdict(set)
    pairs = Link.objects.filter(
        models.Q(claim_a__in=ids) | models.Q(claim_b__in=ids), relation=Link.Relation.CORROBORATES
    ).values_list("claim_a", "claim_a__source", "claim_b", "claim_b__source")
    for a, a_source, b, b_source in pairs:
        for here, there in ((a, b_source), (b, a_source)):
            if here in own and there != own[here]:
                corroborating[here].add(there)
    return explanations(own, corroborating)


def explain(claim) -> list[Explained]:
    """Each corroborating source of the claim, explained (`explain_voices`)."""
    corroborating = corroborating_sources(claim)
    return explain_voices(facts_for({claim.source_id, *corroborating}), claim.source_id, corroborating)


@dataclass
class Undecided:
    """A likely duplicate pair of publishers (sources.duplicates) a claim's count depends on: were they one, the claim
    would have `independent_if_one` independent voices."""

    first: str
    second: str
    independent_if_one: int

    def __str__(self) -> str:
        return f"{self.independent_if_one} if {self.first} is {self.second}"


def undecided_duplicates(facts: Facts, claims: dict[int, tuple[int, set[int], int]]) -> dict[int, str]:
    """For claims (claim id → its source, its corroborating sources, its independent voices): the likely duplicate
    publishers, not yet merged or marked distinct, that would change its independent voices were they one, as the
    claim stores it ("1 if Nikkei Asian Review is Nikkei Asia", several joined by "; "). Claims whose sources name
    fewer than two publishers cannot depend on one: the proposals are read only when a claim can."""
    top_of = {}  # source → the organisation at the top of its publisher's tree: a recount asks for each claim

    def named(own: int, corroborating: set[int]) -> set[int]:
        tops = set()
        for pk in (own, *corroborating):
            if pk not in top_of:
                top_of[pk] = facts.top(facts.sources[pk].publisher)
            tops.add(top_of[pk])
        tops.discard(None)
        return tops

    if not any(len(named(own, corroborating)) > 1 for own, corroborating, _ in claims.values()):
        return {}
    # Each proposal by the pair of organisations it would make one, with the same facts with the second's organisation
    # counted as the first's; a claim looks up the pairs its publishers make (a recount's claims name one to three
    # publishers, where proposals are many: comparing every claim with each was a third of a full recount).
    as_one = {}
    for order, proposal in enumerate(facts.likely_duplicates(facts.ancestors())):
        first, second = facts.top(proposal.first.pk), facts.top(proposal.second.pk)
        if first != second:
            one = Facts(facts.sources, {**facts.parents, second: first}, facts.names, _distinct=facts._distinct)
            as_one.setdefault(frozenset((first, second)), []).append((order, proposal, one))
    if not as_one:  # no proposal, nothing to mark: most recounts stop here
        return {}
    marked = {}
    for claim, (own, corroborating, independent) in claims.items():
        tops = named(own, corroborating)
        if len(tops) < 2:
            continue
        if len(tops) == 2:  # most claims: their source and one other
            found = as_one.get(frozenset(tops), ())
        else:
            found = sorted(each for pair in map(frozenset, combinations(tops, 2)) for each in as_one.get(pair, ()))
        said = []
        for _, proposal, one in found:
            if_one = len(voices(one, own, corroborating).independent)
            if if_one != independent:
                said.append(str(Undecided(proposal.first.name, proposal.second.name, if_one)))
        if said:
            marked[claim] = "; ".join(said)
    return marked
