"""The claims CSV: its columns, defined once, and the two ways of streaming it.

Every cell is computed by the database as text (escaped for spreadsheets, NULL when empty) by one
SELECT built from `COLUMNS`. What a claim's row holds from other rows (its tags, its links' ids) is stored on
the claim as the CSV writes it (claims.tagging, claims.corroboration.counting), so the SELECT reads columns. On
PostgreSQL the cells it repeats from its source and people are kept on the claim too (claims.exchange.stored_cells,
from these same expressions), and the export hands a SELECT of the claims table alone to one `COPY … TO STDOUT` on
the export's one connection: one statement, one snapshot. Elsewhere (SQLite) the SELECT computing every cell is
iterated and each row written with `csv_line`, which quotes exactly as PostgreSQL's CSV output does. So both paths
give the same bytes.
"""

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    Expression,
    F,
    Func,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Replace, Substr

from claims.models import Claim
from common.formulas import escaped
from common.pg_settings import settings_for
from sources.dates import Precision
from sources.models import Agent

CHUNK_BYTES = 1 << 16
CHUNK_ROWS = 256  # rows of a COPY handed on at once (about CHUNK_BYTES of claims)


class SemicolonJoined(Func):
    """In a subquery: its rows' values joined with "; ", ordered by `ordering`; NULL when there are none."""

    output_field = TextField()

    def __init__(self, value, ordering):
        super().__init__(value, ordering)

    def as_sql(self, compiler, connection, **extra):
        (value, value_params), (ordering, ordering_params) = (compiler.compile(e) for e in self.source_expressions)
        if connection.vendor == "postgresql":
            sql = f"STRING_AGG(({value})::text, '; ' ORDER BY {ordering})"
        else:
            # SQLite before 3.44 has no ordered aggregate, but orders a window: every row of the
            # subquery then carries the whole list, and `joined_list()` takes the first.
            frame = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
            sql = f"GROUP_CONCAT({value}, '; ') OVER (ORDER BY {ordering} {frame})"
        return sql, (*value_params, *ordering_params)


# PostgreSQL writes dates and times as text in its DateStyle, which is ISO on every connection of ours: psycopg reads
# timestamps only in ISO (and `_copied` sets it for the export). A cast is then YYYY-MM-DD, at about half the cost
# of TO_CHAR (a million claims, three dates each).


class DateText(Func):
    """A date as YYYY-MM-DD (SQLite stores dates that way)."""

    output_field = TextField()
    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)::text", **extra)


