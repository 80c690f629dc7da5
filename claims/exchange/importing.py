"""Importing claims and links from a file: one transaction per file, read and written a batch at a time,
every bad row reported.

`import_spreadsheet` opens a CSV or XLSX file with common.tabular and hands its rows, as they are read, to
`import_claims` or `import_links`. Nothing holds the whole file: each batch is looked up, validated and
(while no row has been bad) written, then let go. Any bad row and the transaction is rolled back at the end,
so nothing is written; a dry run is rolled back too.
"""

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import BinaryIO

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from claims.corroboration.counting import recount_linked
from claims.exchange.columns import HEADER
from claims.exchange.reading import (
    TRACKED,
    ClaimReader,
    ImportReport,
    PendingClaim,
    RowOutcome,
    choice_code,
    missing_columns,
    tags_named,
    whole_number,
)
from claims.exchange.stored_cells import GIVEN, given_cells
from claims.models import Claim, Link, Tag
from claims.rules import STALE_MESSAGE, require, take_next_versions
from claims.services import save_links
from claims.tagging import refresh_tag_names, tag_names_in_order
from common.batching import batched, collect_young_garbage, collector_paused
from common.copy_insert import insert_rows, inserting
from common.history import many_to_many_records, record_stored_rows, recorded_person, recorded_reason
from common.overlap import Behind, writing_behind
from common.projects import project_or_sole
from common.tabular import Columns, RowProblem, TableError, read_table
from sources.models import Project

WRITTEN_MEANWHILE = (
    "Another import or edit wrote some of the same links or claims at the same moment; nothing of this file "
    "was imported. Import it again to see which rows are already there."
)
# The links export's columns; the voices are written out for reading and ignored when read back.
LINK_COLUMNS = ["id", "claim_a", "claim_b", "relation", "note", "created_at", "voice_for_claim_a", "voice_for_claim_b"]

Rows = Iterable[tuple[int, dict[str, str]]]

# Columns an export wrote under another name, still accepted (like the counts they hold, read-only: not read):
# independent_voices was independent_sources until issue 24 named it for what it counts.
OLD_COLUMNS = ["independent_sources"]  # the name before the rename


def import_spreadsheet(
    what: str,
    stream: BinaryIO,
    *,
    name: str = "",
    sheet: str | None = None,
    **kwargs,
) -> ImportReport:
    """Import a claims ("claims") or links ("links") file, CSV or XLSX, given as a binary stream, into a project
    (`project`, the server's only one when not given). Never raises for what is in the file: every problem is in
    the report, with its line."""
    claims, links = (import_claims, Columns(HEADER, retired=OLD_COLUMNS)), (import_links, LINK_COLUMNS)
    importer, columns = {"claims": claims, "links": links}[what]
    report = ImportReport(dry_run=kwargs.get("dry_run", False))
    try:
        table = read_table(stream, columns=columns, name=name, sheet=sheet)
    except TableError as e:
        report.problems.extend(e.problems)
        return report
    report.format = table.described
    try:
        return importer(header=table.header, rows=table.rows(report.problems), report=report, **kwargs)
    except IntegrityError:
        # Another import or edit wrote the same link (or claim span) after this file's rows were checked: its
        # transaction is rolled back whole, and the file can be tried again against what is there now.
        report.problems.append(RowProblem(1, {"__all__": [WRITTEN_MEANWHILE]}))
        report.created = report.updated = 0
        return report


