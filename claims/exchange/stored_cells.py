"""The cells a claim's CSV row repeats from other rows, kept on the claim by PostgreSQL (issue 26).

Its source's title, URL, publisher, authors and date, the pages its quote stands on, its speaker's and its
annotator's names: the export computed them by joining every claim to its source and two people, and sorting a
million rows back into id order (1.6x a plain COPY of claims and sources, as whole processes). Kept on the claim, the
export reads one table in id order (1.2x; README, *Claims to and from CSV*).

They are columns of PostgreSQL's alone (`cell_*`, not model fields: Django never writes them), kept right by
triggers whatever the path that writes — the ORM, a queryset's update, the CSV import's COPY, a cascade, a merge:

- a claim updated in its source, speaker, annotator or span takes its cells from its source and its people
  (`claims_claim_cells`, before the row is written);
- new claims are checked after their statement, set-wise (`wrong_cells_sql`), and those whose cells are not right
  are updated, by that same trigger: an ORM insert's one row; none of the CSV import's, which gives its new claims'
  cells in its COPY (`given_cells`). No row trigger fires before an insert: it would turn off COPY's batched inserts;
- a source changed in a cell it lends (title, URL, publisher, date, pages), its authors added, removed or
  repointed (a merge of people), a person or an organisation renamed, an account renamed: the claims that show
  them are updated, by the same trigger.

The cells' SQL is compiled from the export's own expressions (claims.exchange.columns: `_source_cells`, `text_cell`,
`iso_date`, `PagesText`), so the export's columns have one definition. `install` writes the functions and triggers
and refills every claim; a migration calls it whenever those expressions change (`INSTALLED_BY`, which a test
checks). SQLite computes the cells as it exports (columns.claim_rows).
"""

import functools
import hashlib
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import F, JSONField, QuerySet, TextField
from django.db.models.expressions import RawSQL

from claims.models import Claim
from common.locks import lender_locking
from sources.models import Agent, Source, key_shared_sql, lenders_sql

# The CSV's column → the claim's column holding it.
STORED = {
    "source_title": "cell_source_title",
    "source_url": "cell_source_url",
    "publisher": "cell_publisher",
    "authors": "cell_authors",
    "published_on": "cell_published_on",
    "pages": "cell_pages",
    "speaker": "cell_speaker",
    "annotator": "cell_annotator",
}
# The claim's columns holding what its source lends, in STORED's order (the pages apart: the claim's span decides).
SOURCE_CELLS = [column for name, column in STORED.items() if name not in ("pages", "speaker", "annotator")]
SOURCE_LENT = ("title", "url", "publisher_id", "published_on", "published_on_precision", "page_starts")
FUNCTION = "claims_claim_cells"


def _compiled(queryset: QuerySet, connection) -> str:
    sql, params = queryset.query.sql_with_params()
    return connection.ops.compose_sql(sql, params)


def cells_function_sql(connection) -> str:
    """The trigger function that fills a claim's cells (NEW, before it is written) from its source and people."""
    from claims.exchange.columns import PagesText, _source_cells, names_list, text_cell

    new = {name: RawSQL(f'NEW."{name}"', ()) for name in ("source_id", "speaker_id", "created_by_id", "start", "end")}
    # The authors' list is read once into a variable: the spreadsheet escape tests its cell several times.
    authors = names_list(Agent.objects.filter(authored_sources=new["source_id"]))
    source_cells = {
        **_source_cells(""),
        "authors": text_cell(RawSQL("authors_list", (), output_field=TextField())),
        "pages": PagesText(F("page_starts"), new["start"], new["end"]),
    }
    source = Source.objects.order_by().filter(pk=new["source_id"])
    source = source.annotate(**{STORED[name]: cell for name, cell in source_cells.items()})
    source = source.values(*(STORED[name] for name in source_cells))
    speaker = Agent.objects.order_by().filter(pk=new["speaker_id"]).values(cell=text_cell(F("name")))
    annotator = get_user_model().objects.order_by().filter(pk=new["created_by_id"])
    annotator = annotator.values(cell=text_cell(F("username")))
    into = ", ".join(f"NEW.{STORED[name]}" for name in source_cells)
    authors_sql, authors_params = authors.query.sql_with_params()
    # A claim that now names another source or person takes its cells from rows it did not name before: those are
    # locked first (LENDERS_LOCKED). Those it named already are held by its own row, which their writers touch; not
    # locking them again keeps a move from waiting for a rename that waits for the claim's row.
    newly = "".join(
        f"IF NEW.{key} IS DISTINCT FROM OLD.{key} THEN\n{lock_lenders_sql(*sql)}END IF;\n"
        for key, sql in {
            "source_id": ("SELECT NEW.source_id", None, None),
            "speaker_id": (None, "SELECT NEW.speaker_id", None),
            "created_by_id": (None, None, "SELECT NEW.created_by_id"),
        }.items()
    )
    return (
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $cells$\n"
        f"DECLARE authors_list text;\nBEGIN\n{newly}"
        f"authors_list := ({connection.ops.compose_sql(authors_sql, authors_params)});\n"
        f"SELECT * INTO {into} FROM ({_compiled(source, connection)}) AS cells;\n"
        f"NEW.cell_speaker := ({_compiled(speaker, connection)});\n"
        f"NEW.cell_annotator := ({_compiled(annotator, connection)});\n"
        "RETURN NEW;\nEND\n$cells$"
    )


