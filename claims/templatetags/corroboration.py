from django import template

from claims.corroboration.clusters import cluster_of
from claims.models import Claim

register = template.Library()


@register.inclusion_tag("claims/_corroboration.html")
def claim_corroboration(claim: Claim) -> dict:
    """A claim's source counts, its cluster as a timeline, and its JSON-LD link (four queries)."""
    return {"claim": Claim.objects.with_source_counts().get(pk=claim.pk), "cluster": cluster_of(claim)}
