"""The claims CSV: its columns, defined once, and the two ways of streaming it.

Every cell is computed by the database as text (escaped for spreadsheets, NULL when empty) by one
SELECT built from `COLUMNS`. On PostgreSQL the full export hands that SELECT to `COPY … TO STDOUT`
through psycopg, a stretch of ids at a time, three connections taking turns at the stretches; elsewhere
(SQLite) the same SELECT is iterated and each row written with `csv_line`, which quotes exactly as
PostgreSQL's CSV output does. So both paths give the same bytes.
"""

import codecs
import contextlib
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import psycopg
from django.db import connections, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Expression,
    F,
    Func,
    JSONField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, NullIf, Replace, Substr
from psycopg import sql as pgsql

from claims.models import Claim, Corroboration, Tag
from common.formulas import escaped
from sources.dates import Precision
from sources.models import Agent, Source

CHUNK_BYTES = 1 << 16
CHUNK_ROWS = 256  # rows of a COPY handed on at once (about CHUNK_BYTES of claims)
# PostgreSQL's COPY takes the claims a stretch of ids at a time: each stretch is read in id order from the primary
# key with its lists grouped in memory, where the whole table at once was sorted on disk (issue 11).
CHUNK_IDS = 50_000
# An export of more than one stretch reads them on READERS connections of its own at once, each in a thread taking
# every third stretch, all in one snapshot: one PostgreSQL process formed every row while the other core sat idle
# (issue 11). Three, not two, on two cores: while the export hands on one reader's stretch the other two are forming
# theirs (3.7–4.0 s against 4.0–4.6 s for two, medians of three in-process comparisons of 3 or 4 runs each). Each
# may read up to QUEUED_CHUNKS chunks of CHUNK_ROWS rows (about 10 MB) ahead.
READERS = 3
QUEUED_CHUNKS = 128
CANCEL_SECONDS = 10  # how long an export closed early waits for its readers to stop
LOCK_SECONDS = 2  # how long a reader waits for its locks before the export reads on one connection


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


def linked_claim_ids(claim: OuterRef, relation: str) -> QuerySet:
    """The ids of the claims linked to `claim` by `relation`, in either link direction."""
    return (
        Corroboration.objects.filter(Q(claim_a=claim) | Q(claim_b=claim), relation=relation)
        .order_by()
        .annotate(other=Case(When(claim_a=claim, then=F("claim_b")), default=F("claim_a")))
        .values("other")
    )


def _links(relation: str) -> Expression:
    return joined_list(linked_claim_ids(OuterRef("pk"), relation), "other")


def escaped_name(name: str) -> Expression:
    """A name in a list cell: "\\" and ";" escaped with a backslash, so a name holding "; " stays one name
    (reading.split_list undoes it)."""
    backslashes = Replace(F(name), Value("\\"), Value("\\\\"), output_field=TextField())
    return Replace(backslashes, Value(";"), Value("\\;"), output_field=TextField())


def _names(queryset: QuerySet) -> Expression:
    return text_cell(joined_list(queryset.annotate(listed_name=escaped_name("name")), "listed_name", "name"))


def _source_cells(path: str) -> dict[str, Expression]:
    """The cells that describe a claim's source: read through the claim (`path` "source__"), or from the source
    itself ("") when the PostgreSQL export computes them once per source (`stretch_queries`)."""
    source = OuterRef("source") if path else OuterRef("pk")
    return {
        "source_title": text_cell(F(f"{path}title")),
        "source_url": text_cell(F(f"{path}url")),
        "publisher": text_cell(F(f"{path}publisher__name")),
        "authors": _names(Agent.objects.filter(authored_sources=source)),
        "published_on": iso_date(f"{path}published_on", f"{path}published_on_precision"),
    }