def _speakers_cells(speakers: QuerySet) -> QuerySet:
    from claims.exchange.columns import text_cell

    return speakers.order_by().values(key=F("pk"), cell=text_cell(F("name")))


def _accounts_cells(accounts: QuerySet) -> QuerySet:
    from claims.exchange.columns import text_cell

    return accounts.order_by().values(key=F("pk"), cell=text_cell(F("username")))


def _sources_cells(sources: QuerySet) -> QuerySet:
    """Each source's cells (`cell_*` but the pages), with its page starts, by its id (`key`)."""
    from claims.exchange.columns import _source_cells

    cells = {STORED[name]: cell for name, cell in _source_cells("").items()}
    return sources.order_by().annotate(key=F("pk"), starts=F("page_starts"), **cells).values("key", "starts", *cells)


def _expression_sql(expression, connection) -> str:
    query = Claim.objects.all().query
    sql, params = query.get_compiler(connection=connection).compile(expression.resolve_expression(query))
    return connection.ops.compose_sql(sql, params)


def wrong_cells_sql(connection) -> str:
    """The ids of the claims just inserted (`new_rows`) whose cells are not their source's and people's, read
    set-wise: each source's and person's cells once. A claim inserted by the ORM has none yet; the CSV import writes
    them in its COPY (`given_cells`), so that only what it got wrong is written again."""
    from claims.exchange.columns import PagesText

    sources = _compiled(
        _sources_cells(Source.objects.filter(pk__in=RawSQL("SELECT source_id FROM new_rows", ()))), connection
    )
    new_speakers = Agent.objects.filter(pk__in=RawSQL("SELECT speaker_id FROM new_rows", ()))
    speakers = _compiled(_speakers_cells(new_speakers), connection)
    new_accounts = get_user_model().objects.filter(pk__in=RawSQL("SELECT created_by_id FROM new_rows", ()))
    accounts = _compiled(_accounts_cells(new_accounts), connection)
    pages = _expression_sql(
        PagesText(RawSQL("s.starts", (), output_field=JSONField()), RawSQL("n.start", ()), RawSQL('n."end"', ())),
        connection,
    )
    stored = ", ".join(f"n.{column}" for column in STORED.values())
    right = ", ".join([*(f"s.{column}" for column in SOURCE_CELLS), pages, "p.cell", "u.cell"])
    # Each source's, speaker's and account's cells worked out once (MATERIALIZED), not folded into the join, which
    # would compute a source's cells (its authors' list above all) again for each of its new claims: 21 µs a claim,
    # against 2.8 kept whole. Subqueries fenced with OFFSET 0 did that too, but the planner, which guesses one row in
    # `new_rows`, could make one the inner side of a nested loop and compute it again for every new claim: 495
    # claims of 495 sources took 52 s in one INSERT (tests/test_changelists.py, 5 minutes on PostgreSQL).
    return (
        f"WITH s AS MATERIALIZED ({sources}), p AS MATERIALIZED ({speakers}), u AS MATERIALIZED ({accounts}) "
        "SELECT n.id FROM new_rows n JOIN s ON s.key = n.source_id "
        "LEFT JOIN p ON p.key = n.speaker_id "
        "LEFT JOIN u ON u.key = n.created_by_id "
        f"WHERE ({stored}) IS DISTINCT FROM ({right})"
    )


