"""Reading claims CSV rows into validated, unsaved claims, a batch at a time; services.import_claims saves them.

Each row is checked by the model's own field validation and `Claim.anchor()` (the quote is located when
start and end are empty). Lookups are made a batch at a time before any row is read, not once per row:
sources by id or URL, claims to update by id, speakers by name (the new ones created). Reading then makes
no query, so new claims can be written as they are read (services.import_claims). The one-claim-per-span
rule is checked within the file here, and against the database by `drop_taken_spans` and the span index.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models.functions import Lower

from claims.models import Claim, Corroboration, Tag
from claims.rules import links_landing_in_source, may_review, status_after_edit
from sources.dates import from_iso
from sources.models import Agent, Source

# What an import may change on a claim; "unchanged" compares these and the tags.
TRACKED = [
    "source_id",
    "quote",
    "start",
    "end",
    "statement",
    "speaker_id",
    "claimed_on",
    "claimed_on_precision",
    "kind",
    "status",
]

SPAN = ["source_id", "start", "end"]
# The fields a row's cells set, validated per row by the model's own Field.clean; the others this module sets
# itself from looked-up objects (source, speaker, created_by) or leaves to their defaults.
CELL_FIELDS = [Claim._meta.get_field(name) for name in ["quote", "start", "end", "statement", "claimed_on"]]
CELL_FIELDS += [Claim._meta.get_field(name) for name in ["claimed_on_precision", "kind", "status"]]
# Fields whose values repeat row after row (offsets, dates, choices): each value is validated once per import.
REPEATING = {"start", "end", "claimed_on", "claimed_on_precision", "kind", "status"}
HISTORY_TRACKED = [f.attname for f in Claim.history.model.tracked_fields]
_history_values = attrgetter(*HISTORY_TRACKED)


@dataclass
class RowProblem:
    """Why one row of a file cannot be imported."""

    line: int
    errors: dict[str, list[str]]

    def __str__(self) -> str:
        reasons = "; ".join(
            message if name == NON_FIELD_ERRORS else f"{name}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        )
        return f"line {self.line}: {reasons}"


@dataclass
class RowOutcome:
    line: int
    action: str  # "new", "update" or "skip"
    instance: Claim | Corroboration


@dataclass
class ImportReport:
    """What an import did, or would do: nothing is written when `problems` is not empty."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    new_speakers: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class PendingClaim:
    line: int
    claim: Claim
    tags: list[str] | None  # None: leave the tags as they are
    new: bool
    changed: bool
    moved: bool = False  # to another source


def missing_columns(header: Iterable[str]) -> str | None:
    header = set(header)
    if "quote" not in header:
        return "The header needs a quote column."
    if not header & {"source_id", "source_url"}:
        return "The header needs a source_id or a source_url column."
    return None


def split_list(cell: str) -> list[str]:
    return sorted({part.strip() for part in cell.split(";") if part.strip()})