def _columns() -> list[Column]:
    return [
        Column("id", number_cell(F("pk"))),
        # The claim's version when exported: an import refuses a row older than the claim (reading.stale_version).
        Column("version", number_cell(F("version"))),
        Column("source_id", number_cell(F("source_id"))),
        *(Column(name, value) for name, value in _source_cells("source__").items()),
        Column("quote", text_cell(F("quote"))),
        Column("start", number_cell(F("start"))),
        Column("end", number_cell(F("end"))),
        Column("statement", text_cell(F("statement"))),
        Column("speaker", text_cell(F("speaker__name"))),
        Column("claimed_on", iso_date("claimed_on", "claimed_on_precision")),
        Column("kind", text_cell(F("kind"))),
        Column("status", text_cell(F("status"))),
        Column("tags", _names(Tag.objects.filter(claims=OuterRef("pk")))),
        Column("corroborated_by", _links(Corroboration.Relation.CORROBORATES)),
        Column("contradicted_by", _links(Corroboration.Relation.CONTRADICTS)),
        Column("independent_sources", number_cell(F("independent_sources"))),
        Column("annotator", text_cell(F("created_by__username"))),
        Column("created_at", DateTimeText(F("created_at"))),
        Column("updated_at", DateTimeText(F("updated_at"))),
        Column("unverified_sources", number_cell(F("unverified_sources"))),
        Column("pages", PagesText(F("source__page_starts"), F("start"), F("end"))),
        Column("undecided_duplicates", text_cell(F("undecided_duplicates"))),
    ]


COLUMNS = _columns()
HEADER = [column.name for column in COLUMNS]


def claim_cells(claims: QuerySet | None = None, columns: Iterable[str] | None = None) -> QuerySet:
    """Claims in id order, annotated with their CSV cells (`csv_<column>`).

    `claims` narrows them (a filtered changelist); `columns` picks some of the columns.
    """
    chosen = chosen_columns(columns)
    rows = Claim.objects.all() if claims is None else Claim.objects.filter(pk__in=claims.order_by().values("pk"))
    return rows.annotate(**{c.alias: c.value for c in chosen}).order_by("pk")


def _grouped_links(relation: str) -> tuple[str, str, str]:
    pairs = (
        f"SELECT claim_a_id AS claim, claim_b_id AS other FROM claims_corroboration WHERE relation = '{relation}' "
        "AND claim_a_id BETWEEN %(first)s AND %(last)s "
        f"UNION ALL SELECT claim_b_id, claim_a_id FROM claims_corroboration WHERE relation = '{relation}' "
        "AND claim_b_id BETWEEN %(first)s AND %(last)s ORDER BY 1, 2"
    )
    return (
        f"SELECT claim, STRING_AGG((other)::text, '; ') AS joined FROM ({pairs}) AS pairs GROUP BY claim",
        "claim",
        "id",
    )


# On PostgreSQL the lists are grouped once (per claim, per source) and joined, not computed by a subquery per
# row: (the grouped SELECT, its key, the claim's column it matches). Those grouped per claim take the claims of
# one stretch of ids, %(first)s to %(last)s (see CHUNK_IDS). The values and their order are those of
# `joined_list`, so both SELECTs give the same bytes (tests/test_csv_export.py compares them). Each list is
# aggregated from rows sorted once by (claim, value), which STRING_AGG joins in the order they come, where an ordered
# aggregate (STRING_AGG(... ORDER BY ...)) sorted every claim's few values apart: a third to a half of their time
# on PostgreSQL 15.
# escaped_name in SQL, for the grouped SELECTs: "\\" then ";" escaped with a backslash.
ESCAPED_SQL = "REPLACE(REPLACE(({})::text, E'\\\\', E'\\\\\\\\'), ';', E'\\\\;')"
GROUPED = {
    "tags": (
        "SELECT claim_id, STRING_AGG(name, '; ') AS joined FROM ("
        f"SELECT ct.claim_id, {ESCAPED_SQL.format('t.name')} AS name "
        "FROM claims_claim_tags ct JOIN claims_tag t ON t.id = ct.tag_id "
        "WHERE ct.claim_id BETWEEN %(first)s AND %(last)s ORDER BY ct.claim_id, t.name) AS tags GROUP BY claim_id",
        "claim_id",
        "id",
    ),
    "corroborated_by": _grouped_links(Corroboration.Relation.CORROBORATES),
    "contradicted_by": _grouped_links(Corroboration.Relation.CONTRADICTS),
}


