"""The claim list's search: a claim by its id (`#7`, or `7`; a bare four-digit number is a year), claims made on
a date at any precision (`2017`, `2017-06`, `2017-06-01`), or claims whose words, speaker, publisher or source title
match, through indexes on PostgreSQL (full-text search on the words, trigram indexes on names and titles)."""

import calendar
import datetime
import re

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from claims.fulltext import claim_words
from sources.dates import Precision
from sources.models import Agent, Source

CLAIM_ID = re.compile(r"^#?(\d{1,18})$")
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# Names and titles matched by a word search, at most: a word in every title is not a search.
MAX_NAMED = 1000
# The expression the full-text index holds (claim_search_english, migration claims 0004), as the index is used.
WORDS_VECTOR = claim_words('"claims_claim"')


def search_claims(claims: QuerySet, term: str) -> QuerySet:
    """The claims matching the search term (see the module's docstring)."""
    term = term.strip()
    if not term:
        return claims
    # A bare four-digit number is a year; `#2017` is claim 2017.
    if (found := DATE.match(term)) and 1 <= int(found.group(2) or 1) <= 12:
        try:
            return claims.filter(date_range(*found.groups()))
        except ValueError:  # no such day, such as 2017-02-30
            return claims.none()
    if found := CLAIM_ID.match(term):
        # An id, not words: "7" does not match "7 percent".
        return claims.filter(pk=int(found.group(1)))
    return claims.filter(words_match(term) | names_match(term))


def date_range(year: str, month: str | None, day: str | None) -> Q:
    """Claims made within that year, month or day, stated at least that precisely."""
    y = int(year)
    if day:
        moment = datetime.date(y, int(month), int(day))
        return Q(claimed_on=moment, claimed_on_precision=Precision.DAY)
    if month:
        m = int(month)
        last = calendar.monthrange(y, m)[1]
        return Q(claimed_on__range=(datetime.date(y, m, 1), datetime.date(y, m, last))) & ~Q(
            claimed_on_precision=Precision.YEAR
        )
    return Q(claimed_on__range=(datetime.date(y, 1, 1), datetime.date(y, 12, 31)))


def words_match(term: str) -> Q:
    if connection.vendor == "postgresql":
        matches = RawSQL(
            f"{WORDS_VECTOR} @@ plainto_tsquery('english'::regconfig, %s)", (term,), output_field=BooleanField()
        )
        return Q(matches)
    # Every word, as PostgreSQL's plainto_tsquery asks (without its stemming).
    found = Q()
    for word in term.split():
        found &= Q(quote__icontains=word) | Q(statement__icontains=word)
    return found


def names_match(term: str) -> Q:
    """Claims whose speaker, publisher (by name or alias) or source title holds the term."""
    agents = list(
        Agent.objects.filter(Q(name__icontains=term) | Q(aliases__icontains=term)).values_list("pk", flat=True)[
            :MAX_NAMED
        ]
    )
    sources = Source.objects.filter(Q(title__icontains=term) | Q(publisher__in=agents))
    source_ids = list(sources.values_list("pk", flat=True)[:MAX_NAMED])
    return Q(speaker__in=agents) | Q(source__in=source_ids)
