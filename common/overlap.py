"""Writing behind: a batch's writes run on a second thread, on the caller's own connection and in its transaction,
while the caller reads the next batch (issue 26: the import waited for each of the database's steps in turn).

Python holds one lock for its bytecode, which psycopg lets go while it waits for PostgreSQL: reading rows and
waiting for the rows before to be stored then happen at the same time. The caller and the writer take turns on the
connection: `write` hands a batch over, `wait` takes the connection back (and raises what the writer raised); any
query from the caller in between is refused, with its SQL. Elsewhere than PostgreSQL (SQLite, whose library holds
the connection for each call anyway) `write` writes at once, in the caller's thread.

Reading ahead (`reading_ahead`) is the other way round: a second thread reads a query's rows while the caller works
on those read before, so that PostgreSQL goes on sending them instead of waiting for the caller to take more.
"""

import contextvars
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

from common.batching import batched


class Behind:
    """Writes handed to one writer thread, one at a time."""

    def __init__(self, using: str, pool: ThreadPoolExecutor | None):
        self.connection = connections[using]
        self.using = using
        self.pool = pool
        self.pending: Future | None = None
        self.writer: int | None = None  # the writer thread's id, while it writes

    def write(self, function: Callable, *args, **kwargs) -> None:
        """Run function(*args, **kwargs) behind, after the write before it; the caller may not query meanwhile."""
        self.wait()
        if self.pool is None:
            function(*args, **kwargs)
            return
        # The writer sees the caller's context: who the history records, and why (common.history), the routing.
        context = contextvars.copy_context()
        # First, under the wrappers the caller and the writer add and take away in turn (a COPY's refusal of queries).
        self.connection.execute_wrappers.insert(0, self._refuse_the_caller)
        self.pending = self.pool.submit(context.run, self._run, function, args, kwargs)

    def wait(self) -> None:
        """Take the connection back when the write handed over is done; raise what it raised."""
        pending, self.pending = self.pending, None
        if pending is None:
            return
        try:
            pending.result()
        finally:
            self.connection.execute_wrappers.remove(self._refuse_the_caller)

    def _run(self, function, args, kwargs):
        # Django keeps a connection per thread: the writer's is the caller's, with its open transaction.
        connections[self.using] = self.connection
        self.writer = threading.get_ident()
        try:
            return function(*args, **kwargs)
        finally:
            self.writer = None

    def _refuse_the_caller(self, execute, sql, params, many, context):
        if threading.get_ident() != self.writer:
            raise RuntimeError(f"No query may run while a write is behind (wait for it first): {sql[:200]}")
        return execute(sql, params, many, context)


@contextmanager
def writing_behind(using: str = DEFAULT_DB_ALIAS) -> Iterator[Behind]:
    """A Behind for the connection `using`, the caller's, in the caller's transaction; at the end of the block the
    last write is waited for (also when the block raised), so the transaction ends after every write."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield Behind(using, None)
        return
    connection.inc_thread_sharing()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="writing-behind") as pool:
            behind = Behind(using, pool)
            try:
                yield behind
                behind.wait()
            finally:
                if behind.pending is not None:  # the block raised: the write still ends before the transaction
                    try:
                        behind.wait()
                    except Exception:  # the block's own exception is the one raised
                        pass
    finally:
        connection.dec_thread_sharing()


_READ = object()  # what the reading thread hands over after the last rows


def reading_ahead(rows: Iterable, size: int, ahead: int) -> Iterator[list]:
    """`rows` in lists of `size`, read on a second thread at most `ahead` lists before the caller takes them. `rows`
    (a server-side cursor's stream) is read, and closed, on that thread only: the caller may not use its connection
    until this ends. What the reading raised is raised to the caller; when the caller stops early, the reading stops
    too, before this returns (the stream closed, the connection free again).

    A stream of rows runs only as far ahead as the socket's buffer holds: read where the caller works on them, each
    list waited for the server to send it, and the server for the caller to take it (a full recount at a million
    claims, issue 26). Reading takes Python's lock only to make the rows; psycopg lets it go while it waits."""
    handed: queue.Queue = queue.Queue(maxsize=ahead)
    stopped = threading.Event()

    def hand(item) -> bool:
        while not stopped.is_set():
            try:
                handed.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for chunk in batched(rows, size):
                if not hand(chunk):
                    return
            hand(_READ)
        except BaseException as error:  # noqa: BLE001 - raised again in the caller's thread
            hand(error)
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=contextvars.copy_context().run, args=(read,), name="reading-ahead")
    reader.start()
    try:
        while (item := handed.get()) is not _READ:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stopped.set()
        reader.join()