class ClaimReader:
    """Turns rows into validated claims, remembering what it has looked up and what it has seen."""

    def __init__(self, header: list[str], *, user: AbstractBaseUser | None, report: ImportReport):
        self.header = set(header)
        self.user = user
        self.report = report
        self.sources_by_id: dict[int, Source] = {}
        self.sources_by_url: dict[str, Source] = {}
        self.speakers: dict[str, Agent] = {}
        self.speaker_problems: dict[str, list[str]] = {}
        self.claims: dict[int, Claim] = {}
        self.seen_ids: dict[int, int] = {}
        self.seen_spans: dict[tuple[int, int, int], int] = {}
        # A new claim starts from these values (the model's defaults), given positionally: that is
        # Django's own fast path for building an instance (Model.from_db), four times cheaper than keywords.
        blank = Claim(created_by=user)
        self.new_claim_values = [getattr(blank, f.attname) for f in Claim._meta.concrete_fields]
        self.valid_values: dict[str, set] = {name: set() for name in REPEATING}
        # Asked once, here: reading makes no query (new claims are being written meanwhile).
        self.reviewer = may_review(user)

    def read(self, rows: list[tuple[int, dict[str, str]]]) -> list[PendingClaim]:
        """Validate a batch of rows, already looked up; problems go to the report, valid claims are returned
        unsaved. No query is made, so this can run while the claims before are being written."""
        pending = []
        for line, row in rows:
            errors: dict[str, list[str]] = {}
            item = self._claim(line, row, errors)
            if errors:
                self.report.problems.append(RowProblem(line, errors))
            elif item is not None:
                pending.append(item)
        # Spans are checked against the database afterwards (`drop_taken_spans`), and by its unique index.
        return self._drop_repeated_spans(pending)

    def look_up(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        """Fetch what a batch of rows names: sources, claims to update (with their sources and tags) and
        speakers, creating the speakers not found (each validated; reported on the rows naming them)."""
        source_ids = {_int(r.get("source_id")) for _, r in rows} - {None} - self.sources_by_id.keys()
        urls = {r.get("source_url", "").strip() for _, r in rows} - {""} - self.sources_by_url.keys()
        found = Source.objects.filter(pk__in=source_ids) if source_ids else Source.objects.none()
        if urls:
            found = found | Source.objects.filter(url__in=urls)
        for source in found.only("pk", "url", "text"):
            self.sources_by_id[source.pk] = source
            if source.url:
                self.sources_by_url[source.url] = source
        claim_ids = {_int(r.get("id")) for _, r in rows} - {None} - self.claims.keys()
        if claim_ids:
            claims = Claim.objects.filter(pk__in=claim_ids).prefetch_related("tags").in_bulk()
            missing = {claim.source_id for claim in claims.values()} - self.sources_by_id.keys()
            for source in Source.objects.filter(pk__in=missing).only("pk", "url", "text"):
                self.sources_by_id[source.pk] = source
            for claim in claims.values():
                claim.source = self.sources_by_id[claim.source_id]
            self.claims.update(claims)
        if "speaker" in self.header:
            self._look_up_speakers([r.get("speaker", "").strip() for _, r in rows])

    def _look_up_speakers(self, names: list[str]) -> None:
        known = self.speakers.keys() | self.speaker_problems.keys()
        keys = {name.lower() for name in names} - {""} - known
        if not keys:
            return
        for agent in Agent.objects.annotate(key=Lower("name")).filter(key__in=keys).order_by("-pk"):
            self.speakers[agent.key] = agent
        for name in names:
            key = name.lower()
            if key not in keys or key in self.speakers or key in self.speaker_problems:
                continue
            agent = Agent(name=name, kind=Agent.Kind.PERSON)
            try:
                agent.full_clean()
            except ValidationError as e:
                self.speaker_problems[key] = e.messages
                continue
            agent.save()
            self.speakers[key] = agent
            self.report.new_speakers.append(name)

    def _claim(self, line: int, row: dict[str, str], errors: dict[str, list[str]]) -> PendingClaim | None:
        def fail(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        claim_id = _int(row.get("id"), fail, "id")
        claim = self.claims.get(claim_id) if claim_id is not None else None
        if claim_id is not None:
            if claim is None:
                return fail("id", f"No claim has id {claim_id}.")
            if claim_id in self.seen_ids:
                return fail("id", f"Claim {claim_id} is already updated on line {self.seen_ids[claim_id]}.")
            self.seen_ids[claim_id] = line
        new = claim is None
        if new:
            claim = Claim(*self.new_claim_values)
            before, before_tags = None, []
        else:
            before = [getattr(claim, name) for name in TRACKED]
            before_tags = sorted(t.name for t in claim.tags.all())

        source = self._source(row, fail)
        if source is not None:
            claim.source = source
        elif new and not errors:
            return fail("source_id", "Give the source_id or the source_url of the claim's source.")
        quote_before = claim.quote
        if "quote" in self.header:
            claim.quote = row.get("quote", "")
        for name in ("statement", "kind", "status"):
            if name in self.header and (row.get(name, "") or name == "statement"):
                setattr(claim, name, row.get(name, ""))
        if "speaker" in self.header:
            claim.speaker = self._speaker(row.get("speaker", "").strip(), fail)
        if "claimed_on" in self.header:
            try:
                claim.claimed_on, claim.claimed_on_precision = from_iso(row.get("claimed_on", ""))
            except ValueError as e:
                fail("claimed_on", str(e))
        if {"start", "end"} & self.header:
            claim.start = _int(row.get("start"), fail, "start")
            claim.end = _int(row.get("end"), fail, "end")
        elif new or claim.quote != quote_before or source is not None and source.pk != before[0]:
            claim.start = claim.end = None
        tags = split_list(row.get("tags", "")) if "tags" in self.header else None

        self._clean_fields(claim, errors)
        if errors or claim.source_id is None:
            return None
        claim.normalise()
        try:
            claim.anchor()
        except ValidationError as e:
            _add_errors(errors, e)
            return None
        claim.anchor_state = Claim.AnchorState.HELD
        changed = new or [getattr(claim, name) for name in TRACKED] != before
        changed = changed or (tags is not None and tags != before_tags)
        if changed:
            # The status rule of claims.rules: who may set it, and a reworded reviewed claim goes back to draft.
            stored = None if new else dict(zip(TRACKED, before, strict=True))
            proposed = {name: getattr(claim, name) for name in TRACKED}
            try:
                claim.status = status_after_edit(reviewer=self.reviewer, stored=stored, proposed=proposed)
            except ValidationError as e:
                _add_errors(errors, e)
                return None
        moved = not new and claim.source_id != before[0]
        return PendingClaim(line, claim, tags, new, changed, moved)

    def _clean_fields(self, claim: Claim, errors: dict[str, list[str]]) -> None:
        """What `claim.clean_fields()` does for the fields a row sets, skipping values already found valid."""
        for model_field in CELL_FIELDS:
            if model_field.name in errors:
                continue
            value = getattr(claim, model_field.attname)
            if model_field.blank and value in model_field.empty_values:
                continue
            known = self.valid_values.get(model_field.name)
            if known is not None and value in known:
                continue
            try:
                setattr(claim, model_field.attname, model_field.clean(value, claim))
            except ValidationError as e:
                errors.setdefault(model_field.name, []).extend(e.messages)
                continue
            if known is not None:
                known.add(value)

    def _source(self, row, fail) -> Source | None:
        source_id = _int(row.get("source_id"), fail, "source_id")
        if source_id is not None:
            source = self.sources_by_id.get(source_id)
            if source is None:
                fail("source_id", f"No source has id {source_id}.")
            return source
        url = row.get("source_url", "").strip()
        if url:
            source = self.sources_by_url.get(url)
            if source is None:
                fail("source_url", f"No source has the URL {url}.")
            return source
        return None

    def _speaker(self, name: str, fail) -> Agent | None:
        if not name:
            return None
        key = name.lower()
        for message in self.speaker_problems.get(key, []):
            fail("speaker", message)
        return self.speakers.get(key)

    def _drop_repeated_spans(self, pending: list[PendingClaim]) -> list[PendingClaim]:
        """One claim per span within the file."""
        kept = []
        for item in pending:
            span = (item.claim.source_id, item.claim.start, item.claim.end)
            if span in self.seen_spans:
                message = f"These words are already annotated on line {self.seen_spans[span]}."
                self.report.problems.append(RowProblem(item.line, {"quote": [message]}))
            else:
                self.seen_spans[span] = item.line
                kept.append(item)
        return kept

    def drop_taken_spans(self, pending: list[PendingClaim], moving: list[PendingClaim]) -> list[PendingClaim]:
        """One claim per span against the database (as Claim.clean checks one claim at a time), for `moving`,
        the new or changed claims among `pending`: those landing on another claim's words are reported."""
        taken = {}
        if moving:
            candidates = Claim.objects.filter(
                source_id__in={p.claim.source_id for p in moving}, start__in={p.claim.start for p in moving}
            ).order_by()  # the default ordering would join sources for nothing
            taken = {(source, start, end): pk for source, start, end, pk in candidates.values_list(*SPAN, "pk")}
        checked = {id(p) for p in moving}
        kept = []
        for item in pending:
            span = (item.claim.source_id, item.claim.start, item.claim.end)
            if id(item) in checked and taken.get(span, item.claim.pk) != item.claim.pk:
                message = f"These words are already annotated as claim #{taken[span]}; open that claim to edit it."
                self.report.problems.append(RowProblem(item.line, {"quote": [message]}))
            else:
                kept.append(item)
        return kept

    def drop_links_within_source(self, pending: list[PendingClaim]) -> list[PendingClaim]:
        """Links stay between sources (claims.rules): a claim moved to another source must not end up in the same
        source as a claim it is linked to; such rows are reported."""
        moved = {p.claim.pk: p for p in pending if p.moved}
        clashes = links_landing_in_source({pk: p.claim.source_id for pk, p in moved.items()}) if moved else {}
        for pk, other in clashes.items():
            message = (
                f"Claim {pk} is linked to claim #{other}, which would then be in the same source; "
                "links join claims across sources. Remove the link first."
            )
            self.report.problems.append(RowProblem(moved[pk].line, {"source_id": [message]}))
        return [p for p in pending if p.claim.pk not in clashes or p.new]


def history_row(claim: Claim, kind: str, user: AbstractBaseUser | None, when) -> dict:
    """A row of django-simple-history's table for the claim as it now is ("+" created, "~" changed)."""
    row = dict(zip(HISTORY_TRACKED, _history_values(claim), strict=True))
    row.update(history_date=when, history_change_reason="CSV import", history_type=kind)
    row["history_user_id"] = user.pk if user is not None else None
    return row


def _add_errors(errors: dict[str, list[str]], error: ValidationError) -> None:
    by_field = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    for name, messages in by_field.items():
        errors.setdefault(name, []).extend(messages)


def _int(cell: str | None, fail=None, name: str = "") -> int | None:
    cell = (cell or "").strip()
    if not cell:
        return None
    try:
        return int(cell)
    except ValueError:
        if fail is not None:
            fail(name, f"“{cell}” is not a whole number.")
        return None


def tags_named(names: Iterable[str]) -> dict[str, Tag]:
    """The tags with these names, created when missing."""
    names = set(names)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in tags]
    for tag in Tag.objects.bulk_create(missing):
        tags[tag.name] = tag
    if missing and any(tag.pk is None for tag in missing):
        tags = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    return tags
