"""The rules of claims and links, each written once: who may do what, the version check, what a change to a
reviewed claim does, and the link rule.

Who may do what is a set of Django permissions: the stored ones each role holds (claims.change_claim,
claims.review_claim, …) and the rules below, which django-rules answers from them (claims.link_claim, …). So
`user.has_perm(…)`, the admin's `has_*_permission`, the API's permission classes and `{{ perms.claims.… }}` in a
template ask the same question. The write services (claims.services, sources.services) ask it with `require`
before they write; a page may ask it too, to hide a button, but never instead of the service.
(`user` is None for a command run without --user, which acts as the system.)
"""

import operator
from collections.abc import Mapping
from functools import reduce

import rules as predicates
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from common.batching import batched
from common.history import named_person
from common.locks import LINKS, hold
from sources.rules import DENIED, holds
from sources.rules import require as sources_require

STALE_MESSAGE = (
    "Someone else saved this claim after you opened it. "
    "Your changes were not saved: reload the page to see theirs, then make yours again."
)
NO_VERSION_MESSAGE = "This form does not say which version of the claim it was opened on; reload the page."


class StaleVersion(ValidationError):
    """A write made from a version of a claim that someone has since changed."""

    def __init__(self, message: str = STALE_MESSAGE):
        super().__init__(message, code="stale_version")


# Who may do what ----------------------------------------------------------------------------------------


may_use_claimtrail = predicates.predicate(lambda user: user.is_active and user.is_staff, name="active staff")

# The permissions made of others (django-rules answers them in has_perm; settings.AUTHENTICATION_BACKENDS).
RULES = {
    # Link two claims, dismiss a suggested link or bring one back: change a claim and add a link.
    "claims.link_claim": holds("claims.change_claim") & holds("claims.add_link"),
    # Give a claim its verdict (the rating a ClaimReview publishes): the Reviewer's, as the status is.
    "claims.rate_claim": holds("claims.review_claim"),
    # Use Claimtrail at all (its pages, the API): an active staff account, as the admin asks.
    "claims.use_claimtrail": may_use_claimtrail,
}
for _name, _predicate in RULES.items():
    predicates.set_perm(_name, _predicate)

DENIED.update(
    {
        "claims.link_claim": "You may not link claims or dismiss suggestions.",
        "claims.review_claim": "Only a Reviewer may set a claim's review status.",
        "claims.rate_claim": "Only a Reviewer may rate a claim.",
    }
)


def allowed(user: AbstractBaseUser | None, permission: str, obj=None) -> bool:
    """Whether the user holds the permission (in `obj`'s project); a command run without a user acts as the
    system and may."""
    return user is None or user.has_perm(permission, obj)


require = sources_require  # PermissionDenied unless the user holds each permission (DENIED's messages)


def may_review(user: AbstractBaseUser | None, obj=None) -> bool:
    """Whether the user may set a claim's review status (reviewed, disputed, retracted, or back to draft), in the
    project of `obj` (a claim or source; any of theirs without one)."""
    return allowed(user, "claims.review_claim", obj)


def may_link(user: AbstractBaseUser | None, obj=None) -> bool:
    """Whether the user may link two claims or dismiss a suggested link (claims.link_claim), in `obj`'s project."""
    return allowed(user, "claims.link_claim", obj)


def may_enter(user: AbstractBaseUser | None) -> bool:
    """Whether the user may use Claimtrail at all (claims.use_claimtrail): an active staff account."""
    return user is not None and user.has_perm("claims.use_claimtrail")


# The version check ---------------------------------------------------------------------------------------


UNCHANGED = object()  # check_version's speaker_id when the write leaves the speaker as it is