# The cells a writer of new claims gives in its COPY (`given_cells`), in this order; the pages are left to the check
# after the insert (a source with pages is rare in an import).
GIVEN = [column for name, column in STORED.items() if name != "pages"]


@functools.cache
def _cells_queries(using: str) -> tuple[tuple[str, tuple, int], ...]:
    """The three queries of `cells_of` compiled once (SQL, params, the index of the ids' param): built again for each
    part of an import, they held 161 of the main thread's 1,541 samples (about 0.8 s) in a py-spy profile of a
    100,000-row import, most of them in Django building the querysets rather than running them."""
    ids = []  # the param the ids go in, found again by identity

    def compiled(queryset: QuerySet) -> tuple[str, tuple, int]:
        sql, params = queryset.query.get_compiler(using=using).as_sql()
        return sql, params, next(n for n, param in enumerate(params) if param is ids)

    chosen = RawSQL("SELECT unnest(%s::bigint[])", (ids,))
    return (
        compiled(_sources_cells(Source.objects.filter(pk__in=chosen))),
        compiled(_speakers_cells(Agent.objects.filter(pk__in=chosen))),
        compiled(_accounts_cells(get_user_model().objects.filter(pk__in=chosen))),
    )


def _cells_read(query: tuple[str, tuple, int], ids: Iterable[int], using: str) -> list[dict]:
    from django.db import connections

    sql, params, at = query
    params = (*params[:at], sorted(set(ids)), *params[at + 1 :])
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def cells_of(sources: Iterable[int], speakers: Iterable[int], accounts: Iterable[int], using: str = "default"):
    """The cells these sources, speakers and accounts lend their claims, read by the same expressions as the
    triggers' (three queries, PostgreSQL): ({source id: its cells in GIVEN's order, the pages' excepted}, {speaker
    id: cell}, {account id: cell})."""
    source_query, speaker_query, account_query = _cells_queries(using)
    return (
        {row["key"]: tuple(row[c] for c in SOURCE_CELLS) for row in _cells_read(source_query, sources, using)},
        {row["key"]: row["cell"] for row in _cells_read(speaker_query, speakers, using)},
        {row["key"]: row["cell"] for row in _cells_read(account_query, accounts, using)},
    )


def given_cells(claims: list[Claim], using: str = "default") -> list[tuple]:
    """For new claims about to be COPYed in (PostgreSQL), in their order: their cells in GIVEN's order."""
    sources, speakers, accounts = cells_of(
        (c.source_id for c in claims),
        (c.speaker_id for c in claims if c.speaker_id),
        (c.created_by_id for c in claims if c.created_by_id),
        using,
    )
    return [(*sources[c.source_id], speakers.get(c.speaker_id), accounts.get(c.created_by_id)) for c in claims]


LENDERS_LOCKED = """Why the triggers take locks (a rule spanning rows holds under concurrent writes).

A claim's cells are read from its source, its source's publisher and authors, its speaker and its annotator (the
lenders). Under READ COMMITTED a writer of what they lend touches the claims it can see, and a claim written at the
same time is not among them: an insert or a move reading a source's title as another transaction renames it would keep
the old title. So whatever computes a claim's cells first takes its lenders' locks, then reads them (each statement of
a trigger takes a new snapshot); whatever changes what a lender lends takes a lock that conflicts with it before it
touches the claims. Either the writer waits for the claim's transaction and then sees its claim, or the claim waits
for the writer and reads what it wrote. The locks:

- sources, people and organisations: an advisory lock for each slot their ids fall in (common.locks.lender_locking:
  a lock a row overflowed PostgreSQL's lock table), taken shared by what computes cells and exclusive by a change of
  a source's lent fields or authors, or of a person's name. Other writes of those rows (a source's notes, a person's
  aliases) take no such lock;
- sources and accounts: their rows key-shared first, as a claim's foreign key would at commit (Django's are
  deferred). A change of a unique column (a source's URL, a username) locks its row against that, so it waits for the
  claim, or the claim for it, before either takes another lock (its last login is not a key, and waits for nothing).
  A write that locks claims' rows key-shares the account it is recorded under before them (claims.rules.
  recorded_account): that account's history key is otherwise checked only at the commit, after a rename holding the
  account's row has waited for one of those claims.

Each kind is locked in order (rows by id, advisory locks by slot), rows before advisory locks, sources before
people; and, where a transaction holds claims' rows already, before those: a service that writes claims or sources
takes its lenders' locks before its first write (sources.models.share_lenders), so that a rename touching those claims
never waits for a transaction that waits for the rename. tests/test_races_cells.py runs each pair of writes both
ways, and parallel requests against a live server."""


