from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from common.admin_lists import CheckedListFilters, FilteredChangeList
from common.admin_projects import (
    ProjectField,
    ProjectScopedAdmin,
    VisibleRelatedOnlyFilter,
    in_current_project,
    model_permission,
    projects_where,
)
from common.history import HistoryWithoutRevert
from common.import_uploads import ConfirmedOnce
from common.projects import sees_everything
from common.spreadsheet_admin import JsonFile, TabularImport, spreadsheet_format
from sources.duplicates import likely_duplicates
from sources.forms import DatesWithPrecisionMixin, DateWithPrecisionField
from sources.models import SOURCE_TEXTS, Agent, Membership, Project, Source, check_authors
from sources.resources import SPREADSHEET_FORMATS, AgentResource, SourceResource
from sources.services import (
    delete_agent,
    delete_memberships,
    delete_source,
    mark_distinct,
    merge_agents,
    save_agent,
    save_membership,
    save_project,
    save_source,
)


class ImportsIntoProject:
    """The library's import, told who imports and into which project (the one a new row would be added to in the
    form: the current project, else the only one where the person may add), as resource kwargs: the resources
    (sources/resources.py) find and write rows of that project only."""

    def get_import_resource_kwargs(self, request, **kwargs):
        project = Project.objects.filter(pk=self.default_project(request)).first()
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user, "project": project}


