from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Left
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

import claims.api.admin  # noqa: F401  (API tokens)
from claims.corroboration.admin import CorroborationPanels, IndependenceFilter
from claims.exchange.admin import ClaimImportExport, LinkImportExport
from claims.forms import ClaimForm
from claims.models import EXCERPT_LENGTH, Claim, Link, Tag
from claims.rules import back_to_draft_message, check_across_sources, may_review
from claims.search import search
from claims.services import delete_claims, delete_links, save_claim, save_link, set_status
from claims.tagging import refresh_tag_names, refresh_tag_names_of
from common.admin_lists import CheckedListFilters
from common.admin_projects import ProjectField, ProjectScopedAdmin, ProjectScopedInline, VisibleRelatedFilter, visible
from common.autocomplete_filter import AutocompleteFilter
from common.capped_paginator import CappedPaginator
from common.history import HistoryWithoutRevert
from sources.models import SOURCE_TEXTS, Source


class LinkInlineForm(forms.ModelForm):
    class Meta:
        model = Link
        fields = ["claim_a", "claim_b", "relation", "note"]
        labels = {"claim_a": "other claim", "claim_b": "other claim"}
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "cols": 50})}


class DescribedClaimField(forms.ModelChoiceField):
    """A choice of claim shown with its speaker, date and source, not only its quote."""

    def label_from_instance(self, claim: Claim) -> str:
        return claim.described


def with_speaker_and_source(claims):
    """Claims ready for `Claim.described`: speaker and source read in the same query, without the texts."""
    return claims.select_related("speaker", "source").defer(*(f"source__{name}" for name in SOURCE_TEXTS))


