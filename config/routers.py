"""The read replica: heavy reads go to DATABASE_REPLICA_URL when it is set, everything else to the primary.

A heavy read is a piece of code that says so: a view under `@reads_from_replica` (the provenance
page), a block under `with replica_reads():` (suggestions, exports) or a streamed response wrapped in
`streamed_from_replica()`. Only the articles and claims (the `sources` and `claims` apps, their
history included) are read there; logins, sessions, permissions and lock-outs always read the
primary, so a replica that lags a little never logs anyone out. Every write goes to the primary.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"
REPLICATED_APPS = frozenset({"sources", "claims"})

_heavy_reads: ContextVar[bool] = ContextVar("claimtrail_heavy_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads of articles and claims inside this block go to the replica, if there is one."""
    token = _heavy_reads.set(True)
    try:
        yield
    finally:
        _heavy_reads.reset(token)


def reads_from_replica(view: Callable) -> Callable:
    """A view whose reads of articles and claims go to the replica (the page must not write)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapped


def streamed_from_replica(chunks: Iterable) -> Iterator:
    """Iterate a streamed response's chunks with replica reads on while each chunk is made.

    A streamed body runs after its view has returned; the flag is set around each step and not left
    set between them, so nothing else the server thread does meanwhile reads the replica.
    """
    iterator = iter(chunks)
    while True:
        with replica_reads():
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Send heavy reads of replicated apps to the replica; all else, and every write, to the primary."""

    def db_for_read(self, model, **hints):
        if _heavy_reads.get() and has_replica() and model._meta.app_label in REPLICATED_APPS:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        # Explicit: without it Django would write an object back to the database it was read from.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: an object read from either may point to one from the other.
        return obj1._state.db in {DEFAULT_DB_ALIAS, REPLICA} and obj2._state.db in {DEFAULT_DB_ALIAS, REPLICA}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema by streaming replication; never migrate it.
        return db != REPLICA
