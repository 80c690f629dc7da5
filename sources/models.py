import bisect
import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Greatest, Least

from common.history import KeptHistory
from common.locks import AGENT_TREE, LINKS, deleted_meanwhile, hold, lender_locking, locked_value, share_rows
from common.projects import InAProject, ProjectQuerySet, place_in_sole_project, same_project, stays_in_its_project
from sources.dates import Precision, to_iso, truncate


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class QuoteNotFound(ValueError):
    pass


class QuoteAmbiguous(ValueError):
    def __init__(self, quote: str, offsets: list[int]):
        self.offsets = offsets
        shown = ", ".join(str(o) for o in offsets[:5]) + (", …" if len(offsets) > 5 else "")
        super().__init__(
            f"The quote occurs {len(offsets)} times in the source text (at offsets {shown}); "
            "give start and end to choose one."
        )


class Project(models.Model):
    """A team's or an investigation's own work: its sources (and through them their claims, links and captures),
    its people and organisations and its tags. A member sees only the projects they belong to
    (sources.projects.visible_to), with the role they hold in each (Membership)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=50, unique=True, help_text="Its short name in commands: --project SLUG.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()
    project_path = "pk"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's role in one project: the stored permissions of the role's group, held in that project only."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        ANNOTATOR = "annotator", "Annotator"
        REVIEWER = "reviewer", "Reviewer"
        MANAGER = "manager", "Manager"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    # The role is a group (Viewer, Annotator, Reviewer, Manager) whose permissions say what it may do: one home
    # for what each role may do, edited in the admin's groups. A group given to a user directly grants nothing.
    role = models.ForeignKey(
        "auth.Group",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"name__in": Role.labels},
    )

    objects = ProjectQuerySet.as_manager()
    project_path = "project"

    class Meta:
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"],
                name="membership_one_per_project",
                violation_error_message="This person is already a member of this project.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.project}"


# How many organisations may sit above one: a desk, its newspaper, the group, the holding, one more.
# Agent.clean refuses a deeper chain, so walking a chain to its top is bounded.
MAX_PARENT_DEPTH = 4


class Agent(InAProject, models.Model):
    """A person or an organisation: a speaker, an author or a publisher."""

    class Kind(models.TextChoices):
        PERSON = "person", "person"
        ORGANISATION = "organisation", "organisation"

    # People are kept per project: a person named only in another project's sources is not seen from this one.
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="agents", blank=True)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PERSON)
    aliases = models.TextField(blank=True, help_text="Other names, one per line.")
    wikidata_id = models.CharField(
        "Wikidata id",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[1-9][0-9]*$", "A Wikidata id looks like Q7747.")],
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The organisation this one belongs to (a desk of a newspaper, a ministry of a government).",
    )

    history = KeptHistory()
    objects = ProjectQuerySet.as_manager()
    project_path = "project"

    class Meta:
        verbose_name = "person or organisation"
        verbose_name_plural = "people and organisations"
        ordering = ["name"]
        # The list sorts on these, ties broken by the id in the same direction (common.admin_lists).
        indexes = [
            models.Index(fields=["name", "id"], name="agent_name_idx"),
            models.Index(fields=["kind", "id"], name="agent_kind_idx"),
            models.Index(fields=["wikidata_id", "id"], name="agent_wikidata_id_idx"),
        ]
        permissions = [
            ("import_agent", "Can import people and organisations"),
            ("export_agent", "Can export people and organisations"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "wikidata_id"],
                condition=~Q(wikidata_id=""),
                name="agent_wikidata_id_unique",
                violation_error_message="Another person or organisation has this Wikidata id.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")),
                name="agent_not_own_parent",
                violation_error_message="A person or organisation cannot be its own parent.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    def clean(self) -> None:
        place_in_sole_project(self)
        stays_in_its_project(self)
        if self.pk is not None and not self._state.adding:
            # Under the link lock, which a delete and a merge hold as they delete: one deleted or merged meanwhile is
            # refused here, with the form's errors, before the save would find its row gone (as Source.clean does).
            hold(LINKS)
            if not Agent.objects.filter(pk=self.pk).exists():
                raise deleted_meanwhile(Agent)
        if self.parent_id is None:
            return
        same_project(self, self.parent, field="parent")
        if self.parent.kind != self.Kind.ORGANISATION:
            raise ValidationError({"parent": "A parent must be an organisation."}, code="parent_not_organisation")
        if self.pk is not None and Agent.objects.filter(pk=self.pk, parent=self.parent_id).exists():
            # The parent it has: its chain was checked when it was given, and no lock is needed.
            return
        # Two organisations made each other's parent at once would each see no loop: one waits for the other. The link
        # lock first, for a new organisation too (common.locks' order, as a merge takes them; an import adding one and
        # changing another holds both): a delete or a merge of the parent, which hold it, is waited for.
        hold(LINKS)
        hold(AGENT_TREE)
        if not Agent.objects.filter(pk=self.parent_id).exists():
            message = "This parent was deleted or merged into another meanwhile; choose the parent again."
            raise ValidationError({"parent": ValidationError(message, code="parent_deleted")})
        ancestor, seen = self.parent_id, set()
        while ancestor is not None and ancestor not in seen:
            if self.pk is not None and ancestor == self.pk:
                raise ValidationError({"parent": "This parent would make a loop."}, code="parent_loop")
            seen.add(ancestor)
            ancestor = Agent.objects.filter(pk=ancestor).values_list("parent_id", flat=True).first()
        self.check_depth(levels_above=len(seen))

    def check_depth(self, *, levels_above: int) -> None:
        """Refuse this organisation's place `levels_above` organisations deep when it, or what hangs below it, would
        sit under more than MAX_PARENT_DEPTH (Agent.clean for a new parent, a merge for what it moves under the kept
        one)."""
        if levels_above + self.levels_below() > MAX_PARENT_DEPTH:
            message = (
                f"At most {MAX_PARENT_DEPTH} organisations can sit above one another "
                "(a desk's newspaper, its group, …); this would make a longer chain."
            )
            raise ValidationError({"parent": ValidationError(message, code="parent_too_deep")})

    def levels_below(self) -> int:
        """How many levels of organisations hang below this one (0 when none), counted up to the limit."""
        level, depth = [self.pk], 0
        while self.pk is not None and depth <= MAX_PARENT_DEPTH:
            level = list(Agent.objects.filter(parent__in=level).values_list("pk", flat=True))
            if not level:
                break
            depth += 1
        return depth


class DistinctPublishers(models.Model):
    """Two publishers a Reviewer judged distinct: their sources sharing a registered domain do not make them one
    voice, and they are not proposed as duplicates."""

    first = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()
    project_path = "first__project"

    class Meta:
        verbose_name = "pair of distinct publishers"
        verbose_name_plural = "pairs of distinct publishers"
        constraints = [
            models.CheckConstraint(
                condition=~Q(first=models.F("second")),
                name="distinct_publishers_not_self",
                violation_error_message="A publisher cannot be distinct from itself.",
            ),
            models.UniqueConstraint(
                Least("first", "second"),
                Greatest("first", "second"),
                name="distinct_publishers_one_per_pair",
                violation_error_message="These two publishers are already marked distinct.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first} and {self.second} are distinct publishers"


# A source's columns that may be long: lists and choices that show sources by their title leave them unread.
SOURCE_TEXTS = ("text", "raw_text", "notes", "page_starts")


class Source(InAProject, models.Model):
    """An article as captured, and the clean text that claims are anchored to."""

    # Blank in a form on a server with one project, which clean() and save() fill in (common.projects).
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="sources", blank=True)
    title = models.CharField(max_length=500)
    url = models.URLField("URL", max_length=2000, blank=True)
    publisher = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="published_sources"
    )
    authors = models.ManyToManyField(Agent, blank=True, related_name="authored_sources")
    published_on = models.DateField(null=True, blank=True)
    published_on_precision = models.CharField(
        "precision", max_length=5, choices=Precision.choices, default=Precision.DAY
    )
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 code, such as en or ja.")
    text = models.TextField(help_text="The clean text that claims are anchored to.")
    raw_text = models.TextField("raw text", blank=True, help_text="The text as captured, kept verbatim.")
    text_sha256 = models.CharField("SHA-256 of text", max_length=64, editable=False)
    raw_sha256 = models.CharField("SHA-256 of raw text", max_length=64, editable=False)
    retrieved_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    page_starts = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="For a PDF: the offset in the text where each page starts (the first page at 0). Empty otherwise.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = KeptHistory(m2m_fields=[authors])
    objects = ProjectQuerySet.as_manager()
    project_path = "project"

    class Meta:
        ordering = ["-published_on", "title"]
        permissions = [("import_source", "Can import sources"), ("export_source", "Can export sources")]
        # The list sorts on these, ties broken by the id in the same direction (common.admin_lists); the first
        # serves the default order, newest first then by title, read backwards.
        indexes = [
            models.Index(fields=["published_on", "-title", "id"], name="source_listed_idx"),
            models.Index(fields=["published_on", "id"], name="source_published_idx"),
            models.Index(fields=["title", "id"], name="source_title_idx"),
            models.Index(fields=["language", "id"], name="source_language_idx"),
            models.Index(fields=["retrieved_at", "id"], name="source_retrieved_idx"),
        ]
        constraints = [
            # Per project: the same article may be in two projects, and one project's URLs say nothing of another's.
            models.UniqueConstraint(
                fields=["project", "url"],
                condition=~Q(url=""),
                name="source_url_unique",
                violation_error_message="Another source of this project has this URL.",
            ),
            models.CheckConstraint(
                condition=~Q(text=""), name="source_text_not_empty", violation_error_message="A source needs text."
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def published_on_iso(self) -> str:
        return to_iso(self.published_on, self.published_on_precision)

    def has_anchored_text(self) -> bool:
        """Whether claims are anchored to the text: then it changes only by a new capture, which re-anchors them."""
        return self.pk is not None and self.claims.exists()

    def clean(self) -> None:
        place_in_sole_project(self)
        same_project(self, self.publisher, field="publisher")
        stays_in_its_project(self)
        if self.published_on is not None:
            self.published_on = truncate(self.published_on, self.published_on_precision)
        if self.pk is not None:
            # The link lock before the source's row (common.locks' order): a change of its publisher, URL or authors
            # recounts its claims under it, and a claim moved into it holds it while waiting for this row.
            hold(LINKS)
            stored = source_text(self.pk, to_change=True)  # no claim can be anchored to it meanwhile
            if stored is None and not self._state.adding:
                raise deleted_meanwhile(Source)
            if stored is not None and stored != self.text and self.has_anchored_text():
                raise ValidationError(
                    {
                        "text": "This source has claims anchored to its text, so the text cannot be edited here. "
                        "Import the new version as a capture to re-anchor its claims."
                    },
                    code="text_anchored",
                )
        if self.publisher_id is not None:
            # Its lender's lock, then the row: a publisher deleted meanwhile (delete_agent holds the lock, exclusive,
            # as it deletes) is refused here, with the form's other errors, not by the foreign key at the commit.
            share_lenders(agents=[self.publisher_id])
            if not Agent.objects.filter(pk=self.publisher_id).exists():
                raise ValidationError({"publisher": "This publisher was deleted meanwhile."}, code="deleted")
        starts = self.page_starts
        if starts and (
            not all(isinstance(n, int) and 0 <= n <= len(self.text) for n in starts)
            or starts[0] != 0
            or starts != sorted(starts)
        ):
            raise ValidationError(
                {"page_starts": "Page starts are offsets in the text, the first 0, each at or after the one before."},
                code="page_starts_out_of_order",
            )
        self.text_sha256 = sha256_hex(self.text)
        self.raw_sha256 = sha256_hex(self.raw_text)

    def pages_of(self, start: int, end: int) -> list[int]:
        """The numbers of the pages (from 1) that the text from `start` to `end` (exclusive) stands on; [] when the
        source has no pages. The claims CSV computes the same in SQL (claims.exchange.columns.PagesText)."""
        if not self.page_starts:
            return []
        first = bisect.bisect_right(self.page_starts, start)
        last = max(first, bisect.bisect_left(self.page_starts, end))
        return list(range(first, last + 1))

    def find_quote(self, quote: str) -> int:
        """The offset (in code points) of the one place the quote occurs in the text."""
        offsets = occurrences(quote, self.text)
        if not offsets:
            raise QuoteNotFound("The quote does not occur in the source text.")
        if len(offsets) > 1:
            raise QuoteAmbiguous(quote, offsets)
        return offsets[0]


def occurrences(quote: str, text: str) -> list[int]:
    """Every offset (in code points) at which the quote stands in the text, overlapping ones included."""
    offsets, at = [], text.find(quote) if quote else -1
    while at != -1:
        offsets.append(at)
        at = text.find(quote, at + 1)
    return offsets


def stands_at(quote: str, text: str, start: int) -> bool:
    """Whether the quote stands in the text at `start` (a claim's anchor holds)."""
    return text[start : start + len(quote)] == quote


def source_text(source_id: int, *, to_change: bool = False) -> str | None:
    """A source's text as it now stands, read under a lock of its row held to the end of the transaction
    (common.locks): a share lock to anchor claims to it (`Claim.anchor`), an update lock `to_change` it
    (`Source.clean`, a new capture). Claims are anchored to the text they were checked against, because a change to
    the text waits for them, and they for it. None when there is no such source."""
    return locked_value(Source, source_id, "text", to_change=to_change)


def share_sources(source_ids) -> None:
    """Share-lock these sources (as `source_text` does one) before reading their texts to anchor many claims."""
    share_rows(Source, source_ids)


def check_authors(source: Source, authors: Iterable[Agent]) -> None:
    """Refuse (a ValidationError on `authors`) authors deleted or merged into another since they were read, looked
    for under the lock their delete and merge hold: the link lock for a saved source (Source.clean takes it next),
    their lenders' locks for a new one. Written, their authorship would fail the commit on its foreign key."""
    ids = {author.pk for author in authors}
    if not ids:
        return
    if source.pk is not None:
        hold(LINKS)
    else:
        share_lenders(agents=ids)
    if Agent.objects.filter(pk__in=ids).count() != len(ids):
        raise ValidationError(
            {"authors": "An author was deleted, or merged into another, meanwhile: choose the authors again."},
            code="deleted",
        )


def lenders_sql(sources_sql: str | None, agents_sql: str | None) -> dict[str, str]:
    """What lends claims their kept cells under an advisory lock (claims.exchange.stored_cells, LENDERS_LOCKED), by
    kind, as SQL selecting ids: the sources `sources_sql` selects, and as people and organisations those `agents_sql`
    selects with those sources' publishers and authors (None: none)."""
    agents = [agents_sql] if agents_sql else []
    if sources_sql:
        agents += [
            f"SELECT publisher_id FROM {Source._meta.db_table} WHERE id IN ({sources_sql})",
            f"SELECT agent_id FROM {Source.authors.through._meta.db_table} WHERE source_id IN ({sources_sql})",
        ]
    lenders = {"source": sources_sql, "agent": " UNION ".join(agents)}
    return {kind: sql for kind, sql in lenders.items() if sql}


def key_shared_sql(table: str, ids_sql: str) -> str:
    """What follows SELECT (or PERFORM) to key-share-lock these rows, in id order: what a claim's foreign key takes,
    early, so that a change of the row's unique columns (a source's URL, an account's username) waits for the claim
    or the claim for it, before either takes another lock (LENDERS_LOCKED)."""
    return f"1 FROM (SELECT 1 FROM {table} WHERE id IN ({ids_sql}) ORDER BY id FOR KEY SHARE) AS held"


def share_lenders(*, sources: Iterable[int] = (), agents: Iterable[int] = (), accounts: Iterable[int] = ()) -> None:
    """Take the locks of these lenders of claims' cells as a claim's trigger takes them (LENDERS_LOCKED): sources
    (their publishers and authors too), people and organisations, accounts; to the end of the transaction
    (PostgreSQL, one query). For a service about to write claims or sources that name them, before its first write,
    so that a rename touching those claims never waits for a transaction that waits for the rename."""
    from django.contrib.auth import get_user_model

    ids = {"sources": sorted(set(sources) - {None}), "agents": sorted(set(agents) - {None})}
    ids["accounts"] = sorted(set(accounts) - {None})
    if connection.vendor != "postgresql" or not connection.in_atomic_block or not any(ids.values()):
        return
    picked = {kind: f"SELECT unnest(%({kind})s::bigint[])" for kind, chosen in ids.items() if chosen}
    rows = {Source._meta.db_table: picked.get("sources"), get_user_model()._meta.db_table: picked.get("accounts")}
    locks = [key_shared_sql(table, sql) for table, sql in rows.items() if sql]
    locks += [
        lender_locking(kind, sql) for kind, sql in lenders_sql(picked.get("sources"), picked.get("agents")).items()
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM (SELECT {lock}) AS taken)" for lock in locks), ids)


class Capture(models.Model):
    """One imported file: its raw bytes kept verbatim, and how the clean text was derived from them."""

    class Method(models.TextChoices):
        TEXT = "text", "plain-text file"
        MARKDOWN = "markdown", "Markdown file"
        HTML = "html", "HTML file, main text extracted by trafilatura"
        PDF = "pdf", "PDF file, text layer read by pypdf"

    class Origin(models.TextChoices):
        FILE = "file", "file"
        ARCHIVE = "archive", "web archive (WARC or WACZ)"
        FETCHED = "fetched", "fetched with capture_url"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="captures")
    file_name = models.CharField(max_length=500)
    source_path = models.CharField(
        max_length=1000,
        blank=True,
        help_text="The full path the file was imported from: without a URL, a new version must come from it.",
    )
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField("SHA-256 of the raw bytes", max_length=64)
    raw = models.BinaryField("raw bytes", help_text="The file as read, byte for byte.")
    encoding = models.CharField(max_length=40, help_text="How the raw bytes were decoded.")
    encoding_confidence = models.FloatField(
        null=True,
        blank=True,
        help_text="1 for UTF-8, a byte-order mark or an encoding given; else how sure detection was (0 to 1).",
    )
    retrieved_at = models.DateTimeField(null=True, blank=True, help_text="When the page was fetched, where known.")
    method = models.CharField(max_length=10, choices=Method.choices)
    software_version = models.CharField(max_length=300)
    imported_by = models.CharField(max_length=150, help_text="Who ran the import.")
    imported_at = models.DateTimeField(auto_now_add=True)
    clean_text = models.TextField(help_text="The clean text derived from this capture.")
    removals = models.JSONField(
        default=list, blank=True, help_text="What cleaning removed: kind, line of the raw text, and the text."
    )
    diff = models.TextField(blank=True, help_text="Unified diff from the raw text to the clean text.")
    anchor_report = models.JSONField(
        default=list, blank=True, help_text="Per claim: whether its anchor held, moved or broke with this capture."
    )
    stated_title = models.CharField(
        max_length=500,
        blank=True,
        help_text="The title this capture gave (the page's, else the file's name). It became the source's title "
        "unless a person had set that; then it is only recorded here.",
    )

    # Where the bytes came from; a web archive keeps the HTTP exchange as its WARC record (ISO 28500).
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.FILE)
    archive_sha256 = models.CharField(
        "SHA-256 of the archive", max_length=64, blank=True, help_text="The WARC or WACZ file it came in, as read."
    )
    target_url = models.URLField("archived URL", max_length=2000, blank=True, help_text="The record's WARC-Target-URI.")
    warc_record_id = models.CharField("WARC record id", max_length=200, blank=True)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    http_headers = models.JSONField(
        "HTTP headers", default=list, blank=True, help_text="The response's headers, as [name, value] pairs in order."
    )
    content_type = models.CharField(max_length=200, blank=True)
    payload_digest = models.CharField(
        max_length=200, blank=True, help_text="The record's WARC-Payload-Digest as the archive states it."
    )
    warc_record = models.BinaryField(
        "WARC record",
        blank=True,
        default=b"",
        help_text="The response record as it stood in the archive, uncompressed.",
    )
    warc_record_sha256 = models.CharField("SHA-256 of the WARC record", max_length=64, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True, help_text="When verify_captures last checked it.")
    verification_problem = models.TextField(
        blank=True, help_text="What verify_captures found wrong last time; empty when everything matched."
    )

    objects = ProjectQuerySet.as_manager()
    project_path = "source__project"

    class Meta:
        ordering = ["source", "imported_at", "pk"]
        get_latest_by = ["imported_at", "pk"]
        constraints = [
            # The same bytes may be two sources (two publishers running one wire story), never twice one source.
            models.UniqueConstraint(
                fields=["sha256", "source"],  # sha256 first: imports look bytes up by it
                name="capture_sha256_unique_per_source",
                violation_error_message="These exact bytes have already been imported as this source.",
            ),
            models.CheckConstraint(
                condition=Q(size__gt=0), name="capture_not_empty", violation_error_message="A capture has bytes."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.sha256[:12]}…)"

    @property
    def diff_lines(self) -> list[tuple[str, str]]:
        """The diff, each line with its kind: file, hunk, added, removed or context."""
        return [(diff_line_kind(line), line) for line in self.diff.splitlines()]

    @property
    def how_it_came_in(self) -> str:
        if self.origin == self.Origin.FETCHED:
            return f"fetched by {self.imported_by} with capture_url, recorded as a WARC"
        if self.origin == self.Origin.ARCHIVE:
            return f"from the web archive {self.file_name}, imported by {self.imported_by}"
        return f"from the file {self.file_name}, imported by {self.imported_by}"

    @property
    def anchor_counts(self) -> dict[str, int]:
        counts = {"held": 0, "moved": 0, "broken": 0}
        for row in self.anchor_report:
            counts[row["state"]] += 1
        return counts


def diff_line_kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "added", "-": "removed"}.get(line[:1], "context")
