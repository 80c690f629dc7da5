"""The provenance review page: a source, where its text came from, and the claims anchored in it."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from sources.models import Source

HISTORY_ROWS = 100
TRACKED = [
    "title",
    "url",
    "publisher_id",
    "published_on",
    "language",
    "text_sha256",
    "raw_sha256",
    "retrieved_at",
    "notes",
]
SHOWN = ["source_id", "quote", "start", "end", "claimed_on", "claimed_on_precision", "status", "anchor_state"]


@dataclass
class LinkRow:
    relation: str
    relation_label: str
    other: object  # the claim at the other end
    independent: bool


@dataclass
class ClaimRow:
    claim: object
    links: list[LinkRow] = field(default_factory=list)

    @property
    def corroborations(self) -> int:
        return sum(1 for link in self.links if link.relation == "corroborates")

    @property
    def independent_corroborations(self) -> int:
        return sum(1 for link in self.links if link.relation == "corroborates" and link.independent)


def claim_rows(source: Source) -> list[ClaimRow]:
    """The source's claims with their links in both directions, in a fixed number of queries."""
    # Only the columns the page shows: a page may list thousands of claims.
    claims = source.claims.select_related("speaker").only(*SHOWN, "speaker__name").order_by("start", "-end", "pk")
    # The link model, reached through the relation: code in sources does not import claims.
    link_model = source.claims.model.links_from.field.model
    links = (
        link_model.objects.filter(Q(claim_a__source=source) | Q(claim_b__source=source))
        # Computed in the database, by the rule the claim list and the CSV count independent sources with.
        .with_independence()
        .select_related("claim_a__source", "claim_b__source")
        .defer(*(f"{end}__source__{column}" for end in ("claim_a", "claim_b") for column in ("text", "raw_text")))
    )
    ends = defaultdict(list)
    for link in links:
        for here, there in ((link.claim_a, link.claim_b), (link.claim_b, link.claim_a)):
            if here.source_id == source.pk:
                ends[here.pk].append((link, there))
    rows = []
    for claim in claims:
        row = ClaimRow(claim)
        for link, other in sorted(ends[claim.pk], key=lambda end: end[1].pk):
            row.links.append(LinkRow(link.relation, link.get_relation_display(), other, link.independent))
        rows.append(row)
    return rows


def history_rows(source: Source) -> list[tuple[object, list[str]]]:
    """The source's history records, newest first, each with the names of the fields it changed."""
    records = list(
        source.history.select_related("history_user").defer("text", "raw_text").order_by("-history_date")[:HISTORY_ROWS]
    )
    rows = []
    for record, older in zip(records, records[1:] + [None], strict=True):
        changed = []
        if older is not None:
            # The text columns are left unloaded; their SHA-256 says whether they changed.
            changed = [
                str(Source._meta.get_field(name.removesuffix("_id")).verbose_name)
                for name in TRACKED
                if getattr(record, name) != getattr(older, name)
            ]
        rows.append((record, changed))
    return rows


@login_required
@permission_required(["sources.view_source", "claims.view_claim"], raise_exception=True)
def provenance(request: HttpRequest, pk: int) -> HttpResponse:
    """Metadata, captures and their derivation, the highlighted text, the claims and the change history."""
    source = get_object_or_404(Source.objects.select_related("publisher").prefetch_related("authors"), pk=pk)
    rows = claim_rows(source)
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": f"Provenance: {source.title}",
        "source": source,
        "captures": source.captures.defer("raw", "clean_text").order_by("-imported_at", "-pk"),
        "rows": rows,
        # One reverse() instead of one a row: the claim page's URL is this prefix and the claim's id.
        "claim_url": reverse("claims:detail", args=[0]).removesuffix("0/"),
        "anchored": [row.claim for row in rows if row.claim.anchor_state != "broken"],
        "broken": [row.claim for row in rows if row.claim.anchor_state == "broken"],
        "history": history_rows(source),
    }
    return render(request, "sources/provenance.html", context)
