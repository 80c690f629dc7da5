"""Importing claims and links from CSV rows: one transaction per file, every bad row reported."""

from collections.abc import Callable, Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims.corroboration.counting import recount_claims, recount_linked
from claims.exchange.reading import (
    TRACKED,
    ClaimReader,
    ImportReport,
    PendingClaim,
    RowOutcome,
    RowProblem,
    history_row,
    missing_columns,
    tags_named,
)
from claims.models import Claim, Corroboration
from common.batching import batched, collector_paused
from common.copy_insert import insert_rows, inserting


@transaction.atomic
def import_claims(
    *,
    header: list[str],
    rows: Iterable[tuple[int, dict[str, str]]],
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    batch_size: int = 2000,
    on_rows: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import claims CSV rows, numbered by file line, as one transaction: all of them or, when any row is
    bad, none, with every bad row reported. A row with an id updates that claim; history is kept for each."""
    report = ImportReport(dry_run=dry_run)
    missing = missing_columns(header)
    if missing:
        report.problems.append(RowProblem(1, {"__all__": [missing]}))
        return report
    with collector_paused():
        _import_claims(header, rows, user=user, report=report, batch_size=batch_size, on_rows=on_rows)
    report.problems.sort(key=lambda problem: problem.line)
    if dry_run or not report.ok:
        transaction.set_rollback(True)
    return report


def _import_claims(
    header: list[str],
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    user: AbstractBaseUser | None,
    report: ImportReport,
    batch_size: int,
    on_rows: Callable[[int], None] | None,
) -> None:
    """Look up what the rows name, then read them batch by batch, writing new claims as they come while none
    is bad; then updates, history and tags. Problems go to the report; the caller rolls back when there are any."""
    rows = list(rows)
    reader = ClaimReader(header, user=user, report=report)
    for batch in batched(rows, batch_size):
        reader.look_up(batch)
    batches = batched(rows, batch_size)
    pending: list[PendingClaim] = []
    done = 0
    try:
        with transaction.atomic():
            # New claims are written as they are read: PostgreSQL indexes them while the next rows are checked.
            with inserting(Claim, at_most=len(rows)) as insert:
                for batch in batches:
                    items = reader.read(batch)
                    pending += items
                    for item in items:
                        if item.new and report.ok:
                            insert(item.claim)
                    done += len(batch)
                    if on_rows:
                        on_rows(done)
            # Spans checked against the database: updates always; new claims only when not written (the
            # span index checked those written).
            moving = [p for p in pending if p.changed and (not p.new or p.claim.pk is None)]
            reader.drop_taken_spans(pending, moving)
            reader.drop_links_within_source(pending)
            if report.ok:
                _save_claims(pending, user=user, report=report)
    except IntegrityError:
        # The unique index on spans refused a new claim: read the rest, then find which rows, to report them.
        for batch in batches:
            pending += reader.read(batch)
        for item in pending:
            if item.new:
                item.claim.pk = None
        reader.drop_taken_spans(pending, [p for p in pending if p.changed])
        if report.ok:
            raise


def _save_claims(pending: list[PendingClaim], *, user: AbstractBaseUser | None, report: ImportReport) -> None:
    now = timezone.now()
    created = [p for p in pending if p.new]
    updated = [p for p in pending if p.changed and not p.new]
    for p in updated:
        p.claim.version += 1
        p.claim.updated_at = now
    Claim.objects.bulk_update([p.claim for p in updated], [*TRACKED, "anchor_state", "updated_at", "version"], 500)
    history_ids = []
    # A chunk of history rows at a time: a row is a dict of twenty values, too many to hold for a whole file.
    for chunk in batched([(p.claim, "+") for p in created] + [(p.claim, "~") for p in updated], 10_000):
        rows = [history_row(claim, kind, user, now) for claim, kind in chunk]
        history_ids += insert_rows(Claim.history.model, rows)

    # Tags, and their snapshot on each new history record.
    retagged = [p for p in created + updated if p.tags is not None]
    tags = tags_named(name for p in retagged for name in p.tags)
    Claim.tags.through.objects.filter(claim__in=[p.claim for p in retagged if not p.new]).delete()
    links = [{"claim_id": p.claim.pk, "tag_id": tags[name].pk} for p in retagged for name in p.tags]
    for link, pk in zip(links, insert_rows(Claim.tags.through, links), strict=True):
        link["id"] = pk
    untouched = [p.claim.pk for p in updated if p.tags is None]
    links += Claim.tags.through.objects.filter(claim__in=untouched).values("id", "claim_id", "tag_id")
    tagged = {}
    for link in links:
        tagged.setdefault(link["claim_id"], []).append(link)
    insert_rows(
        Claim.history.model.tags.model,
        [
            {"history_id": history_id, **link}
            for p, history_id in zip(created + updated, history_ids, strict=True)
            for link in tagged.get(p.claim.pk, [])
        ],
    )
    # An update may move a claim to another source: recount it and the claims linked to it.
    recount_linked(p.claim.pk for p in updated)
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
    rows: Iterable[tuple[int, dict[str, str]]],
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    on_rows: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import links (claim_a, claim_b, relation, note), numbered by file line, as one transaction: all of
    them or, when any row is bad, none, with every bad row reported. `on_rows` hears how many rows are done."""
    report = ImportReport(dry_run=dry_run)
    if not {"claim_a", "claim_b"} <= set(header):
        report.problems.append(RowProblem(1, {"__all__": ["The header needs claim_a and claim_b columns."]}))
        return report
    rows = list(rows)
    ids = {row.get(name, "").strip() for _, row in rows for name in ("claim_a", "claim_b")}
    claims = Claim.objects.in_bulk([int(i) for i in ids if i.isdigit()])
    seen: dict[frozenset, int] = {}
    for done, (line, row) in enumerate(rows, start=1):
        errors: dict[str, list[str]] = {}
        pair = {}
        for name in ("claim_a", "claim_b"):
            cell = row.get(name, "").strip()
            pair[name] = claims.get(int(cell)) if cell.isdigit() else None
            if pair[name] is None:
                errors[name] = [f"No claim has id {cell}." if cell else "This field cannot be blank."]
        if not errors:
            link = Corroboration(
                **pair,
                relation=row.get("relation", "").strip() or Corroboration.Relation.CORROBORATES,
                note=row.get("note", ""),
                created_by=user,
            )
            key = frozenset([link.claim_a_id, link.claim_b_id])
            if key in seen:
                errors["__all__"] = [f"These two claims are already linked on line {seen[key]}."]
            else:
                try:
                    link.full_clean()
                except ValidationError as e:
                    errors = e.message_dict
            seen.setdefault(key, line)
        if errors:
            report.problems.append(RowProblem(line, errors))
        elif report.ok:
            link.save()
            report.created += 1
            report.outcomes.append(RowOutcome(line, "new", link))
        if on_rows:
            on_rows(done)
    if report.ok:
        recount_claims(
            {pk for outcome in report.outcomes for pk in (outcome.instance.claim_a_id, outcome.instance.claim_b_id)}
        )
    if dry_run or not report.ok:
        transaction.set_rollback(True)
    return report