def check_version(
    *,
    claim_id: int,
    seen_version: int | None,
    source_id: int | None = None,
    speaker_id: int | None | object = UNCHANGED,
) -> None:
    """Refuse early (StaleVersion) a form opened on an older version of the claim, or one that says no version.

    This only reads (locking the row until the transaction ends, on PostgreSQL); the write itself goes through
    `advance_version`, which makes the same check in its UPDATE. A claim moving to another source (`source_id`)
    takes the link lock first (`lock_links`); then its sources' rows are share-locked, then, when it moves or changes
    speaker (`speaker_id`), the locks of what it will name (sources.models.share_lenders), then its own row: the
    order of common.locks, so that an edit and a new capture of the source, or a rename of what the claim will name
    (or of anyone sharing its lock's slot), wait for each other instead of deadlocking.
    """
    if seen_version is None:
        raise StaleVersion(NO_VERSION_MESSAGE)
    from claims.models import Claim
    from sources.models import share_lenders, share_sources

    stored = Claim.objects.filter(pk=claim_id).values_list("source_id", "speaker_id").first()
    stored_source, stored_speaker = stored or (None, None)
    moved = source_id is not None and source_id != stored_source
    if moved:
        lock_links()
    # The source rows before the claim's (common.locks' order): a new capture locks its source, then its claims.
    share_sources({source_id, stored_source} - {None})
    if moved or (speaker_id is not UNCHANGED and speaker_id != stored_speaker):
        speaker = stored_speaker if speaker_id is UNCHANGED else speaker_id
        share_lenders(sources=[source_id if source_id is not None else stored_source], agents=[speaker])
    recorded_account()
    with transaction.atomic():
        # The claim's row alone: its default ordering joined its source, whose row FOR UPDATE locked too, so two
        # edits of claims in one source, each holding the source's row shared, deadlocked.
        row = Claim.objects.select_for_update(of=("self",)).filter(pk=claim_id).order_by()
        current = row.values_list("version", flat=True).first()
    if current is not None and current != seen_version:
        raise StaleVersion


def advance_version(claim, *, seen_version: int | None) -> None:
    """Take the next version of a saved claim for one write: the row's version goes up by one only if it is still
    `seen_version` (a conditional UPDATE), and `claim.version` follows. Call it in the transaction that then saves
    the claim; StaleVersion (nothing written) when someone saved the claim since, or no version was seen."""
    if seen_version is None:
        raise StaleVersion(NO_VERSION_MESSAGE)
    if stale_versions_after_advancing({claim.pk: seen_version}):
        raise StaleVersion
    claim.version = seen_version + 1


def version_problem(*, claim_id: int, current: int, given: str | None) -> str | None:
    """The version check of a row read from a file (an import): why the row, which updates the claim now at
    version `current`, cannot (it names no version, or one older than the claim's); None when it may. Read early,
    to report every stale row; the write then takes its version through stale_versions_after_advancing."""
    if given is None:
        return "Give the version the claim had when it was exported: the export's version column."
    text = given.strip()
    if not text:
        return "Give the version the claim had when it was exported (the export's version column)."
    if not text.isascii() or not text.isdigit():
        return f"“{text}” is not a version number."
    if int(text) != current:
        return (
            f"Claim {claim_id} was changed since this file was exported (version {text} in the file, "
            f"{current} now); export it again and redo this row's change."
        )
    return None


def take_next_versions(claims) -> list[int]:
    """The version check for claims read in memory at the versions they hold: the ids of those someone saved
    since (nothing is then written for any); else each claim's `version` follows its row's, one up."""
    stale = stale_versions_after_advancing({claim.pk: claim.version for claim in claims})
    if not stale:
        for claim in claims:
            claim.version += 1
    return stale


