"""The claim list's search: a claim by its id (`#7`, or `7`; a bare four-digit number is a year), claims made on
a date at any precision (`2017`, `2017-06`, `2017-06-01`), or claims whose words, speaker, publisher or source title
match, through indexes on PostgreSQL (full-text search on the words, trigram indexes on names and titles).

Words and names are looked up first, each through its own index: the people and sources named, then the ids of
the claims matching each (at most MAX_LISTED), and the page asks for those ids. Asked for as "words or these
sources, newest first", PostgreSQL may walk the whole table backwards by id, deriving every claim's words again,
hoping to meet 100 matches soon, where the matches of a source title are all in old claims (seconds at a million
claims). A part matching more claims than that is left to the planner (see MAX_LISTED), bounded by the newest claim
it matches where an index gives that at once (a source's claims, by claim_source_idx): the page then starts there,
not at the end of the table.

Looking them up first also counts them: the claims listed by their ids are as many as the ids, and a part matching
more than MAX_LISTED claims matches more than the list counts (`Found.counted`), so the list does not count again."""

import calendar
import datetime
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, F, Lookup, Max, Q, QuerySet
from django.db.models.expressions import RawSQL

from claims.fulltext import claim_words
from sources.dates import Precision
from sources.models import Agent, Source

CLAIM_ID = re.compile(r"^#?(\d{1,18})$")
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# Names and titles matched by a word search, at most: a word in every title is not a search.
MAX_NAMED = 1000
# A part of the search (words, names) matching at most this many claims is asked for by their ids. One matching
# more is left to the planner: common enough that the newest claims usually hold matches, but a title matching
# hundreds of old sources is walked to backwards (1.4-1.8 s at a million claims, issue 26).
MAX_LISTED = 20_000
# The expression the full-text index holds (claim_search_english, migration claims 0004), as the index is used.
WORDS_VECTOR = claim_words('"claims_claim"')


@dataclass
class Found:
    """What a search matched: the claims, and how many when looking them up counted them (`counted`: exact up to
    MAX_LISTED, MAX_LISTED + 1 for more; None when not counted)."""

    claims: QuerySet
    counted: int | None = None


def search_claims(claims: QuerySet, term: str, *, user=None) -> QuerySet:
    """The claims matching the search term (see the module's docstring). `user`: the person searching, whose
    projects' people and sources the names are looked up among (common.projects.visible_to); None for all."""
    return search(claims, term, user=user).claims


def search(claims: QuerySet, term: str, *, user=None) -> Found:
    """`search_claims`, with the count of the claims found where looking them up counted them."""
    term = term.strip()
    if not term:
        return Found(claims)
    # A bare four-digit number is a year; `#2017` is claim 2017.
    if (found := DATE.match(term)) and 1 <= int(found.group(2) or 1) <= 12:
        try:
            return Found(claims.filter(date_range(*found.groups())))
        except ValueError:  # no such day, such as 2017-02-30
            return Found(claims.none(), 0)
    if found := CLAIM_ID.match(term):
        # An id, not words: "7" does not match "7 percent".
        return Found(claims.filter(pk=int(found.group(1))))
    speakers, sources = names_match(term, user=user)
    if connection.vendor != "postgresql":
        return Found(claims.filter(words_match(term) | speakers | sources))
    matched, counted = listed(claims, [(words_match(term), None), (speakers, None), (sources, "source")])
    return Found(claims.filter(matched), counted)


def listed(claims: QuerySet, parts: list[tuple[Q, str | None]]) -> tuple[Q, int]:
    """The claims matching any of the parts: by their ids where a part matches at most MAX_LISTED of them; a
    part matching none is left out. Each part comes with the column whose (column, id) index gives its newest
    claim, or None: when every part's newest claim is known, the claims are bounded by the newest of them. With
    how many claims match: the ids' number, or MAX_LISTED + 1 when a part matches more (`Found.counted`)."""
    found, ids, newest = Q(pk__in=[]), set(), 0
    for part, column in parts:
        if part == Q():  # nothing named
            continue
        matching = list(claims.filter(part).order_by().values_list("pk", flat=True)[: MAX_LISTED + 1])
        if len(matching) <= MAX_LISTED:
            ids.update(matching)
            newest = max([newest, *matching]) if newest is not None else None
            continue
        found |= part
        if column is None or newest is None:
            newest = None
        else:
            # Grouped, so that the planner cannot ask for "the first of the ids backwards that matches".
            each = claims.filter(part).order_by().values(column).annotate(newest=Max("pk"))
            newest = max(newest, *each.values_list("newest", flat=True))
    counted = len(ids) if found == Q(pk__in=[]) else MAX_LISTED + 1
    matched = (found | Q(IdIn(F("pk"), sorted(ids)))) if ids else found
    # Only a part left to the planner needs the bound: ids are found through their own index.
    bounded = matched & Q(pk__lte=newest) if newest is not None and found != Q(pk__in=[]) else matched
    return bounded, counted


class IdIn(Lookup):
    """`id = ANY(%s)`, the ids given as one array (PostgreSQL): `pk__in` gives each its own parameter, which takes
    psycopg and the planner a second for 20,000 ids."""

    lookup_name = "id_in"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} = ANY(%s)", (*lhs_params, self.rhs)


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


def names_match(term: str, *, user=None) -> tuple[Q, Q]:
    """Claims whose speaker, and claims whose publisher (by name or alias) or source title, holds the term: two
    parts, Q() when nothing is named. (`ilike_contains`, not `icontains`: the trigram indexes serve it.) Only the
    people and sources of the user's projects are looked up: another project's names would take places among the
    MAX_NAMED."""
    named = Agent.objects.visible_to(user).filter(Q(name__ilike_contains=term) | Q(aliases__ilike_contains=term))
    # The newest MAX_NAMED of each, whose claims are the likeliest on the first page.
    agents = list(named.order_by("-pk").values_list("pk", flat=True)[:MAX_NAMED])
    sources = Source.objects.visible_to(user).filter(Q(title__ilike_contains=term) | Q(publisher__in=agents))
    source_ids = list(sources.order_by("-pk").values_list("pk", flat=True)[:MAX_NAMED])
    return (Q(speaker__in=agents) if agents else Q()), (Q(source__in=source_ids) if source_ids else Q())