@admin.register(Agent)
class AgentAdmin(
    ImportsIntoProject,
    ProjectField,
    ProjectScopedAdmin,
    ConfirmedOnce,
    CheckedListFilters,
    TabularImport,
    HistoryWithoutRevert,
):
    resource_classes = [AgentResource]
    formats = SPREADSHEET_FORMATS
    import_formats = [spreadsheet_format(AgentResource._meta.fields), JsonFile]
    list_display = ["name", "also_known_as", "kind", "parent", "wikidata_id"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    # Read along an index on (column, id) both ways (Agent.Meta.indexes); not the parent, a joined name.
    sortable_by = ["name", "kind", "wikidata_id"]
    # ilike_contains (sources.lookups): the trigram indexes on names and aliases serve it.
    search_fields = ["name__ilike_contains", "aliases__ilike_contains", "wikidata_id__exact"]
    autocomplete_fields = ["parent"]
    actions = ["merge_selected"]
    change_list_template = "sources/agent_change_list.html"

    @admin.display(description="also known as")
    def also_known_as(self, agent: Agent) -> str:
        return ", ".join(agent.alias_list)

    def save_model(self, request, obj, form, change):
        save_agent(obj, user=request.user, fields=form.changed_data if change else None)

    def delete_model(self, request, obj):
        delete_agent(agent=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for agent in queryset:
            delete_agent(agent=agent, user=request.user)

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
        return request.user.has_perm("sources.merge_agent")  # claims/rules.py

    @admin.action(description="Merge selected people or organisations into one", permissions=["merge"])
    def merge_selected(self, request, queryset):
        agents = list(queryset.order_by("pk"))
        if len(agents) < 2:
            self.message_user(request, "Select two or more to merge.", messages.WARNING)
            return None
        keep = queryset.filter(pk=request.POST.get("keep")).first()
        if "merge" in request.POST and keep is not None:
            # Refused for people of two projects: none is merged.
            self.decide(
                request,
                lambda: merge_agents(keep=keep, others=agents, user=request.user),
                done=f"Merged {len(agents) - 1} into {keep.name}.",
            )
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

    def decide(self, request, decision, *, done: str) -> None:
        """Carry out a merge or a "distinct" through its service; what the service refuses is said, not a 500."""
        try:
            decision()
        except ValidationError as refused:
            self.message_user(request, " ".join(refused.messages), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)

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
            # Only the person's own: another project's organisation is not found.
            first = get_object_or_404(self.get_queryset(request), pk=request.POST.get("first"))
            second = get_object_or_404(self.get_queryset(request), pk=request.POST.get("second"))
            if request.POST.get("choice") == "distinct":
                # Refused when marked already (a second click), or for two projects' organisations.
                self.decide(
                    request,
                    lambda: mark_distinct(first=first, second=second, user=request.user),
                    done=f"{first.name} and {second.name} marked distinct.",
                )
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
                self.decide(
                    request,
                    lambda: merge_agents(keep=first, others=[second], user=request.user),
                    done=f"Merged {second.name} into {first.name}.",
                )
            return HttpResponseRedirect(self.next_url(request))
        context = {
            **self.admin_site.each_context(request),
            "title": "Likely duplicate organisations",
            "proposals": self.likely_duplicates(request),
            "next": self.next_url(request),
            "may_merge": self.may_merge(request),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "sources/agent_duplicates.html", context)

    def likely_duplicates(self, request):
        """The proposals among the organisations of the person's projects (the current one's when chosen), each
        pair within one project: two projects' organisations are never one."""
        organisations = in_current_project(request, self.get_queryset(request)).filter(kind=Agent.Kind.ORGANISATION)
        proposals = likely_duplicates(among=list(organisations.values_list("pk", flat=True)), user=request.user)
        return [p for p in proposals if p.first.project_id == p.second.project_id]


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

    def clean(self):
        cleaned = super().clean()
        if "authors" in self.changed_data:
            # Checked again under the locks their delete and merge hold, held to the save's commit.
            try:
                check_authors(self.instance, cleaned.get("authors") or ())
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    class Meta:
        model = Source
        fields = ["title", "url", "publisher", "authors", "published_on", "language", "text"]
        fields += ["retrieved_at", "raw_text", "notes"]
        formfield_callback = https_by_default
        # Wide enough for a real headline.
        widgets = {"title": forms.TextInput(attrs={"class": "vTextField source-title"})}


class SourceList(FilteredChangeList):
    """The source list: each source by its title and metadata, its texts left unread."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer(*SOURCE_TEXTS)


@admin.register(Source)
class SourceAdmin(
    ImportsIntoProject,
    ProjectField,
    ProjectScopedAdmin,
    ConfirmedOnce,
    CheckedListFilters,
    TabularImport,
    HistoryWithoutRevert,
):
    form = SourceForm
    resource_classes = [SourceResource]
    formats = SPREADSHEET_FORMATS
    import_formats = [spreadsheet_format(SourceResource._meta.fields), JsonFile]
    list_display = ["title", "publisher", "author_names", "published", "language", "claim_count", "retrieved_at"]
    # Only agents that publish a source: the people in the agents table are not publishers.
    list_filter = ["language", ("publisher", VisibleRelatedOnlyFilter), MissingMetadataFilter]
    list_select_related = ["publisher"]
    # Read along an index on (column, id) both ways (Source.Meta.indexes); not the publisher (a joined name) nor the
    # number of claims (counted for every source at each click).
    sortable_by = ["title", "published", "language", "retrieved_at"]
    # ilike_contains (sources.lookups): the trigram indexes on titles and names serve it.
    search_fields = ["title__ilike_contains", "url__ilike_contains", "publisher__name__ilike_contains"]
    search_fields += ["authors__name__ilike_contains"]
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
        # Each shown source's claims counted apart (through the index on their source), not every claim grouped.
        claims = Source.objects.filter(pk=OuterRef("pk")).annotate(n=Count("claims")).values("n")
        return super().get_queryset(request).prefetch_related("authors").annotate(n_claims=Subquery(claims))

    def get_changelist(self, request, **kwargs):
        return SourceList

    def autocomplete_queryset(self, queryset):
        """The sources a choice offers (config.admin.LabelledAutocompleteJsonView): shown by title, texts unread."""
        return queryset.defer(*SOURCE_TEXTS)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Shown, not posted back: a browser would send the text with CRLF line breaks, a change to anchored text.
        if obj is not None and obj.has_anchored_text():
            fields += ["text", "raw_text"]
        return fields

    def save_model(self, request, obj, form, change):
        # The authors as chosen, when changed: re-set unchanged, as the form read them, they would undo a merge's.
        authors = form.cleaned_data["authors"] if "authors" in form.changed_data else None
        save_source(obj, user=request.user, authors=authors)  # recounts when its voice may have changed

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the source and its authors were saved by save_source
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        delete_source(source=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for source in queryset:
            delete_source(source=source, user=request.user)

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


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin, admin.ModelAdmin):
    """Projects: a superuser creates and renames them; a Manager sees their own and changes its description."""

    list_display = ["name", "slug", "member_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("memberships"))

    @admin.display(description="members", ordering="n_members")
    def member_count(self, project: Project) -> int:
        return project.n_members

    def may_rename(self, request, obj) -> bool:
        return obj is None or request.user.has_perm("sources.rename_project", obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # A Manager changes the description; a name refused as taken would tell them of another project.
        return fields if self.may_rename(request, obj) else [*fields, "name", "slug"]

    def get_prepopulated_fields(self, request, obj=None):
        return super().get_prepopulated_fields(request, obj) if self.may_rename(request, obj) else {}

    def save_model(self, request, obj, form, change):
        save_project(obj, user=request.user)


class MembershipForm(forms.ModelForm):
    # Typed, not chosen from a list: a list of every account would name the people of every project.
    user = forms.ModelChoiceField(
        queryset=None,
        to_field_name="username",
        widget=forms.TextInput,
        label="Username",
        error_messages={"invalid_choice": "No account has this username."},
    )

    class Meta:
        model = Membership
        fields = ["project", "user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = Membership._meta.get_field("user").related_model.objects.all()
        if self.instance.user_id is not None:
            self.initial["user"] = self.instance.user.get_username()


@admin.register(Membership)
class MembershipAdmin(ProjectScopedAdmin, admin.ModelAdmin):
    """Who holds which role in which project. A Manager adds, changes and removes the members of the projects they
    manage, and only of those (the project choices and each permission are asked in the membership's project)."""

    form = MembershipForm
    list_display = ["user", "project", "role"]
    list_filter = [("project", VisibleRelatedOnlyFilter), "role"]
    list_select_related = ["user", "project", "role"]
    search_fields = ["user__username", "project__name"]

    def get_queryset(self, request):
        # The members of the projects where the person may see them (a Manager's), not of every project of theirs.
        managed = projects_where(request.user, model_permission(Membership, "view"))
        return super().get_queryset(request).filter(project__in=managed.values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = projects_where(request.user, model_permission(Membership, "add"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The service asks again with the object: a project the form did not offer is refused, whatever was posted.
        save_membership(obj, user=request.user)

    def delete_model(self, request, obj):
        delete_memberships(memberships=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        delete_memberships(memberships=queryset, user=request.user)


class LoginAttemptAdmin(AccessAttemptAdmin):
    """django-axes' login attempts, where a Reviewer lifts a lock-out (deletes the row): those of the accounts holding a
    role in a project where the person may see them. Another project's people, the addresses they log in from and
    when they tried are not shown (nor lifted). An attempt naming no account (a guessed or mistyped username) is of
    no project and stays shown: an address's lock-out is lifted there."""

    def get_queryset(self, request):
        attempts = super().get_queryset(request)
        if sees_everything(request.user, AccessAttempt):
            return attempts
        projects = projects_where(request.user, model_permission(AccessAttempt, "view"))
        members = Membership.objects.filter(project__in=projects.values("pk")).values("user__username")
        accounts = get_user_model().objects.values("username")
        return attempts.filter(Q(username__in=members) | ~Q(username__in=accounts))


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, LoginAttemptAdmin)