class DateTimeText(Func):
    """A moment as ISO 8601 in UTC to the second: 2017-06-01T09:30:00Z."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra):
        # Truncated to the second, a timestamp is written without a fraction: "2017-06-01 09:30:00". The cast to a
        # timestamp reads it in the connection's time zone, UTC (Django sets it, and so does COPY_SETTINGS): AT TIME
        # ZONE 'UTC' looked the zone up by its name for every value.
        template = "REPLACE(DATE_TRUNC('second', (%(expressions)s)::timestamp)::text, ' ', 'T') || 'Z'"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]".
        template = "REPLACE(SUBSTR(%(expressions)s, 1, 19), ' ', 'T') || 'Z'"
        return self.as_sql(compiler, connection, template=template, **extra)


def iso_date(date: str, precision: str) -> Expression:
    """Like `sources.dates.to_iso`: 2017-06-01, 2017-06 or 2017, keeping the precision."""
    length = Case(
        When(**{precision: Precision.YEAR}, then=Value(4)),
        When(**{precision: Precision.MONTH}, then=Value(7)),
        default=Value(10),
    )
    return Substr(DateText(F(date)), 1, length, output_field=TextField())


def text_cell(expression) -> Expression:
    """A text cell: escaped for spreadsheets, NULL (an empty cell) when empty."""
    return NullIf(escaped(expression), Value(""), output_field=TextField())


class NumberText(Cast):
    """A number as text, for the SELECT read row by row (`csv_line` writes text). COPY writes a number exactly as
    its text, so `stretch_queries` hands PostgreSQL the number itself: seven casts a row were a tenth of PostgreSQL's
    time on the export."""

    def __init__(self, expression):
        super().__init__(expression, TextField())


def number_cell(expression) -> Expression:
    return NumberText(expression)


class PagesText(Func):
    """The pages of a PDF source that a claim's quote stands on, "2" or "2; 3"; NULL for a source without pages.
    As `Source.pages_of`: page N (from 1) starts at the source's page_starts[N-1] and ends where the next begins,
    and holds the quote when it starts before the quote's end and ends after the quote's start."""

    output_field = TextField()

    def __init__(self, page_starts, start, end):
        super().__init__(page_starts, start, end)

    def as_postgresql(self, compiler, connection, **extra):
        (starts, _), (start, _), (end, _) = (compiler.compile(e) for e in self.source_expressions)
        sql = (
            f"CASE WHEN jsonb_array_length({starts}) > 0 THEN (SELECT STRING_AGG(p.n::text, '; ' ORDER BY p.n) "
            f"FROM jsonb_array_elements_text({starts}) WITH ORDINALITY AS p(s, n) WHERE p.s::bigint < {end} "
            f"AND COALESCE(({starts} ->> p.n::int)::bigint, 9223372036854775807) > {start}) END"
        )
        return sql, ()

    def as_sqlite(self, compiler, connection, **extra):
        (starts, _), (start, _), (end, _) = (compiler.compile(e) for e in self.source_expressions)
        # json_each walks the array in order, and GROUP_CONCAT joins the rows in the order they come.
        sql = (
            f"CASE WHEN json_array_length({starts}) > 0 THEN (SELECT GROUP_CONCAT(p.key + 1, '; ') "
            f"FROM json_each({starts}) AS p WHERE p.value < {end} "
            f"AND COALESCE(json_extract({starts}, '$[' || (p.key + 1) || ']'), 9223372036854775807) > {start}) END"
        )
        return sql, ()


@dataclass(frozen=True)
class Column:
    name: str
    value: Expression

    @property
    def alias(self) -> str:
        return f"csv_{self.name}"


def joined_list(queryset: QuerySet, value: str, ordering: str | None = None) -> Subquery:
    """The `value`s of the queryset's rows, in order, joined with "; "."""
    rows = queryset.order_by().annotate(joined=SemicolonJoined(F(value), F(ordering or value))).values("joined")
    return Subquery(rows[:1], output_field=TextField())


def escaped_name(name: str) -> Expression:
    """A name in a list cell: "\\" and ";" escaped with a backslash, so a name holding "; " stays one name
    (reading.split_list undoes it)."""
    backslashes = Replace(F(name), Value("\\"), Value("\\\\"), output_field=TextField())
    return Replace(backslashes, Value(";"), Value("\\;"), output_field=TextField())


def names_list(queryset: QuerySet) -> Subquery:
    """The names of the queryset's rows as a list: in order of name, each escaped for lists; NULL for none."""
    return joined_list(queryset.annotate(listed_name=escaped_name("name")), "listed_name", "name")


def names_cell(queryset: QuerySet) -> Expression:
    """`names_list` as a cell: escaped for spreadsheets, NULL for none."""
    return text_cell(names_list(queryset))


def _source_cells(path: str) -> dict[str, Expression]:
    """The cells that describe a claim's source: read through the claim (`path` "source__"), or from the source
    itself ("") when the PostgreSQL export computes them once per source (`copy_query`)."""
    source = OuterRef("source") if path else OuterRef("pk")
    return {
        "source_title": text_cell(F(f"{path}title")),
        "source_url": text_cell(F(f"{path}url")),
        "publisher": text_cell(F(f"{path}publisher__name")),
        "authors": names_cell(Agent.objects.filter(authored_sources=source)),
        "published_on": iso_date(f"{path}published_on", f"{path}published_on_precision"),
    }


def stored_cell(field: str) -> Expression:
    """A cell the claim stores as the CSV writes it, NULL (an empty cell) when empty."""
    return NullIf(F(field), Value(""), output_field=TextField())


def choice_cell(field: str) -> Expression:
    """A choice as stored: never empty, and never like a formula (the claim's constraints keep it one of its
    choices), so it needs neither escape nor NULLIF: two of them cost a tenth of the export's database time."""
    return F(field)


