"""The claim admin's corroboration parts: independence in the list; suggestions, cluster and JSON-LD on the page."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from claims.corroboration.clusters import cluster_of
from claims.corroboration.independence import explain
from claims.corroboration.suggestions import suggestions_for
from claims.exchange.jsonld import documents
from claims.models import Claim, DismissedSuggestion, Link, Republication
from claims.services import (
    delete_republications,
    dismiss_suggestion,
    link_claims,
    save_republication,
    undo_dismissal,
)
from common.admin_lists import CheckedListFilters
from common.admin_projects import ProjectScopedAdmin
from common.projects import project_of

SUGGESTION_ACTIONS = {
    "corroborates": "linked as corroborating",
    "contradicts": "linked as contradicting",
    "dismiss": "dismissed",
}


def dismissed_for(claim: Claim) -> list[tuple[DismissedSuggestion, Claim]]:
    """The suggestions dismissed for this claim (from either side), newest first, each with the other claim."""
    dismissals = (
        DismissedSuggestion.objects.filter(Q(claim=claim) | Q(suggested=claim))
        .select_related("claim__source", "suggested__source", "dismissed_by")
        .defer(*(f"{side}__source__{field}" for side in ("claim", "suggested") for field in ("text", "raw_text")))
        .order_by("-dismissed_at", "-pk")
    )
    return [(d, d.suggested if d.claim_id == claim.pk else d.claim) for d in dismissals]


def in_its_project(claim: Claim, suggestions: list) -> list:
    """The suggestions of claims in the claim's own project (one query): another project's claim is never proposed."""
    ids = {suggestion.claim.pk for suggestion in suggestions}
    same = set(Claim.objects.in_project(project_of(claim)).filter(pk__in=ids).values_list("pk", flat=True))
    return [suggestion for suggestion in suggestions if suggestion.claim.pk in same]


class IndependenceFilter(admin.SimpleListFilter):
    """Filters on the stored, indexed count of independent voices."""

    title = "independent voices"
    parameter_name = "independence"

    conditions = {
        "none": ("none", Q(independent_voices=0)),
        "some": ("one or more", Q(independent_voices__gte=1)),
        "several": ("two or more", Q(independent_voices__gte=2)),
    }

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.conditions.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.conditions:
            return queryset
        return queryset.filter(self.conditions[self.value()][1])


class CorroborationPanels:
    """For ClaimAdmin: source counts in the list; suggested links, the cluster and JSON-LD on a claim's page."""

    # The claim's change form, with the corroboration panels after its fields.
    change_form_template = "claims/admin_claim_change_form.html"

    @admin.display(description="corroborating sources", ordering="corroborating_sources")
    def corroborating(self, claim: Claim) -> int:
        return claim.corroborating_sources

    @admin.display(description="independent voices", ordering="independent_voices")
    def independent(self, claim: Claim) -> int | str:
        if not claim.undecided_duplicates:
            return claim.independent_voices
        # Stored with the counts: the list reads no more rows for it.
        marker = render_to_string("claims/_undecided_duplicates.html", {"claim": claim})
        return format_html('{}<br><small class="undecided-duplicate">{}</small>', claim.independent_voices, marker)

    @admin.display(description="unverified sources", ordering="unverified_sources")
    def unverified(self, claim: Claim) -> int:
        return claim.unverified_sources

    @admin.display(description="contradicting sources", ordering="contradicting_sources")
    def contradicting(self, claim: Claim) -> int:
        return claim.contradicting_sources

    def may_link(self, request, claim: Claim) -> bool:
        return self.has_change_permission(request, claim) and request.user.has_perm("claims.link_claim", claim)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        if claim is not None and self.has_view_or_change_permission(request, claim):
            # The counts are stored on `claim` (shown via `original`); `voices` explains them.
            explained = explain(claim)
            extra_context = {
                **(extra_context or {}),
                "voices": explained,
                "suggestions": in_its_project(claim, suggestions_for(claim)),
                "may_link": self.may_link(request, claim),
                "suggestion_actions": SUGGESTION_ACTIONS,
                "cluster": cluster_of(claim),
                "dismissed": dismissed_for(claim),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/suggestions/<int:other_id>/<str:action>/",
                view(require_POST(self.suggestion_view)),
                name="claims_claim_suggestion",
            ),
            path(
                "<int:object_id>/dismissals/<int:other_id>/undo/",
                view(require_POST(self.undo_dismissal_view)),
                name="claims_claim_undo_dismissal",
            ),
            path("<int:object_id>/jsonld/", view(self.jsonld_view), name="claims_claim_jsonld"),
            *super().get_urls(),
        ]

    def claim_and_other(self, request, object_id: int, other_id: int) -> tuple[Claim, Claim]:
        """The claim of the page and the other claim of a suggestion: both of the claim's project, else a 404."""
        claim = get_object_or_404(self.get_queryset(request), pk=object_id)
        other = get_object_or_404(Claim.objects.in_project(project_of(claim)).visible_to(request.user), pk=other_id)
        return claim, other

    def suggestion_view(self, request, object_id: int, other_id: int, action: str):
        """Link a suggested claim as corroborating or contradicting, or dismiss it; then back to the claim."""
        claim, other = self.claim_and_other(request, object_id, other_id)
        if action not in SUGGESTION_ACTIONS or not self.may_link(request, claim):
            raise PermissionDenied
        try:
            if action == "dismiss":
                dismiss_suggestion(claim=claim, suggested=other, dismissed_by=request.user)
            else:
                link_claims(claim_a=claim, claim_b=other, relation=Link.Relation(action), created_by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, f"Claim {other.pk} {SUGGESTION_ACTIONS[action]}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]) + "#suggested-links")

    def undo_dismissal_view(self, request, object_id: int, other_id: int):
        """Bring a dismissed suggestion back (the same permission as dismissing it); then back to the claim."""
        claim, other = self.claim_and_other(request, object_id, other_id)
        if not self.may_link(request, claim):
            raise PermissionDenied
        if undo_dismissal(claim=claim, suggested=other, user=request.user):
            self.message_user(request, f"Claim {other.pk} is no longer dismissed.", messages.SUCCESS)
        else:
            self.message_user(request, f"Claim {other.pk} was not dismissed for this claim.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]) + "#dismissed-suggestions")

    def jsonld_view(self, request, object_id: int):
        """The claim as a W3C Web Annotation, and as a schema.org ClaimReview when reviewed."""
        claim = get_object_or_404(
            self.get_queryset(request).select_related("source__publisher", "speaker", "created_by"), pk=object_id
        )
        if not self.has_view_permission(request, claim):
            raise PermissionDenied
        return JsonResponse(
            documents(claim),
            safe=False,
            content_type="application/ld+json",
            json_dumps_params={"ensure_ascii": False, "indent": 2},
        )


@admin.register(Republication)
class RepublicationAdmin(ProjectScopedAdmin, CheckedListFilters, admin.ModelAdmin):
    list_display = ["copy", "original", "note"]
    list_select_related = ["copy", "original"]
    search_fields = ["copy__title", "original__title", "note"]
    autocomplete_fields = ["copy", "original"]

    # A copy speaks with its original's voice: the services recount the claims both touch, before and after.
    def save_model(self, request, obj, form, change):
        save_republication(obj, user=request.user)

    def delete_model(self, request, obj):
        delete_republications(republications=[obj], user=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        delete_republications(republications=list(queryset), user=request.user)
