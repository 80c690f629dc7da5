from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.db.models import F, Max, Min, Q
from django.db.models.functions import Greatest, Least, Left, Length

from claims.anchoring import Relocation, relocate
from claims.rules import (
    check_across_sources,
    check_link_ends,
    check_move,
    check_one_project,
)
from common.formulas import escaped_or_null
from common.history import KeptHistory
from common.locks import deleted_meanwhile
from common.projects import InAProject, ProjectQuerySet, place_in_sole_project, same_project
from sources.dates import Precision, to_iso, truncate
from sources.models import Agent, QuoteAmbiguous, QuoteNotFound, Source, source_text


def pages_label(pages: list[int]) -> str:
    """Pages as people write them: "2", "2–3"; "" for none."""
    if not pages:
        return ""
    return str(pages[0]) if len(pages) == 1 else f"{pages[0]}–{pages[-1]}"


class Tag(InAProject, models.Model):
    """A label a project gives its claims; each project has its own."""

    project = models.ForeignKey("sources.Project", on_delete=models.PROTECT, related_name="tags", blank=True)
    name = models.CharField(max_length=100, validators=[ProhibitNullCharactersValidator()])

    objects = ProjectQuerySet.as_manager()
    project_path = "project"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="tag_one_name_per_project",
                violation_error_message="This project already has a tag of this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


# A claim's quote as the list shows it, at most this long (the list sorts on it, through an index).
EXCERPT_LENGTH = 80
# The counts each claim stores (see Claim and claims.corroboration.counting).
COUNT_FIELDS = ("corroborating_sources", "independent_voices", "unverified_sources", "contradicting_sources")
# The lists each claim stores as its CSV cells (see Claim, claims.tagging and claims.corroboration.counting).
LIST_FIELDS = ("corroborated_by_ids", "contradicted_by_ids")


class ClaimQuerySet(ProjectQuerySet):
    def bunched_in(self, project):
        """For a list of one project's claims read in id order (a page of the API, the admin's list): only those
        between the project's first and last claim id, read first (one index-only query) and given as values.
        The planner cannot know that one project's claims are bunched (a team adds its claims together): with no
        bounds it walked every other project's claims for a page, with the bounds as subqueries it guessed 51
        rows between them and joined all of the project's claims before sorting them."""
        if project is None:
            return self
        bounds = models.QuerySet(Claim).filter(project=project).aggregate(first=Min("id"), last=Max("id"))
        if bounds["first"] is None:
            return self.none()
        return self.filter(id__gte=bounds["first"], id__lte=bounds["last"])

    def bulk_create(self, objs, *args, **kwargs):
        """Claims made in bulk (seeding, benchmarks) are placed in their sources' projects, read in one query."""
        objs = list(objs)
        unplaced = [c for c in objs if not Claim._meta.get_field("source").is_cached(c) and c.project_id is None]
        projects = dict(Source.objects.filter(pk__in={c.source_id for c in unplaced}).values_list("pk", "project_id"))
        for claim in unplaced:
            claim.project_id = projects.get(claim.source_id)
        for claim in objs:
            claim.place_in_project()  # from the loaded source, or kept as just read
        return super().bulk_create(objs, *args, **kwargs)

    def create(self, **kwargs):
        """`Claim.objects.create(...)` (a shell, a script) normalises as clean() does, so a claim given no kind
        gets the one its speaker implies. It checks nothing else and records no history: a checked claim is
        claims.services.create_claim."""
        claim = self.model(**kwargs)
        claim.normalise()
        claim.save(force_insert=True, using=self.db)
        return claim


SPAN_TAKEN_MESSAGE = "These words are already annotated as claim #%(claim)s; open that claim to edit it."


class ClaimKind(models.TextChoices):
    DIRECT_QUOTE = "direct_quote", "direct quote"
    PARAPHRASE = "paraphrase", "paraphrase"
    REPORTED = "reported", "reported"
    AUTHOR_ASSERTION = "author_assertion", "author's assertion"


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    REVIEWED = "reviewed", "reviewed"
    DISPUTED = "disputed", "disputed"
    RETRACTED = "retracted", "retracted"


