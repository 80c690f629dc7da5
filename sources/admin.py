from django.contrib import admin
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from import_export.formats.base_formats import JSON
from simple_history.admin import SimpleHistoryAdmin

from common.spreadsheet_admin import TabularImport, spreadsheet_format
from sources.models import Agent, Source
from sources.resources import SPREADSHEET_FORMATS, AgentResource, SourceResource


@admin.register(Agent)
class AgentAdmin(TabularImport, SimpleHistoryAdmin):
    resource_classes = [AgentResource]
    formats = SPREADSHEET_FORMATS
    import_formats = [spreadsheet_format(AgentResource._meta.fields), JSON]
    list_display = ["name", "kind", "parent", "wikidata_id"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "aliases", "wikidata_id"]
    autocomplete_fields = ["parent"]


class MissingMetadataFilter(admin.SimpleListFilter):
    """Sources that lack a date, an author or a publisher: the metadata a reader needs to weigh them."""

    title = "missing metadata"
    parameter_name = "missing"
    conditions = {
        "any": ("any of these", None),
        "date": ("no date", Q(published_on__isnull=True)),
        "author": ("no author", Q(authors__isnull=True)),
        "publisher": ("no publisher", Q(publisher__isnull=True)),
    }

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.conditions.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.conditions:
            return queryset
        if self.value() == "any":
            condition = Q(published_on__isnull=True) | Q(publisher__isnull=True) | Q(authors__isnull=True)
        else:
            condition = self.conditions[self.value()][1]
        # authors__isnull joins the authors; pk__in keeps one row a source.
        return queryset.filter(pk__in=Source.objects.filter(condition).values("pk"))


@admin.register(Source)
class SourceAdmin(TabularImport, SimpleHistoryAdmin):
    resource_classes = [SourceResource]
    formats = SPREADSHEET_FORMATS
    import_formats = [spreadsheet_format(SourceResource._meta.fields), JSON]
    list_display = ["title", "publisher", "author_names", "published", "language", "claim_count", "retrieved_at"]
    list_filter = ["language", "publisher", MissingMetadataFilter]
    list_select_related = ["publisher"]
    search_fields = ["title", "url", "publisher__name", "authors__name"]
    autocomplete_fields = ["publisher", "authors"]
    readonly_fields = ["provenance_page", "text_sha256", "raw_sha256", "created_at", "updated_at"]
    date_hierarchy = "published_on"
    # Django 6.0's default, chosen now: a URL typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "url",
                    "publisher",
                    "authors",
                    ("published_on", "published_on_precision"),
                    "language",
                ]
            },
        ),
        ("Text", {"fields": ["text", "text_sha256"]}),
        (
            "Provenance",
            {
                "fields": [
                    "provenance_page",
                    "retrieved_at",
                    "raw_text",
                    "raw_sha256",
                    "notes",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("authors").annotate(n_claims=Count("claims"))

    @admin.display(description="provenance review")
    def provenance_page(self, source: Source) -> str:
        if source.pk is None:
            return "—"
        url = reverse("sources:provenance", args=[source.pk])
        return format_html('<a href="{}">Captures, derivation, highlighted claims and history</a>', url)

    @admin.display(description="authors")
    def author_names(self, source: Source) -> str:
        return ", ".join(a.name for a in source.authors.all())

    @admin.display(description="published", ordering="published_on")
    def published(self, source: Source) -> str:
        return source.published_on_iso

    @admin.display(description="claims", ordering="n_claims")
    def claim_count(self, source: Source) -> int:
        return source.n_claims