# Where a stretch's first and last ids go in the SELECT, compiled once for every stretch: compiling it took 12 ms,
# a quarter of a second for a million claims before the first row.
FIRST, LAST = "__stretch_first__", "__stretch_last__"
PAGE_STARTS = "csv_page_starts"  # the source's page starts, in the SELECT's per-source cells


def stretch_queries(
    claims: QuerySet | None, columns: Iterable[str] | None, stretches: Iterable[tuple[int, int]]
) -> list[tuple[str, tuple]]:
    """The CSV's SELECT for PostgreSQL, one for each stretch of ids (first, last): the lists read from grouped tables
    joined once, and the source's cells computed once per source of the stretch, not once per claim."""
    sql, params = _stretch_sql(claims, columns)
    return [(_in_stretch(sql, ids), params) for ids in stretches]


def _in_stretch(sql: str, ids: tuple[int, int]) -> str:
    return sql.replace(FIRST, str(int(ids[0]))).replace(LAST, str(int(ids[1])))


def _stretch_sql(claims: QuerySet | None, columns: Iterable[str] | None) -> tuple[str, tuple]:
    chosen = chosen_columns(columns)
    rows = Claim.objects.all() if claims is None else Claim.objects.filter(pk__in=claims.order_by().values("pk"))
    bound = {name: RawSQL(name, (), output_field=BigIntegerField()) for name in (FIRST, LAST)}
    rows = rows.filter(pk__range=(bound[FIRST], bound[LAST]))
    stretch = {"first": FIRST, "last": LAST}
    of_source = _source_cells("")
    source_cells = {c.alias: of_source[c.name] for c in chosen if c.name in of_source}
    if source_cells and any(c.name == "pages" for c in chosen):
        # The source's page starts come with its other cells, once per source, instead of a join of their own.
        source_cells[PAGE_STARTS] = F("page_starts")
    cells = {}
    for column in chosen:
        if column.name in GROUPED:
            joined = RawSQL(f'"csv_{column.name}"."joined"', (), output_field=TextField())
            cells[column.alias] = text_cell(joined) if column.name == "tags" else joined
        elif column.alias in source_cells:
            cells[column.alias] = RawSQL(f'"csv_sources"."{column.alias}"', (), output_field=TextField())
        elif column.name == "pages" and PAGE_STARTS in source_cells:
            starts = RawSQL(f'"csv_sources"."{PAGE_STARTS}"', (), output_field=JSONField())
            cells[column.alias] = PagesText(starts, F("start"), F("end"))
        elif isinstance(column.value, NumberText):
            cells[column.alias] = column.value.source_expressions[0]
        else:
            cells[column.alias] = column.value
    query = rows.annotate(**cells).order_by("pk").values_list(*(c.alias for c in chosen))
    sql, params = query.query.sql_with_params()
    joins = "".join(
        f' LEFT JOIN ({GROUPED[c.name][0] % stretch}) AS "csv_{c.name}" '
        f'ON "csv_{c.name}"."{GROUPED[c.name][1]}" = "claims_claim"."{GROUPED[c.name][2]}"'
        for c in chosen
        if c.name in GROUPED
    )
    head, tail = sql.split(' FROM "claims_claim"', 1)
    head_params, tail_params = params[: head.count("%s")], params[head.count("%s") :]
    if source_cells:
        # The claim's source's cells, joined LATERAL: PostgreSQL memoizes them by source, so they are computed once
        # per source of the stretch (on a cache miss), not once per claim; OFFSET 0 keeps it from folding the
        # subquery into the claims' SELECT, which would compute them for every claim again.
        own_source = RawSQL('"claims_claim"."source_id"', (), output_field=BigIntegerField())
        sources = Source.objects.filter(pk=own_source).order_by().annotate(**source_cells).values(*source_cells)
        sources_sql, sources_params = sources.query.sql_with_params()
        joins = f' CROSS JOIN LATERAL ({sources_sql} OFFSET 0) AS "csv_sources"{joins}'
        head_params = (*head_params, *sources_params)
    return f'{head} FROM "claims_claim"{joins}{tail}', (*head_params, *tail_params)


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
) -> Iterator[bytes]:
    """The claims CSV as chunks of UTF-8 bytes, header first, in constant memory.

    PostgreSQL streams it with COPY unless `use_copy` is False (outside a transaction, more than one stretch of ids
    on three connections at once, in one snapshot); SQLite iterates the same SELECT.
    `on_rows(n)` is told as rows are written, for a progress bar. `bom` starts the file with a UTF-8 byte
    order mark, which Excel needs to read it as UTF-8 (curly quotes, accents); every import accepts both.
    """
    columns = None if columns is None else list(columns)
    rows = claim_rows(claims, columns)
    connection = connections[rows.db]
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    yield (codecs.BOM_UTF8 if bom else b"") + csv_line(c.name for c in chosen_columns(columns)).encode()
    if not use_copy:
        yield from _iterated(rows, on_rows)
    elif connection.in_atomic_block:
        # Inside a transaction (a test, or a caller's own) only this connection sees what it has not committed.
        yield from _copied(stretch_queries(claims, columns, id_stretches(claims)), connection, on_rows)
    else:
        yield from _copied_in_parallel(claims, columns, connection, on_rows)


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