@transaction.atomic
def import_claims(
    *,
    header: list[str],
    rows: Rows,
    user: AbstractBaseUser | None = None,
    project: Project | None = None,
    dry_run: bool = False,
    batch_size: int = 2000,
    on_rows: Callable[[int], None] | None = None,
    date_format: str | None = None,
    keep_outcomes: bool = False,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import claims rows, numbered by file line, into `project` (the server's only one when not given) as one
    transaction: all of them or, when any row is bad, none, with every bad row reported. A row with an id updates
    that claim (refused when the row's version is older than the claim's); history is kept for each. Sources,
    claims, speakers and tags are looked up in the project only: another project's id is unknown here, with the
    message of an id that does not exist; new speakers and tags are the project's. `keep_outcomes` keeps every
    row's outcome (for the admin's preview); `report` is the one to fill (a reader may add the rows it cannot
    read)."""
    project = project_or_sole(project)
    require(user, "claims.import_claim", obj=project)
    report = report or ImportReport(dry_run=dry_run)
    report.dry_run = dry_run
    missing = missing_columns(header)
    if missing:
        report.problems.append(RowProblem(1, {"__all__": [missing]}))
        return report
    with collector_paused(), writing_behind() as behind:
        reader = ClaimReader(header, user=user, project=project, report=report, date_format=date_format)
        read: list[PendingClaim] | None = None  # the part read before this one, not yet written
        for batch in batched(rows, batch_size):
            behind.wait()  # the part before this batch is written: the connection is free for this one's queries
            # A batch naming long articles is read in parts, each holding at most TEXT_BUDGET of their text.
            for part in reader.parts(batch):
                behind.wait()
                reader.look_up(part)  # every query of a part runs before it is read
                if read is not None:
                    # The part before is written behind, on the transaction's connection, while this one is read.
                    _write(read, reader, behind, user=user, report=report, keep_outcomes=keep_outcomes)
                read = reader.read(part)
                collect_young_garbage()
            report.rows += len(batch)
            if on_rows:
                on_rows(report.rows)
        behind.wait()
        if read is not None:
            _write(read, reader, behind, user=user, report=report, keep_outcomes=keep_outcomes)
    report.problems.sort(key=lambda problem: problem.line)
    if dry_run or not report.ok:
        transaction.set_rollback(True)
    return report


def _write(
    pending: list[PendingClaim], reader: ClaimReader, behind: Behind, *, user, report: ImportReport, keep_outcomes: bool
) -> None:
    """Write the claims read from a part of the file (while no row has been bad). This thread sends the new claims
    through one COPY; the writer thread (common.overlap) waits for PostgreSQL to store them, then checks and writes
    the rest, while this thread reads the next part. The parts written before are in the database, so its span
    index and `drop_taken_spans` see them."""
    if not report.ok:
        # Nothing more is written; the rows are still checked against the database, to report them all.
        behind.write(reader.drop_taken_spans, pending, [p for p in pending if p.changed])
        return
    savepoint, copying = ExitStack(), ExitStack()
    vendor = connections[router.db_for_write(Claim)].vendor
    try:
        # Both left open for the writer thread; undone here (the savepoint rolled back) if sending fails.
        with ExitStack() as on_failure:
            on_failure.push(savepoint)
            savepoint.enter_context(transaction.atomic())
            # The part's tags, made when new: a new claim is inserted with its tags' names as they are stored.
            tags = tags_named((name for p in pending if p.tags for name in p.tags), project=reader.project)
            rank = {name: n for n, name in enumerate(tags)}  # tags_named reads them in the database's order
            for item in pending:
                if item.new and item.tags:
                    item.claim.tag_names = tag_names_in_order(item.tags, rank)
            # With the cells their CSV row repeats from their sources and people, as PostgreSQL keeps them: what
            # is not right there is written again by the check after the COPY (claims.exchange.stored_cells).
            new = [item.claim for item in pending if item.new]
            cells = given_cells(new) if vendor == "postgresql" else [()] * len(new)
            on_failure.push(copying)
            # New claims go in through one COPY: PostgreSQL stores and indexes them while the next part is read.
            insert = copying.enter_context(inserting(Claim, at_most=len(new), extra_columns=GIVEN))
            for claim, given in zip(new, cells, strict=True):
                insert(claim, given)
            on_failure.pop_all()
    except IntegrityError:
        if not _refused_rows_reported(pending, reader, report):
            raise
        return
    behind.write(
        _store, pending, reader, tags, savepoint, copying, user=user, report=report, keep_outcomes=keep_outcomes
    )


def _store(pending, reader, tags, savepoint, copying, *, user, report, keep_outcomes) -> None:
    """On the writer thread: wait for PostgreSQL to store the part's new claims (`copying`, the COPY `_write`
    sent), then check the moved claims and write the changes, history and tags, in the part's `savepoint`."""
    try:
        with savepoint:
            copying.close()  # PostgreSQL has stored and indexed the new claims, or refused one
            # The span index checked the new claims; updates that move are checked here.
            reader.drop_taken_spans(pending, [p for p in pending if p.changed and not p.new])
            reader.drop_links_within_source(pending)
            if report.ok:
                _save_claims(pending, tags, user=user, report=report, keep_outcomes=keep_outcomes)
    except IntegrityError:
        if not _refused_rows_reported(pending, reader, report):
            raise