def _lock_sql(kind: str, ids_sql: str, *, exclusive: bool = False) -> str:
    """PL/pgSQL that takes the locks of these lenders (common.locks.lender_locking), for a trigger."""
    return f"PERFORM {lender_locking(kind, ids_sql, exclusive=exclusive)};\n"


def lock_lenders_sql(sources_sql: str | None, speakers_sql: str | None, accounts_sql: str | None) -> str:
    """PL/pgSQL that takes the locks of the lenders of claims (LENDERS_LOCKED): the rows of these sources and accounts
    key-shared, then, shared, the advisory locks of these sources and speakers and of the sources' publishers and
    authors. `*_sql` select ids (None: none)."""
    users = get_user_model()._meta.db_table
    rows = {"sources_source": sources_sql, users: accounts_sql}
    return "".join(f"PERFORM {key_shared_sql(table, sql)};\n" for table, sql in rows.items() if sql) + "".join(
        _lock_sql(kind, sql) for kind, sql in lenders_sql(sources_sql, speakers_sql).items()
    )


def _touch(column: str, ids_sql: str) -> str:
    """An UPDATE that sets a claim's key to itself for the claims it names: the claim's trigger refills them. Their
    rows are locked in id order first, so that two touches of the same claims (a person renamed, a source retitled)
    wait for each other instead of each holding some."""
    return (
        f"PERFORM 1 FROM claims_claim WHERE {column} IN ({ids_sql}) ORDER BY id FOR NO KEY UPDATE;\n"
        f"UPDATE claims_claim SET {column} = {column} WHERE {column} IN ({ids_sql});\n"
    )


