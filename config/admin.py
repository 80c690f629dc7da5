"""The project's admin site: Django's, with autocomplete results a model admin may label and prepare, and the
person's current project (a switcher in the header and at /admin/project/, common.admin_projects)."""

from functools import cached_property

from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import BadRequest
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from common.admin_projects import (
    SESSION_KEY,
    ProjectChoiceForm,
    current_project,
    in_current_project,
    member_project_ids,
    visible,
)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete results labelled by the model admin's `autocomplete_label(obj)` and read from its
    `autocomplete_queryset(queryset)` when it defines them (Django's documented way to change the results).
    The rows are the related admin's get_queryset (the person's projects), of the current project when one is
    chosen."""

    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        if "\x00" in term:  # PostgreSQL refuses a NUL in any text it compares
            raise BadRequest("The search term holds a NUL character.")
        return term, model_admin, source_field, to_field_name

    def get_queryset(self):
        queryset = in_current_project(self.request, super().get_queryset())
        prepare = getattr(self.model_admin, "autocomplete_queryset", None)
        return prepare(queryset) if prepare else queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


class ProjectSwitch:
    """The header's project switcher: shown to a member of several projects (known from the roles their permissions
    were read with, no query of its own) and to a superuser, who chooses among all; the projects' names are read
    only when it is shown."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def shown(self) -> bool:
        user = self.request.user
        return user.is_superuser or len(member_project_ids(user)) > 1

    @cached_property
    def current(self):
        from sources.models import Project

        chosen = current_project(self.request)
        return None if chosen is None else visible(Project, self.request.user).filter(pk=chosen).first()


class ClaimtrailAdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)

    def get_urls(self):
        return [path("project/", self.admin_view(self.project_view), name="project"), *super().get_urls()]

    def each_context(self, request):
        context = super().each_context(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            context["project_switch"] = ProjectSwitch(request)
        return context

    def project_view(self, request):
        """Choose the current project: every list of a project's model shows its rows (or all of the person's)."""
        form = ProjectChoiceForm(request.POST or None, user=request.user, initial={"project": current_project(request)})
        if request.method == "POST" and form.is_valid():
            project = form.cleaned_data["project"]
            if project is None:
                request.session.pop(SESSION_KEY, None)
                messages.success(request, "The lists show all your projects.")
            else:
                request.session[SESSION_KEY] = project.pk
                messages.success(request, f"The lists show the project {project.name}.")
            back = request.POST.get("next") or ""
            if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                back = reverse("admin:index")
            return HttpResponseRedirect(back)
        back = request.POST.get("next") or request.GET.get("next") or ""
        context = {**self.each_context(request), "title": "Current project", "form": form, "next": back}
        return TemplateResponse(request, "admin/project.html", context)
