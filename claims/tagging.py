"""A claim's tags as the CSV writes them, stored on the claim (`Claim.tag_names`), so that an export reads one
column instead of gathering every claim's tags again (issue 26).

Every path that sets a claim's tags calls `refresh_tag_names` after it: claims.services (create, restore),
the claim forms (claims.forms.ClaimForm, the editor's new tags, the admin's save_related), the CSV import, the
tag admin (a tag renamed or deleted) and seed_synthetic.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import OuterRef

from claims.models import Claim, Tag
from common.copy_insert import update_rows
from common.formulas import escape

REFRESHED_AT_ONCE = 5000  # claims whose tags are read by one query


def listed_name(name: str) -> str:
    """A name in a list cell: "\\" and ";" escaped with a backslash, so a name holding "; " stays one name
    (claims.exchange.reading.split_list undoes it)."""
    return name.replace("\\", "\\\\").replace(";", "\\;")


def tag_names_cell(names: Iterable[str]) -> str:
    """The CSV's tags cell for tags with these names, in the order given: joined with "; ", escaped for
    spreadsheets (common.formulas); "" for none."""
    return escape("; ".join(listed_name(name) for name in names))


def tag_names_in_order(names: Iterable[str], rank: dict[str, int]) -> str:
    """The cell `refresh_tag_names` stores for a claim with tags of these names, `rank` giving each name's place in
    the database's order of names: for claims written in bulk with their tags (the CSV import), whose cell is set
    before they are inserted instead of read back after."""
    return tag_names_cell(sorted(names, key=rank.__getitem__))


def refresh_tag_names(claim_ids: Iterable[int]) -> None:
    """Store these claims' tag names as the CSV writes them: their tags read a few thousand claims a query, in
    the database's order of names (its collation, as the export always sorted them), and written back set-wise."""
    ids = sorted(set(claim_ids))
    through = Claim.tags.through.objects
    for first in range(0, len(ids), REFRESHED_AT_ONCE):
        chosen = ids[first : first + REFRESHED_AT_ONCE]
        names = defaultdict(list)
        rows = through.filter(claim_id__in=chosen).order_by("claim_id", "tag__name")
        for claim_id, name in rows.values_list("claim_id", "tag__name"):
            names[claim_id].append(name)
        update_rows(Claim, ["tag_names"], [(pk, tag_names_cell(names[pk])) for pk in chosen])


def refresh_tag_names_of(tags: Iterable[Tag]) -> None:
    """Refresh the claims that carry these tags (a tag renamed; before a tag is deleted, its claims are refreshed
    by the caller after)."""
    refresh_tag_names(Claim.objects.filter(tags__in=list(tags)).values_list("pk", flat=True).distinct())


def stale_tag_names(claims=None) -> dict[int, tuple[str, str]]:
    """The claims whose stored tag names are not their tags' (stored, right): the check tests end with, computed
    by the database as the export computed the cell before it was stored."""
    from claims.exchange.columns import names_cell  # the export's own SQL for a list of names

    claims = Claim.objects.all() if claims is None else claims
    rows = claims.annotate(right=names_cell(Tag.objects.filter(claims=OuterRef("pk"))))
    return {
        pk: (stored, right or "")
        for pk, stored, right in rows.values_list("pk", "tag_names", "right")
        if stored != (right or "")
    }
