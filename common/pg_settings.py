"""PostgreSQL settings for a few statements, on psycopg's cursor, and back to the server's after them."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def settings_for(cursor: psycopg.Cursor, settings: dict[str, str]) -> Iterator[None]:
    """SET these (name → SQL value) for the block's statements on the cursor's connection, and RESET them after,
    also when the block is left early (psycopg cancels a COPY): the connection may live on (CONN_MAX_AGE). In a
    transaction that failed they go with its rollback."""
    for name, value in settings.items():
        cursor.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        if cursor.connection.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            for name in settings:
                cursor.execute(f"RESET {name}")