def _refused_rows_reported(pending: list[PendingClaim], reader: ClaimReader, report: ImportReport) -> bool:
    """The span index refused a new claim of the part: report the rows on words already taken. False when none
    is (another import or edit wrote meanwhile: the caller raises)."""
    for item in pending:
        if item.new:
            item.claim.pk = None
    reader.drop_taken_spans(pending, [p for p in pending if p.changed])
    return not report.ok


def _save_claims(
    pending: list[PendingClaim],
    tags: dict[str, Tag],
    *,
    user: AbstractBaseUser | None,
    report: ImportReport,
    keep_outcomes: bool,
) -> None:
    now = timezone.now()
    created = [p for p in pending if p.new]
    updated = [p for p in pending if p.changed and not p.new]
    # The version check of claims.rules, as a conditional UPDATE: a claim saved by someone else since its row
    # was read (its version checked) is refused, and the transaction rolled back.
    stale = take_next_versions([p.claim for p in updated])
    if stale:
        for p in updated:
            if p.claim.pk in stale:
                report.problems.append(RowProblem(p.line, {"version": [STALE_MESSAGE]}))
        return
    for p in updated:
        p.claim.updated_at = now
    Claim.objects.bulk_update([p.claim for p in updated], [*TRACKED, "anchor_state", "updated_at", "version"], 500)
    person, added, changed = user or recorded_person(), recorded_reason("+"), recorded_reason("~")
    # Their history records, written by the database from the rows just stored.
    records = record_stored_rows(Claim, (p.claim.pk for p in created), kind="+", user=person, when=now, reason=added)
    records |= record_stored_rows(Claim, (p.claim.pk for p in updated), kind="~", user=person, when=now, reason=changed)

    # Tags, and their snapshot on each new history record.
    retagged = [p for p in created + updated if p.tags is not None]
    Claim.tags.through.objects.filter(claim__in=[p.claim for p in retagged if not p.new]).delete()
    links = [{"claim_id": p.claim.pk, "tag_id": tags[name].pk} for p in retagged for name in p.tags]
    for link, pk in zip(links, insert_rows(Claim.tags.through, links), strict=True):
        link["id"] = pk
    # A new claim was inserted with its tags' names (above): only the updated claims' are read back.
    refresh_tag_names(p.claim.pk for p in retagged if not p.new)
    untouched = [p.claim.pk for p in updated if p.tags is None]
    if untouched:
        links += Claim.tags.through.objects.filter(claim__in=untouched).values("id", "claim_id", "tag_id")
    tagged = {}
    for link in links:
        tagged.setdefault(link["claim_id"], []).append(link)
    insert_rows(
        many_to_many_records(Claim, "tags"),
        [{"history_id": records[p.claim.pk], **link} for p in created + updated for link in tagged.get(p.claim.pk, [])],
    )
    # An update may move a claim to another source: recount it and the claims linked to it.
    recount_linked(p.claim.pk for p in updated)
    if keep_outcomes:
        for p in pending:
            action = "new" if p.new else "update" if p.changed else "skip"
            report.outcomes.append(RowOutcome(p.line, action, p.claim))
    report.created += len(created)
    report.updated += len(updated)
    report.unchanged += len(pending) - len(created) - len(updated)


