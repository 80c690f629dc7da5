"""The admin, scoped by project through the one home (common.projects): what each page of a project's model lists,
opens, offers as a choice, filters by, finds and exports is `visible_to(request.user)`; the permissions are asked
with the object, so that they answer from the role held in its project (sources.backends).

An object of another project is never found: its change, delete and history pages answer 404, as an id that
never existed does. The person's current project (chosen at /admin/project/, kept in the session) narrows every
list, list filter and autocomplete to that project; with none chosen they show all of the person's projects.
"""

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from common.projects import member_projects, project_of

SESSION_KEY = "admin_project"


def is_scoped(model) -> bool:
    """Whether a model belongs to a project (says where with `project_path`) and so is read through visible_to."""
    return getattr(model, "project_path", None) is not None


def visible(model, user):
    """The rows of `model` this user may see (`visible_to`, which every project model's manager has)."""
    return model._default_manager.visible_to(user)


def current_project(request) -> int | None:
    """The id of the project chosen in the admin's switcher, if one is (and still one of the person's)."""
    chosen = request.session.get(SESSION_KEY)
    if not isinstance(chosen, int):
        return None
    if request.user.is_superuser or chosen in member_project_ids(request.user):
        return chosen
    return None


def member_project_ids(user) -> set[int]:
    """The ids of the projects the user holds a role in, read once per user object with their permissions."""
    return set(member_projects(user))


def in_current_project(request, queryset):
    """The rows of the current project when one is chosen; all of `queryset` otherwise."""
    project = current_project(request)
    # The list of projects itself is not narrowed to one.
    if project is None or not is_scoped(queryset.model) or queryset.model.project_path == "pk":
        return queryset
    return (
        queryset.in_project(project)
        if hasattr(queryset, "in_project")
        else queryset.filter(**{queryset.model.project_path: project})
    )


def projects_where(user, permission: str):
    """The projects in which the user holds `permission` (every project for a superuser), by name."""
    Project = apps.get_model("sources", "Project")
    projects = visible(Project, user).order_by("name")
    if user.is_superuser:
        return projects
    return projects.filter(pk__in=[p.pk for p in projects if user.has_perm(permission, p)])


def model_permission(model, action: str) -> str:
    opts = model._meta
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


class ProjectPermissions:
    """Admin mixin: each permission asked with the object, so it is answered in the object's project (a Viewer in
    A who is a Reviewer in B reads A's objects and changes B's); without an object, in any of the person's
    projects (may they see the list at all)."""

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm(model_permission(self.opts.model, "view"), obj) or self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(model_permission(self.opts.model, "change"), obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(model_permission(self.opts.model, "delete"), obj)


class VisibleChoices:
    """Admin mixin: every choice of a related object (a foreign key, a many-to-many field, their autocomplete
    boxes) offers only the rows the person may see."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return only_visible(super().formfield_for_foreignkey(db_field, request, **kwargs), request.user)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return only_visible(super().formfield_for_manytomany(db_field, request, **kwargs), request.user)


def only_visible(formfield, user):
    queryset = getattr(formfield, "queryset", None)
    if queryset is not None and is_scoped(queryset.model):
        formfield.queryset = queryset.visible_to(user)
    return formfield


class ProjectScopedInline(ProjectPermissions, VisibleChoices):
    """For an inline of a project's model (a claim's links): its rows and choices visible ones, its permissions
    asked in the project of the object the page is about."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    # An inline's permissions are asked with the parent object (the claim), whose project is the rows'.
    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(model_permission(self.opts.model, "add"), obj)