@transaction.atomic
def stale_versions_after_advancing(seen: Mapping[int, int]) -> list[int]:
    """The version check for many claims at once (imports, re-anchoring, bulk actions): for each claim id the
    version its writer saw. Every claim still at that version goes up by one, in conditional UPDATEs
    (`… SET version = version + 1 WHERE id = … AND version = seen`); the ids of the others, stale or gone,
    are returned, and the caller refuses them (an import rolls back)."""
    from claims.models import Claim

    stale: list[int] = []
    # Two parameters a claim: 400 claims a statement stay under SQLite's old limit of 999 parameters.
    for chunk in batched(sorted(seen.items()), 400):
        ids = [pk for pk, _ in chunk]
        # Lock the rows first (PostgreSQL), so that the claims found current are exactly the ones updated.
        current = dict(Claim.objects.select_for_update().filter(pk__in=ids).order_by().values_list("pk", "version"))
        fresh = [(pk, version) for pk, version in chunk if current.get(pk) == version]
        stale += [pk for pk, version in chunk if current.get(pk) != version]
        if fresh:
            condition = reduce(operator.or_, (Q(pk=pk, version=version) for pk, version in fresh))
            updated = Claim.objects.filter(condition).update(version=F("version") + 1)
            if updated != len(fresh):  # no row lock (SQLite): someone wrote between the read and the update
                raise StaleVersion
    return stale


# What a change to a reviewed claim does ------------------------------------------------------------------

# The fields a review vouches for: a change to any of them is a change to what was reviewed.
REVIEWED_FIELDS = [
    "source_id",
    "quote",
    "start",
    "end",
    "statement",
    "speaker_id",
    "claimed_on",
    "claimed_on_precision",
    "kind",
]
ONLY_REVIEWERS_MESSAGE = "Only reviewers can set the review status."


def status_after_edit(*, reviewer: bool, stored: Mapping[str, object] | None, proposed: Mapping[str, object]) -> str:
    """The status a claim is saved with when someone saves it with the `proposed` values (REVIEWED_FIELDS and
    status); `stored` holds the saved claim's (None for a new claim); `reviewer` is `may_review(user)`.

    Only a reviewer sets the status: anyone else asking for another status than the stored one (draft for a new
    claim) is refused (ValidationError on `status`). A review vouches for the words it read: when someone who may
    not review changes a reviewed, disputed or retracted claim's words, speaker, date, kind or place, the claim
    goes back to draft, to be reviewed again. Tags are not reviewed and change nothing.
    """
    from claims.models import Claim

    if reviewer:
        return proposed["status"]
    stored_status = Claim.Status.DRAFT if stored is None else stored["status"]
    if proposed["status"] != stored_status:
        raise ValidationError({"status": ValidationError(ONLY_REVIEWERS_MESSAGE, code="review_only")})
    if stored is not None and any(proposed[name] != stored[name] for name in REVIEWED_FIELDS):
        return Claim.Status.DRAFT
    return stored_status


def back_to_draft_message(claim_id: int, was: str) -> str:
    """What the editor and the admin say when a save by someone who may not review sent a claim back to draft."""
    return (
        f"Claim #{claim_id} saved and back to draft: it was {was}, and a change to its words, statement, "
        "speaker, date, kind or place by someone who may not review waits for a Reviewer to review it again."
    )


def stored_for_review_rule(claim_id: int | None) -> dict | None:
    """What `status_after_edit` compares with: the saved claim's reviewed fields and status."""
    from claims.models import Claim

    if claim_id is None:
        return None
    return Claim.objects.filter(pk=claim_id).values(*REVIEWED_FIELDS, "status", "rating").first()


def check_rating(*, reviewer: bool, stored: dict | None, rating: int | None) -> None:
    """Only a Reviewer gives a claim its verdict (the rating published in its ClaimReview)."""
    if not reviewer and rating != (stored or {}).get("rating"):
        raise ValidationError({"rating": ["Only a Reviewer may rate a claim."]}, code="not_reviewer")


# The link rule -------------------------------------------------------------------------------------------

SAME_SOURCE_MESSAGE = "Both claims are in the same source; links join claims across sources."
OTHER_PROJECT_MESSAGE = "The two claims are in different projects; links join claims of one project."
CLAIM_GONE_MESSAGE = "Claim #%(claim)s was deleted meanwhile; there is nothing to link it to."


