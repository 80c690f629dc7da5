import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from claims.corroboration.counting import recount_claims, recount_for_sources, recount_linked
from claims.models import Claim, DismissedSuggestion, Link, Republication, Tag
from claims.rules import (
    REVIEWED_FIELDS,
    StaleVersion,
    advance_version,
    check_rating,
    check_version,
    lock_links,
    may_review,
    recorded_account,
    require,
    status_after_edit,
    stored_for_review_rule,
    take_next_versions,
)
from claims.tagging import refresh_tag_names
from common.history import bulk_history, one_history_record, recorded_as, recorded_reason
from common.locks import deleted_meanwhile
from common.projects import same_project, stays_in_project
from sources.dates import Precision
from sources.models import Agent, Source, share_lenders
from sources.rules import require_for


@contextmanager
def duplicates_reported(check: Callable[[], None]) -> Iterator[None]:
    """Save in a savepoint; when a unique index refuses the row because a concurrent request saved the same one
    first (a double click), run `check`, the model's own duplicate check, which now sees the other row and raises
    the ValidationError a sequential duplicate gets ("already annotated as claim #N", "already linked")."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        check()
        raise


@transaction.atomic
def create_claim(
    *,
    source: Source,
    quote: str,
    start: int | None = None,
    end: int | None = None,
    statement: str = "",
    speaker: Agent | None = None,
    claimed_on: datetime.date | None = None,
    claimed_on_precision: str = Precision.DAY,
    kind: str = "",
    status: str = Claim.Status.DRAFT,
    tags: Iterable[str] = (),
    created_by: AbstractBaseUser | None = None,
) -> Claim:
    """A new claim from its fields and tag names, through save_claim. An empty kind follows the speaker: a direct
    quote when one is given, the author's assertion when not."""
    claim = Claim(
        source=source,
        quote=quote,
        start=start,
        end=end,
        statement=statement,
        speaker=speaker,
        claimed_on=claimed_on,
        claimed_on_precision=claimed_on_precision,
        kind=kind,
        status=status,
        created_by=created_by,
    )
    for name in tags:  # checked before they are looked up: PostgreSQL cannot even compare a name holding NUL
        Tag(project_id=source.project_id, name=name).clean_fields(exclude=["project"])
    tags = [Tag.objects.get_or_create(project_id=source.project_id, name=name)[0] for name in tags]
    return save_claim(claim, user=created_by, tags=tags)


@transaction.atomic
def save_claim(
    claim: Claim,
    *,
    user: AbstractBaseUser | None,
    seen_version: int | None = None,
    tags: Iterable[Tag] | None = None,
) -> Claim:
    """The one door for creating or changing a claim (the admin's form, the annotate page, the API, create_claim),
    in this order: the permission (add or change a claim), the status and rating rules (only a Reviewer sets them;
    a reviewed claim reworded by someone else goes back to draft), the version check (`seen_version`, the version
    the writer read; a move to another source takes the link lock first), validation (`full_clean`: the quote at
    its offsets in the source's text as it now stands, one claim a span, no link left inside one source), the
    write with its tags (`tags`: None keeps them) as one history record, and the recount a move needs.

    `claim.sent_back_to_draft` says afterwards whether the save sent a reviewed claim back to draft."""
    new = claim.pk is None
    claim.place_in_project()  # the permission is asked in the project of the claim's source
    require(user, "claims.add_claim" if new else "claims.change_claim", obj=claim)
    stored = stored_for_review_rule(claim.pk)
    if stored is not None and stored["source_id"] != claim.source_id:
        stays_in_project(claim, stored["source_id"])
    reviewer = may_review(user, claim)
    proposed = {name: getattr(claim, name) for name in [*REVIEWED_FIELDS, "status"]}
    claim.status = status_after_edit(reviewer=reviewer, stored=stored, proposed=proposed)
    check_rating(reviewer=reviewer, stored=stored, rating=claim.rating)
    claim.sent_back_to_draft = stored is not None and claim.status != stored["status"] == proposed["status"]
    moved = stored is not None and stored["source_id"] != claim.source_id
    if not new:
        # With the locks of what it will name, before the claim's row (a rename touching their claims may wait for it).
        check_version(
            claim_id=claim.pk, seen_version=seen_version, source_id=claim.source_id, speaker_id=claim.speaker_id
        )
        advance_version(claim, seen_version=seen_version)
    else:
        # What it names locked before it is validated, as check_version locks them for a change: a person being
        # deleted is waited for and then found gone, instead of failing the claim's commit.
        share_lenders(sources=[claim.source_id], agents=[claim.speaker_id])
        if claim.created_by_id is None and user is not None:
            claim.created_by = user
    claim.full_clean(exclude=["created_by"])
    if tags is not None:
        tags = list(tags)
        same_project(claim, *tags, field="tags")  # its tags are its project's, as its source, speaker and links are
    with one_history_record(claim):
        with duplicates_reported(claim.check_span_free):
            claim.save()
        if tags is not None:
            claim.tags.set(tags)
            refresh_tag_names([claim.pk])  # the names the export writes, stored on the claim
    if moved:
        recount_linked([claim.pk])  # its own group and its partners' counts change with its source
    return claim