def mostly_empty_cell(field: str) -> Expression:
    """A text cell for a column that is empty for most claims: the empty ones are ruled out first, by one
    comparison, before the spreadsheet escape's tests."""
    return Case(When(**{field: ""}, then=Value(None)), default=escaped(F(field)), output_field=TextField())


def _columns() -> list[Column]:
    return [
        Column("id", number_cell(F("pk"))),
        # The claim's version when exported: an import refuses a row older than the claim (reading.stale_version).
        Column("version", number_cell(F("version"))),
        Column("source_id", number_cell(F("source_id"))),
        *(Column(name, value) for name, value in _source_cells("source__").items()),
        # Escaped when the quote was written (Claim.quote_escaped); a quote is never empty.
        Column("quote", Coalesce(F("quote_escaped"), F("quote"), output_field=TextField())),
        Column("start", number_cell(F("start"))),
        Column("end", number_cell(F("end"))),
        Column("statement", mostly_empty_cell("statement")),
        Column("speaker", text_cell(F("speaker__name"))),
        Column("claimed_on", iso_date("claimed_on", "claimed_on_precision")),
        Column("kind", choice_cell("kind")),
        Column("status", choice_cell("status")),
        # Stored as the CSV writes them ("" for none): claims.tagging and claims.corroboration.counting.
        Column("tags", stored_cell("tag_names")),
        Column("corroborated_by", stored_cell("corroborated_by_ids")),
        Column("contradicted_by", stored_cell("contradicted_by_ids")),
        Column("independent_voices", number_cell(F("independent_voices"))),
        Column("annotator", text_cell(F("created_by__username"))),
        Column("created_at", DateTimeText(F("created_at"))),
        Column("updated_at", DateTimeText(F("updated_at"))),
        Column("unverified_sources", number_cell(F("unverified_sources"))),
        Column("pages", PagesText(F("source__page_starts"), F("start"), F("end"))),
        Column("undecided_duplicates", mostly_empty_cell("undecided_duplicates")),
    ]


COLUMNS = _columns()
HEADER = [column.name for column in COLUMNS]


def claim_cells(claims: QuerySet | None = None, columns: Iterable[str] | None = None) -> QuerySet:
    """Claims in id order, annotated with their CSV cells (`csv_<column>`).

    `claims` narrows them (a filtered changelist); `columns` picks some of the columns.
    """
    chosen = chosen_columns(columns)
    return claims_filtered(claims).annotate(**{c.alias: c.value for c in chosen}).order_by("pk")


def claims_filtered(claims: QuerySet | None) -> QuerySet:
    """The claims to export: all, or those of a filtered queryset (a changelist's) read by its own filters, which
    the database applies as it reads the claims in id order. An `id IN (SELECT id …)` was answered by a scan of the
    primary key from its start for every stretch of ids: quadratic (issue 26). A queryset that groups or picks
    distinct rows keeps the subquery, which then runs once."""
    if claims is None:
        return Claim.objects.all()
    if claims.model is Claim and not claims.query.distinct and claims.query.group_by is None:
        return claims.order_by().select_related(None)
    return Claim.objects.filter(pk__in=claims.order_by().values("pk"))


def copy_query(claims: QuerySet | None, columns: Iterable[str] | None, project=None) -> tuple[str, tuple]:
    """The CSV's SELECT for PostgreSQL's COPY: the claim's own cells, and those it repeats from its source and
    people as the claim stores them (claims.exchange.stored_cells): one table read in id order, nothing joined.
    (`project`: the claims are already narrowed to it by `claims_csv`.)"""
    from claims.exchange.stored_cells import stored_columns

    chosen = chosen_columns(columns)
    stored = stored_columns()
    cells = {}
    for column in chosen:
        if column.name in stored:
            cells[column.alias] = stored[column.name]
        elif isinstance(column.value, NumberText):
            # COPY writes a number as its text: the number itself, without a cast.
            cells[column.alias] = column.value.source_expressions[0]
        else:
            cells[column.alias] = column.value
    query = claims_filtered(claims).annotate(**cells).order_by("pk").values_list(*(c.alias for c in chosen))
    return query.query.sql_with_params()