class DescribedClaimChoices:
    """Admin mixin: the claim_a and claim_b choices (autocomplete) show each claim's speaker, date and source."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("claim_a", "claim_b"):
            kwargs["form_class"] = DescribedClaimField
            kwargs["queryset"] = with_speaker_and_source(visible(Claim, request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class LinkFormSet(BaseInlineFormSet):
    """The claim's links as the form saves them: each joins the claim, in the source the form puts it in, to a
    claim of another source. Each link's own check reads the claim's source as it is stored, which a move made in
    the same form has not changed yet."""

    def clean(self):
        super().clean()
        claim, other_end = self.instance, "claim_b" if self.fk.name == "claim_a" else "claim_a"
        for form in self.forms:
            other = getattr(form, "cleaned_data", {}).get(other_end)
            if other is None or claim.source_id is None or self._should_delete_form(form):
                continue
            try:
                check_across_sources(claim.source_id, other.source_id)
            except ValidationError as error:
                form.add_error(other_end, error)


class LinkInline(ProjectScopedInline, DescribedClaimChoices, admin.TabularInline):
    model = Link
    form = LinkInlineForm
    formset = LinkFormSet
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


class SpeakerFilter(AutocompleteFilter):
    title = "speaker"
    parameter_name = "speaker"
    field = ("claims", "claim", "speaker")


class SourceFilter(AutocompleteFilter):
    title = "source"
    parameter_name = "source"
    field = ("claims", "claim", "source")


class PublisherFilter(AutocompleteFilter):
    title = "publisher"
    parameter_name = "source__publisher"
    field = ("sources", "source", "publisher")


@admin.register(Claim)
class ClaimAdmin(ProjectScopedAdmin, CheckedListFilters, CorroborationPanels, ClaimImportExport, HistoryWithoutRevert):
    form = ClaimForm
    list_display = [
        "excerpt",
        "in_text",
        "speaker",
        "source",
        "claimed",
        "kind",
        "status",
        "corroborating",
        "independent",
        "unverified",
        "contradicting",
    ]
    list_display_links = ["excerpt"]
    list_filter = [
        "status",
        "kind",
        "anchor_state",  # a re-import flags broken anchors for review
        # Autocomplete boxes: a list of every speaker, source or publisher would read them all on each page.
        SpeakerFilter,
        SourceFilter,
        PublisherFilter,
        ("tags", VisibleRelatedFilter),  # the tags of the person's projects, not every tag
        IndependenceFilter,
    ]
    list_select_related = ["source", "speaker"]
    # Each sortable column is read in the order of an index on (column, id) (Claim.Meta.indexes), both ways. Not the
    # speaker or the source: sorting by a joined name sorts every claim at each click (filter by them instead).
    sortable_by = ["excerpt", "claimed", "kind", "status", "corroborating", "independent", "unverified"]
    sortable_by += ["contradicting"]
    # Counting every claim again on each filtered page costs a full scan at a million claims.
    show_full_result_count = False
    paginator = CappedPaginator
    # The search box; claims.search decides what a term matches.
    search_fields = ["quote"]
    search_help_text = (
        "Words of the quote or statement, a speaker, a publisher or a source title; "
        "#7 for claim 7; a date: 2017, 2017-06 or 2017-06-01."
    )
    autocomplete_fields = ["source", "speaker", "tags"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    actions = ["mark_reviewed", "mark_disputed", "mark_retracted"]
    inlines = [LinksFromInline, LinksToInline]
    fieldsets = [
        (None, {"fields": ["source", "quote", ("start", "end"), "statement"]}),
        ("Who and when", {"fields": ["speaker", "claimed_on", "kind"]}),
        ("Review", {"fields": ["status", "rating", "tags", "seen_version", "created_by", "created_at", "updated_at"]}),
    ]

    # Newest first, by the primary key: the list does not join sources to order itself.
    ordering = ["-id"]

    class Media:
        css = {"all": ["claims/admin.css"]}

    def get_queryset(self, request):
        # The list shows each claim's source by its title: never its text.
        return super().get_queryset(request).defer(*(f"source__{name}" for name in SOURCE_TEXTS))

    def get_search_results(self, request, queryset, search_term):
        found = search(queryset, search_term, user=request.user)
        request.claims_counted = found.counted  # the search counted them: the paginator need not
        return found.claims, False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        counted = getattr(request, "claims_counted", None)
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, counted=counted)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # The form applies the status rule for the user who saves (claims.rules).
        return type(form.__name__, (form,), {"user": request.user})

    def autocomplete_queryset(self, queryset):
        """The claims an autocomplete offers (config.admin.LabelledAutocompleteJsonView)."""
        return with_speaker_and_source(queryset)

    def autocomplete_label(self, claim: Claim) -> str:
        return claim.described

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Asked in the claim's project: a Reviewer elsewhere is not one here.
        if not may_review(request.user, obj):
            fields += ["status", "rating"]
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        # A new claim's date starts as its source's (claims.forms): only from a source the person may see.
        source = str(initial.get("source", ""))
        if source and not (source.isdigit() and visible(Source, request.user).filter(pk=source).exists()):
            del initial["source"]
        return initial

    def has_review_permission(self, request) -> bool:
        return may_review(request.user)

    def save_model(self, request, obj, form, change):
        was = Claim.objects.filter(pk=obj.pk).values_list("status", flat=True).first() if change else None
        tags = form.cleaned_data["tags"] if "tags" in form.fields else None
        save_claim(obj, user=request.user, seen_version=form.cleaned_data.get("seen_version"), tags=tags)
        if obj.sent_back_to_draft:
            self.message_user(request, back_to_draft_message(obj.pk, Claim.Status(was).label), messages.WARNING)

    def save_related(self, request, form, formsets, change):
        # The claim and its tags were saved by save_claim (one history record); the inlines are its links.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        for link in formset.save(commit=False):
            save_link(link=link, user=request.user)
        delete_links(links=formset.deleted_objects, user=request.user)

    def get_deleted_objects(self, objs, request):
        """As Django lists them, without the rows joining a claim to its tags ("Claim_tags object (8)"): the
        tags themselves stay, and the count says how many claims lose them."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        through = Claim.tags.through._meta
        label = f"{capfirst(through.verbose_name)}: "

        def without_tag_rows(items):
            kept = []
            for item in items:
                if isinstance(item, list):
                    item = without_tag_rows(item)
                    if not item:
                        continue
                elif str(item).startswith(label):
                    continue
                kept.append(item)
            return kept

        counts.pop(through.verbose_name_plural, None)
        return without_tag_rows(deleted), counts, perms_needed, protected

    def delete_model(self, request, obj):
        delete_claims(claims=[obj], user=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        delete_claims(claims=list(queryset), user=request.user)

    # The shown excerpt's characters, which an index holds (a whole quote may be too long for one).
    @admin.display(description="quote", ordering=Left("quote", EXCERPT_LENGTH))
    def excerpt(self, claim: Claim) -> str:
        return claim.excerpt

    @admin.display(description="text")
    def in_text(self, claim: Claim) -> str:
        url = reverse("annotate:source", args=[claim.source_id])
        title = "Open the claim in its source’s text"
        return format_html('<a href="{}?claim={}" title="{}">annotate</a>', url, claim.pk, title)

    @admin.display(description="claimed on", ordering="claimed_on")
    def claimed(self, claim: Claim) -> str:
        return claim.claimed_on_iso

    def _set_status(self, request, queryset, status: str) -> None:
        try:
            changed = set_status(queryset, status, user=request.user, reason=f"Marked {status} in the admin")
        except PermissionDenied as refused:
            # Some of the selected claims are of a project where the person does not review: none is changed.
            self.message_user(request, f"{refused} No claim was changed.", messages.ERROR)
            return
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


@admin.register(Link)
class LinkAdmin(ProjectScopedAdmin, CheckedListFilters, DescribedClaimChoices, LinkImportExport, HistoryWithoutRevert):
    list_display = ["first_claim", "relation", "second_claim", "note", "created_by", "created_at"]
    list_filter = ["relation"]
    list_select_related = ["claim_a__speaker", "claim_a__source", "claim_b__speaker", "claim_b__source", "created_by"]
    search_fields = ["claim_a__quote", "claim_b__quote", "note"]
    autocomplete_fields = ["claim_a", "claim_b"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return request.user.has_perm("claims.link_claim")

    def save_model(self, request, obj, form, change):
        save_link(link=obj, user=request.user)

    def delete_model(self, request, obj):
        delete_links(links=[obj], user=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        delete_links(links=list(queryset), user=request.user)

    def get_queryset(self, request):
        texts = [f"{side}__source__{name}" for side in ("claim_a", "claim_b") for name in ("text", "raw_text")]
        return super().get_queryset(request).defer(*texts)

    @admin.display(description="claim", ordering="claim_a")
    def first_claim(self, link: Link) -> str:
        return link.claim_a.described

    @admin.display(description="other claim", ordering="claim_b")
    def second_claim(self, link: Link) -> str:
        return link.claim_b.described


@admin.register(Tag)
class TagAdmin(ProjectField, ProjectScopedAdmin, CheckedListFilters, admin.ModelAdmin):
    list_display = ["name", "project"]
    list_select_related = ["project"]
    search_fields = ["name"]

    # Each claim stores its tags' names (claims.tagging): a tag renamed or deleted refreshes its claims.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_tag_names_of([obj])

    def delete_model(self, request, obj):
        claims = list(obj.claims.values_list("pk", flat=True))
        super().delete_model(request, obj)
        refresh_tag_names(claims)

    def delete_queryset(self, request, queryset):
        claims = list(Claim.objects.filter(tags__in=queryset).values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        refresh_tag_names(claims)
