"""Clusters: claims joined, directly or through one another, by `corroborates` links.

A cluster is shown as a timeline of who reported the fact first: ordered by the date the
source was published, drawn as a small SVG by a template (nothing fetched from the network).
"""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch

from claims.models import Claim, Link
from sources.models import Agent

# Every claim reachable from one claim over corroborates links, in either direction.
# UNION (not UNION ALL) drops claims already reached, so a loop of links ends.
MEMBERS_SQL = """
WITH RECURSIVE edge(a, b) AS (
    SELECT claim_a_id, claim_b_id FROM claims_link WHERE relation = %s
    UNION ALL
    SELECT claim_b_id, claim_a_id FROM claims_link WHERE relation = %s
),
member(id) AS (
    SELECT CAST(%s AS BIGINT)
    UNION
    SELECT edge.b FROM edge JOIN member ON edge.a = member.id
)
SELECT id FROM member
"""

# Drawing sizes, in SVG user units.
WIDTH = 640
ROW = 26
TOP = 16
LEFT = 12
PLOT = 300  # width of the date axis; labels go to its right
LABEL_GAP = 14


@dataclass
class Entry:
    """One claim on the timeline, with where the template draws it."""

    claim: Claim
    reported_on: datetime.date | None
    x: int
    y: int
    current: bool

    @property
    def label(self) -> str:
        source = self.claim.source
        who = source.publisher.name if source.publisher else source.title
        return f"{source.published_on_iso or 'undated'} · {who}"


@dataclass
class Cluster:
    """The claims of one cluster in the order they were reported, and the picture's geometry."""

    entries: list[Entry]
    width: int
    height: int
    axis_y: int
    first_label: str
    last_label: str

    @property
    def claims(self) -> list[Claim]:
        return [entry.claim for entry in self.entries]

    @property
    def label_x(self) -> int:
        return LEFT + PLOT + LABEL_GAP

    @property
    def axis_end(self) -> int:
        return LEFT + PLOT


def member_ids(claim: Claim) -> list[int]:
    """The ids of the claims in this claim's cluster, itself included (one query)."""
    relation = Link.Relation.CORROBORATES
    with connection.cursor() as cursor:
        cursor.execute(MEMBERS_SQL, [relation, relation, claim.pk])
        return [row[0] for row in cursor.fetchall()]


def reported_order(claim: Claim) -> tuple:
    """Who reported first: by the source's publication date; undated sources last."""
    published = claim.source.published_on
    return (published is None, published or datetime.date.min, claim.source.title, claim.pk)


def cluster_of(claim: Claim) -> Cluster:
    """The cluster around a claim, as a timeline (three queries, however large the cluster)."""
    claims = sorted(
        Claim.objects.filter(pk__in=member_ids(claim))
        .select_related("source__publisher", "speaker")
        .prefetch_related(Prefetch("source__authors", queryset=Agent.objects.order_by("name"))),
        key=reported_order,
    )
    dated = sorted((c.source for c in claims if c.source.published_on is not None), key=lambda s: s.published_on)
    first, last = (dated[0].published_on, dated[-1].published_on) if dated else (None, None)
    span = (last - first).days if dated else 0
    entries = []
    for row, member in enumerate(claims):
        published = member.source.published_on
        if published is None:
            x = LEFT + PLOT
        elif span == 0:
            x = LEFT + PLOT // 2
        else:
            x = LEFT + round(PLOT * (published - first).days / span)
        entries.append(Entry(member, published, x, TOP + ROW * row, member.pk == claim.pk))
    axis_y = TOP + ROW * len(claims)
    return Cluster(
        entries=entries,
        width=WIDTH,
        height=axis_y + 28,
        axis_y=axis_y,
        # Each end of the axis at the precision its source's date is known to.
        first_label=dated[0].published_on_iso if dated else "",
        last_label=dated[-1].published_on_iso if dated and last != first else "",
    )