@transaction.atomic
def set_status(claims: Iterable[Claim], status: str, *, user: AbstractBaseUser | None, reason: str = "") -> int:
    """Set the review status of claims (the admin's "Mark selected claims …" actions): a Reviewer's, each claim's
    version going up through the version check, a history record for each (with its tags and the reason);
    how many changed (those already at that status are left alone)."""
    require_for(user, "claims.review_claim", Claim, [claim.pk for claim in claims])
    recorded_account()  # before the claims' rows
    now = timezone.now()
    chosen = Claim.objects.filter(pk__in=[claim.pk for claim in claims]).exclude(status=status)
    changed = list(chosen.order_by("pk").select_for_update())
    if take_next_versions(changed):
        raise StaleVersion
    for claim in changed:
        claim.status = status
        claim.updated_at = now  # bulk_update does not run auto_now
    Claim.objects.bulk_update(changed, ["status", "version", "updated_at"])
    bulk_history(Claim, changed, reason=reason)
    return len(changed)


@transaction.atomic
def move_speakers(*, from_agents: Iterable[int], to_agent: int, reason: str) -> int:
    """The claims spoken by people merged into one (sources.services.merge_agents) get that one as their speaker:
    each claim's version goes up and the change is a history record with the reason; how many claims moved."""
    moving = list(Claim.objects.filter(speaker__in=list(from_agents)).order_by("pk").select_for_update())
    if take_next_versions(moving):
        raise StaleVersion
    now = timezone.now()
    for claim in moving:
        claim.speaker_id = to_agent
        claim.updated_at = now
    Claim.objects.bulk_update(moving, ["speaker", "version", "updated_at"], batch_size=500)
    bulk_history(Claim, moving, reason=reason)
    return len(moving)


def speakers_merging(sender, *, merged: list[int], keep: int, reason: str, **kwargs) -> None:
    """sources.signals.agents_merging: the claims the merged people spoke are now spoken by the one kept."""
    move_speakers(from_agents=merged, to_agent=keep, reason=reason)


@transaction.atomic
def link_claims(
    *,
    claim_a: Claim,
    claim_b: Claim,
    relation: str = Link.Relation.CORROBORATES,
    note: str = "",
    created_by: AbstractBaseUser | None = None,
) -> Link:
    """The one door for a new link (the annotate page, the admin's link and suggestion pages, the API, the demo):
    `created_by` must be allowed to link (claims.link_claim); the link is validated under the link lock (claims of
    two sources as they now stand, not linked yet), saved, both claims recounted, and the suggestions learn."""
    require(created_by, "claims.link_claim", obj=claim_a)
    link = Link(claim_a=claim_a, claim_b=claim_b, relation=relation, note=note, created_by=created_by)
    link.full_clean()
    with duplicates_reported(link.full_clean):
        link.save()
    recount_claims({claim_a.pk, claim_b.pk})
    learn_from_decision(claim=claim_a, other=claim_b, accepted=True)
    return link


def learn_from_decision(*, claim: Claim, other: Claim, accepted: bool) -> None:
    """The ranker learns from a link or a dismissal (claims.corroboration.suggestions). Imported on the first
    decision: the ranker's stemmer and numpy would otherwise load with every command (issue 26's start-up)."""
    from claims.corroboration import suggestions

    suggestions.learn_from_decision(claim=claim, other=other, accepted=accepted)


