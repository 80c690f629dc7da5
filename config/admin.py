"""The project's admin site: Django's, with autocomplete results a model admin may label and prepare."""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import BadRequest


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete results labelled by the model admin's `autocomplete_label(obj)` and read from its
    `autocomplete_queryset(queryset)` when it defines them (Django's documented way to change the results)."""

    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        if "\x00" in term:  # PostgreSQL refuses a NUL in any text it compares
            raise BadRequest("The search term holds a NUL character.")
        return term, model_admin, source_field, to_field_name

    def get_queryset(self):
        queryset = super().get_queryset()
        prepare = getattr(self.model_admin, "autocomplete_queryset", None)
        return prepare(queryset) if prepare else queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


class ClaimtrailAdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)