@transaction.atomic
def import_links(
    *,
    header: list[str],
    rows: Rows,
    user: AbstractBaseUser | None = None,
    project: Project | None = None,
    dry_run: bool = False,
    on_rows: Callable[[int], None] | None = None,
    batch_size: int = 2000,
    keep_outcomes: bool = False,
    report: ImportReport | None = None,
    **ignored,
) -> ImportReport:
    """Import links (claim_a, claim_b, relation, note), numbered by file line, into `project` (the server's only
    one when not given) as one transaction: all of them or, when any row is bad, none, with every bad row reported.
    A row with an `id` is that link, as an export wrote it: unchanged, or its relation or note updated. Claims and
    links are looked up in the project only (another project's id is unknown here). Each link is checked by its
    model's rules (`full_clean`). `on_rows` hears how many rows are done."""
    project = project_or_sole(project)
    require(user, "claims.import_link", obj=project)
    report = report or ImportReport(dry_run=dry_run)
    report.dry_run = dry_run
    if not {"claim_a", "claim_b"} <= set(header):
        report.problems.append(RowProblem(1, {"__all__": ["The header needs claim_a and claim_b columns."]}))
        return report
    seen: dict[tuple[int, int], int] = {}
    checked: list[Link] = []  # new and changed links, each checked by full_clean, saved by save_links
    relations = Link.Relation
    for batch in batched(rows, batch_size):
        ids = {whole_number(row.get(name)) for _, row in batch for name in ("claim_a", "claim_b")} - {None}
        claims = Claim.objects.in_project(project).in_bulk(ids)
        # A row with an id is that link, as an export wrote it: unchanged, or its relation or note edited.
        link_ids = {whole_number(row.get("id")) for _, row in batch} - {None}
        stored = Link.objects.in_project(project).in_bulk(link_ids)
        for line, row in batch:
            errors: dict[str, list[str]] = {}

            def fail(name: str, message: str, errors=errors) -> None:
                errors.setdefault(name, []).append(message)

            pair = {}
            for name in ("claim_a", "claim_b"):
                claim_id = whole_number(row.get(name), fail, name)
                pair[name] = claims.get(claim_id)
                if pair[name] is None and name not in errors:
                    blank = claim_id is None
                    fail(name, "This field cannot be blank." if blank else f"No claim has id {claim_id}.")
            link_id = whole_number(row.get("id"), fail, "id")
            cell = row.get("relation", "").strip()
            relation = choice_code("relation", cell, fail) if cell else relations.CORROBORATES
            action = "new"
            if not errors:
                link = Link(**pair, relation=relation, note=row.get("note", ""), created_by=user)
                if link_id is not None:
                    link, action = stored.get(link_id), "update"
                    if link is None:
                        fail("id", f"No link has id {link_id}; leave id empty to add a link.")
                    elif {link.claim_a_id, link.claim_b_id} != {claim.pk for claim in pair.values()}:
                        ends = f"{link.claim_a_id} and {link.claim_b_id}"
                        fail("id", f"Link {link_id} joins claims {ends}; leave id empty to link other claims.")
                    elif (link.relation, link.note) == (relation, row.get("note", link.note)):
                        action = "skip"
                    else:
                        link.relation, link.note = relation, row.get("note", link.note)
            if not errors:
                key = (min(link.claim_a_id, link.claim_b_id), max(link.claim_a_id, link.claim_b_id))
                if key in seen:
                    errors["__all__"] = [f"These two claims are already linked on line {seen[key]}."]
                elif action != "skip":
                    try:
                        link.full_clean()
                    except ValidationError as e:
                        errors = e.message_dict
                seen.setdefault(key, line)
            if errors:
                report.problems.append(RowProblem(line, errors))
            elif report.ok:
                if action == "skip":
                    report.unchanged += 1
                else:
                    checked.append(link)
                    report.created += action == "new"
                    report.updated += action == "update"
                if keep_outcomes:
                    report.outcomes.append(RowOutcome(line, action, link))
        report.rows += len(batch)
        if on_rows:
            on_rows(report.rows)
    report.problems.sort(key=lambda problem: problem.line)
    if report.ok and checked:
        save_links(checked, user=user, checked=True)
    if dry_run or not report.ok:
        transaction.set_rollback(True)
    return report
