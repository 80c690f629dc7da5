"""The locks that keep the rules spanning rows true under concurrent requests, each held to the end of the
transaction that takes it (README: "Where each rule lives").

PostgreSQL runs transactions side by side, so a rule read in one (no link yet, no claim yet, no loop yet) can be
made false by another that commits first. The writers of such a rule take the same lock before they read what
the rule reads, then read it again: at READ COMMITTED each statement sees what was committed before it. SQLite
lets one writer in at a time, so there is nothing to take there.

Locks are taken in this order, never the other way round, so that two writers cannot wait for each other: a
named lock (`hold`), then a source's row (`source_text`), then claims' rows (by id).
"""

import zlib

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


def source_text(source_id: int, *, to_change: bool = False) -> str | None:
    """A source's text as it now stands, read under a lock of its row held to the end of the transaction: a share
    lock to anchor claims to it (`Claim.anchor`), an update lock `to_change` it (`Source.clean`). Claims are
    anchored to the text they were checked against, because a change to the text waits for them, and they for
    it. None when there is no such source."""
    from sources.models import Source

    if not _in_transaction():
        return Source.objects.filter(pk=source_id).values_list("text", flat=True).first()
    table = connection.ops.quote_name(Source._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT text FROM {table} WHERE id = %s FOR {'UPDATE' if to_change else 'SHARE'}", [source_id])
        row = cursor.fetchone()
    return row[0] if row else None


def share_sources(source_ids) -> None:
    """Share-lock these sources' rows to the end of the transaction (as `source_text` does one), before reading
    their texts to anchor many claims (an import)."""
    from sources.models import Source

    ids = sorted(set(source_ids))
    if ids and _in_transaction():
        table = connection.ops.quote_name(Source._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR SHARE", [ids])
