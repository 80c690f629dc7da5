"""Who may do what with sources, people and organisations, beyond the stored permissions each role holds: the
permissions made of others, answered by django-rules (claims/rules.py has the claims' and says how they are used)."""

import rules as predicates


def holds(permission: str):
    """A predicate: the user holds this stored permission (through a role or given to them)."""
    return predicates.predicate(lambda user: user.has_perm(permission), name=f"holds {permission}")


RULES = {
    # Merge duplicate people or organisations (the merged ones live on as aliases of the one kept), or mark two
    # distinct: a Reviewer's edit of people and organisations.
    "sources.merge_agent": holds("sources.change_agent"),
}
for _name, _predicate in RULES.items():
    predicates.set_perm(_name, _predicate)


def require(user, *permissions: str) -> None:
    """The permission question every write service asks first: PermissionDenied (naming the permission) unless
    the user holds each; a command run without a user (None) acts as the system and may."""
    from django.core.exceptions import PermissionDenied

    for permission in permissions:
        if user is not None and not user.has_perm(permission):
            raise PermissionDenied(DENIED.get(permission, f"You do not have the permission {permission}."))


DENIED: dict[str, str] = {}
