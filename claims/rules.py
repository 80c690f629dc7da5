"""The rules of claims and links, each written once: who may do what, the version check, what a change to a
reviewed claim does, and the link rule.

The admin (history revert included), the annotate editor, the imports, re-anchoring and the commands ask
these functions; none of them checks a permission or a version of its own. (`user` is None for a command
run without --user, which acts as the system.)
"""

import operator
from collections.abc import Mapping
from functools import reduce

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from common.batching import batched

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


def may_review(user: AbstractBaseUser | None) -> bool:
    """Whether the user may set a claim's review status (reviewed, disputed, retracted, or back to draft)."""
    return user is None or user.has_perm("claims.review_claim")


def may_link(user: AbstractBaseUser | None) -> bool:
    """Whether the user may link two claims or dismiss a suggested link: change a claim and add a link."""
    return user is None or user.has_perms(["claims.change_claim", "claims.add_corroboration"])


# The version check ---------------------------------------------------------------------------------------


def check_version(*, claim_id: int, seen_version: int | None) -> None:
    """Refuse early (StaleVersion) a form opened on an older version of the claim, or one that says no version.

    This only reads (locking the row until the transaction ends, on PostgreSQL); the write itself goes through
    `advance_version`, which makes the same check in its UPDATE.
    """
    if seen_version is None:
        raise StaleVersion(NO_VERSION_MESSAGE)
    from claims.models import Claim

    with transaction.atomic():
        current = Claim.objects.select_for_update().filter(pk=claim_id).values_list("version", flat=True).first()
    if current is not None and current != seen_version:
        raise StaleVersion


def advance_version(claim, *, seen_version: int | None) -> None:
    """Take the next version of a saved claim for one write: the row's version goes up by one only if it is still
    `seen_version` (a conditional UPDATE), and `claim.version` follows. Call it in the transaction that then saves
    the claim; StaleVersion (nothing written) when someone saved the claim since, or no version was seen."""
    if seen_version is None:
        raise StaleVersion(NO_VERSION_MESSAGE)
    if advance_versions({claim.pk: seen_version}):
        raise StaleVersion
    claim.version = seen_version + 1


@transaction.atomic
def advance_versions(seen: Mapping[int, int]) -> list[int]:
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
