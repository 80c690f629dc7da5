"""Admin change lists that refuse a filter value no database can compare.

PostgreSQL refuses a NUL character in any text it is given (a DataError, a 500), and the admin hands a
list filter's value (`?status__exact=%00`) to the query as it came. A NUL in a filter is an incorrect lookup,
read where the changelist reads its filters: the admin's own answer, the list again with "?e=1" and its
"invalid setup" page. (Its search box already refuses a NUL: a form field.)
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class FilteredChangeList(ChangeList):
    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        for name, values in lookup_params.items():
            if any("\x00" in value for value in (values if isinstance(values, list) else [values])):
                raise IncorrectLookupParameters(f"The filter {name} holds a NUL character.")
        return lookup_params


class CheckedListFilters:
    """A ModelAdmin whose change list refuses a filter value holding a NUL as an incorrect lookup."""

    def get_changelist(self, request, **kwargs):
        return FilteredChangeList
