"""The locks that keep the rules spanning rows true under concurrent requests, each held to the end of the
transaction that takes it (README: "Rules that hold under concurrent requests").

PostgreSQL runs transactions side by side, so a rule read in one (no link yet, no claim yet, no loop yet) can be
made false by another that commits first. The writers of such a rule take the same lock before they read what
the rule reads, then read it again: at READ COMMITTED each statement sees what was committed before it. SQLite
lets one writer in at a time (config/settings.py), so there is nothing to take there.

Locks are taken in this order, never the other way round, so that two writers cannot wait for each other: a
named lock (`hold`), then a source's row (`sources.models.source_text`), then the locks of what claims' kept cells
are read from (`lender_locking`), then claims' rows (by id).
"""

import zlib

from django.core.exceptions import ValidationError
from django.db import connection

LINKS = "claimtrail:links"  # links, the claims' sources they join, and the counts stored from them
AGENT_TREE = "claimtrail:agent-tree"  # organisations' parents


def _in_transaction() -> bool:
    # Outside a transaction a lock would end with its statement: a clean() run alone (a script, a test) validates
    # what it reads; the write paths all run inside one (the services, the admin's and the API's saves).
    return connection.vendor == "postgresql" and connection.in_atomic_block


def hold(name: str) -> None:
    """Wait for, then hold to the end of the transaction, the lock called `name` (a PostgreSQL advisory lock;
    taking it again in the same transaction is free)."""
    if _in_transaction():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])


def locked_value(model, pk: int, column: str, *, to_change: bool = False):
    """One column of one row as it now stands, read under a lock of the row held to the end of the transaction: a
    share lock, or an update lock `to_change` it. None when there is no such row."""
    table, column = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(column)
    mode = (" FOR UPDATE" if to_change else " FOR SHARE") if _in_transaction() else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s{mode}", [pk])
        row = cursor.fetchone()
    return row[0] if row else None


def deleted_meanwhile(model) -> ValidationError:
    """What a change answers when its row was deleted by a transaction that committed first, found under the lock
    the delete takes too: saved, the row would be inserted again, and the delete lost."""
    return ValidationError(
        f"This {model._meta.verbose_name} was deleted meanwhile; there is nothing left to change.", code="deleted"
    )


def share_rows(model, pks, *, to_change: bool = False) -> None:
    """Share-lock these rows to the end of the transaction (in id order), before reading them; update-lock them
    `to_change` them (a FOR UPDATE also makes a writer key-sharing one of them wait, as a claim made in a source
    does before taking any other lock)."""
    pks = sorted(set(pks))
    if pks and _in_transaction():
        table = connection.ops.quote_name(model._meta.db_table)
        mode = "UPDATE" if to_change else "SHARE"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR {mode}", [pks])


# The locks of the rows claims' kept cells are read from, the lenders (claims.exchange.stored_cells, LENDERS_LOCKED):
# advisory locks keyed by the lender's kind (the first key) and a slot its id falls in (the second, its id modulo
# LENDER_SLOTS). PostgreSQL keeps every lock held in one shared table, sized by max_locks_per_transaction (64 by
# default) times the processes that may take locks (max_connections, 100, and the server's workers): a lock a row
# failed a transaction naming more than some 7,000 sources and people ("out of shared memory"), as seeding or
# importing a million claims of 10,000 sources does. A slot a lender shares with others bounds what one transaction
# holds (LENDER_SLOTS a kind, whatever it names) at the price of waits between lenders that share one: a rename waits
# for a claim written naming another lender of its slot.
LENDER_CLASSES = {"source": 1_130_000_001, "agent": 1_130_000_002}
LENDER_SLOTS = 256


def lender_locking(kind: str, ids_sql: str, *, exclusive: bool = False) -> str:
    """What follows SELECT (or PERFORM) to take the lock of each slot holding a lender of this kind that `ids_sql`
    selects, in slot order: shared by what reads what they lend, exclusive by what changes it."""
    take = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    return (
        f"{take}({LENDER_CLASSES[kind]}, slot) FROM (SELECT DISTINCT mod(id, {LENDER_SLOTS})::integer AS slot "
        f"FROM ({ids_sql}) AS lent(id) WHERE id IS NOT NULL ORDER BY slot) AS locked"
    )


def hold_lenders(kind: str, pks) -> None:
    """Hold the locks of the slots these lenders' ids fall in, exclusive, to the end of the transaction (as a change
    of what they lend does): a writer of claims naming one of them, which takes it shared before it validates, waits."""
    pks = sorted(set(pks))
    if pks and _in_transaction():
        locking = lender_locking(kind, "SELECT unnest(%s::bigint[])", exclusive=True)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM (SELECT {locking}) AS held", [pks])
