"""Inserting many rows at once: COPY on PostgreSQL (ids taken from the table's sequence first), bulk_create elsewhere.

Django's bulk_create spends most of its time preparing each value in Python; COPY hands PostgreSQL plain
values. Nothing is validated here: callers insert rows they have already validated.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter, itemgetter

from django.db import connections, models, router
from django.db.models import DEFERRED
from psycopg.copy import QueuedLibpqWriter


@contextmanager
def inserting(
    model: type[models.Model], *, at_most: int, extra_columns: Sequence[str] = ()
) -> Iterator[Callable[..., None]]:
    """A function inserting unsaved instances (at most `at_most` of them) as they are handed to it, setting
    their primary keys and auto_now dates. On PostgreSQL one COPY stays open for the whole block, so the
    database writes and indexes rows while the caller prepares the next ones; elsewhere bulk_create at the end.
    No other query may run on the connection inside the block. `extra_columns`: columns of PostgreSQL's alone,
    not the model's, whose values are handed with each instance (`insert(obj, values)`); ignored elsewhere."""
    fields = written_fields(model)
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        objects = []

        def collect(obj: models.Model, extra: Sequence = ()) -> None:
            for field in stamped:
                field.pre_save(obj, add=True)
            objects.append(obj)

        yield collect
        model.objects.bulk_create(objects, batch_size=500)
        return
    ids = iter(_next_ids(connection, model, at_most))
    values = attrgetter(*(f.attname for f in fields))
    stamps = {}  # the moment of the first insert, for all of them: they are written in one transaction
    with connection.cursor() as cursor:
        # Foreign keys checked as the rows go in, while the caller works, rather than all at once at commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # A query while the COPY is open would wait for the connection forever: refused instead, with a reason.
    with _copying(connection, model, extra_columns) as write_row, connection.execute_wrapper(_refuse_queries):

        def insert(obj: models.Model, extra: Sequence = ()) -> None:
            for field in stamped:
                if field.attname in stamps:
                    setattr(obj, field.attname, stamps[field.attname])
                else:
                    stamps[field.attname] = field.pre_save(obj, add=True)
            obj.pk = next(ids)
            write_row([*values(obj), *extra])

        yield insert
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django declares its foreign keys


def written_fields(model: type[models.Model]) -> list[models.Field]:
    """The columns a row is written with: every concrete field but those the database computes (GeneratedField)."""
    return [field for field in model._meta.concrete_fields if not field.generated]


def new_instances(model: type[models.Model], **values) -> Callable[[], models.Model]:
    """A function making new, unsaved instances of `model` with its defaults and these values, two and a half
    times cheaper than `model(**values)`: the values are given positionally, in the order of the concrete fields,
    as Django's own Model.from_db builds an instance. Django documents keyword arguments only for a new instance:
    tests/test_library_pins.py checks that the positional values land in the same fields, as a new instance."""
    blank = model(**values)
    # A field the database computes is left unset (DEFERRED), as on a new instance: it has no value before its save.
    fields = model._meta.concrete_fields
    ordered = [DEFERRED if field.generated else getattr(blank, field.attname) for field in fields]
    return lambda: model(*ordered)


def _refuse_queries(execute, sql, params, many, context):
    raise RuntimeError(f"No query may run while rows are being copied in: {sql[:200]}")


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> list[int]:
    """Insert rows given as {attname: value} for every column but the primary key; return their new keys."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows], batch_size=500)]
    fields = written_fields(model)
    at = fields.index(model._meta.pk)
    values = itemgetter(*(f.attname for f in fields if not f.primary_key))
    ids = _next_ids(connection, model, len(rows))
    with _copying(connection, model) as write_row:
        for row, i in zip(rows, ids, strict=True):
            row = list(values(row))
            row.insert(at, i)
            write_row(row)
    return ids


def _next_ids(connection, model, count: int) -> list[int]:
    meta = model._meta
    with connection.cursor() as cursor:
        # The sequence's name is looked up once: asked for in the same SELECT it is looked up for every row.
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [cursor.fetchone()[0], count])
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def _copying(connection, model, extra_columns: Sequence[str] = ()) -> Iterator[Callable[[list], None]]:
    """A function writing one row (a list of values in the order of the model's concrete fields, then the extra
    columns') into a COPY."""
    quote = connection.ops.quote_name
    fields = written_fields(model)
    columns = ", ".join([*(quote(f.column) for f in fields), *map(quote, extra_columns)])
    # psycopg formats a date or a moment far more slowly than a string, and an import's rows share a few
    # dates and one moment: each is formatted once, as ISO 8601, which PostgreSQL reads back exactly.
    dated = [i for i, f in enumerate(fields) if isinstance(f, models.DateField)]
    formatted: dict = {None: None}
    # wrap_database_errors: a refused row raises Django's IntegrityError, as bulk_create's would.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        # A writer thread sends while this one formats rows, so PostgreSQL and Python work at the same time. The
        # writer needs psycopg's own cursor: Django's wrapper holds it as `cursor` (tests/test_library_pins.py).
        psycopg_cursor = cursor.cursor
        with psycopg_cursor.copy(statement, writer=QueuedLibpqWriter(psycopg_cursor)) as copy:

            def write_row(row: list) -> None:
                for i in dated:
                    value = row[i]
                    text = formatted.get(value)
                    if text is None and value is not None:
                        text = formatted[value] = value.isoformat()
                    row[i] = text
                copy.write_row(row)

            yield write_row


UPDATED_AT_ONCE = 500  # rows written by one UPDATE … FROM (SELECT … UNION ALL …)


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """Set these columns of these rows, given as (primary key, value, …) in the order of `fields`: a few hundred
    rows at a time by one UPDATE from their values; on PostgreSQL, many at once, by COPY into a temporary table
    and one UPDATE from it. Nothing is validated, and no history kept: for columns the code derives."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if len(rows) > 1000 and connection.vendor == "postgresql":
        _update_by_copy(connection, model, fields, rows)
        return
    # UPDATE … FROM, on PostgreSQL and SQLite alike: a third of the time bulk_update takes to build its CASE for
    # each column, which was a quarter of adding one link (benchmarks/recount.py).
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    names = [quote(model._meta.get_field(name).column) for name in fields]
    one = "SELECT %s AS id, " + ", ".join(f"%s AS {name}" for name in names)
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    with connection.cursor() as cursor:
        for first in range(0, len(rows), UPDATED_AT_ONCE):
            chosen = rows[first : first + UPDATED_AT_ONCE]
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM ({' UNION ALL '.join([one] * len(chosen))}) AS v "
                f"WHERE {table}.{pk} = v.id",
                [value for row in chosen for value in row],
            )


def _update_by_copy(connection, model, fields: Sequence[str], rows: Sequence[tuple]) -> None:
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    columns = [model._meta.get_field(name) for name in fields]
    names = [quote(f.column) for f in columns]
    types = ", ".join(f"{name} {f.db_type(connection)}" for name, f in zip(names, columns, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE updated_rows (id bigint PRIMARY KEY, {types}) ON COMMIT DROP")
    with (
        connection.connection.cursor() as raw,
        raw.copy(f"COPY updated_rows (id, {', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(f'{n} = u.{n}' for n in names)} FROM updated_rows u "
            f"WHERE {table}.{pk} = u.id"
        )
        cursor.execute("DROP TABLE updated_rows")