class Claim(models.Model):
    """A factual claim: exact words anchored in a source's text, who made it and when."""

    Kind = ClaimKind
    Status = ClaimStatus

    class Rating(models.IntegerChoices):
        """A fact-checker's verdict, on schema.org's 1 (worst) to 5 (best) scale."""

        FALSE = 1, "false"
        MOSTLY_FALSE = 2, "mostly false"
        MIXED = 3, "half true"
        MOSTLY_TRUE = 4, "mostly true"
        TRUE = 5, "true"

    class AnchorState(models.TextChoices):
        HELD = "held", "holds"
        MOVED = "moved", "moved by a re-import"
        BROKEN = "broken", "broken: review needed"

    # Indexed with the id (claim_source_idx in Meta), which also serves every lookup by source.
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims", db_index=False)
    # Its source's project, kept on the claim (place_in_project) so that one project's claims are listed, sorted
    # and counted from the claims' own indexes; a claim moves only within its project.
    project = models.ForeignKey(
        "sources.Project", on_delete=models.PROTECT, related_name="claims", editable=False, db_index=False
    )
    # No NUL character in a claim's text (PostgreSQL cannot store one): refused by full_clean as forms refuse it.
    quote = models.TextField(
        help_text="The exact words, as they stand in the source text.", validators=[ProhibitNullCharactersValidator()]
    )
    start = models.PositiveIntegerField(
        blank=True,
        help_text="Offset of the first character in the source text (code points). Leave empty to locate the quote.",
    )
    end = models.PositiveIntegerField(blank=True, help_text="Offset just after the last character (end exclusive).")
    statement = models.TextField(
        blank=True, help_text="The claim in the annotator's words.", validators=[ProhibitNullCharactersValidator()]
    )
    speaker = models.ForeignKey(
        Agent,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        help_text="Who made the claim. Empty means the author's own assertion.",
    )
    claimed_on = models.DateField(null=True, blank=True, help_text="When the claim was made.")
    claimed_on_precision = models.CharField("precision", max_length=5, choices=Precision.choices, default=Precision.DAY)
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        blank=True,
        help_text="Left empty, it follows the speaker: a direct quote when one is set, else the author's assertion.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=Rating.choices,
        help_text="The fact-checker's verdict, published in the claim's ClaimReview.",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="claims")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: an edit made from an older version is refused.
    version = models.PositiveIntegerField(default=0, editable=False)
    # Set by re-importing the source: a broken anchor keeps its old offsets and waits for review.
    anchor_state = models.CharField(
        "anchor", max_length=10, choices=AnchorState.choices, default=AnchorState.HELD, editable=False
    )
    # Corroboration in numbers, stored and kept up to date by claims.corroboration.counting in the transaction of
    # every change that can move them (see recount_claims); `recount_corroboration` checks and repairs them.
    corroborating_sources = models.PositiveIntegerField(
        default=0, editable=False, help_text="Other sources holding a claim that corroborates this one."
    )
    independent_voices = models.PositiveIntegerField(
        "independent voices",
        default=0,
        editable=False,
        help_text="Groups of corroborating sources that speak with one voice, leaving out the group of this "
        "claim's own source and unverified sources.",
    )
    unverified_sources = models.PositiveIntegerField(
        default=0, editable=False, help_text="Corroborating sources with no author, no publisher and no URL."
    )
    contradicting_sources = models.PositiveIntegerField(
        default=0, editable=False, help_text="Other sources holding a claim that contradicts this one."
    )
    # Stored by the same recount: "1 if Nikkei Asian Review is Nikkei Asia" when two publishers the Likely
    # duplicates page proposes, not yet merged or marked distinct, would change the independent voices were they one.
    undecided_duplicates = models.CharField(
        max_length=1000,
        blank=True,
        default="",
        editable=False,
        help_text="The independent voices if likely duplicate publishers, not yet decided, were one organisation.",
    )

    # The export's cells that come from other rows, stored as it writes them ("" for none) so that it reads them
    # instead of gathering them for every claim (issue 26): kept by claims.tagging.refresh_tag_names wherever tags
    # are set, and by claims.corroboration.counting with the counts.
    tag_names = models.TextField(default="", editable=False, help_text="Its tags' names, as the CSV writes them.")
    corroborated_by_ids = models.TextField(default="", editable=False, help_text="Corroborating claims: 3; 17.")
    contradicted_by_ids = models.TextField(default="", editable=False, help_text="Contradicting claims: 3; 17.")

    # The quote as the export writes it, where a spreadsheet could read it as a formula (common.formulas), else
    # NULL: computed by the database as the quote is written, so that the export does not test a million quotes
    # again each time (that test was a fifth of its database time).
    quote_escaped = models.GeneratedField(
        expression=escaped_or_null(F("quote")), output_field=models.TextField(null=True), db_persist=True
    )

    history = KeptHistory(
        m2m_fields=[tags],
        excluded_fields=["version", *COUNT_FIELDS, "undecided_duplicates", "tag_names", *LIST_FIELDS, "quote_escaped"],
    )
    objects = ClaimQuerySet.as_manager()
    project_path = "project"

    class Meta:
        ordering = ["source", "start"]
        permissions = [
            ("review_claim", "Can mark claims reviewed, disputed or retracted"),
            ("import_claim", "Can import claims"),
            ("export_claim", "Can export claims"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="claim_end_after_start",
                violation_error_message="A claim must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(end=F("start") + Length("quote")),
                name="claim_span_fits_quote",
                violation_error_message="The span from start to end must be as long as the quote.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=""),
                name="claim_kind_given",
                violation_error_message="A claim needs a kind (clean() gives it the one its speaker implies).",
            ),
            # A kind and a status are one of their choices, whatever wrote them: the export writes them as stored,
            # with no spreadsheet escape (claims.exchange.columns), since no choice begins like a formula.
            models.CheckConstraint(
                condition=Q(kind="") | Q(kind__in=ClaimKind.values),
                name="claim_kind_known",
                violation_error_message="A claim's kind must be one of: " + ", ".join(ClaimKind.values) + ".",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values),
                name="claim_status_known",
                violation_error_message="A claim's status must be one of: " + ", ".join(ClaimStatus.values) + ".",
            ),
        ]
        indexes = [
            # One project's claims in id order: its list's first page and the API's pages (common.projects).
            models.Index(fields=["project", "id"], name="claim_project_idx"),
            # A source's claims in id order, read index-only: the newest claim of the sources a search names
            # (claims.search), and a source's claims wherever they are asked for.
            models.Index(fields=["source", "id"], name="claim_source_idx"),
            # The claim list sorts and filters on these columns; with the id they page in index order, either way
            # (common.admin_lists breaks ties in the sorted column's direction).
            models.Index(fields=["status", "id"], name="claim_status_idx"),
            models.Index(fields=["kind", "id"], name="claim_kind_idx"),
            models.Index(fields=["claimed_on", "id"], name="claim_claimed_on_idx"),
            models.Index(Left("quote", EXCERPT_LENGTH), "id", name="claim_excerpt_idx"),
            *(models.Index(fields=[name, "id"], name=f"claim_{name.split('_')[0]}_idx") for name in COUNT_FIELDS),
        ]

    def __str__(self) -> str:
        # No quotation marks: the admin puts its own around an object's name ("The claim “…” was added").
        return self.excerpt

    def save(self, *args, **kwargs):
        self.place_in_project()
        super().save(*args, **kwargs)

    @property
    def excerpt(self) -> str:
        if len(self.quote) <= EXCERPT_LENGTH:
            return self.quote
        return self.quote[: EXCERPT_LENGTH - 1] + "…"

    @property
    def described(self) -> str:
        """The quote with who said it, when and where, as the annotate page's link search shows a claim.
        Reads the speaker and the source: select them with the claim."""
        speaker = self.speaker.name if self.speaker_id else "the author"
        when = f", {self.claimed_on_iso}" if self.claimed_on else ""
        return f"“{self.excerpt}” — {speaker}{when} · {self.source.title}"

    @property
    def claimed_on_iso(self) -> str:
        return to_iso(self.claimed_on, self.claimed_on_precision)

    @property
    def pages(self) -> list[int]:
        """The pages of its PDF source that the quote stands on (from 1); [] when the source has no pages."""
        return self.source.pages_of(self.start, self.end)

    @property
    def pages_label(self) -> str:
        return pages_label(self.pages)

    KIND_FROM_SPEAKER = "(from the speaker: direct quote, or author's assertion when none)"

    @classmethod
    def kind_for(cls, *, has_speaker: bool) -> str:
        """The kind a claim gets when none is given: its speaker's words, or else the author's own."""
        return cls.Kind.DIRECT_QUOTE if has_speaker else cls.Kind.AUTHOR_ASSERTION

    def normalise(self) -> None:
        """Place the claim in its source's project, bring the date to the first day of its period, and give an
        empty kind the one its speaker implies. Called by clean(), and by the CSV import, which does not call
        full_clean()."""
        self.place_in_project()
        if self.claimed_on is not None:
            self.claimed_on = truncate(self.claimed_on, self.claimed_on_precision)
        if not self.kind:
            self.kind = self.kind_for(has_speaker=self.speaker_id is not None)

    def place_in_project(self) -> None:
        """The claim's project is its source's: taken from the source when it is loaded, else read once."""
        if self.source_id is None:
            return
        # A loaded field is in the instance's __dict__, which get_deferred_fields() tests for every field on each
        # call: half of this method's time, which the CSV import spends on every row.
        if Claim._meta.get_field("source").is_cached(self) and "project_id" in self.source.__dict__:
            self.project_id = self.source.project_id
        elif self.project_id is None:
            self.project_id = Source.objects.filter(pk=self.source_id).values_list("project_id", flat=True).first()

    def clean(self) -> None:
        self.normalise()
        if self.source_id is None:
            return
        same_project(self.source, self.speaker, field="speaker")
        if not self.quote:
            return
        check_move(claim_id=self.pk, source_id=self.source_id)
        self.anchor_held()
        self.check_span_free()

    def anchor_held(self, *, locked: bool = False) -> None:
        """The anchoring part of clean(), which the CSV import also calls for each row (it checks one claim a span
        and the link rule for a whole batch at once): the quote at its offsets, or located, and held there."""
        self.anchor(locked=locked)
        self.anchor_state = self.AnchorState.HELD

    def check_span_free(self) -> None:
        """One claim per span: a second claim on the same words is almost always a double click. The unique
        index claim_one_per_span says the same to a concurrent save, which then calls this for the message."""
        same_span = Claim.objects.filter(source_id=self.source_id, start=self.start, end=self.end).exclude(pk=self.pk)
        existing = same_span.values_list("pk", flat=True).first()
        if existing is not None:
            raise ValidationError(
                {"quote": ValidationError(SPAN_TAKEN_MESSAGE, code="duplicate_span", params={"claim": existing})}
            )

    def reanchor(self, *, old_text: str, new_text: str) -> Relocation:
        """Follow the quote from the source's old text to its new text (not saved): held, moved or broken.

        A claim broken by an earlier capture stays broken: its offsets belong to an older text than `old_text`,
        so finding its words again would be a guess. It waits for someone to review it."""
        if self.anchor_state == self.AnchorState.BROKEN:
            return Relocation(self.AnchorState.BROKEN, self.start, "broken by an earlier capture; waits for review")
        found = relocate(quote=self.quote, start=self.start, old_text=old_text, new_text=new_text)
        self.start, self.end = found.start, found.start + len(self.quote)
        self.anchor_state = found.state
        return found

    def anchor(self, *, locked: bool = False) -> None:
        """Check the quote against the source text at start:end, or locate it when no offsets are given. The text is
        read as it now stands, locked until the claim is saved (common.locks.source_text); `locked` says the caller
        read `self.source` under that lock already (an import, which reads no more while it copies rows in)."""
        if not locked:
            text = source_text(self.source_id)
            if text is None:
                raise ValidationError({"source": "This source no longer exists."}, code="source_gone")
            self.source.text = text
        text = self.source.text
        if self.start is None and self.end is None:
            try:
                self.start = self.source.find_quote(self.quote)
            except QuoteNotFound as e:
                raise ValidationError({"quote": str(e)}, code="quote_not_found") from e
            except QuoteAmbiguous as e:
                raise ValidationError({"quote": str(e)}, code="quote_ambiguous") from e
            self.end = self.start + len(self.quote)
            return
        if self.start is None or self.end is None:
            raise ValidationError("Give both start and end, or neither to locate the quote.", code="half_span")
        if not 0 <= self.start < self.end <= len(text):
            raise ValidationError(
                f"Offsets {self.start}–{self.end} are outside the source text, which has {len(text)} characters.",
                code="span_out_of_range",
            )
        found = text[self.start : self.end]
        if found != self.quote:
            shown = found if len(found) <= 80 else found[:79] + "…"
            raise ValidationError(
                {"quote": f"The source text at {self.start}–{self.end} reads “{shown}”, which is not the quote."},
                code="quote_mismatch",
            )


