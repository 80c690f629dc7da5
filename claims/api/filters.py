import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from claims.models import Claim, Corroboration
from claims.search import search_claims
from sources.dates import Precision, from_iso


class IdFilter(django_filters.NumberFilter):
    """An id: a whole number the database can hold (django-filter's NumberFilter takes any decimal)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=2**63 - 1, **kwargs)


def iso_date(value: str) -> None:
    try:
        from_iso(value)
    except ValueError as e:
        # The text goes in as a parameter: django-filter %-formats the message, and the text may hold a "%".
        message = "“%(value)s” is not a date as YYYY, YYYY-MM or YYYY-MM-DD."
        raise ValidationError(message, code="bad_date", params={"value": value}) from e


class ClaimFilter(django_filters.FilterSet):
    """Claims by source, speaker, status, kind, tag, date at any precision, publisher and independent sources."""

    source = IdFilter(field_name="source_id")
    speaker = IdFilter(field_name="speaker_id")
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Claim.Kind.choices)
    tag = django_filters.CharFilter(field_name="tags__name", help_text="A tag's name.")
    publisher = IdFilter(field_name="source__publisher_id")
    claimed_on = django_filters.CharFilter(
        method="filter_claimed_on",
        validators=[iso_date],
        help_text="YYYY, YYYY-MM or YYYY-MM-DD: the claims made within that period.",
    )
    min_independent_sources = IdFilter(field_name="independent_sources", lookup_expr="gte")
    q = django_filters.CharFilter(
        method="filter_words",
        help_text="As the admin's search: #id, a date (2017, 2017-06), words, speaker, publisher.",
    )

    class Meta:
        model = Claim
        fields = []

    def filter_claimed_on(self, queryset, name, value):
        day, precision = from_iso(value)
        if day is None:
            return queryset
        queryset = queryset.filter(claimed_on__year=day.year)
        if precision != Precision.YEAR:
            queryset = queryset.filter(claimed_on__month=day.month)
        if precision == Precision.DAY:
            queryset = queryset.filter(claimed_on__day=day.day)
        return queryset

    def filter_words(self, queryset, name, value):
        return search_claims(queryset, value)


class LinkFilter(django_filters.FilterSet):
    claim = IdFilter(method="filter_claim", help_text="Links from or to this claim.")
    relation = django_filters.ChoiceFilter(choices=Corroboration.Relation.choices)

    class Meta:
        model = Corroboration
        fields = []

    def filter_claim(self, queryset, name, value):
        return queryset.filter(Q(claim_a=value) | Q(claim_b=value))