@transaction.atomic
def delete_claims(*, claims: Iterable[Claim], user: AbstractBaseUser | None = None) -> int:
    """Delete claims (their links go with them) and recount the claims they were linked to; how many were deleted.
    A claim deleted meanwhile (two deletes at once) is left out: it is deleted, and its deletion recorded, once."""
    claims = list(claims)
    require_for(user, "claims.delete_claim", Claim, [claim.pk for claim in claims])
    lock_links()
    ids = {claim.pk for claim in claims}
    ids = set(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    linked = set(Link.objects.filter(Q(claim_a__in=ids) | Q(claim_b__in=ids)).values_list("claim_a", "claim_b"))
    for claim in claims:
        if claim.pk in ids:
            # Its links go first, each recorded as deleted with it: restoring the claim brings back these only.
            with recorded_as(reason=deleted_with(claim.pk) + recorded_reason("-")):
                for link in Link.objects.filter(Q(claim_a=claim.pk) | Q(claim_b=claim.pk)).order_by("pk"):
                    link.delete()
            claim.delete()
    recount_claims({pk for pair in linked for pk in pair} - ids)
    return len(ids)


@transaction.atomic
def delete_links(*, links: Iterable[Link], user: AbstractBaseUser | None = None) -> int:
    """Delete links and recount the claims they joined; how many were deleted (one deleted meanwhile is left out)."""
    links = list(links)
    require_for(user, "claims.delete_link", Link, [link.pk for link in links])
    lock_links()
    there = set(Link.objects.filter(pk__in=[link.pk for link in links]).values_list("pk", flat=True))
    ends = set()
    for link in links:
        if link.pk in there:
            ends |= {link.claim_a_id, link.claim_b_id}
            link.delete()
    recount_claims(ends)
    return len(there)


@transaction.atomic
def dismiss_suggestion(
    *, claim: Claim, suggested: Claim, dismissed_by: AbstractBaseUser | None = None
) -> DismissedSuggestion:
    """Record that a suggested claim is unrelated, so it is not suggested again for this claim (or this one for it)."""
    require(dismissed_by, "claims.link_claim", obj=claim)
    dismissal = DismissedSuggestion(claim=claim, suggested=suggested, dismissed_by=dismissed_by)
    dismissal.full_clean()
    with duplicates_reported(dismissal.full_clean):
        dismissal.save()
    learn_from_decision(claim=claim, other=suggested, accepted=False)
    return dismissal


@transaction.atomic
def undo_dismissal(*, claim: Claim, suggested: Claim, user: AbstractBaseUser | None = None) -> int:
    """Let a dismissed suggestion be suggested again (the pair, from either side); how many dismissals went."""
    require(user, "claims.link_claim", obj=claim)
    pair = Q(claim=claim, suggested=suggested) | Q(claim=suggested, suggested=claim)
    deleted, _ = DismissedSuggestion.objects.filter(pair).delete()
    return deleted


@transaction.atomic
def record_republication(
    *, copy: Source, original: Source, note: str = "", user: AbstractBaseUser | None = None
) -> Republication:
    """Validate and save that `copy` republishes `original`, and recount the claims their voices touch."""
    return save_republication(Republication(copy=copy, original=original, note=note), user=user)


@transaction.atomic
def save_republication(republication: Republication, *, user: AbstractBaseUser | None = None) -> Republication:
    """The one door for a new or changed republication (the admin, record_republication): permission, validation, and
    the recount of the claims whose voices the copy and its original (before and after)
    touch, under the link lock."""
    permission = "claims.add_republication" if republication.pk is None else "claims.change_republication"
    require(user, permission, obj=republication)
    lock_links()
    before = Republication.objects.filter(pk=republication.pk).values_list("copy", "original").first() or ()
    republication.full_clean()
    republication.save()
    recount_for_sources({*before, republication.copy_id, republication.original_id})
    return republication


@transaction.atomic
def delete_republications(*, republications: Iterable[Republication], user: AbstractBaseUser | None = None) -> int:
    """Delete republications and recount the claims their sources' voices touch; how many were deleted."""
    republications = list(republications)
    require_for(user, "claims.delete_republication", Republication, [r.pk for r in republications])
    lock_links()
    touched, deleted = set(), 0
    for republication in republications:
        touched |= {republication.copy_id, republication.original_id}
        deleted += republication.delete()[0]
    recount_for_sources(touched)
    return deleted


@transaction.atomic
def save_link(*, link: Link, user: AbstractBaseUser | None = None) -> Link:
    """The one door for a changed link (its relation, note or ends; a new one goes through link_claims):
    permission, validation under the link lock, one history record, and the recount of the claims it joined and
    joins."""
    if link.pk is None:
        return link_claims(
            claim_a=link.claim_a, claim_b=link.claim_b, relation=link.relation, note=link.note, created_by=user
        )
    require(user, "claims.change_link", obj=link)
    lock_links()
    before = set(Link.objects.filter(pk=link.pk).values_list("claim_a", "claim_b").first() or ())
    if not before and not link._state.adding:
        raise deleted_meanwhile(Link)  # read under the link lock, which delete_links holds
    link.full_clean()
    with duplicates_reported(link.full_clean):
        link.save()
    recount_claims(before | {link.claim_a_id, link.claim_b_id})
    return link


@transaction.atomic
def save_links(links: list[Link], *, user: AbstractBaseUser | None, checked: bool = False) -> None:
    """The door for many new or changed links at once (the links import): the permissions (link claims for a new
    one, change links for a changed one), each validated under the link lock (`checked`: the caller ran each
    one's `full_clean` in this transaction, after taking the lock, to report every bad row), saved, and one
    recount of every claim they join."""
    ends = {pk for link in links for pk in (link.claim_a_id, link.claim_b_id)}
    if any(link.pk is None for link in links):
        require_for(user, "claims.link_claim", Claim, ends)
    if any(link.pk is not None for link in links):
        require_for(user, "claims.change_link", Link, [link.pk for link in links if link.pk is not None])
    lock_links()
    ends = set()
    for link in links:
        if not checked:
            link.full_clean()
        link.save()
        ends |= {link.claim_a_id, link.claim_b_id}
    recount_claims(ends)


def deleted_with(claim_id: int) -> str:
    """How the history's reason begins for a link deleted because its claim was."""
    return f"Deleted with claim #{claim_id}: "


class NotRestorable(Exception):
    """A claim that cannot be brought back from its history: it exists, or its history has no deletion."""


@transaction.atomic
def restore_deleted_claim(
    *, claim_id: int, user: AbstractBaseUser | None = None
) -> tuple[Claim, list[Link], list[str]]:
    """Bring a deleted claim back from its history, with its id, its tags and the links deleted with it (to
    claims that still exist), through the same checks as a new claim: its quote must still stand at its
    offsets in its source's text. Each comes back as a new history row saying so. Its version continues past
    every one it had, so a form or an export still open on it cannot save over it. Returns the claim, the links
    restored and why each other link deleted with it stays deleted."""
    require(user, "claims.add_claim")
    lock_links()
    if Claim.objects.filter(pk=claim_id).exists():
        raise NotRestorable(f"Claim #{claim_id} exists; only a deleted claim can be restored.")
    deleted = Claim.history.filter(id=claim_id).order_by("-history_date", "-history_id").first()
    if deleted is None or deleted.history_type != "-":
        raise NotRestorable(f"No deleted claim #{claim_id} is in the history.")
    # The deletion's own record has no tags (they go before it is written): the version before it has them.
    before = Claim.history.filter(id=claim_id).exclude(history_type="-").order_by("-history_date", "-history_id")
    tag_ids = list(before.first().tags.values_list("tag_id", flat=True)) if before.exists() else []
    claim = deleted.instance
    claim.place_in_project()
    require(user, "claims.add_claim", obj=claim)
    # Every write that takes a version writes a history record, so the claim never had as many versions as it has
    # records (the history keeps no version of its own).
    claim.version = Claim.history.filter(id=claim_id).count()
    claim.full_clean(exclude=["created_by"])
    with recorded_as(user=user, reason="Restored from its history"), one_history_record(claim):
        claim.save(force_insert=True)
        claim.tags.set(Tag.objects.filter(pk__in=tag_ids))
        refresh_tag_names([claim.pk])
    links, left = [], []
    for record in _links_deleted_with(claim_id, deleted):
        link = record.instance
        try:
            if Link.objects.filter(pk=record.id).exists():
                raise ValidationError("it exists")
            link.full_clean()
        except ValidationError as error:
            left.append(f"link #{record.id} to claim #{link.other(claim).pk}: {' '.join(error.messages)}")
            continue
        with recorded_as(user=user, reason=f"Restored with claim #{claim_id}"):
            link.save(force_insert=True)
        links.append(link)
    recount_claims({claim_id} | {pk for link in links for pk in (link.claim_a_id, link.claim_b_id)})
    return claim, links, left


def _links_deleted_with(claim_id: int, deletion) -> list:
    """The deletion records of the links that went with the claim's last deletion, recorded as deleted with it; for
    a deletion made before that was recorded, the links' deletions in the second before it. A link deleted on
    purpose before the claim is not among them."""
    alive = Claim.history.filter(id=claim_id, history_date__lt=deletion.history_date).exclude(history_type="-")
    last_alive = alive.order_by("-history_date").first()
    gone = Link.history.filter(
        Q(claim_a_id=claim_id) | Q(claim_b_id=claim_id),
        history_type="-",
        history_date__lte=deletion.history_date,
        history_date__gte=last_alive.history_date if last_alive else deletion.history_date,
    ).order_by("history_date", "history_id")
    with_it = gone.filter(history_change_reason__startswith=deleted_with(claim_id))
    if not with_it.exists():
        with_it = gone.filter(history_date__gte=deletion.history_date - datetime.timedelta(seconds=1))
    return list(with_it)