class Link(models.Model):
    """A link between claims in two different sources. A–B is the same link as B–A."""

    class Relation(models.TextChoices):
        CORROBORATES = "corroborates", "corroborates"
        CONTRADICTS = "contradicts", "contradicts"

    # Indexed by the covering indexes in Meta, which lead with each claim (a claim's links, read index-only).
    claim_a = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links_from", db_index=False)
    claim_b = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links_to", db_index=False)
    relation = models.CharField(max_length=20, choices=Relation.choices, default=Relation.CORROBORATES)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = KeptHistory()

    objects = ProjectQuerySet.as_manager()
    project_path = "claim_a__project"

    class Meta:
        verbose_name = "link"
        permissions = [("import_link", "Can import links"), ("export_link", "Can export links")]
        # A claim's links with their relation and other end, from the index alone, in claim order: the export groups
        # a stretch of claims' links from them without reading the table or sorting (issue 11), the recount too.
        indexes = [
            models.Index(fields=["claim_a", "relation", "claim_b"], name="link_from_idx"),
            models.Index(fields=["claim_b", "relation", "claim_a"], name="link_to_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(claim_a=F("claim_b")),
                name="corroboration_not_self",
                violation_error_message="A claim cannot be linked to itself.",
            ),
            models.UniqueConstraint(
                Least("claim_a", "claim_b"),
                Greatest("claim_a", "claim_b"),
                name="corroboration_one_per_pair",
                violation_error_message="These two claims are already linked.",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_a_id} {self.relation} claim {self.claim_b_id}"

    def clean(self) -> None:
        if self.claim_a_id is None or self.claim_b_id is None or self.claim_a_id == self.claim_b_id:
            return
        check_link_ends(self.claim_a_id, self.claim_b_id)
        if self.pk is not None and not self._state.adding and not Link.objects.filter(pk=self.pk).exists():
            # Read under the link lock (check_link_ends), which delete_links holds: refused here, with the form's
            # errors, before save_link would find it gone after the form was valid.
            raise deleted_meanwhile(Link)

    def validate_constraints(self, exclude=None) -> None:
        # An inline formset leaves its own foreign key out of the constraints it validates, which would skip the
        # one-link-per-pair constraint on a claim's page: both ends are validated whenever both are given (an end
        # left out because it was not valid, or not saved yet, cannot make a duplicate, and PostgreSQL cannot
        # compare a missing one).
        exclude = set(exclude or ())
        if self.claim_a_id is not None and self.claim_b_id is not None:
            exclude -= {"claim_a", "claim_b"}
        super().validate_constraints(exclude=exclude)

    def other(self, claim: Claim) -> Claim:
        return self.claim_b if claim.pk == self.claim_a_id else self.claim_a


class Republication(models.Model):
    """A source that republishes another (a syndicated copy). For independence the copy and its original are one."""

    copy = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="republication")
    original = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="republications")
    note = models.TextField(blank=True)

    objects = ProjectQuerySet.as_manager()
    project_path = "copy__project"

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(copy=F("original")),
                name="republication_not_self",
                violation_error_message="A source cannot republish itself.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.copy} republishes {self.original}"

    def clean(self) -> None:
        if self.original_id is None or self.copy_id is None:
            return
        same_project(self.copy, self.original, field="original")
        # One level only: a copy points at the original, so independence needs no chain walk.
        if Republication.objects.filter(copy=self.original_id).exists():
            raise ValidationError(
                {
                    "original": ValidationError(
                        "That source is itself a copy; record the source it republishes instead.",
                        code="original_is_copy",
                    )
                }
            )
        if Republication.objects.filter(original=self.copy_id).exists():
            raise ValidationError(
                {
                    "copy": ValidationError(
                        "Other sources are recorded as copies of this one; it cannot be a copy itself.",
                        code="copy_is_original",
                    )
                }
            )


