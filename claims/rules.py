"""Who may do what with claims and links: the one place each role rule is written.

The admin, the annotate editor, the imports and the commands ask these functions; none of them checks a
permission of its own. (`user` is None for a command run without --user, which acts as the system.)
"""

from django.contrib.auth.models import AbstractBaseUser


def may_review(user: AbstractBaseUser | None) -> bool:
    """Whether the user may set a claim's review status (reviewed, disputed, retracted, or back to draft)."""
    return user is None or user.has_perm("claims.review_claim")


def may_link(user: AbstractBaseUser | None) -> bool:
    """Whether the user may link two claims or dismiss a suggested link: change a claim and add a link."""
    return user is None or user.has_perms(["claims.change_claim", "claims.add_corroboration"])


def may_enter(user: AbstractBaseUser | None) -> bool:
    """Whether the user may use Claimtrail at all (its pages, the API): an active staff account, as the admin asks."""
    return user is not None and user.is_active and user.is_staff