class ProjectScopedAdmin(ProjectPermissions, VisibleChoices):
    """Admin mixin for every ModelAdmin of a project's model (a source, a claim, a person, …): see the module."""

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        """Django's checkbox of a list's row, written out as its widget's template writes it: rendered through the
        template, the checkboxes took a third of a 100-row page's rendering (tests/test_changelists.py)."""
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def get_object(self, request, object_id, from_field=None):
        """The object, if the person may see it; a 404 otherwise, the same for another project's object as for one
        that never existed (Django's "perhaps it was deleted" redirect would answer differently for neither)."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} has this id.")
        return obj

    def history_view(self, request, object_id, extra_context=None):
        self.check_history_reach(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.check_history_reach(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def check_history_reach(self, request, object_id) -> None:
        """A 404 unless the object whose history is asked for is one the person may see: a saved object through
        get_queryset; a deleted one by the project its last record names (django-simple-history shows a deleted
        object's history from its records, which no queryset of the model holds)."""
        try:
            pk = self.model._meta.pk.to_python(object_id)
        except Exception as error:  # noqa: BLE001 (a malformed id: as not found)
            raise Http404("No such object.") from error
        if self.get_queryset(request).filter(pk=pk).exists():
            return
        history = getattr(self.model, "history", None)  # a model without django-simple-history keeps none
        if history is None or self.model._default_manager.filter(pk=pk).exists():
            raise Http404("No such object.")
        record = history.filter(**{self.model._meta.pk.attname: pk}).order_by("-history_date").first()
        if record is None or not may_see_project(request.user, project_of_record(record)):
            raise Http404("No such object.")


def project_of_record(record) -> int | None:
    """The project of a deleted object, from its history record; None when it cannot be told (its source gone)."""
    try:
        return project_of(record.instance)
    except ObjectDoesNotExist:
        return None


def may_see_project(user, project_id: int | None) -> bool:
    Project = apps.get_model("sources", "Project")
    if project_id is None:
        return user.is_superuser
    return visible(Project, user).filter(pk=project_id).exists()


class ProjectField:
    """For the admin of a model with its own project (a source, a person, a tag): a new one goes into a project
    where the person may add it, the current project first; a saved one shows its project and stays in it."""

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if "project" in fields else ["project", *fields]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        named = {name for _, options in fieldsets for name in admin.utils.flatten(options.get("fields", ()))}
        if "project" in named:
            return fieldsets
        (title, options), *rest = fieldsets
        return [(title, {**options, "fields": ["project", *options.get("fields", ())]}), *rest]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "project"] if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            kwargs["queryset"] = self.projects_to_add_to(request)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.initial = self.default_project(request)
            # Left empty, the default is taken (form_with_default); with none, the model asks for one.
            field.required = False
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def projects_to_add_to(self, request):
        return projects_where(request.user, model_permission(self.opts.model, "add"))

    def default_project(self, request) -> int | None:
        """The current project if the person may add to it, else the only project where they may."""
        projects = self.projects_to_add_to(request)
        current = current_project(request)
        if current is not None and projects.filter(pk=current).exists():
            return current
        ids = list(projects.values_list("pk", flat=True)[:2])
        return ids[0] if len(ids) == 1 else None

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            return form
        default = self.default_project(request)

        def clean_project(form):
            return form.cleaned_data.get("project") or form.fields["project"].queryset.filter(pk=default).first()

        return type(form.__name__, (form,), {"clean_project": clean_project})


class ProjectChoiceForm(forms.Form):
    """The admin's project switcher: one of the person's projects, or all of them."""

    project = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my projects")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = visible(apps.get_model("sources", "Project"), user).order_by("name")


class VisibleRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter by a related object (a claim's tags) whose choices are the rows the person may see, of the
    current project when one is chosen: Django's lists every row of the related table, another project's too."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        rows = in_current_project(request, visible(related, request.user)) if is_scoped(related) else None
        ordering = self.field_admin_ordering(field, request, model_admin)
        limit = {} if rows is None else {"pk__in": rows.values("pk")}
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to=limit)


class VisibleRelatedOnlyFilter(admin.RelatedOnlyFieldListFilter):
    """Django's "only the related objects some row names" filter (a source list's publishers), reading the rows of
    the list (get_queryset: the person's) of the current project."""

    def field_choices(self, field, request, model_admin):
        rows = in_current_project(request, model_admin.get_queryset(request))
        named = rows.order_by().distinct().values_list(f"{self.field_path}__pk", flat=True)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": named}, ordering=ordering)
