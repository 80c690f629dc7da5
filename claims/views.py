"""The claim page: the claim, its quote in context, its links, and the chain back to the raw bytes."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from claims.anchoring import anchoring_capture
from claims.exchange.evidence import evidence_zip
from claims.models import Claim
from sources.models import Source, stands_at

CONTEXT_CHARS = 300


def quote_in_context(text: str, claim: Claim) -> tuple[str, str] | None:
    """The text before and after the quote, when the quote stands at its offsets in `text`."""
    if not stands_at(claim.quote, text, claim.start):
        return None
    before = text[max(0, claim.start - CONTEXT_CHARS) : claim.start]
    after = text[claim.end : claim.end + CONTEXT_CHARS]
    return before, after


@staff_member_required
@permission_required(["claims.view_claim", "sources.view_source"], raise_exception=True)
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claims = Claim.objects.visible_to(request.user).select_related("source__publisher", "speaker", "created_by")
    claim = get_object_or_404(claims, pk=pk)
    captures = list(claim.source.captures.defer("raw").order_by("-imported_at", "-pk"))
    capture = anchoring_capture(claim, captures)
    broken = claim.anchor_state == Claim.AnchorState.BROKEN
    text = capture.clean_text if (capture is not None and broken) else claim.source.text
    links = [(link, link.claim_b) for link in claim.links_from.select_related("claim_b__source", "claim_b__speaker")]
    links += [(link, link.claim_a) for link in claim.links_to.select_related("claim_a__source", "claim_a__speaker")]
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": f"Claim {claim.pk}",
        "claim": claim,
        "broken": broken,
        "context": quote_in_context(text, claim),
        "capture": capture,
        "links": sorted(links, key=lambda end: end[1].pk),
        "may_change": request.user.has_perm("claims.change_claim", claim),
    }
    return render(request, "claims/claim_detail.html", context)


EXPORT_PERMISSIONS = ["claims.view_claim", "sources.view_source", "claims.export_claim", "sources.export_source"]


@staff_member_required
@permission_required(EXPORT_PERMISSIONS, raise_exception=True)
def evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the source's captures as a WARC with its claims' Web Annotations, in one zip."""
    source = get_object_or_404(Source.objects.visible_to(request.user), pk=pk)
    if not all(request.user.has_perm(perm, source) for perm in EXPORT_PERMISSIONS):
        raise PermissionDenied  # a role in another project does not export this one's evidence
    response = HttpResponse(evidence_zip(source), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="evidence-source-{source.pk}.zip"'
    return response