def id_stretches(claims: QuerySet | None) -> Iterator[tuple[int, int]]:
    """The claims' ids (all claims when None) from the first to the last, in stretches of CHUNK_IDS."""
    claims = Claim.objects.all() if claims is None else claims
    span = claims.order_by().aggregate(first=Min("pk"), last=Max("pk"))
    if span["first"] is None:
        return
    for first in range(span["first"], span["last"] + 1, CHUNK_IDS):
        yield first, min(first + CHUNK_IDS - 1, span["last"])


# Compiling this long SELECT costs more than JIT saves. A stretch is small: sorted in memory, and read by one process
# (parallel workers each computed the sources' cells and hashed them again, and the leader merged their rows).
# Dates are written in ISO, and moments in UTC, whatever the server's defaults.
COPY_SETTINGS = {
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
    "work_mem": "'32MB'",
    "DateStyle": "'ISO, YMD'",
    "TimeZone": "'UTC'",
}


def _copy_chunks(cursor, queries: Iterable[tuple[str, tuple]]) -> Iterator[tuple[bytes, int]]:
    """Each query's rows COPYed as CSV, in chunks of CHUNK_ROWS rows (a query's last one shorter): (bytes, rows)."""
    for sql, params in queries:
        buffer = []
        # libpq hands over COPY data one row at a time, each in a buffer of its own (kept, not copied).
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for row in copy:
                buffer.append(row)
                if len(buffer) == CHUNK_ROWS:
                    yield b"".join(buffer), CHUNK_ROWS
                    buffer = []
        if buffer:
            yield b"".join(buffer), len(buffer)


def _counted(chunks: Iterable[tuple[bytes, int]], on_rows) -> Iterator[bytes]:
    count = 0
    for chunk, rows in chunks:
        count += rows
        yield chunk
        if on_rows:
            on_rows(count)
    if on_rows:
        on_rows(count)


def _copied(queries: Iterable[tuple[str, tuple]], connection, on_rows) -> Iterator[bytes]:
    connection.ensure_connection()
    with connection.cursor() as cursor:
        for name, value in COPY_SETTINGS.items():
            cursor.execute(f"SET {name} = {value}")
        try:
            yield from _counted(_copy_chunks(cursor.cursor, queries), on_rows)
        finally:
            # Also when the export is closed early (psycopg cancels the COPY): the connection may live on
            # (CONN_MAX_AGE). In a transaction the cancel failed, the settings go with its rollback.
            if connection.connection.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
                for name in COPY_SETTINGS:
                    cursor.execute(f"RESET {name}")


_END = object()  # a reader's mark after the last chunk of a stretch