class DismissedSuggestion(models.Model):
    """A suggested pair someone judged unrelated: it is not suggested again, from either side."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="dismissals_from")
    suggested = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="dismissals_to")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()
    project_path = "claim__project"

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(claim=F("suggested")),
                name="dismissed_suggestion_not_self",
                violation_error_message="A claim is never suggested for itself.",
            ),
            models.UniqueConstraint(
                Least("claim", "suggested"),
                Greatest("claim", "suggested"),
                name="dismissed_suggestion_one_per_pair",
                violation_error_message="This suggestion is already dismissed.",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.suggested_id} dismissed as a suggestion for claim {self.claim_id}"

    def clean(self) -> None:
        if self.claim_id is None or self.suggested_id is None or self.claim_id == self.suggested_id:
            return
        # Only claims of other sources are suggested; a pair within one source is not a suggestion to dismiss.
        check_across_sources(self.claim.source_id, self.suggested.source_id)
        check_one_project(self.claim.source.project_id, self.suggested.source.project_id)


class SuggestionDecision(models.Model):
    """A suggestion someone accepted (linked) or dismissed, with what the ranker saw in the pair then: the
    examples the suggestion weights are fitted to (claims/corroboration/learning.py)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    suggested = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    accepted = models.BooleanField()
    signals = models.JSONField(help_text="Each signal of the pair by name, before its weight.")
    decided_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()
    project_path = "claim__project"

    def __str__(self) -> str:
        return f"claim {self.suggested_id} {'linked to' if self.accepted else 'dismissed for'} claim {self.claim_id}"


