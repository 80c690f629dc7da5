from django import template

from claims.corroboration.clusters import cluster_of
from claims.corroboration.independence import explain
from claims.models import Claim

register = template.Library()


@register.inclusion_tag("claims/_corroboration.html")
def claim_corroboration(claim: Claim) -> dict:
    """A claim's stored source counts with their explanation, its cluster as a timeline, and its JSON-LD link."""
    return {"claim": claim, "voices": explain(claim), "cluster": cluster_of(claim)}
