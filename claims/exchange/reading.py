"""Reading claims CSV rows into validated, unsaved claims, a batch at a time; importing.import_claims saves them.

Each row is checked by the model's own field validation and `Claim.anchor()` (the quote is located when
start and end are empty). Lookups are made a batch at a time before any row is read, not once per row:
sources by id or URL, claims to update by id, speakers by name (the new ones created). Reading then makes
no query, so new claims can be written as they are read (importing.import_claims). The one-claim-per-span
rule is checked within the file here, and against the database by `drop_taken_spans` and the span index.
"""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.db.models.functions import Length, Lower

from claims.models import SPAN_TAKEN_MESSAGE, Claim, Link, Tag
from claims.rules import (
    REVIEWED_FIELDS,
    links_landing_in_source,
    lock_links,
    may_review,
    status_after_edit,
    version_problem,
)
from common.choices import choice_of, choice_values
from common.copy_insert import new_instances
from common.projects import project_or_sole
from common.tabular import RowProblem
from sources.dates import Precision, from_iso, to_iso, truncate
from sources.models import Agent, Project, Source, share_lenders, share_sources
from sources.services import named_by_alias, save_agent

# What an import may change on a claim (what a review vouches for, and the status); "unchanged" compares these
# and the tags.
TRACKED = [*REVIEWED_FIELDS, "status"]

SPAN = ["source_id", "start", "end"]
# The fields a row's cells set, validated per row by the model's own Field.clean; the others this module sets
# itself from looked-up objects (source, speaker, created_by) or leaves to their defaults.
CELL_FIELDS = [Claim._meta.get_field(name) for name in ["quote", "start", "end", "statement", "claimed_on"]]
CELL_FIELDS += [Claim._meta.get_field(name) for name in ["claimed_on_precision", "kind", "status"]]
# Fields whose values repeat row after row (offsets, dates, choices): each value is validated once per import.
REPEATING = {"start", "end", "claimed_on", "claimed_on_precision", "kind", "status"}
SOURCE = Claim._meta.get_field("source")
SPEAKER = Claim._meta.get_field("speaker")
# The characters of source text a batch of rows may hold at once (up to 4 bytes each in Python): a batch naming
# more is read in parts (`ClaimReader.parts`), so memory stays flat whatever the articles' length (issue 26).
TEXT_BUDGET = 8_000_000


def _relate(claim: Claim, field, obj) -> None:
    """`claim.source = obj` (or speaker) for an object this reader looked up: the key and the cached object, as
    the descriptor sets them, without its router and instance-state checks (a third of the time, per row)."""
    setattr(claim, field.attname, None if obj is None else obj.pk)
    field.set_cached_value(claim, obj)


@dataclass
class RowOutcome:
    line: int
    action: str  # "new", "update" or "skip"
    instance: Claim | Link


@dataclass
class RowChange:
    """What an import changes on an existing claim: (field, before, after) as the CSV writes them."""

    line: int
    claim_id: int
    fields: list[tuple[str, str, str]]

    def __str__(self) -> str:
        changes = "; ".join(f"{name}: “{before}” → “{after}”" for name, before, after in self.fields)
        return f"line {self.line}: claim {self.claim_id}: {changes}"