class WordAssociation(models.Model):
    """Two words (as stems, in order) that accepted links of one project have joined, one in each claim and not in
    the other ("achiev" / "pass"), and how many dismissed pairs showed them as well. Each project learns its own."""

    project = models.ForeignKey("sources.Project", on_delete=models.CASCADE, related_name="+")
    first = models.CharField(max_length=100)
    second = models.CharField(max_length=100)
    links = models.PositiveIntegerField(default=0)
    dismissals = models.PositiveIntegerField(default=0)

    objects = ProjectQuerySet.as_manager()
    project_path = "project"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "first", "second"], name="word_association_one_per_pair"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="word_association_ordered"),
        ]
        indexes = [models.Index(fields=["second"], name="word_association_second")]  # the claim's words, either side

    def __str__(self) -> str:
        return f"{self.first} / {self.second}: {self.links} links, {self.dismissals} dismissals"


class RankerFit(models.Model):
    """Suggestion weights fitted to one project's decisions so far; its latest one ranks the project's suggestions."""

    project = models.ForeignKey("sources.Project", on_delete=models.CASCADE, related_name="+", blank=True)
    fitted_at = models.DateTimeField(auto_now_add=True)
    decisions = models.PositiveIntegerField(help_text="How many decisions it was fitted to.")
    weights = models.JSONField(help_text="Each signal's weight by name.")

    objects = ProjectQuerySet.as_manager()
    project_path = "project"

    class Meta:
        get_latest_by = ["fitted_at", "pk"]

    def __str__(self) -> str:
        return f"suggestion weights fitted to {self.decisions} decisions"

    def save(self, *args, **kwargs):
        place_in_sole_project(self)  # a fit made by hand on a server of one project (a shell, a test) is its
        super().save(*args, **kwargs)
