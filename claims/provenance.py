"""The claims half of a source's provenance page: its claims, each with its links both ways and each corroborating
source's voice, as the claim page explains it (drawn by the `source_claims` tag in
claims/templatetags/provenance.py)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from claims.corroboration.independence import Explained, explanations
from claims.models import Claim, Link, pages_label
from sources.models import Source

SHOWN = [
    "source_id",
    "quote",
    "start",
    "end",
    "claimed_on",
    "claimed_on_precision",
    "status",
    "anchor_state",
    "corroborating_sources",
    "independent_voices",
    "unverified_sources",
]


@dataclass
class LinkRow:
    relation: str
    relation_label: str
    other: Claim  # the claim at the other end
    voice: Explained | None  # for a corroborating source: its voice and why (the claim page's explanation)


@dataclass
class ClaimRow:
    claim: Claim
    links: list[LinkRow] = field(default_factory=list)
    pages: str = ""  # the pages of a PDF the quote stands on: "2" or "2–3"


def provenance_rows(source: Source) -> list[ClaimRow]:
    """The source's claims with their links in both directions, in a fixed number of queries."""
    # Only the columns the page shows: a page may list thousands of claims.
    claims = source.claims.select_related("speaker").only(*SHOWN, "speaker__name").order_by("start", "-end", "pk")
    links = (
        Link.objects.filter(Q(claim_a__source=source) | Q(claim_b__source=source))
        .select_related("claim_a__source", "claim_b__source")
        .defer(*(f"{end}__source__{column}" for end in ("claim_a", "claim_b") for column in ("text", "raw_text")))
    )
    links = list(links)
    claims = list(claims)
    ends, corroborating = defaultdict(list), defaultdict(set)
    for link in links:
        for here, there in ((link.claim_a, link.claim_b), (link.claim_b, link.claim_a)):
            if here.source_id == source.pk:
                ends[here.pk].append((link, there))
                if link.relation == Link.Relation.CORROBORATES and there.source_id != source.pk:
                    corroborating[here.pk].add(there.source_id)
    # The same explanation, by the same rule, as the claim page, the annotate panel and the stored counts.
    explained = explanations({claim.pk: source.pk for claim in claims if claim.pk in corroborating}, corroborating)
    rows = []
    for claim in claims:
        row = ClaimRow(claim, pages=pages_label(source.pages_of(claim.start, claim.end)))
        for link, other in sorted(ends[claim.pk], key=lambda end: end[1].pk):
            voice = None
            if link.relation == Link.Relation.CORROBORATES:
                voice = explained.get(claim.pk, {}).get(other.source_id)
            row.links.append(LinkRow(link.relation, link.get_relation_display(), other, voice))
        rows.append(row)
    return rows
