"""Admin change lists that refuse a filter value no database can compare.

PostgreSQL refuses a NUL character in any text it is given (a DataError, a 500), and the admin hands a
list filter's value (`?status__exact=%00`) to the query as it came. A NUL in a filter is an incorrect lookup,
read where the changelist reads its filters: the admin's own answer, the list again with "?e=1" and its
"invalid setup" page. (Its search box already refuses a NUL: a form field.)

A list of a project's model shows the current project's rows when the person chose one (common.admin_projects).
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models.expressions import OrderBy

from common.admin_projects import current_project, in_current_project
from common.projects import only_project_seen_by


class FilteredChangeList(ChangeList):
    def __init__(self, request, *args, **kwargs):
        self.request = request  # for root_queryset, which ChangeList sets first of all
        super().__init__(request, *args, **kwargs)

    @property
    def root_queryset(self):
        return self._root_queryset

    @root_queryset.setter
    def root_queryset(self, queryset):
        # Every row the list, its counts, its facets, its actions and its export read: the current project's, when
        # the person chose one in the admin's switcher (common.admin_projects).
        queryset = in_current_project(self.request, queryset)
        if hasattr(queryset, "bunched_in"):  # claims: one project's read from where its ids begin (or end)
            project = current_project(self.request) or only_project_seen_by(self.request.user, queryset.model)
            queryset = queryset.bunched_in(project)
        self._root_queryset = queryset

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for name, values in lookup_params.items():
            if any("\x00" in value for value in (values if isinstance(values, list) else [values])):
                raise IncorrectLookupParameters(f"The filter {name} holds a NUL character.")
        return lookup_params

    def get_ordering(self, request, queryset):
        """Django's ordering, with the primary key that breaks ties going the sorted column's way: "independent
        voices" ascending is `independent_voices, id`, which the index on (independent_voices, id) reads in its
        order, where Django's `independent_voices, -id` has every claim sorted at each click."""
        ordering = super().get_ordering(request, queryset)
        pk = self.lookup_opts.pk
        # Django's "-pk", or the admin's own ordering by "-id" that the sorted column comes before.
        if len(ordering) > 1 and ordering[-1] in {"-pk", f"-{pk.name}", f"-{pk.attname}"}:
            if not descending(ordering[0]):
                ordering[-1] = ordering[-1].removeprefix("-")
        return ordering


def descending(part) -> bool:
    if isinstance(part, OrderBy):
        return part.descending
    return isinstance(part, str) and part.startswith("-")


class CheckedListFilters:
    """A ModelAdmin whose change list refuses a filter value holding a NUL as an incorrect lookup, and whose
    sorted columns break ties in their own direction (FilteredChangeList.get_ordering)."""

    def get_changelist(self, request, **kwargs):
        return FilteredChangeList