@dataclass
class ImportReport:
    """What an import did, or would do: nothing is written when `problems` is not empty."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    new_speakers: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)  # kept only when asked (the admin's preview)
    changes: list[RowChange] = field(default_factory=list)  # per updated row, the fields that change
    dry_run: bool = False
    format: str = ""  # what the file was read as: "CSV, semicolon separated"

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


# A list cell joins its names with "; ". A name holding ";" or "\\" has it escaped with a backslash
# (columns.escaped_name): "a\\; b" is the one name "a; b".
_list_item = re.compile(r"(?:\\.|[^;\\])+", re.DOTALL)
_list_escape = re.compile(r"\\(.)", re.DOTALL)


def split_list(cell: str) -> list[str]:
    """The names in a list cell (tags), without repeats, sorted."""
    names = {_list_escape.sub(r"\1", item).strip() for item in _list_item.findall(cell)}
    return sorted(names - {""})


CHOICES = {
    name: (choice_values(choices), choices)
    for name, choices in (("kind", Claim.Kind), ("status", Claim.Status), ("relation", Link.Relation))
}


def choice_code(name: str, cell: str, fail) -> str | None:
    """A kind, status or link's relation given as its code (author_assertion) or its label ("author's assertion"),
    in any case."""
    values, choices = CHOICES[name]
    code = choice_of(values, cell)
    if code is None:
        valid = ", ".join(f"{code} ({label})" for code, label in choices.choices)
        fail(name, f"“{cell}” is not a {name}; use one of: {valid}.")
    return code


_ambiguous_date = re.compile(r"^\s*\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\s*$")


def parse_date(cell: str, date_format: str | None = None) -> tuple[datetime.date | None, str]:
    """A date cell as (date, precision): YYYY, YYYY-MM or YYYY-MM-DD, or `date_format` (strptime) when
    given; a spreadsheet's 01/06/2017 is refused without one. Raises ValueError."""
    text = cell.strip()
    if date_format and text:
        try:
            return datetime.datetime.strptime(text, date_format).date(), Precision.DAY
        except ValueError:
            pass
    if _ambiguous_date.match(text):
        raise ValueError(
            f"“{text}” is ambiguous (a spreadsheet's date: day or month first?); write it as YYYY-MM-DD "
            "(2017-06-01), YYYY-MM or YYYY, or give the file's date format (--date-format %d/%m/%Y)."
        )
    try:
        return from_iso(text)
    except ValueError as e:
        if str(e).startswith("“"):
            raise
        raise ValueError(f"“{text}” is not a date as YYYY, YYYY-MM or YYYY-MM-DD.") from e


def stale_version(claim: Claim, cell: str | None) -> str | None:
    """Why a row that updates `claim` cannot, by the version check of claims.rules (read early, to report every
    stale row)."""
    return version_problem(claim_id=claim.pk, current=claim.version, given=cell)


class SeenIds:
    """Which claim ids a file has named so far, and on which line, in about one byte per id (a million rows
    would otherwise hold a million entries)."""

    def __init__(self):
        self.bits = bytearray()

    def add(self, claim_id: int, line: int) -> bool:
        """Remember the id; False when it was named before."""
        byte, bit = divmod(claim_id, 8)
        if byte >= len(self.bits):
            self.bits.extend(bytes(byte - len(self.bits) + 1 + 4096))
        if self.bits[byte] & (1 << bit):
            return False
        self.bits[byte] |= 1 << bit
        return True


