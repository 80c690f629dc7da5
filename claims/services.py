import datetime
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from claims.corroboration.counting import recount_claims, recount_for_sources
from claims.corroboration.suggestions import learn_from_decision
from claims.models import Claim, Corroboration, DismissedSuggestion, Republication, Tag
from claims.rules import lock_links
from claims.tagging import refresh_tag_names
from common.history import one_history_record, recorded_as, recorded_reason
from sources.dates import Precision
from sources.models import Agent, Source


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
    """Validate (anchoring the quote in the source text) and save a claim with its tags. An empty kind follows
    the speaker: a direct quote when one is given, the author's assertion when not."""
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
    claim.full_clean()
    with one_history_record(claim):
        with duplicates_reported(claim.check_span_free):
            claim.save()
        claim.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
        refresh_tag_names([claim.pk])
    return claim


@transaction.atomic
def link_claims(
    *,
    claim_a: Claim,
    claim_b: Claim,
    relation: str = Corroboration.Relation.CORROBORATES,
    note: str = "",
    created_by: AbstractBaseUser | None = None,
) -> Corroboration:
    """Validate and save a link between claims of two different sources, recount both claims, and let the
    suggestions learn from it."""
    link = Corroboration(claim_a=claim_a, claim_b=claim_b, relation=relation, note=note, created_by=created_by)
    link.full_clean()
    with duplicates_reported(link.full_clean):
        link.save()
    recount_claims({claim_a.pk, claim_b.pk})
    learn_from_decision(claim=claim_a, other=claim_b, accepted=True)
    return link


@transaction.atomic
def delete_claims(*, claims: Iterable[Claim]) -> int:
    """Delete claims (their links go with them) and recount the claims they were linked to; how many were deleted.
    A claim deleted meanwhile (two deletes at once) is left out: it is deleted, and its deletion recorded, once."""
    lock_links()
    claims = list(claims)
    ids = {claim.pk for claim in claims}
    ids = set(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    linked = set(
        Corroboration.objects.filter(Q(claim_a__in=ids) | Q(claim_b__in=ids)).values_list("claim_a", "claim_b")
    )
    for claim in claims:
        if claim.pk in ids:
            # Its links go first, each recorded as deleted with it: restoring the claim brings back these only.
            with recorded_as(reason=deleted_with(claim.pk) + recorded_reason("-")):
                for link in Corroboration.objects.filter(Q(claim_a=claim.pk) | Q(claim_b=claim.pk)).order_by("pk"):
                    link.delete()
            claim.delete()
    recount_claims({pk for pair in linked for pk in pair} - ids)
    return len(ids)


@transaction.atomic
def delete_links(*, links: Iterable[Corroboration]) -> int:
    """Delete links and recount the claims they joined; how many were deleted (one deleted meanwhile is left out)."""
    lock_links()
    links = list(links)
    there = set(Corroboration.objects.filter(pk__in=[link.pk for link in links]).values_list("pk", flat=True))
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
    dismissal = DismissedSuggestion(claim=claim, suggested=suggested, dismissed_by=dismissed_by)
    dismissal.full_clean()
    with duplicates_reported(dismissal.full_clean):
        dismissal.save()
    learn_from_decision(claim=claim, other=suggested, accepted=False)
    return dismissal


@transaction.atomic
def undo_dismissal(*, claim: Claim, suggested: Claim) -> int:
    """Let a dismissed suggestion be suggested again (the pair, from either side); how many dismissals went."""
    pair = Q(claim=claim, suggested=suggested) | Q(claim=suggested, suggested=claim)
    deleted, _ = DismissedSuggestion.objects.filter(pair).delete()
    return deleted


@transaction.atomic
def record_republication(*, copy: Source, original: Source, note: str = "") -> Republication:
    """Validate and save that `copy` republishes `original`, and recount the claims their voices touch."""
    republication = Republication(copy=copy, original=original, note=note)
    republication.full_clean()
    republication.save()
    recount_for_sources({copy.pk, original.pk})
    return republication


@transaction.atomic
def save_link(*, link: Corroboration) -> Corroboration:
    """Save a new or changed link (its relation or its ends) and recount the claims it joined and joins."""
    before = set(Corroboration.objects.filter(pk=link.pk).values_list("claim_a", "claim_b").first() or ())
    link.save()
    recount_claims(before | {link.claim_a_id, link.claim_b_id})
    return link


def deleted_with(claim_id: int) -> str:
    """How the history's reason begins for a link deleted because its claim was."""
    return f"Deleted with claim #{claim_id}: "


class NotRestorable(Exception):
    """A claim that cannot be brought back from its history: it exists, or its history has no deletion."""


@transaction.atomic
def restore_deleted_claim(
    *, claim_id: int, user: AbstractBaseUser | None = None
) -> tuple[Claim, list[Corroboration], list[str]]:
    """Bring a deleted claim back from its history, with its id, its tags and the links deleted with it (to
    claims that still exist), through the same checks as a new claim: its quote must still stand at its
    offsets in its source's text. Each comes back as a new history row saying so. Its version continues past
    every one it had, so a form or an export still open on it cannot save over it. Returns the claim, the links
    restored and why each other link deleted with it stays deleted."""
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
            if Corroboration.objects.filter(pk=record.id).exists():
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
    gone = Corroboration.history.filter(
        Q(claim_a_id=claim_id) | Q(claim_b_id=claim_id),
        history_type="-",
        history_date__lte=deletion.history_date,
        history_date__gte=last_alive.history_date if last_alive else deletion.history_date,
    ).order_by("history_date", "history_id")
    with_it = gone.filter(history_change_reason__startswith=deleted_with(claim_id))
    if not with_it.exists():
        with_it = gone.filter(history_date__gte=deletion.history_date - datetime.timedelta(seconds=1))
    return list(with_it)
