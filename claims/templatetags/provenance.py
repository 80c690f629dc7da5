from django import template
from django.urls import reverse

from claims.models import Claim
from claims.provenance import provenance_rows

register = template.Library()


@register.inclusion_tag("claims/_source_claims.html")
def source_claims(source):
    """The source's clean text with its claims highlighted, and the table of its claims and their links."""
    rows = provenance_rows(source)
    return {
        "source": source,
        "rows": rows,
        # One reverse() instead of one a row: the claim page's URL is this prefix and the claim's id.
        "claim_url": reverse("claims:detail", args=[0]).removesuffix("0/"),
        "anchored": [row.claim for row in rows if row.claim.anchor_state != Claim.AnchorState.BROKEN],
        "broken": [row.claim for row in rows if row.claim.anchor_state == Claim.AnchorState.BROKEN],
    }
