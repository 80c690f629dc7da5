"""Who may do what with sources, people and organisations, beyond the stored permissions each role holds: the
permissions made of others, answered by django-rules (claims/rules.py has the claims' and says how they are used)."""

import rules as predicates

from common.projects import sees_everything


def holds(permission: str):
    """A predicate: the user holds this stored permission (through their role in the object's project, or given
    to them); without an object, in any of their projects."""
    return predicates.predicate(lambda user, obj=None: user.has_perm(permission, obj), name=f"holds {permission}")


@predicates.predicate
def sees_every_project(user, obj=None) -> bool:
    from sources.models import Project

    return sees_everything(user, Project)


RULES = {
    # Merge duplicate people or organisations (the merged ones live on as aliases of the one kept), or mark two
    # distinct: a Reviewer's edit of people and organisations.
    "sources.merge_agent": holds("sources.change_agent"),
    # Rename a project: its name and slug are unique across the server, so a name refused as taken tells of another
    # project; only someone who sees every project (a superuser, a direct grant) meets that refusal.
    "sources.rename_project": sees_every_project,
}
for _name, _predicate in RULES.items():
    predicates.set_perm(_name, _predicate)


def require(user, *permissions: str, obj=None) -> None:
    """The permission question every write service asks first: PermissionDenied (naming the permission) unless
    the user holds each, in the project of `obj` (the claim, link, source or person written); a command run
    without a user (None) acts as the system and may."""
    from django.core.exceptions import PermissionDenied

    for permission in permissions:
        if user is not None and not user.has_perm(permission, obj):
            raise PermissionDenied(DENIED.get(permission, f"You do not have the permission {permission}."))


def require_for(user, permission: str, model, ids) -> None:
    """`require` for many rows of one model at once: the permission in each project they belong to (one query)."""
    if user is None or user.is_superuser:
        return
    from sources.models import Project

    projects = set(model.objects.filter(pk__in=list(ids)).values_list(model.project_path, flat=True).distinct())
    for project_id in sorted(projects):
        require(user, permission, obj=Project(pk=project_id))


DENIED: dict[str, str] = {
    "sources.add_agent": "You may not add people or organisations.",
    "sources.add_membership": "You may not manage the members of this project.",
    "sources.change_membership": "You may not manage the members of this project.",
    "sources.delete_membership": "You may not manage the members of this project.",
    "sources.rename_project": "A project's name and slug are unique across the server: an administrator changes them.",
}
