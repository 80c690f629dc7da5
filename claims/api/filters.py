import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import extend_schema_field

from claims.models import Claim, Link
from claims.search import search_claims
from sources.dates import Precision, from_iso


class WholeNumberField(forms.IntegerField):
    """Digits only, as the schema says an integer is: Django's IntegerField also reads " 5 " and "5.0"."""

    def to_python(self, value):
        if value not in self.empty_values and not (isinstance(value, str) and value.isascii() and value.isdecimal()):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 2**63 - 1})  # not "number": 0.5 is refused
class IdFilter(django_filters.NumberFilter):
    """An id: a whole number the database can hold (django-filter's NumberFilter takes any decimal)."""

    field_class = WholeNumberField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=2**63 - 1, **kwargs)


def is_id(value: str) -> bool:
    return value.isascii() and value.isdecimal()


def id_the_database_can_hold(value: str) -> None:
    if is_id(value) and int(value) >= 2**63:
        raise ValidationError("Ensure this value is less than or equal to %(limit)s.", params={"limit": 2**63 - 1})


class SpeakerFilter(django_filters.CharFilter):
    """A speaker by id (`?speaker=12`) or by name, in any case (`?speaker=Vladimir Putin`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validators=[id_the_database_can_hold], **kwargs)

    def filter(self, queryset, value):
        if value in EMPTY_VALUES:
            return queryset
        if is_id(value):
            return queryset.filter(speaker_id=int(value))
        return queryset.filter(speaker__name__iexact=value.strip())


# What sources.dates.from_iso reads: a year, a month or a day (that month's days are its own rule).
ISO_DATE_PATTERN = r"^([1-9][0-9]{3}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?)?$"


def check_iso_date(value: str) -> None:
    try:
        if not re.fullmatch(ISO_DATE_PATTERN, value):
            raise ValueError(value)
        from_iso(value)
    except ValueError as e:
        # The text goes in as a parameter: django-filter %-formats the message, and the text may hold a "%".
        message = "“%(value)s” is not a date as YYYY, YYYY-MM or YYYY-MM-DD."
        raise ValidationError(message, code="bad_date", params={"value": value}) from e


class ClaimFilter(django_filters.FilterSet):
    """Claims by source, speaker, status, kind, tag, date at any precision, publisher and independent sources."""

    source = IdFilter(field_name="source_id")
    speaker = SpeakerFilter(help_text="A speaker's id, or their name (the whole name, in any case).")
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Claim.Kind.choices)
    tag = django_filters.CharFilter(field_name="tags__name", help_text="A tag's name.")
    publisher = IdFilter(field_name="source__publisher_id")
    claimed_on = extend_schema_field({"type": "string", "pattern": ISO_DATE_PATTERN})(
        django_filters.CharFilter(
            method="filter_claimed_on",
            validators=[check_iso_date],
            strip=False,  # " 2017" is not what the schema's pattern allows
            help_text="YYYY, YYYY-MM or YYYY-MM-DD: the claims made within that period (a day that does not exist, "
            "such as 2017-02-30, is a 400).",
        )
    )
    min_independent_voices = IdFilter(field_name="independent_voices", lookup_expr="gte")
    # The same filter under its name before issue 24 named the count for what it counts: still answered.
    min_independent_sources = IdFilter(
        field_name="independent_voices", lookup_expr="gte", help_text="The former name of min_independent_voices."
    )
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
        return search_claims(queryset, value, user=self.request.user if self.request else None)


class LinkFilter(django_filters.FilterSet):
    claim = IdFilter(method="filter_claim", help_text="Links from or to this claim.")
    relation = django_filters.ChoiceFilter(choices=Link.Relation.choices)

    class Meta:
        model = Link
        fields = []

    def filter_claim(self, queryset, name, value):
        return queryset.filter(Q(claim_a=value) | Q(claim_b=value))