def _copied_in_parallel(claims, columns, connection, on_rows) -> Iterator[bytes]:
    """`_copied` on READERS connections of the export's own, in one snapshot, each reading its stretches in a thread
    while this one hands on the chunks in order. Used outside a transaction, where they see what this one would."""
    readers, threads, stop = [], [], threading.Event()
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            # One snapshot for the ids and for every reader: the export is the claims as they were at this moment.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # Planning the export's SELECT first locks every table and index it reads, as the snapshot is taken: a
            # table rewritten afterwards (a migration's ALTER TABLE) would look empty in this snapshot.
            sql, params = _stretch_sql(claims, columns)
            cursor.execute(f"EXPLAIN {_in_stretch(sql, (0, 0))}", params)
            stretches = list(id_stretches(claims))
            queries = [(_in_stretch(sql, ids), params) for ids in stretches]
            if len(stretches) > 1:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                try:
                    for _ in range(min(READERS, len(stretches))):
                        readers.append(_reader(connection, snapshot, queries[0]))
                except psycopg.OperationalError:
                    # No connection to be had (max_connections), or a lock a migration waits for behind this
                    # transaction: the export reads on this connection alone, in the same snapshot.
                    for reader in readers:
                        reader.close()
                    readers = []
                    yield from _copied(queries, connection, on_rows)
                    return
        if not readers:
            yield from _copied(queries, connection, on_rows)  # one stretch: one statement, one snapshot
            return
        queues = [queue.Queue(maxsize=QUEUED_CHUNKS) for _ in readers]
        for number, (reader, chunks) in enumerate(zip(readers, queues, strict=True)):
            thread = threading.Thread(
                target=_read_stretches,
                args=(reader, queries[number :: len(readers)], chunks, stop),
                name=f"claims-csv-{number}",
                daemon=True,
            )
            threads.append(thread)
            thread.start()
        yield from _counted(_in_order(list(zip(queues, threads, strict=True)), len(queries)), on_rows)
    finally:
        stop.set()
        for reader, thread in zip(readers, threads, strict=False):
            if thread.is_alive():
                # A reader still COPYing stops at once (the export was closed early or failed); cancelling is the
                # server's to grant, and a failure to ask must not hide why the export stopped.
                with contextlib.suppress(psycopg.Error):
                    reader.cancel_safe(timeout=CANCEL_SECONDS)
        for thread in threads:
            thread.join(timeout=CANCEL_SECONDS)
        for reader in readers:
            reader.close()


def _reader(connection, snapshot: str, query: tuple[str, tuple]) -> psycopg.Connection:
    """A connection of the export's own in its snapshot, holding every lock the export needs before this one lets
    go of its own: a lock asked for later could queue behind a migration that waits for the export to end."""
    # Django's own settings for a connection (its adapters, client-side binding), without its wrapper.
    reader = psycopg.connect(**connection.get_connection_params())
    try:
        reader.isolation_level, reader.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
        reader.execute(pgsql.SQL("SET TRANSACTION SNAPSHOT {}").format(snapshot))
        for name, value in {**COPY_SETTINGS, "lock_timeout": f"'{LOCK_SECONDS}s'"}.items():
            reader.execute(f"SET LOCAL {name} = {value}")
        reader.execute(f"EXPLAIN {query[0]}", query[1])
        reader.execute("SET LOCAL lock_timeout = DEFAULT")
    except BaseException:
        reader.close()
        raise
    return reader


def _in_order(readers: list[tuple[queue.Queue, threading.Thread]], stretches: int) -> Iterator[tuple[bytes, int]]:
    """The readers' chunks, stretch after stretch; a reader's error is raised here."""
    for number in range(stretches):
        chunks, thread = readers[number % len(readers)]
        while True:
            try:
                item = chunks.get(timeout=1)
            except queue.Empty:
                if thread.is_alive() or not chunks.empty():
                    continue
                # Nothing more can come (a reader that fails hands its error on before it ends).
                raise RuntimeError(f"the export's reader {thread.name} stopped before the end") from None
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            yield item


def _read_stretches(reader, queries, chunks: queue.Queue, stop: threading.Event) -> None:
    """A reader thread: COPY each query's rows into `chunks`, then _END, until done or stopped."""

    def hand_on(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        with reader.cursor() as cursor:
            for query in queries:
                for chunk in _copy_chunks(cursor, [query]):
                    if not hand_on(chunk):
                        return
                if not hand_on(_END):
                    return
    except Exception as error:  # handed to the export, which raises it
        if not stop.is_set():
            hand_on(error)
