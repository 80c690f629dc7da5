from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from common.admin_lists import CheckedListFilters
from common.history import HistoryWithoutRevert
from common.import_uploads import ConfirmedOnce
from common.spreadsheet_admin import JsonFile, TabularImport, spreadsheet_format
from sources.duplicates import likely_duplicates
from sources.forms import DatesWithPrecisionMixin, DateWithPrecisionField
from sources.models import Agent, Source
from sources.resources import SPREADSHEET_FORMATS, AgentResource, SourceResource
from sources.services import delete_agent, mark_distinct, merge_agents, voices_changed_for_agents
from sources.signals import announce_voices_changed


@admin.register(Agent)
class AgentAdmin(ConfirmedOnce, CheckedListFilters, TabularImport, HistoryWithoutRevert):
    resource_classes = [AgentResource]
    formats = SPREADSHEET_FORMATS
    import_formats = [spreadsheet_format(AgentResource._meta.fields), JsonFile]
    list_display = ["name", "also_known_as", "kind", "parent", "wikidata_id"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "aliases", "wikidata_id"]
    autocomplete_fields = ["parent"]
    actions = ["merge_selected"]
    change_list_template = "sources/agent_change_list.html"

    @admin.display(description="also known as")
    def also_known_as(self, agent: Agent) -> str:
        return ", ".join(agent.alias_list)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"parent", "name", "aliases"} & set(form.changed_data):
            # The organisation above a publisher decides which sources speak with one voice; its names, which
            # publishers are likely duplicates (the counts say what deciding on one would change).
            voices_changed_for_agents([obj.pk])

    def delete_model(self, request, obj):
        delete_agent(agent=obj)

    def delete_queryset(self, request, queryset):
        for agent in queryset:
            delete_agent(agent=agent)

    def get_urls(self):
        return [
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="sources_agent_duplicates",
            ),
            *super().get_urls(),
        ]

    def may_merge(self, request) -> bool:
        # A merge edits people and organisations (the merged ones live on as aliases): a Reviewer's work.
        return self.has_change_permission(request)

    @admin.action(description="Merge selected people or organisations into one", permissions=["merge"])
    def merge_selected(self, request, queryset):
        agents = list(queryset.order_by("pk"))
        if len(agents) < 2:
            self.message_user(request, "Select two or more to merge.", messages.WARNING)
            return None
        keep = queryset.filter(pk=request.POST.get("keep")).first()
        if "merge" in request.POST and keep is not None:
            merge_agents(keep=keep, others=agents)
            self.message_user(request, f"Merged {len(agents) - 1} into {keep.name}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge people or organisations",
            "agents": agents,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "sources/agent_merge.html", context)

    def has_merge_permission(self, request) -> bool:
        return self.may_merge(request)

    def next_url(self, request) -> str:
        """Where a decision returns to: the page that asked (a claim page's "decide" link), else the list."""
        wanted = request.POST.get("next") or request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
            return wanted
        return reverse("admin:sources_agent_duplicates")

    def duplicates_view(self, request):
        """Likely duplicate organisations, each pair with a Merge button either way and a Distinct button."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if not self.may_merge(request):
                raise PermissionDenied
            first = get_object_or_404(Agent, pk=request.POST.get("first"))
            second = get_object_or_404(Agent, pk=request.POST.get("second"))
            if request.POST.get("choice") == "distinct":
                mark_distinct(first=first, second=second, user=request.user)
                self.message_user(request, f"{first.name} and {second.name} marked distinct.", messages.SUCCESS)
            elif request.POST.get("choice") == "merge" and request.POST.get("confirm") != "yes":
                # A merge cannot be undone from here: say what it does and ask once more.
                context = {
                    **self.admin_site.each_context(request),
                    "title": f"Merge {second.name} into {first.name}?",
                    "keep": first,
                    "other": second,
                    "sources": Source.objects.filter(publisher=second).count(),
                    "next": self.next_url(request),
                    "opts": self.model._meta,
                }
                return TemplateResponse(request, "sources/agent_merge_confirm.html", context)
            elif request.POST.get("choice") == "merge":
                merge_agents(keep=first, others=[second])
                self.message_user(request, f"Merged {second.name} into {first.name}.", messages.SUCCESS)
            return HttpResponseRedirect(self.next_url(request))
        context = {
            **self.admin_site.each_context(request),
            "title": "Likely duplicate organisations",
            "proposals": likely_duplicates(),
            "next": self.next_url(request),
            "may_merge": self.may_merge(request),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "sources/agent_duplicates.html", context)


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


def https_by_default(db_field, **kwargs):
    """Django 6.0's default, chosen now: a URL typed without a scheme is https."""
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return db_field.formfield(**kwargs)


class SourceForm(DatesWithPrecisionMixin, forms.ModelForm):
    published_on = DateWithPrecisionField(label="Published on", required=False)
    dates_with_precision = ("published_on",)

    class Meta:
        model = Source
        fields = ["title", "url", "publisher", "authors", "published_on", "language", "text"]
        fields += ["retrieved_at", "raw_text", "notes"]
        formfield_callback = https_by_default
        # Wide enough for a real headline.
        widgets = {"title": forms.TextInput(attrs={"class": "vTextField source-title"})}


@admin.register(Source)
class SourceAdmin(ConfirmedOnce, CheckedListFilters, TabularImport, HistoryWithoutRevert):
    form = SourceForm
    resource_classes = [SourceResource]
    formats = SPREADSHEET_FORMATS
    import_formats = [spreadsheet_format(SourceResource._meta.fields), JsonFile]
    list_display = ["title", "publisher", "author_names", "published", "language", "claim_count", "retrieved_at"]
    # Only agents that publish a source: the people in the agents table are not publishers.
    list_filter = ["language", ("publisher", admin.RelatedOnlyFieldListFilter), MissingMetadataFilter]
    list_select_related = ["publisher"]
    search_fields = ["title", "url", "publisher__name", "authors__name"]
    autocomplete_fields = ["publisher", "authors"]
    readonly_fields = ["provenance_page", "text_sha256", "raw_sha256", "created_at", "updated_at"]
    date_hierarchy = "published_on"

    class Media:
        css = {"all": ["sources/admin.css"]}

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
                    "published_on",
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

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Shown, not posted back: a browser would send the text with CRLF line breaks, a change to anchored text.
        if obj is not None and obj.has_anchored_text():
            fields += ["text", "raw_text"]
        return fields

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and {"publisher", "url", "authors"} & set(form.changed_data):
            # Whom a source speaks with: its authors, its publisher, its URL's domain.
            announce_voices_changed({form.instance.pk})

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