def project_id(project) -> int:
    return project if isinstance(project, int) else project.pk


def claim_rows(claims: QuerySet | None = None, columns: Iterable[str] | None = None) -> QuerySet:
    """The SELECT behind the CSV: one row of text cells per claim, in id order."""
    return claim_cells(claims, columns).values_list(*(c.alias for c in chosen_columns(columns)))


def chosen_columns(columns: Iterable[str] | None) -> list[Column]:
    names = None if columns is None else set(columns)
    return [c for c in COLUMNS if names is None or c.name in names]


_needs_quotes = re.compile(r'[,"\n\r]')


def csv_cell(cell: str | None) -> str:
    """One cell as PostgreSQL's CSV writes it: NULL empty; quoted when empty text or holding , " or a newline."""
    if cell is None:
        return ""
    if cell == "" or _needs_quotes.search(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_line(cells: Iterable[str | None]) -> str:
    return ",".join(csv_cell(cell) for cell in cells) + "\n"


def claims_csv(
    claims: QuerySet | None = None,
    *,
    columns: Iterable[str] | None = None,
    use_copy: bool | None = None,
    on_rows: Callable[[int], None] | None = None,
    bom: bool = False,
    project=None,
) -> Iterator[bytes]:
    """The claims CSV as chunks of UTF-8 bytes, header first, in constant memory.

    `project` keeps the claims of that project only (a Project or its id): the export's one SELECT, COPY included,
    reads that project's claims and sources.

    PostgreSQL streams it with one COPY (unless `use_copy` is False) on the queryset's connection: one statement,
    so one snapshot; SQLite iterates the same SELECT.
    `on_rows(n)` is told as rows are written, for a progress bar. `bom` starts the file with a UTF-8 byte
    order mark, which Excel needs to read it as UTF-8 (curly quotes, accents); every import accepts both.
    """
    columns = None if columns is None else list(columns)
    if project is not None:
        claims = (Claim.objects.all() if claims is None else claims).filter(project=project_id(project))
    rows = claim_rows(claims, columns)
    connection = connections[rows.db]
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    yield (codecs.BOM_UTF8 if bom else b"") + csv_line(c.name for c in chosen_columns(columns)).encode()
    if use_copy:
        try:
            copy = copy_query(claims, columns, project)
        except EmptyResultSet:  # a list that can hold no claim (a member's project that has none): the header alone
            return
        yield from _copied(copy, connection, on_rows)
    else:
        yield from _iterated(rows, on_rows)


def _iterated(rows: QuerySet, on_rows) -> Iterator[bytes]:
    buffer, size, count = [], 0, 0
    for row in rows.iterator(chunk_size=2000):
        line = csv_line(row)
        buffer.append(line)
        size += len(line)
        count += 1
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
            if on_rows:
                on_rows(count)
    if buffer:
        yield "".join(buffer).encode()
    if on_rows:
        on_rows(count)


# Compiling this long SELECT costs more than JIT saves; parallel workers each computed the sources' cells and the
# leader merged their rows in id order, for no gain on two cores. Dates are written in ISO, and moments in UTC,
# whatever the server's defaults.
COPY_SETTINGS = {
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
    "work_mem": "'32MB'",
    "DateStyle": "'ISO, YMD'",
    "TimeZone": "'UTC'",
}


def _copied(query: tuple[str, tuple], connection, on_rows) -> Iterator[bytes]:
    """The query's rows COPYed as CSV on this connection, in chunks of CHUNK_ROWS rows."""
    connection.ensure_connection()
    sql, params = query
    count = 0
    # psycopg's own cursor (Django's wrapper has no copy()), on the connection Django holds.
    with connection.connection.cursor() as cursor, settings_for(cursor, COPY_SETTINGS):
        buffer = []
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            # libpq hands over COPY data one row at a time, each in a buffer of its own (kept, not copied).
            for row in copy:
                buffer.append(row)
                if len(buffer) == CHUNK_ROWS:
                    count += CHUNK_ROWS
                    yield b"".join(buffer)
                    buffer = []
                    if on_rows:
                        on_rows(count)
        if buffer:
            count += len(buffer)
            yield b"".join(buffer)
        if on_rows:
            on_rows(count)