class ClaimReader:
    """Turns rows into validated claims, remembering what it has looked up and what it has seen.

    What it remembers across batches is bounded by the database, not the file: speakers looked up, and one bit
    per claim id named. Sources and claims to update are let go once their batch is read.
    """

    def __init__(
        self,
        header: list[str],
        *,
        user: AbstractBaseUser | None,
        project: Project | None = None,
        report: ImportReport,
        date_format: str | None = None,
    ):
        self.header = set(header)
        self.user = user
        # Everything a row names is looked up in this project: another project's source, claim or person is not
        # found, as one that does not exist (the same message, so its existence is not revealed).
        self.project = project_or_sole(project)
        self.report = report
        self.date_format = date_format
        self.sources_by_id: dict[int, Source] = {}
        self.sources_by_url: dict[str, Source] = {}
        self.speakers: dict[str, Agent] = {}
        self.speaker_problems: dict[str, list[str]] = {}
        self.claims: dict[int, Claim] = {}
        self.seen_ids = SeenIds()
        # Asked once, here: reading makes no query (new claims are being written meanwhile).
        self.reviewer = may_review(user)
        self.new_claim = new_instances(Claim, created_by=user)  # the model's defaults, made cheaply
        self.valid_values: dict[str, set] = {name: set() for name in REPEATING}
        self.tag_field = Tag._meta.get_field("name")
        self.valid_tags: set[str] = set()

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
        # The claims to update were looked up for this batch only: the next batch looks up its own.
        self.claims.clear()
        # Spans are checked against the database afterwards (`drop_taken_spans`), and by its unique index.
        return self._drop_repeated_spans(pending)

    def parts(self, rows: list[tuple[int, dict[str, str]]]) -> list[list[tuple[int, dict[str, str]]]]:
        """The batch in parts whose sources' texts hold at most TEXT_BUDGET characters together (a part names at
        least one row): one query, for the texts' lengths. A batch of short articles is one part."""
        source_ids, urls = _sources_named(rows)
        if not source_ids and not urls:
            return [rows]
        sources = Source.objects.in_project(self.project).filter(Q(pk__in=source_ids) | Q(url__in=urls))
        lengths, by_url = {}, {}
        for pk, url, length in sources.annotate(length=Length("text")).values_list("pk", "url", "length"):
            lengths[pk] = length
            if url:
                by_url[url] = pk
        if sum(lengths.values()) <= TEXT_BUDGET:
            return [rows]
        parts, part, held, total = [], [], set(), 0
        for line, row in rows:
            named = whole_number(row.get("source_id"))
            source = named if named in lengths else by_url.get(row.get("source_url", "").strip())
            more = lengths.get(source, 0) if source not in held else 0
            if part and total + more > TEXT_BUDGET:
                parts.append(part)
                part, held, total = [], set(), 0
                more = lengths.get(source, 0)
            part.append((line, row))
            held.add(source)
            total += more
        return [*parts, part]

    def look_up(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        """Fetch what a batch of rows names: sources, claims to update (with their sources and tags) and
        speakers, creating the speakers not found (each validated; reported on the rows naming them).
        The sources, with their texts, are this batch's only: those of the batch before stay with its claims until
        they are written, and no longer (issue 26: kept for the whole file, 100 KB articles took gigabytes)."""
        self.sources_by_id, self.sources_by_url = {}, {}
        updated_ids = set(_cells(rows, "id", whole_number))
        if updated_ids:
            # Updated claims are recounted with the claims linked to them, under the link lock: taken before the
            # sources' rows and the lenders' locks (common.locks' order), or a rename, which takes it first, and this
            # import could each wait for the other.
            lock_links()
        source_ids, urls = _sources_named(rows)
        sources = Source.objects.in_project(self.project)
        found = sources.filter(pk__in=source_ids) if source_ids else Source.objects.none()
        if urls:
            found = found | sources.filter(url__in=urls)
        share_sources(found.values_list("pk", flat=True))  # the texts the rows are anchored to stay as read
        for source in found.only("pk", "project", "url", "text"):
            self._remember_source(source)
        claim_ids = updated_ids - self.claims.keys()
        if claim_ids:
            claims = Claim.objects.in_project(self.project).filter(pk__in=claim_ids)
            claims = claims.select_related("speaker").prefetch_related("tags")
            claims = claims.in_bulk()
            missing = {claim.source_id for claim in claims.values()} - self.sources_by_id.keys()
            share_sources(missing)
            for source in Source.objects.filter(pk__in=missing).only("pk", "project", "url", "text"):
                self._remember_source(source)
            for claim in claims.values():
                claim.source = self.sources_by_id[claim.source_id]
            self.claims.update(claims)
        speakers = _cells(rows, "speaker", str.strip) if "speaker" in self.header else []
        if speakers:
            self._look_up_speakers(speakers)  # in the file's order: the first spelling of a new name is its own
        self._share_lenders(updated_ids, speakers)
        if speakers:
            self._look_up_gone_speakers_again(updated_ids, speakers)

    def _look_up_gone_speakers_again(self, updated_ids: set[int], names: list[str]) -> None:
        """Under the speakers' locks (which a delete and a merge of people hold, exclusive, as they delete): those
        deleted or merged since they were looked up, in this part or an earlier one, are looked up again by name (made
        anew when no one has it), then locked. Written, their claims would fail the import's commit on the foreign
        key."""
        keys = {name.lower() for name in names}
        looked_up = {key: agent for key, agent in self.speakers.items() if key in keys}
        there = set(Agent.objects.filter(pk__in=[a.pk for a in looked_up.values()]).values_list("pk", flat=True))
        gone = [key for key, agent in looked_up.items() if agent.pk not in there]
        if gone:
            for key in gone:
                del self.speakers[key]
            self._look_up_speakers(names)
            self._share_lenders(updated_ids, names)

    def _share_lenders(self, updated_ids: set[int], speakers: list[str]) -> None:
        """Lock what lends the part's claims their kept cells (sources.models.share_lenders) before any of its claims'
        rows: a rename touching claims an earlier part wrote would otherwise wait for this import while it waits for
        the rename. Its sources (with their publishers and authors), the people it names and its updated claims name,
        the importing account."""
        updated = [self.claims[pk] for pk in updated_ids if pk in self.claims]
        named = (self.speakers.get(name.lower()) for name in speakers)
        share_lenders(
            sources=self.sources_by_id,
            agents=[*(agent.pk for agent in named if agent), *(claim.speaker_id for claim in updated)],
            accounts=[self.user.pk] if self.user else [],
        )

    def _remember_source(self, source: Source) -> None:
        self.sources_by_id[source.pk] = source
        if source.url:
            self.sources_by_url[source.url] = source

    def _look_up_speakers(self, names: list[str]) -> None:
        known = self.speakers.keys() | self.speaker_problems.keys()
        keys = {name.lower() for name in names} - {""} - known
        if not keys:
            return
        # SQLite's LOWER leaves non-ASCII letters alone: names as written are asked for too, and keyed in Python.
        given = {name for name in names if name.lower() in keys}
        matching = Q(key__in=keys) | Q(name__in=given)
        agents = Agent.objects.in_project(self.project).annotate(key=Lower("name"))
        for agent in agents.filter(matching).order_by("-pk"):
            self.speakers[agent.name.lower()] = agent
        # A name nobody is called may be someone's alias ("President Putin"), as named_agent reads names: that
        # person, not a new one.
        unnamed = {name for name in names if name.lower() in keys and name.lower() not in self.speakers}
        by_alias = named_by_alias(unnamed, project=self.project) if unnamed else {}
        for name in unnamed:
            if (agent := by_alias.get(name.casefold())) is not None:
                self.speakers[name.lower()] = agent
        for name in names:
            key = name.lower()
            if key not in keys or key in self.speakers or key in self.speaker_problems:
                continue
            try:  # through the people's door: its permission (sources.add_agent), validation and history
                agent = save_agent(Agent(name=name, kind=Agent.Kind.PERSON, project=self.project), user=self.user)
            except ValidationError as e:
                self.speaker_problems[key] = e.messages
                continue
            except PermissionDenied as e:
                self.speaker_problems[key] = [f"No one is named “{name}” in this project: {e}"]
                continue
            self.speakers[key] = agent
            self.report.new_speakers.append(name)

    def _claim(self, line: int, row: dict[str, str], errors: dict[str, list[str]]) -> PendingClaim | None:
        def fail(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        claim_id = whole_number(row.get("id"), fail, "id")
        claim = self.claims.get(claim_id) if claim_id is not None else None
        if claim_id is not None:
            if claim is None:
                return fail("id", f"No claim has id {claim_id}.")
            if not self.seen_ids.add(claim_id, line):
                return fail("id", f"Claim {claim_id} is updated on an earlier line too; keep one row per claim.")
            stale = stale_version(claim, row.get("version") if "version" in self.header else None)
            if stale:
                return fail("version", stale)
        new = claim is None
        if new:
            claim = self.new_claim()
            before, before_tags = None, []
        else:
            before = [getattr(claim, name) for name in TRACKED]
            before_speaker = claim.speaker
            before_tags = sorted(t.name for t in claim.tags.all())

        source = self._source(row, fail)
        if source is not None:
            _relate(claim, SOURCE, source)
        elif new and not errors:
            return fail("source_id", "Give the source_id or the source_url of the claim's source.")
        quote_before = claim.quote
        if "quote" in self.header:
            claim.quote = row.get("quote", "")
        if "statement" in self.header:
            claim.statement = row.get("statement", "")
        for name in ("kind", "status"):
            cell = row.get(name, "") if name in self.header else ""
            if cell:
                code = choice_code(name, cell, fail)
                if code is not None:
                    setattr(claim, name, code)
        if "speaker" in self.header:
            _relate(claim, SPEAKER, self._speaker(row.get("speaker", "").strip(), fail))
        if "claimed_on" in self.header:
            try:
                claimed_on, precision = parse_date(row.get("claimed_on", ""), self.date_format)
            except ValueError as e:
                fail("claimed_on", str(e))
            else:
                if not new and _same_period(claimed_on, precision, claim):
                    # A spreadsheet turned "2017-06" into 2017-06-01: the claim's month is kept.
                    claimed_on, precision = claim.claimed_on, claim.claimed_on_precision
                claim.claimed_on, claim.claimed_on_precision = claimed_on, precision
        if {"start", "end"} & self.header:
            claim.start = whole_number(row.get("start"), fail, "start")
            claim.end = whole_number(row.get("end"), fail, "end")
        elif new or claim.quote != quote_before or source is not None and source.pk != before[0]:
            claim.start = claim.end = None
        tags = self._tags(row.get("tags", ""), fail) if "tags" in self.header else None

        self._clean_fields(claim, errors)
        if errors or claim.source_id is None:
            return None
        claim.normalise()
        try:
            claim.anchor_held(locked=True)  # look_up read the sources' texts under share_sources
        except ValidationError as e:
            _add_errors(errors, e)
            return None
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
        if changed and not new:
            self.report.changes.append(
                RowChange(line, claim.pk, _changed_fields(claim, before, before_speaker, before_tags, tags))
            )
        moved = not new and claim.source_id != before[0]
        return PendingClaim(line, claim, tags, new, changed, moved)

    def _tags(self, cell: str, fail) -> list[str]:
        names = split_list(cell)
        for name in names:
            if name in self.valid_tags:
                continue
            try:
                self.tag_field.clean(name, None)
            except ValidationError as e:
                for message in e.messages:
                    fail("tags", f"“{name[:40]}…”: {message}" if len(name) > 40 else f"“{name}”: {message}")
                continue
            self.valid_tags.add(name)
        return names

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
        source_id = whole_number(row.get("source_id"), fail, "source_id")
        url = row.get("source_url", "").strip()
        if source_id is not None:
            source = self.sources_by_id.get(source_id)
            if source is None:
                fail("source_id", f"No source has id {source_id}.")
            elif url and url != source.url:
                fail("source_url", f"Source {source_id} has the URL {source.url or '(none)'}, not {url}; give one.")
            return source
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
        """One claim per span within a batch (`drop_taken_spans` checks the batches written before)."""
        kept, seen = [], {}
        for item in pending:
            span = (item.claim.source_id, item.claim.start, item.claim.end)
            if span in seen:
                message = f"These words are already annotated on line {seen[span]}."
                self.report.problems.append(RowProblem(item.line, {"quote": [message]}))
            else:
                seen[span] = item.line
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
                message = SPAN_TAKEN_MESSAGE % {"claim": taken[span]}
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


def _same_period(claimed_on: datetime.date | None, precision: str, claim: Claim) -> bool:
    """Whether a full date is the first day of the claim's own month or year (a spreadsheet's re-typing)."""
    if claimed_on is None or claim.claimed_on is None or precision != Precision.DAY:
        return False
    if claim.claimed_on_precision == Precision.DAY:
        return False
    return claimed_on == truncate(claim.claimed_on, claim.claimed_on_precision)


def _changed_fields(claim: Claim, before: list, before_speaker, before_tags: list[str], tags) -> list:
    """(field, before, after) for each field the row changes, as the CSV would show them."""
    after = dict(zip(TRACKED, (getattr(claim, name) for name in TRACKED), strict=True))
    was = dict(zip(TRACKED, before, strict=True))
    changes = []
    for name in TRACKED:
        if name == "claimed_on_precision" or name == "claimed_on":
            continue
        if was[name] != after[name]:
            if name == "speaker_id":
                changes.append(("speaker", before_speaker.name if before_speaker else "", _name(claim.speaker)))
            else:
                changes.append((name, _text(was[name]), _text(after[name])))
    old_date = to_iso(was["claimed_on"], was["claimed_on_precision"])
    new_date = to_iso(after["claimed_on"], after["claimed_on_precision"])
    if old_date != new_date:
        changes.append(("claimed_on", old_date, new_date))
    if tags is not None and tags != before_tags:
        changes.append(("tags", "; ".join(before_tags), "; ".join(tags)))
    return changes


def _name(agent) -> str:
    return agent.name if agent is not None else ""


def _text(value) -> str:
    return "" if value is None else str(value)


def _add_errors(errors: dict[str, list[str]], error: ValidationError) -> None:
    by_field = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    for name, messages in by_field.items():
        errors.setdefault(name, []).extend(messages)


_whole = re.compile(r"[0-9]+(?:\.0+)?")  # ASCII digits; a spreadsheet may add ".0"
_scientific = re.compile(r"[0-9.]+[eE][+-]?[0-9]+")


def _cells(rows: list[tuple[int, dict[str, str]]], name: str, read: Callable) -> list:
    """The values of a column in these rows, in the order the rows first give them, without repeats or empty ones;
    each distinct cell is read once (a part's 2,000 rows name a few dozen sources)."""
    values = (read(cell) for cell in dict.fromkeys(row.get(name) or "" for _, row in rows))
    return [value for value in dict.fromkeys(values) if value is not None and value != ""]


def _sources_named(rows: list[tuple[int, dict[str, str]]]) -> tuple[set[int], set[str]]:
    """The source ids and URLs these rows name."""
    return set(_cells(rows, "source_id", whole_number)), set(_cells(rows, "source_url", str.strip))


def whole_number(cell: str | None, fail=None, name: str = "") -> int | None:
    """A whole number cell: 42, or 42.0 as a spreadsheet may write it; nothing else (not ², not 4.2E+01)."""
    cell = (cell or "").strip()
    if not cell:
        return None
    if _whole.fullmatch(cell):
        return int(cell.split(".")[0])
    if fail is not None:
        if _scientific.fullmatch(cell):
            message = "is in scientific notation, which may have lost digits; format the column as a whole number."
            fail(name, f"“{cell}” {message}")
        else:
            fail(name, f"“{cell}” is not a whole number.")
    return None


def tags_named(names: Iterable[str], *, project: Project) -> dict[str, Tag]:
    """The project's tags with these names, created in it when missing, in the database's order of their names (the
    order claims.tagging stores a claim's tag names in)."""
    names = set(names)
    if not names:
        return {}
    in_project = Tag.objects.in_project(project).filter(name__in=names).order_by("name")
    tags = {tag.name: tag for tag in in_project}
    missing = [Tag(name=name, project=project) for name in names if name not in tags]
    if missing:
        Tag.objects.bulk_create(missing)
        tags = {tag.name: tag for tag in in_project.all()}
    return tags
