"""A changelist filter that never lists every choice: the admin's own autocomplete box picks one.

A filter listing all sources reads every source (their text too) on every page of a long list; this one reads
only the one chosen, to show its name."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.http import QueryDict

from common.admin_projects import visible


class AutocompleteFilter(admin.SimpleListFilter):
    """Subclass with `title`, `parameter_name` (the lookup, such as "source" or "source__publisher") and
    `field` (app_label, model_name, field_name: the foreign key the admin autocompletes, as in autocomplete_fields)."""

    template = "admin/autocomplete_filter.html"
    field: tuple[str, str, str]

    def __init__(self, request, params, model, model_admin):
        self.request = request  # the chosen object is named only if the person may see it
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.parameter_name: int(value)})

    def foreign_key(self):
        from django.apps import apps

        app_label, model_name, field_name = self.field
        return apps.get_model(app_label, model_name)._meta.get_field(field_name)

    def choices(self, changelist):
        key = self.foreign_key()
        field = forms.ModelChoiceField(
            # Another project's person, named by id in the URL, is not shown by name (common.admin_projects).
            queryset=visible(key.remote_field.model, self.request.user),
            widget=AutocompleteSelect(key, admin.site),
            required=False,
            label=f"By {self.title}",
        )
        form_class = type("AutocompleteFilterForm", (forms.Form,), {self.parameter_name: field})
        value = self.value() if (self.value() or "").isdigit() else None
        form = form_class(data={self.parameter_name: value}, prefix=None)
        others = QueryDict(changelist.get_query_string(remove=[self.parameter_name, "p"]).lstrip("?"))
        yield {
            "form": form,
            "hidden": [(k, v) for k, values in others.lists() for v in values],
            "selected": value is not None,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name, "p"]),
        }
