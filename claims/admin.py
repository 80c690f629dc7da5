from django import forms
from django.contrib import admin, messages

import claims.api.admin  # noqa: F401  (API tokens)
from claims.corroboration.admin import CorroborationPanels, IndependenceFilter
from claims.exchange.admin import ClaimImportExport, CorroborationImportExport
from claims.forms import ClaimForm
from claims.models import Claim, Corroboration, Tag
from claims.rules import may_review
from common.history import HistoryWithoutRevert


class LinkInlineForm(forms.ModelForm):
    class Meta:
        model = Corroboration
        fields = ["claim_a", "claim_b", "relation", "note"]
        labels = {"claim_a": "other claim", "claim_b": "other claim"}
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "cols": 50})}


class LinkInline(admin.TabularInline):
    model = Corroboration
    form = LinkInlineForm
    extra = 0
    autocomplete_fields = ["claim_a", "claim_b"]
    fields = ["claim_a", "claim_b", "relation", "note"]
    show_change_link = True


class LinksFromInline(LinkInline):
    fk_name = "claim_a"
    verbose_name = "link from this claim"
    verbose_name_plural = "links from this claim"
    extra = 1


class LinksToInline(LinkInline):
    fk_name = "claim_b"
    verbose_name = "link to this claim"
    verbose_name_plural = "links to this claim"


@admin.register(Claim)
class ClaimAdmin(CorroborationPanels, ClaimImportExport, HistoryWithoutRevert):
    form = ClaimForm
    list_display = [
        "excerpt",
        "speaker",
        "source",
        "claimed",
        "kind",
        "status",
        "corroborated",
        "contradicted",
        "corroborating",
        "independent",
        "contradicting",
    ]
    list_display_links = ["excerpt"]
    list_filter = [
        "status",
        "kind",
        "anchor_state",  # a re-import flags broken anchors for review
        ("speaker", admin.RelatedOnlyFieldListFilter),
        "source",
        ("source__publisher", admin.RelatedOnlyFieldListFilter),
        "tags",
        IndependenceFilter,
    ]
    list_select_related = ["source", "speaker"]
    # Counting every claim again on each filtered page costs a full scan at a million claims.
    show_full_result_count = False
    search_fields = ["quote", "statement", "speaker__name", "source__title"]
    autocomplete_fields = ["source", "speaker", "tags"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    actions = ["mark_reviewed", "mark_disputed", "mark_retracted"]
    inlines = [LinksFromInline, LinksToInline]
    fieldsets = [
        (None, {"fields": ["source", "quote", ("start", "end"), "statement"]}),
        ("Who and when", {"fields": ["speaker", ("claimed_on", "claimed_on_precision"), "kind"]}),
        ("Review", {"fields": ["status", "rating", "tags", "seen_version", "created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_link_counts().with_source_counts()

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # The form applies the status rule for the user who saves (claims.rules).
        return type(form.__name__, (form,), {"user": request.user})

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_review_permission(request):
            fields += ["status", "rating"]
        return fields

    def has_review_permission(self, request) -> bool:
        return may_review(request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for link in formset.save(commit=False):
            if link.pk is None:
                link.created_by = request.user
            link.save()
        for link in formset.deleted_objects:
            link.delete()

    @admin.display(description="quote", ordering="quote")
    def excerpt(self, claim: Claim) -> str:
        return claim.excerpt

    @admin.display(description="claimed on", ordering="claimed_on")
    def claimed(self, claim: Claim) -> str:
        return claim.claimed_on_iso

    @admin.display(description="corroborated by", ordering="corroborations")
    def corroborated(self, claim: Claim) -> int:
        return claim.corroborations

    @admin.display(description="contradicted by", ordering="contradictions")
    def contradicted(self, claim: Claim) -> int:
        return claim.contradictions

    def _set_status(self, request, queryset, status: str) -> None:
        changed = queryset.set_status(status)
        self.message_user(request, f"{changed} claim(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Mark selected claims reviewed", permissions=["review"])
    def mark_reviewed(self, request, queryset):
        self._set_status(request, queryset, Claim.Status.REVIEWED)

    @admin.action(description="Mark selected claims disputed", permissions=["review"])
    def mark_disputed(self, request, queryset):
        self._set_status(request, queryset, Claim.Status.DISPUTED)

    @admin.action(description="Mark selected claims retracted", permissions=["review"])
    def mark_retracted(self, request, queryset):
        self._set_status(request, queryset, Claim.Status.RETRACTED)


@admin.register(Corroboration)
class CorroborationAdmin(CorroborationImportExport, HistoryWithoutRevert):
    list_display = ["claim_a", "relation", "claim_b", "note", "created_by", "created_at"]
    list_filter = ["relation"]
    list_select_related = ["claim_a", "claim_b", "created_by"]
    search_fields = ["claim_a__quote", "claim_b__quote", "note"]
    autocomplete_fields = ["claim_a", "claim_b"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
