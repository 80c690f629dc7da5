"""Inserting many rows at once: COPY on PostgreSQL (ids taken from the table's sequence first), bulk_create elsewhere.

Django's bulk_create spends most of its time preparing each value in Python; COPY hands PostgreSQL plain
values. Nothing is validated here: callers insert rows they have already validated.
"""

from collections.abc import Sequence

from django.db import connections, models, router
from psycopg.copy import QueuedLibpqWriter


def insert_objects(objects: Sequence[models.Model]) -> None:
    """Insert unsaved model instances, setting their primary keys (and auto_now dates)."""
    if not objects:
        return
    model = type(objects[0])
    fields = model._meta.concrete_fields
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for obj in objects:
        for field in stamped:
            field.pre_save(obj, add=True)
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=500)
        return
    for obj, pk in zip(objects, _next_ids(connection, model, len(objects)), strict=True):
        obj.pk = pk
    _copy(connection, model, [tuple(getattr(obj, f.attname) for f in fields) for obj in objects])


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> list[int]:
    """Insert rows given as {attname: value} for every column but the primary key; return their new keys."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows], batch_size=500)]
    pk = model._meta.pk.attname
    fields = [f.attname for f in model._meta.concrete_fields]
    ids = _next_ids(connection, model, len(rows))
    values = [tuple(i if name == pk else row[name] for name in fields) for row, i in zip(rows, ids, strict=True)]
    _copy(connection, model, values)
    return ids


def _next_ids(connection, model, count: int) -> list[int]:
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(connection, model, rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    columns = ", ".join(quote(f.column) for f in fields)
    # psycopg formats a date or a moment far more slowly than a string, and an import's rows share a few
    # dates and one moment: each is formatted once, as ISO 8601, which PostgreSQL reads back exactly.
    dated = [i for i, f in enumerate(fields) if isinstance(f, models.DateField)]
    if dated:
        formatted: dict = {None: None}
        rows = [list(row) for row in rows]
        for row in rows:
            for i in dated:
                value = row[i]
                text = formatted.get(value)
                if text is None and value is not None:
                    text = formatted[value] = value.isoformat()
                row[i] = text
    # wrap_database_errors: a refused row raises Django's IntegrityError, as bulk_create's would.
    with connection.wrap_database_errors, connection.cursor() as cursor:
        statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        # A writer thread sends while this one formats rows, so PostgreSQL and Python work at the same time.
        with cursor.cursor.copy(statement, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
            for row in rows:
                copy.write_row(row)