def _statement_trigger(name: str, table: str, event: str, referencing: str, body: str) -> list[str]:
    return [
        # No JIT: the planner's guess for the new rows' sources (as many as the rows) priced the check at
        # 200,000 and compiled it, 50 of its 60 ms for a part of 2,000 claims.
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $cells$\nBEGIN\n{body}"
        "RETURN NULL;\nEND\n$cells$",
        f"CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    ]


def install_sql(connection) -> list[str]:
    users = get_user_model()._meta.db_table
    authors = Source.authors.through._meta.db_table
    renamed = "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.name IS DISTINCT FROM n.name"
    lent_changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in SOURCE_LENT)
    lent_sources = f"SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {lent_changed}"
    renamed_accounts = (
        "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.username IS DISTINCT FROM n.username"
    )
    return [
        cells_function_sql(connection),
        # Before an update only: any row trigger before an insert turns off COPY's batched inserts (about 50 µs a
        # row with this one, measured on the import). New claims are checked after their statement, set-wise.
        f"CREATE OR REPLACE TRIGGER {FUNCTION} BEFORE UPDATE OF source_id, speaker_id, created_by_id, "
        f'start, "end" ON claims_claim FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()',
        *_statement_trigger(
            "claims_cells_inserted",
            "claims_claim",
            "INSERT",
            "NEW TABLE AS new_rows",
            lock_lenders_sql(
                "SELECT source_id FROM new_rows",
                "SELECT speaker_id FROM new_rows",
                "SELECT created_by_id FROM new_rows",
            )
            + f"UPDATE claims_claim SET source_id = source_id WHERE id IN ({wrong_cells_sql(connection)});\n",
        ),
        *_statement_trigger(
            "claims_cells_source_changed",
            "sources_source",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _lock_sql("source", lent_sources, exclusive=True)
            + _lock_sql(
                "agent",
                "SELECT n.publisher_id FROM new_rows n JOIN old_rows o ON o.id = n.id "
                "WHERE o.publisher_id IS DISTINCT FROM n.publisher_id",
            )
            + _touch("source_id", lent_sources),
        ),
        *_statement_trigger(
            "claims_cells_authors_added",
            authors,
            "INSERT",
            "NEW TABLE AS new_rows",
            _lock_sql("source", "SELECT source_id FROM new_rows", exclusive=True)
            + _lock_sql("agent", "SELECT agent_id FROM new_rows")
            + _touch("source_id", "SELECT source_id FROM new_rows"),
        ),
        *_statement_trigger(
            "claims_cells_authors_removed",
            authors,
            "DELETE",
            "OLD TABLE AS old_rows",
            _lock_sql("source", "SELECT source_id FROM old_rows", exclusive=True)
            + _touch("source_id", "SELECT source_id FROM old_rows"),
        ),
        *_statement_trigger(
            "claims_cells_authors_changed",  # a merge of people points authorships at the one kept
            authors,
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _lock_sql("source", "SELECT source_id FROM old_rows UNION SELECT source_id FROM new_rows", exclusive=True)
            + _lock_sql("agent", "SELECT agent_id FROM new_rows")
            + _touch("source_id", "SELECT source_id FROM old_rows UNION SELECT source_id FROM new_rows"),
        ),
        *_statement_trigger(
            "claims_cells_agent_renamed",
            "sources_agent",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            _lock_sql("agent", renamed, exclusive=True)
            + _touch("speaker_id", renamed)
            + _touch(
                "source_id",
                f"SELECT id FROM sources_source WHERE publisher_id IN ({renamed}) "
                f"UNION SELECT source_id FROM {authors} WHERE agent_id IN ({renamed})",
            ),
        ),
        *_statement_trigger(
            "claims_cells_account_renamed",
            users,
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            # No lock of its own: a username is unique, so its UPDATE holds the row against the claims' key-share.
            _touch("created_by_id", renamed_accounts),
        ),
    ]


def install(connection, refill: bool = True) -> None:
    """Write the functions and triggers (PostgreSQL) and refill every claim's cells (unless `refill` is False: a
    change that leaves the cells' expressions as they were, such as the locks)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in install_sql(connection):
            cursor.execute(statement)
        if refill:
            cursor.execute("UPDATE claims_claim SET source_id = source_id")


# The SQL the last migration to call `install` wrote (its SHA-256). The SQL is compiled from the export's expressions:
# when they change, a database keeps the old triggers until a new migration calls `install` (which also refills every
# claim's cells); record that migration here. tests/test_csv_stored_cells.py fails until then.
INSTALLED_BY = (
    "claims",
    "0034_cells_computed_once",
    "53aba86652f76585b359155ca6fa8031cc28cced54be331e0c4466ed3847889a",
)


def install_sql_digest(connection) -> str:
    return hashlib.sha256("\n".join(install_sql(connection)).encode()).hexdigest()


def stored_columns() -> dict[str, RawSQL]:
    """The stored cells as expressions of the claims' SELECT, by the CSV's column."""
    return {name: RawSQL(f'"claims_claim"."{column}"', (), output_field=TextField()) for name, column in STORED.items()}


def stale_cells(using: str = "default") -> dict[int, dict[str, tuple]]:
    """The claims whose stored cells differ from the ones the export would compute: {claim id: {column: (stored,
    right)}} (every test on PostgreSQL ends by asking)."""
    from claims.exchange.columns import claim_cells

    names = list(STORED)
    right = claim_cells(Claim.objects.using(using), names).values_list("pk", *(f"csv_{name}" for name in names))
    stored = Claim.objects.using(using).annotate(**{f"stored_{n}": e for n, e in stored_columns().items()})
    kept = {row[0]: row[1:] for row in stored.values_list("pk", *(f"stored_{name}" for name in names))}
    stale = {}
    for pk, *cells in right:
        differing = {n: (s, r) for n, s, r in zip(names, kept[pk], cells, strict=True) if s != r}
        if differing:
            stale[pk] = differing
    return stale