def lock_links() -> None:
    """The link lock (common.locks.LINKS), held to the end of the transaction by every write that adds, changes or
    deletes links, moves or deletes a linked claim, or stores counts: each then reads the links, the claims'
    sources and the voices after the writes before it, so no link lands inside one source and every stored count
    is computed from what was committed. Take it before locking any claim's row.

    Then the account the write is recorded under is key-shared (recorded_account), before any claim's row too."""
    hold(LINKS)
    recorded_account()


def recorded_account() -> None:
    """Key-share the account the write is recorded under (common.history.named_person; the system user is never
    renamed), as its history's key on the account does, but only at the commit (Django's foreign keys are
    deferred): a rename of the account holds its row and touches the claims it annotated (their kept annotator
    cell), so a write holding one of those claims' rows must not wait for that row at its commit. Call it before
    locking a claim's row."""
    from sources.models import share_lenders

    person = named_person()
    if person is not None:
        share_lenders(accounts=[person.pk])


def check_link_ends(claim_a_id: int, claim_b_id: int) -> None:
    """The link rule for a link about to be saved, read under the link lock: its claims are in two sources as they
    now stand (not as a form read them before a concurrent move)."""
    from claims.models import Claim

    lock_links()
    ends = Claim.objects.filter(pk__in=[claim_a_id, claim_b_id]).order_by()
    found = {pk: (source, project) for pk, source, project in ends.values_list("pk", "source_id", "project")}
    for claim_id in (claim_a_id, claim_b_id):
        if claim_id not in found:  # deleted by a request that held the lock before this one
            raise ValidationError(CLAIM_GONE_MESSAGE, code="claim_deleted", params={"claim": claim_id})
    check_across_sources(found[claim_a_id][0], found[claim_b_id][0])
    check_one_project(found[claim_a_id][1], found[claim_b_id][1])


def check_across_sources(source_a_id: int, source_b_id: int) -> None:
    """A link (or a dismissed suggestion) joins claims of two different sources."""
    if source_a_id == source_b_id:
        raise ValidationError(SAME_SOURCE_MESSAGE, code="same_source")


def check_one_project(project_a_id: int, project_b_id: int) -> None:
    """A link (or a dismissed suggestion) joins claims of one project: corroboration is counted per project."""
    if project_a_id != project_b_id:
        raise ValidationError(OTHER_PROJECT_MESSAGE, code="other_project")


def links_landing_in_source(moves: Mapping[int, int]) -> dict[int, int]:
    """For claims about to move to another source (claim id → new source id): those that would then be linked to
    a claim of their new source, each with one such claim's id. A move that leaves one is refused."""
    from claims.models import Link

    found: dict[int, int] = {}
    for chunk in batched(sorted(moves.items()), 400):
        ids = [pk for pk, _ in chunk]
        links = Link.objects.filter(Q(claim_a__in=ids) | Q(claim_b__in=ids)).order_by()
        rows = links.values_list("claim_a", "claim_a__source", "claim_b", "claim_b__source")
        for a, a_source, b, b_source in rows:
            # The other claim may be moving too (an import): compare with where it will be.
            a_source, b_source = moves.get(a, a_source), moves.get(b, b_source)
            if a_source == b_source:
                for moved, other in ((a, b), (b, a)):
                    if moved in moves:
                        found.setdefault(moved, other)
    return found


def check_move(*, claim_id: int | None, source_id: int | None) -> None:
    """A saved claim may change source only if none of its links would then join two claims of one source."""
    if claim_id is None or source_id is None:
        return
    from claims.models import Claim

    if Claim.objects.filter(pk=claim_id, source_id=source_id).exists():
        return
    lock_links()
    clash = links_landing_in_source({claim_id: source_id})
    if clash:
        message = (
            f"This claim is linked to claim #{clash[claim_id]}, which is in that source; "
            "links join claims across sources. Remove the link first."
        )
        raise ValidationError({"source": ValidationError(message, code="link_within_source")})
